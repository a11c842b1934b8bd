#include "test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace govflow::connect::testing {
namespace {

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string Response(int status, const std::string& body, const std::string& extra = "") {
  const char* reason = status == 200 ? "OK" : "Not Found";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  std::string key = "\r\n" + name + ":";
  std::transform(key.begin(), key.end(), key.begin(), ::tolower);
  size_t p = lower.find(key);
  if (p == std::string::npos) return {};
  p += key.size();
  size_t e = head.find("\r\n", p);
  std::string v = head.substr(p, e - p);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

int QueryInt(const std::string& target, const std::string& name) {
  size_t p = target.find(name + "=");
  if (p == std::string::npos) return 0;
  return std::atoi(target.c_str() + p + name.size() + 1);
}

}  // namespace

TestHttpServer::TestHttpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 512) != 0) {
    return;
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  Stop();
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int TestHttpServer::requests(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = requests_.find(path);
  return it == requests_.end() ? 0 : it->second;
}

void TestHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void TestHttpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TestHttpServer::Serve(int fd) {
  std::string buffer;
  char chunk[16384];
  auto read_more = [&]() -> bool {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  while (!stopping_) {
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) goto done;
    }
    {
      std::string head = buffer.substr(0, head_end + 2);
      size_t body_len = static_cast<size_t>(std::atol(HeaderValue(head, "Content-Length").c_str()));
      while (buffer.size() < head_end + 4 + body_len) {
        if (!read_more()) goto done;
      }
      std::string body = buffer.substr(head_end + 4, body_len);
      buffer.erase(0, head_end + 4 + body_len);
      const size_t sp1 = head.find(' ');
      const size_t sp2 = head.find(' ', sp1 + 1);
      const std::string method = head.substr(0, sp1);
      const std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string path = target.substr(0, target.find('?'));
      int count;
      {
        std::lock_guard lock(mu_);
        count = ++requests_[path];
      }
      std::string reply;
      if (path == "/echo") {
        const std::string echo = HeaderValue(head, "X-Echo");
        reply = Response(200, method + " " + body, echo.empty() ? "" : "X-Echo: " + echo + "\r\n");
      } else if (path == "/slow") {
        std::this_thread::sleep_for(std::chrono::milliseconds(QueryInt(target, "ms")));
        reply = Response(200, "slow");
      } else if (path == "/hang") {
        while (!stopping_ && read_more()) {
        }
        goto done;
      } else if (path == "/drop" || (path == "/drop-first" && count == 1)) {
        goto done;
      } else if (path == "/drop-first") {
        reply = Response(200, "second");
      } else if (path == "/big") {
        reply = Response(200, std::string(static_cast<size_t>(QueryInt(target, "bytes")), 'b'));
      } else {
        reply = Response(404, "no such path");
      }
      if (!SendAll(fd, reply)) goto done;
    }
  }
done : {
  std::lock_guard lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
}
  ::close(fd);
}

}  // namespace govflow::connect::testing
