#include "governance/exceptions/json_patch.h"

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace govflow::governance::exceptions {
namespace json = boost::json;
namespace {

std::string Escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

Result<std::vector<std::string>> Tokens(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer.front() != '/')
    return InvalidArgument("path '" + std::string(pointer) + "' must start with '/'");
  size_t pos = 1;
  while (true) {
    size_t next = pointer.find('/', pos);
    std::string_view raw = pointer.substr(pos, next == std::string_view::npos ? next : next - pos);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += raw[i];
      }
    }
    out.push_back(std::move(token));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

bool ArrayIndex(const std::string& token, size_t size, bool allow_end, size_t* out) {
  if (allow_end && token == "-") {
    *out = size;
    return true;
  }
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return false;
  for (char c : token)
    if (c < '0' || c > '9') return false;
  *out = std::stoul(token);
  return *out < size || (allow_end && *out == size);
}

// The parent container of the pointer's last token.
Result<json::value*> Parent(json::value& doc, const std::vector<std::string>& tokens,
                            std::string_view path) {
  json::value* cur = &doc;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (cur->is_object()) {
      cur = cur->as_object().if_contains(tokens[i]);
    } else if (cur->is_array()) {
      size_t idx;
      if (!ArrayIndex(tokens[i], cur->as_array().size(), false, &idx))
        cur = nullptr;
      else
        cur = &cur->as_array()[idx];
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) return InvalidArgument("path '" + std::string(path) + "' does not exist");
  }
  return cur;
}

Result<json::value> Get(json::value& doc, std::string_view path) {
  GOVFLOW_ASSIGN_OR_RETURN(auto tokens, Tokens(path));
  if (tokens.empty()) return doc;
  GOVFLOW_ASSIGN_OR_RETURN(json::value * parent, Parent(doc, tokens, path));
  if (parent->is_object()) {
    if (auto* v = parent->as_object().if_contains(tokens.back())) return *v;
  } else if (parent->is_array()) {
    size_t idx;
    if (ArrayIndex(tokens.back(), parent->as_array().size(), false, &idx))
      return parent->as_array()[idx];
  }
  return InvalidArgument("path '" + std::string(path) + "' does not exist");
}

Status Remove(json::value& doc, std::string_view path) {
  GOVFLOW_ASSIGN_OR_RETURN(auto tokens, Tokens(path));
  if (tokens.empty()) return InvalidArgument("cannot remove the whole document");
  GOVFLOW_ASSIGN_OR_RETURN(json::value * parent, Parent(doc, tokens, path));
  if (parent->is_object() && parent->as_object().erase(tokens.back()) == 1) return Status::Ok();
  size_t idx;
  if (parent->is_array() && ArrayIndex(tokens.back(), parent->as_array().size(), false, &idx)) {
    parent->as_array().erase(parent->as_array().begin() + static_cast<std::ptrdiff_t>(idx));
    return Status::Ok();
  }
  return InvalidArgument("path '" + std::string(path) + "' does not exist");
}

Status Add(json::value& doc, std::string_view path, json::value value, bool replace) {
  GOVFLOW_ASSIGN_OR_RETURN(auto tokens, Tokens(path));
  if (tokens.empty()) {
    doc = std::move(value);
    return Status::Ok();
  }
  GOVFLOW_ASSIGN_OR_RETURN(json::value * parent, Parent(doc, tokens, path));
  if (parent->is_object()) {
    if (replace && !parent->as_object().contains(tokens.back()))
      return InvalidArgument("path '" + std::string(path) + "' does not exist");
    parent->as_object()[tokens.back()] = std::move(value);
    return Status::Ok();
  }
  if (parent->is_array()) {
    json::array& a = parent->as_array();
    size_t idx;
    if (!ArrayIndex(tokens.back(), a.size(), !replace, &idx))
      return InvalidArgument("path '" + std::string(path) + "' does not exist");
    if (replace)
      a[idx] = std::move(value);
    else
      a.insert(a.begin() + static_cast<std::ptrdiff_t>(idx), std::move(value));
    return Status::Ok();
  }
  return InvalidArgument("path '" + std::string(path) + "' does not exist");
}

void DiffInto(const json::value& a, const json::value& b, const std::string& path,
              json::array& out) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.as_object()) {
      std::string p = path + "/" + Escape(k);
      if (const json::value* w = b.as_object().if_contains(k)) {
        DiffInto(v, *w, p, out);
      } else {
        out.push_back(json::object{{"op", "remove"}, {"path", p}, {"old", v}});
      }
    }
    for (const auto& [k, w] : b.as_object()) {
      if (!a.as_object().contains(k)) {
        out.push_back(json::object{{"op", "add"}, {"path", path + "/" + Escape(k)}, {"value", w}});
      }
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.as_array().size() == b.as_array().size()) {
    for (size_t i = 0; i < a.as_array().size(); ++i) {
      DiffInto(a.as_array()[i], b.as_array()[i], path + "/" + std::to_string(i), out);
    }
    return;
  }
  out.push_back(json::object{{"op", "replace"}, {"path", path}, {"value", b}, {"old", a}});
}

}  // namespace

Result<json::value> ApplyJsonPatch(const json::value& document, const json::value& patch) {
  if (!patch.is_array()) return InvalidArgument("a JSON Patch must be an array of operations");
  json::value doc = document;
  size_t index = 0;
  for (const json::value& opv : patch.as_array()) {
    std::string where = "operation " + std::to_string(index++);
    if (!opv.is_object()) return InvalidArgument(where + " is not an object");
    const json::object& op = opv.as_object();
    const json::value* name = op.if_contains("op");
    const json::value* path = op.if_contains("path");
    if (name == nullptr || !name->is_string() || path == nullptr || !path->is_string()) {
      return InvalidArgument(where + " needs string members 'op' and 'path'");
    }
    std::string_view verb = name->get_string();
    std::string_view p = path->get_string();
    const json::value* value = op.if_contains("value");
    Status st;
    if (verb == "add" || verb == "replace" || verb == "test") {
      if (value == nullptr)
        return InvalidArgument(where + " (" + std::string(verb) + ") needs 'value'");
      if (verb == "test") {
        auto current = Get(doc, p);
        if (!current.ok())
          st = current.status();
        else if (*current != *value)
          st = InvalidArgument("test failed at '" + std::string(p) + "'");
      } else {
        st = Add(doc, p, *value, verb == "replace");
      }
    } else if (verb == "remove") {
      st = Remove(doc, p);
    } else if (verb == "move" || verb == "copy") {
      const json::value* from = op.if_contains("from");
      if (from == nullptr || !from->is_string()) return InvalidArgument(where + " needs 'from'");
      auto v = Get(doc, from->get_string());
      if (!v.ok())
        st = v.status();
      else {
        if (verb == "move") st = Remove(doc, from->get_string());
        if (st.ok()) st = Add(doc, p, *v, false);
      }
    } else {
      return InvalidArgument(where + ": unknown op '" + std::string(verb) + "'");
    }
    if (!st.ok()) return InvalidArgument(where + ": " + st.message());
  }
  return doc;
}

json::array DiffJson(const json::value& before, const json::value& after) {
  json::array out;
  DiffInto(before, after, "", out);
  return out;
}

}  // namespace govflow::governance::exceptions
