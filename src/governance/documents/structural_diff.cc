#include "governance/documents/structural_diff.h"

#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <set>

#include "base/canonical_json.h"

namespace govflow::governance::documents {
namespace json = boost::json;
namespace {

bool PlainKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string Child(const std::string& path, std::string_view key) {
  if (!PlainKey(key)) return path + "[" + json::serialize(json::value(key)) + "]";
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// The key field ("name" or "id") by which both lists' items can be matched, or "".
std::string ItemKeyField(const json::array& a, const json::array& b) {
  if (a.empty() && b.empty()) return "";
  for (std::string_view field : {"name", "id", "decision_type"}) {
    bool ok = true;
    for (const json::array* list : {&a, &b}) {
      std::set<std::string> seen;
      for (const json::value& item : *list) {
        const json::value* k = item.is_object() ? item.as_object().if_contains(field) : nullptr;
        if (k == nullptr || !k->is_string() || !seen.insert(std::string(k->as_string())).second) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    if (ok) return std::string(field);
  }
  return "";
}

std::string ItemKey(const json::value& item, const std::string& field) {
  return std::string(item.as_object().at(field).as_string());
}

void Diff(const json::value& a, const json::value& b, const std::string& path,
          std::vector<DiffEntry>& out) {
  if (a.is_object() && b.is_object()) {
    const json::object& oa = a.as_object();
    const json::object& ob = b.as_object();
    std::set<std::string> keys;
    for (const auto& kv : oa) keys.insert(std::string(kv.key()));
    for (const auto& kv : ob) keys.insert(std::string(kv.key()));
    for (const std::string& key : keys) {
      const json::value* va = oa.if_contains(key);
      const json::value* vb = ob.if_contains(key);
      std::string child = Child(path, key);
      if (va == nullptr) {
        out.push_back({DiffEntry::Op::kAdded, child, std::nullopt, *vb, {}, {}});
      } else if (vb == nullptr) {
        out.push_back({DiffEntry::Op::kRemoved, child, *va, std::nullopt, {}, {}});
      } else {
        Diff(*va, *vb, child, out);
      }
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    const json::array& la = a.as_array();
    const json::array& lb = b.as_array();
    std::string field = ItemKeyField(la, lb);
    if (field.empty()) {
      size_t common = std::min(la.size(), lb.size());
      for (size_t i = 0; i < common; ++i) {
        Diff(la[i], lb[i], path + "[" + std::to_string(i) + "]", out);
      }
      for (size_t i = common; i < la.size(); ++i) {
        out.push_back({DiffEntry::Op::kRemoved,
                       path + "[" + std::to_string(i) + "]",
                       la[i],
                       std::nullopt,
                       {},
                       {}});
      }
      for (size_t i = common; i < lb.size(); ++i) {
        out.push_back({DiffEntry::Op::kAdded,
                       path + "[" + std::to_string(i) + "]",
                       std::nullopt,
                       lb[i],
                       {},
                       {}});
      }
      return;
    }
    std::map<std::string, const json::value*> in_a, in_b;
    for (const json::value& item : la) in_a[ItemKey(item, field)] = &item;
    for (const json::value& item : lb) in_b[ItemKey(item, field)] = &item;
    auto item_path = [&](const std::string& key) { return path + "[" + field + "=" + key + "]"; };
    std::vector<std::string> order_a, order_b;
    for (const json::value& item : la) {
      std::string key = ItemKey(item, field);
      if (!in_b.contains(key)) {
        out.push_back({DiffEntry::Op::kRemoved, item_path(key), item, std::nullopt, {}, {}});
      } else {
        order_a.push_back(key);
      }
    }
    for (const json::value& item : lb) {
      std::string key = ItemKey(item, field);
      auto it = in_a.find(key);
      if (it == in_a.end()) {
        out.push_back({DiffEntry::Op::kAdded, item_path(key), std::nullopt, item, {}, {}});
      } else {
        order_b.push_back(key);
        Diff(*it->second, item, item_path(key), out);
      }
    }
    if (order_a != order_b) {
      out.push_back(
          {DiffEntry::Op::kReordered, path, std::nullopt, std::nullopt, order_a, order_b});
    }
    return;
  }
  if (a != b) out.push_back({DiffEntry::Op::kChanged, path, a, b, {}, {}});
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

void RenderScalar(const json::value& v, std::string& out) {
  if (v.is_string()) {
    out += json::serialize(v);
  } else if (v.is_null()) {
    out += "null";
  } else {
    out += CanonicalJson(v);
  }
}

void Render(const json::value& v, int indent, std::string& out);

void RenderKey(std::string_view key, std::string& out) {
  if (PlainKey(key)) {
    out += key;
  } else {
    out += json::serialize(json::value(key));
  }
}

// Renders `v` as the value after "key:" or "- " (which the caller wrote) at `indent`.
void RenderInline(const json::value& v, int indent, std::string& out, bool after_dash) {
  if (v.is_object() && !v.as_object().empty()) {
    if (after_dash) {
      // First member on the dash's line, the rest aligned under it.
      bool first = true;
      for (const auto& kv : v.as_object()) {
        if (!first) out += std::string(indent, ' ');
        first = false;
        RenderKey(kv.key(), out);
        out += ":";
        RenderInline(kv.value(), indent + 2, out, false);
      }
      return;
    }
    out += "\n";
    Render(v, indent, out);
    return;
  }
  if (v.is_array() && !v.as_array().empty()) {
    out += "\n";
    Render(v, indent, out);
    return;
  }
  if (!after_dash) out += " ";
  if (v.is_object()) {
    out += "{}\n";
  } else if (v.is_array()) {
    out += "[]\n";
  } else {
    RenderScalar(v, out);
    out += "\n";
  }
}

void Render(const json::value& v, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      out += pad;
      RenderKey(kv.key(), out);
      out += ":";
      RenderInline(kv.value(), indent + 2, out, false);
    }
  } else if (v.is_array()) {
    for (const json::value& item : v.as_array()) {
      out += pad + "- ";
      if (item.is_array() && !item.as_array().empty()) {
        out += "\n";
        Render(item, indent + 2, out);
      } else {
        RenderInline(item, indent + 2, out, true);
      }
    }
  } else {
    out += pad;
    RenderScalar(v, out);
    out += "\n";
  }
}

}  // namespace

std::vector<DiffEntry> StructuralDiff(const json::value& before, const json::value& after) {
  std::vector<DiffEntry> out;
  Diff(before, after, "", out);
  return out;
}

std::string FormatDiff(const std::vector<DiffEntry>& entries) {
  std::string out;
  for (const DiffEntry& e : entries) {
    const std::string path = e.path.empty() ? "(document)" : e.path;
    switch (e.op) {
      case DiffEntry::Op::kAdded:
        out += "+ " + path + ": " + CanonicalJson(*e.after) + "\n";
        break;
      case DiffEntry::Op::kRemoved:
        out += "- " + path + ": " + CanonicalJson(*e.before) + "\n";
        break;
      case DiffEntry::Op::kChanged:
        out +=
            "~ " + path + ": " + CanonicalJson(*e.before) + " -> " + CanonicalJson(*e.after) + "\n";
        break;
      case DiffEntry::Op::kReordered:
        out += "~ " + path + ": order " + JoinList(e.order_before) + " -> " +
               JoinList(e.order_after) + "\n";
        break;
    }
  }
  return out;
}

json::value MergeOverTemplate(const json::value& base, const json::value& override_doc) {
  if (base.is_object() && override_doc.is_object()) {
    json::object merged = base.as_object();
    for (const auto& kv : override_doc.as_object()) {
      const json::value* existing = merged.if_contains(kv.key());
      merged[kv.key()] =
          existing != nullptr ? MergeOverTemplate(*existing, kv.value()) : kv.value();
    }
    return merged;
  }
  if (base.is_array() && override_doc.is_array()) {
    const json::array& la = base.as_array();
    const json::array& lb = override_doc.as_array();
    std::string field = ItemKeyField(la, lb);
    if (field.empty() || la.empty()) return override_doc;
    json::array merged;
    std::map<std::string, const json::value*> overrides;
    for (const json::value& item : lb) overrides[ItemKey(item, field)] = &item;
    std::set<std::string> used;
    for (const json::value& item : la) {
      std::string key = ItemKey(item, field);
      auto it = overrides.find(key);
      if (it == overrides.end()) {
        merged.push_back(item);
      } else {
        merged.push_back(MergeOverTemplate(item, *it->second));
        used.insert(key);
      }
    }
    for (const json::value& item : lb) {
      if (!used.contains(ItemKey(item, field))) merged.push_back(item);
    }
    return merged;
  }
  return override_doc;
}

std::string RenderYaml(const json::value& value) {
  std::string out;
  if (!value.is_object() && !value.is_array()) {
    RenderScalar(value, out);
    return out + "\n";
  }
  if ((value.is_object() && value.as_object().empty())) return "{}\n";
  if ((value.is_array() && value.as_array().empty())) return "[]\n";
  Render(value, 0, out);
  return out;
}

}  // namespace govflow::governance::documents
