#include "connect/config_reader.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace govflow::connect {

ConfigReader::ConfigReader(std::string context, const boost::json::value& config)
    : context_(std::move(context)) {
  if (config.is_object()) {
    object_ = &config.get_object();
  } else {
    error_ = InvalidArgument(context_ + ": config must be a JSON object");
  }
}

const boost::json::value* ConfigReader::Lookup(std::string_view field) {
  seen_.emplace(field);
  if (!error_.ok() || object_ == nullptr) return nullptr;
  const boost::json::value* v = object_->if_contains(field);
  if (v != nullptr && v->is_null()) return nullptr;
  return v;
}

void ConfigReader::Fail(std::string_view field, std::string_view problem) {
  if (!error_.ok()) return;
  error_ =
      InvalidArgument(context_ + ": field '" + std::string(field) + "': " + std::string(problem));
}

std::string ConfigReader::RequiredString(std::string_view field) {
  const boost::json::value* v = Lookup(field);
  if (!error_.ok()) return {};
  if (v == nullptr) {
    Fail(field, "is required");
    return {};
  }
  if (!v->is_string()) {
    Fail(field, "must be a string");
    return {};
  }
  if (v->get_string().empty()) {
    Fail(field, "must not be empty");
    return {};
  }
  return std::string(v->get_string());
}

std::string ConfigReader::OptionalString(std::string_view field, std::string default_value) {
  const boost::json::value* v = Lookup(field);
  if (!error_.ok() || v == nullptr) return default_value;
  if (!v->is_string()) {
    Fail(field, "must be a string");
    return default_value;
  }
  return std::string(v->get_string());
}

int64_t ConfigReader::OptionalInt(std::string_view field, int64_t default_value, int64_t min,
                                  int64_t max) {
  const boost::json::value* v = Lookup(field);
  if (!error_.ok() || v == nullptr) return default_value;
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    n = static_cast<int64_t>(v->get_uint64());
  } else {
    Fail(field, "must be an integer");
    return default_value;
  }
  if (n < min || n > max) {
    Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return default_value;
  }
  return n;
}

std::chrono::milliseconds ConfigReader::OptionalMillis(std::string_view field,
                                                       std::chrono::milliseconds default_value,
                                                       std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max) {
  return std::chrono::milliseconds(
      OptionalInt(field, default_value.count(), min.count(), max.count()));
}

const boost::json::object* ConfigReader::OptionalObject(std::string_view field) {
  const boost::json::value* v = Lookup(field);
  if (!error_.ok() || v == nullptr) return nullptr;
  if (!v->is_object()) {
    Fail(field, "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

const boost::json::array* ConfigReader::OptionalArray(std::string_view field) {
  const boost::json::value* v = Lookup(field);
  if (!error_.ok() || v == nullptr) return nullptr;
  if (!v->is_array()) {
    Fail(field, "must be an array");
    return nullptr;
  }
  return &v->get_array();
}

Status ConfigReader::Finish() {
  if (!error_.ok()) return error_;
  for (const auto& kv : *object_) {
    if (seen_.find(std::string_view(kv.key())) == seen_.end()) {
      return InvalidArgument(context_ + ": field '" + std::string(kv.key()) + "': unknown field");
    }
  }
  return Status::Ok();
}

bool IsHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace govflow::connect
