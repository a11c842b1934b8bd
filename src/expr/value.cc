#include "expr/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>

#include <boost/json.hpp>

#include "expr/string_util.h"

namespace govflow::expr {

using value_internal::ErrorRep;
using value_internal::ListRep;
using value_internal::MapRep;
using value_internal::OptionalRep;
using value_internal::RepHeader;
using value_internal::StringRep;

std::string_view KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull: return "null_type";
    case ValueKind::kBool: return "bool";
    case ValueKind::kInt: return "int";
    case ValueKind::kUint: return "uint";
    case ValueKind::kDouble: return "double";
    case ValueKind::kString: return "string";
    case ValueKind::kBytes: return "bytes";
    case ValueKind::kList: return "list";
    case ValueKind::kMap: return "map";
    case ValueKind::kTimestamp: return "google.protobuf.Timestamp";
    case ValueKind::kDuration: return "google.protobuf.Duration";
    case ValueKind::kType: return "type";
    case ValueKind::kOptional: return "optional_type";
    case ValueKind::kError: return "error";
  }
  return "unknown";
}

namespace value_internal {

void IncRef(const RepHeader* rep) {
  const_cast<RepHeader*>(rep)->refs.fetch_add(1, std::memory_order_relaxed);
}

void DecRef(const RepHeader* rep_const, ValueKind kind) {
  auto* rep = const_cast<RepHeader*>(rep_const);
  if (rep->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  switch (kind) {
    case ValueKind::kList: {
      auto* list = reinterpret_cast<ListRep*>(rep);
      for (uint32_t i = 0; i < list->size; ++i) list->elements()[i].~Value();
      break;
    }
    case ValueKind::kMap: {
      auto* map = reinterpret_cast<MapRep*>(rep);
      for (uint32_t i = 0; i < map->capacity; ++i) {
        map->keys()[i].~Value();
        map->values()[i].~Value();
      }
      break;
    }
    case ValueKind::kOptional:
      reinterpret_cast<OptionalRep*>(rep)->value.~Value();
      break;
    default:
      break;
  }
  rep->refs.~atomic();
  ::operator delete(rep);
}

namespace {

inline bool IsArenaRep(const void* p) {
  return static_cast<const RepHeader*>(p)->refs.load(std::memory_order_relaxed) == -1;
}

}  // namespace

}  // namespace value_internal

namespace {

constexpr std::string_view kBuiltinTypeNames[] = {
    "null_type", "bool",  "int",  "uint", "double", "string", "bytes", "list", "map",
    "google.protobuf.Timestamp", "google.protobuf.Duration", "type", "optional_type", "dyn",
    "error"};

void* HeapAlloc(size_t bytes) { return ::operator new(bytes); }

StringRep* NewHeapString(std::string_view s) {
  auto* rep = static_cast<StringRep*>(HeapAlloc(sizeof(StringRep) + s.size()));
  new (&rep->header.refs) std::atomic<int32_t>(1);
  rep->size = static_cast<uint32_t>(s.size());
  if (!s.empty()) std::memcpy(rep->data(), s.data(), s.size());
  return rep;
}

ListRep* NewListRep(size_t n, void* memory, int32_t refs) {
  auto* rep = static_cast<ListRep*>(memory);
  new (&rep->header.refs) std::atomic<int32_t>(refs);
  rep->size = static_cast<uint32_t>(n);
  for (size_t i = 0; i < n; ++i) new (&rep->elements()[i]) Value();
  return rep;
}

MapRep* NewMapRep(size_t capacity, void* memory, int32_t refs, uint32_t index_capacity = 0) {
  auto* rep = static_cast<MapRep*>(memory);
  new (&rep->header.refs) std::atomic<int32_t>(refs);
  rep->size = 0;
  rep->capacity = static_cast<uint32_t>(capacity);
  rep->index_capacity = index_capacity;
  if (index_capacity > 0) std::memset(rep->index(), 0, index_capacity * sizeof(uint32_t));
  for (size_t i = 0; i < capacity; ++i) {
    new (&rep->keys()[i]) Value();
    new (&rep->values()[i]) Value();
  }
  return rep;
}

bool IsNumber(ValueKind k) {
  return k == ValueKind::kInt || k == ValueKind::kUint || k == ValueKind::kDouble;
}

double AsDouble(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kInt: return static_cast<double>(v.int_value());
    case ValueKind::kUint: return static_cast<double>(v.uint_value());
    default: return v.double_value();
  }
}

// -1/0/1, or 2 when unordered (NaN).
int CompareNumbers(const Value& a, const Value& b) {
  ValueKind ka = a.kind(), kb = b.kind();
  if (ka == ValueKind::kInt && kb == ValueKind::kInt) {
    return a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
  }
  if (ka == ValueKind::kUint && kb == ValueKind::kUint) {
    return a.uint_value() < b.uint_value() ? -1 : (a.uint_value() > b.uint_value() ? 1 : 0);
  }
  if (ka == ValueKind::kInt && kb == ValueKind::kUint) {
    if (a.int_value() < 0) return -1;
    uint64_t x = static_cast<uint64_t>(a.int_value());
    return x < b.uint_value() ? -1 : (x > b.uint_value() ? 1 : 0);
  }
  if (ka == ValueKind::kUint && kb == ValueKind::kInt) {
    if (b.int_value() < 0) return 1;
    uint64_t y = static_cast<uint64_t>(b.int_value());
    return a.uint_value() < y ? -1 : (a.uint_value() > y ? 1 : 0);
  }
  double x = AsDouble(a), y = AsDouble(b);
  if (std::isnan(x) || std::isnan(y)) return 2;
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Map-key equality: numbers across types by value, bool, string.
bool KeyEquals(const Value& a, const Value& b) {
  if (a.kind() == ValueKind::kString) {
    return b.kind() == ValueKind::kString && a.string_value() == b.string_value();
  }
  if (IsNumber(a.kind()) && IsNumber(b.kind())) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kBool: return a.bool_value() == b.bool_value();
    case ValueKind::kString:
    case ValueKind::kBytes: return a.string_value() == b.string_value();
    default: return ValuesEqual(a, b);
  }
}

bool IsValidKey(const Value& k) {
  switch (k.kind()) {
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kUint:
    case ValueKind::kString: return true;
    default: return false;
  }
}

// Maps larger than this get a hash index when built on the heap.
constexpr size_t kIndexThreshold = 8;

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t HashBytes(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return Mix(h);
}

// A hash equal for keys that KeyEquals; false when `k` cannot equal any valid key.
bool KeyHash(const Value& k, uint64_t* h) {
  switch (k.kind()) {
    case ValueKind::kString: *h = HashBytes(k.string_value()); return true;
    case ValueKind::kBool: *h = Mix(0x51ed2701u + (k.bool_value() ? 1 : 0)); return true;
    case ValueKind::kInt: *h = Mix(static_cast<uint64_t>(k.int_value())); return true;
    case ValueKind::kUint: *h = Mix(k.uint_value()); return true;
    case ValueKind::kDouble: {
      double d = k.double_value();
      if (d != std::trunc(d)) return false;
      if (d >= 0 && d < 18446744073709551616.0) {
        *h = Mix(static_cast<uint64_t>(d));
        return true;
      }
      if (d < 0 && d >= -9223372036854775808.0) {
        *h = Mix(static_cast<uint64_t>(static_cast<int64_t>(d)));
        return true;
      }
      return false;
    }
    default: return false;
  }
}

uint32_t IndexCapacityFor(size_t n) {
  if (n <= kIndexThreshold) return 0;
  uint32_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  return cap;
}

// Position of `key` among rep's entries via the index, or -1.
int64_t IndexedFind(const MapRep* rep, const Value& key) {
  uint64_t h;
  if (!KeyHash(key, &h)) return -1;
  uint32_t mask = rep->index_capacity - 1;
  const uint32_t* index = rep->index();
  for (uint32_t slot = static_cast<uint32_t>(h) & mask;; slot = (slot + 1) & mask) {
    uint32_t e = index[slot];
    if (e == 0) return -1;
    if (KeyEquals(rep->keys()[e - 1], key)) return e - 1;
  }
}

// Adds entry `i` (already stored) to the index; false if an equal key is indexed already.
bool IndexInsert(MapRep* rep, uint32_t i) {
  uint64_t h = 0;
  KeyHash(rep->keys()[i], &h);
  uint32_t mask = rep->index_capacity - 1;
  uint32_t* index = rep->index();
  for (uint32_t slot = static_cast<uint32_t>(h) & mask;; slot = (slot + 1) & mask) {
    uint32_t e = index[slot];
    if (e == 0) {
      index[slot] = i + 1;
      return true;
    }
    if (KeyEquals(rep->keys()[e - 1], rep->keys()[i])) return false;
  }
}

size_t HeapMapBytes(size_t n, uint32_t index_capacity) {
  return sizeof(MapRep) + 2 * n * sizeof(Value) + index_capacity * sizeof(uint32_t);
}

const boost::json::array& JsonArray(const Value& v) {
  return *static_cast<const boost::json::array*>(v.raw_pointer());
}
const boost::json::object& JsonObject(const Value& v) {
  return *static_cast<const boost::json::object*>(v.raw_pointer());
}

}  // namespace

// --- Factories.

Value Value::String(std::string_view s) {
  if (s.empty()) return StringView("");
  return FromRep(ValueKind::kString, value_internal::kRep, NewHeapString(s), 0, true);
}

Value Value::Bytes(std::string_view s) {
  if (s.empty()) return BytesView("");
  return FromRep(ValueKind::kBytes, value_internal::kRep, NewHeapString(s), 0, true);
}

Value Value::StringView(std::string_view s) {
  return FromRep(ValueKind::kString, value_internal::kStatic, s.data(),
                 static_cast<uint32_t>(s.size()), false);
}

Value Value::BytesView(std::string_view s) {
  return FromRep(ValueKind::kBytes, value_internal::kStatic, s.data(),
                 static_cast<uint32_t>(s.size()), false);
}

Value Value::List(std::vector<Value> elements) {
  size_t n = elements.size();
  ListRep* rep = NewListRep(n, HeapAlloc(sizeof(ListRep) + n * sizeof(Value)), 1);
  for (size_t i = 0; i < n; ++i) rep->elements()[i] = std::move(elements[i]);
  return FromRep(ValueKind::kList, value_internal::kRep, rep, 0, true);
}

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  size_t n = entries.size();
  for (size_t i = 0; i < n; ++i) {
    if (entries[i].first.is_error()) return entries[i].first;
    if (!IsValidKey(entries[i].first)) {
      return Error("unsupported key type: " + std::string(KindName(entries[i].first.kind())));
    }
  }
  uint32_t index_capacity = IndexCapacityFor(n);
  if (index_capacity == 0) {
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (KeyEquals(entries[i].first, entries[j].first)) {
          return Error("Failed with repeated key: " + entries[i].first.DebugString());
        }
      }
    }
  }
  MapRep* rep = NewMapRep(n, HeapAlloc(HeapMapBytes(n, index_capacity)), 1, index_capacity);
  Value map = FromRep(ValueKind::kMap, value_internal::kRep, rep, 0, true);
  for (size_t i = 0; i < n; ++i) {
    rep->keys()[i] = std::move(entries[i].first);
    rep->values()[i] = std::move(entries[i].second);
    rep->size = static_cast<uint32_t>(i + 1);
    if (index_capacity > 0 && !IndexInsert(rep, static_cast<uint32_t>(i))) {
      return Error("Failed with repeated key: " + rep->keys()[i].DebugString());
    }
  }
  return map;
}

Value Value::Timestamp(timeutil::Timestamp t) { return TimestampSecondsNanos(t.seconds, t.nanos); }
Value Value::Duration(timeutil::Duration d) { return DurationSecondsNanos(d.seconds, d.nanos); }

Value Value::Type(std::string_view name) {
  for (std::string_view builtin : kBuiltinTypeNames) {
    if (builtin == name) {
      return FromRep(ValueKind::kType, value_internal::kStatic, builtin.data(),
                     static_cast<uint32_t>(builtin.size()), false);
    }
  }
  return FromRep(ValueKind::kType, value_internal::kRep, NewHeapString(name), 0, true);
}

Value Value::OptionalNone() {
  return FromRep(ValueKind::kOptional, value_internal::kRep, nullptr, 0, false);
}

Value Value::OptionalOf(Value v) {
  auto* rep = static_cast<OptionalRep*>(HeapAlloc(sizeof(OptionalRep)));
  new (&rep->header.refs) std::atomic<int32_t>(1);
  new (&rep->value) Value(std::move(v));
  return FromRep(ValueKind::kOptional, value_internal::kRep, rep, 0, true);
}

Value Value::Error(std::string_view message) {
  auto* rep = static_cast<ErrorRep*>(HeapAlloc(sizeof(ErrorRep) + message.size()));
  new (&rep->header.refs) std::atomic<int32_t>(1);
  rep->size = static_cast<uint32_t>(message.size());
  if (!message.empty()) std::memcpy(rep->data(), message.data(), message.size());
  return FromRep(ValueKind::kError, value_internal::kRep, rep, 0, true);
}

Value Value::FromJson(const boost::json::value& json) {
  switch (json.kind()) {
    case boost::json::kind::null: return Null();
    case boost::json::kind::bool_: return Bool(json.get_bool());
    case boost::json::kind::int64: return Double(static_cast<double>(json.get_int64()));
    case boost::json::kind::uint64: return Double(static_cast<double>(json.get_uint64()));
    case boost::json::kind::double_: return Double(json.get_double());
    case boost::json::kind::string: {
      const boost::json::string& s = json.get_string();
      return StringView(std::string_view(s.data(), s.size()));
    }
    case boost::json::kind::array:
      return FromRep(ValueKind::kList, value_internal::kJson, &json.get_array(), 0, false);
    case boost::json::kind::object:
      return FromRep(ValueKind::kMap, value_internal::kJson, &json.get_object(), 0, false);
  }
  return Null();
}

// --- Accessors.

std::string_view Value::error_message() const {
  if (!is_error() || raw_pointer() == nullptr) return {};
  auto* rep = static_cast<const ErrorRep*>(raw_pointer());
  return {rep->data(), rep->size};
}

Value Value::optional_value() const {
  if (raw_pointer() == nullptr) return Null();
  return static_cast<const OptionalRep*>(raw_pointer())->value;
}

size_t Value::size() const {
  if (kind() == ValueKind::kList) {
    if (storage() == value_internal::kJson) return JsonArray(*this).size();
    return static_cast<const ListRep*>(raw_pointer())->size;
  }
  if (kind() == ValueKind::kMap) {
    if (storage() == value_internal::kJson) return JsonObject(*this).size();
    return static_cast<const MapRep*>(raw_pointer())->size;
  }
  return 0;
}

namespace value_internal {

Value BorrowJsonListElement(const Value& list, size_t i) {
  return Value::FromJson(JsonArray(list)[i]);
}

bool BorrowMapFindString(const Value& map, std::string_view key, Value* out) {
  if (map.storage() == kJson) {
    const boost::json::value* v = JsonObject(map).if_contains(key);
    if (v == nullptr) return false;
    *out = Value::FromJson(*v);
    return true;
  }
  auto* rep = static_cast<const MapRep*>(map.raw_pointer());
  if (rep->index_capacity > 0) {
    int64_t i = IndexedFind(rep, Value::StringView(key));
    if (i < 0) return false;
    *out = rep->values()[i].Borrow();
    return true;
  }
  const Value* keys = rep->keys();
  for (uint32_t i = 0; i < rep->size; ++i) {
    if (keys[i].kind() == ValueKind::kString && keys[i].string_value() == key) {
      *out = rep->values()[i].Borrow();
      return true;
    }
  }
  return false;
}

bool BorrowMapFind(const Value& map, const Value& key, Value* out) {
  if (map.storage() == kJson) {
    if (key.kind() != ValueKind::kString) return false;
    return BorrowMapFindString(map, key.string_value(), out);
  }
  if (key.kind() == ValueKind::kString) return BorrowMapFindString(map, key.string_value(), out);
  auto* rep = static_cast<const MapRep*>(map.raw_pointer());
  if (rep->index_capacity > 0) {
    int64_t i = IndexedFind(rep, key);
    if (i < 0) return false;
    *out = rep->values()[i].Borrow();
    return true;
  }
  for (uint32_t i = 0; i < rep->size; ++i) {
    if (KeyEquals(rep->keys()[i], key)) {
      *out = rep->values()[i].Borrow();
      return true;
    }
  }
  return false;
}

Value BorrowMapKeyAt(const Value& map, size_t i) {
  if (map.storage() == kJson) {
    std::string_view k = JsonObject(map).begin()[static_cast<std::ptrdiff_t>(i)].key();
    return Value::StringView(k);
  }
  return static_cast<const MapRep*>(map.raw_pointer())->keys()[i].Borrow();
}

Value BorrowMapValueAt(const Value& map, size_t i) {
  if (map.storage() == kJson) {
    return Value::FromJson(JsonObject(map).begin()[static_cast<std::ptrdiff_t>(i)].value());
  }
  return static_cast<const MapRep*>(map.raw_pointer())->values()[i].Borrow();
}

}  // namespace value_internal

Value Value::ListElement(size_t i) const {
  if (storage() == value_internal::kJson) return FromJson(JsonArray(*this)[i]);
  return static_cast<const ListRep*>(raw_pointer())->elements()[i];
}

std::optional<Value> Value::MapFind(const Value& key) const {
  Value out;
  if (!value_internal::BorrowMapFind(*this, key, &out)) return std::nullopt;
  if (storage() == value_internal::kJson) return out;
  return MaterializeValue(out);  // an owning copy of the same entry
}

Value Value::MapKeyAt(size_t i) const {
  if (storage() == value_internal::kJson) return value_internal::BorrowMapKeyAt(*this, i);
  return static_cast<const MapRep*>(raw_pointer())->keys()[i];
}

Value Value::MapValueAt(size_t i) const {
  if (storage() == value_internal::kJson) return value_internal::BorrowMapValueAt(*this, i);
  return static_cast<const MapRep*>(raw_pointer())->values()[i];
}

// --- Copies.

namespace {

Value CopyToHeap(const Value& v, bool copy_json) {
  switch (v.kind()) {
    case ValueKind::kString:
    case ValueKind::kBytes:
      if (v.storage() == value_internal::kArenaStr ||
          (copy_json && v.storage() == value_internal::kStatic)) {
        return v.kind() == ValueKind::kString ? Value::String(v.string_value())
                                              : Value::Bytes(v.string_value());
      }
      break;
    case ValueKind::kType:
      if (v.storage() == value_internal::kArenaStr) return Value::Type(v.type_name());
      break;
    case ValueKind::kList:
      if (v.storage() == value_internal::kJson && !copy_json) return v;
      if (v.storage() == value_internal::kJson || value_internal::IsArenaRep(v.raw_pointer()) ||
          copy_json) {
        size_t n = v.size();
        ListRep* rep = NewListRep(n, HeapAlloc(sizeof(ListRep) + n * sizeof(Value)), 1);
        for (size_t i = 0; i < n; ++i) {
          rep->elements()[i] = CopyToHeap(value_internal::BorrowListElement(v, i), copy_json);
        }
        return Value::FromRep(ValueKind::kList, value_internal::kRep, rep, 0, true);
      }
      break;
    case ValueKind::kMap:
      if (v.storage() == value_internal::kJson && !copy_json) return v;
      if (v.storage() == value_internal::kJson || value_internal::IsArenaRep(v.raw_pointer()) ||
          copy_json) {
        // Keys are unique already (arena maps and JSON objects are built checked).
        size_t n = v.size();
        uint32_t index_capacity = IndexCapacityFor(n);
        MapRep* rep =
            NewMapRep(n, HeapAlloc(HeapMapBytes(n, index_capacity)), 1, index_capacity);
        for (size_t i = 0; i < n; ++i) {
          rep->keys()[i] = CopyToHeap(value_internal::BorrowMapKeyAt(v, i), copy_json);
          rep->values()[i] = CopyToHeap(value_internal::BorrowMapValueAt(v, i), copy_json);
          rep->size = static_cast<uint32_t>(i + 1);
          if (index_capacity > 0) IndexInsert(rep, static_cast<uint32_t>(i));
        }
        return Value::FromRep(ValueKind::kMap, value_internal::kRep, rep, 0, true);
      }
      break;
    case ValueKind::kOptional:
      if (v.raw_pointer() == nullptr) return Value::OptionalNone();
      if (value_internal::IsArenaRep(v.raw_pointer()) || copy_json) {
        return Value::OptionalOf(CopyToHeap(
            static_cast<const OptionalRep*>(v.raw_pointer())->value.Borrow(), copy_json));
      }
      break;
    case ValueKind::kError:
      if (value_internal::IsArenaRep(v.raw_pointer())) return Value::Error(v.error_message());
      break;
    default:
      return v.Borrow();  // inline scalars
  }
  // A heap representation: share it.
  if (v.storage() == value_internal::kRep && v.raw_pointer() != nullptr) {
    value_internal::IncRef(static_cast<const RepHeader*>(v.raw_pointer()));
    return Value::FromRep(v.kind(), value_internal::kRep, v.raw_pointer(), 0, true);
  }
  return v.Borrow();
}

}  // namespace

Value MaterializeValue(const Value& v) { return CopyToHeap(v, false); }
Value Value::DeepCopy() const { return CopyToHeap(*this, true); }

// --- Equality and ordering.

bool ValuesEqual(const Value& a, const Value& b) {
  ValueKind ka = a.kind(), kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) return CompareNumbers(a, b) == 0;
  if (ka != kb) return false;
  switch (ka) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.bool_value() == b.bool_value();
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kType: return a.string_value() == b.string_value();
    case ValueKind::kTimestamp:
    case ValueKind::kDuration:
      return a.int_value() == b.int_value() &&
             a.timestamp_value().nanos == b.timestamp_value().nanos;
    case ValueKind::kList: {
      size_t n = a.size();
      if (n != b.size()) return false;
      for (size_t i = 0; i < n; ++i) {
        if (!ValuesEqual(value_internal::BorrowListElement(a, i),
                         value_internal::BorrowListElement(b, i))) {
          return false;
        }
      }
      return true;
    }
    case ValueKind::kMap: {
      size_t n = a.size();
      if (n != b.size()) return false;
      for (size_t i = 0; i < n; ++i) {
        Value other;
        if (!value_internal::BorrowMapFind(b, value_internal::BorrowMapKeyAt(a, i), &other)) {
          return false;
        }
        if (!ValuesEqual(value_internal::BorrowMapValueAt(a, i), other)) return false;
      }
      return true;
    }
    case ValueKind::kOptional:
      if (a.optional_has_value() != b.optional_has_value()) return false;
      if (!a.optional_has_value()) return true;
      return ValuesEqual(static_cast<const OptionalRep*>(a.raw_pointer())->value,
                         static_cast<const OptionalRep*>(b.raw_pointer())->value);
    default: return false;
  }
}

std::optional<int> CompareValues(const Value& a, const Value& b) {
  ValueKind ka = a.kind(), kb = b.kind();
  if (IsNumber(ka) && IsNumber(kb)) return CompareNumbers(a, b);
  if (ka != kb) return std::nullopt;
  switch (ka) {
    case ValueKind::kBool: return int(a.bool_value()) - int(b.bool_value());
    case ValueKind::kString:
    case ValueKind::kBytes: {
      int c = a.string_value().compare(b.string_value());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ValueKind::kTimestamp:
    case ValueKind::kDuration: {
      if (a.int_value() != b.int_value()) return a.int_value() < b.int_value() ? -1 : 1;
      int32_t na = a.timestamp_value().nanos, nb = b.timestamp_value().nanos;
      return na < nb ? -1 : (na > nb ? 1 : 0);
    }
    default: return std::nullopt;
  }
}

bool ValuesIdentical(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kError: return true;
    case ValueKind::kInt: return a.int_value() == b.int_value();
    case ValueKind::kUint: return a.uint_value() == b.uint_value();
    case ValueKind::kDouble:
      if (std::isnan(a.double_value())) return std::isnan(b.double_value());
      return a.double_value() == b.double_value();
    case ValueKind::kList: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!ValuesIdentical(value_internal::BorrowListElement(a, i),
                             value_internal::BorrowListElement(b, i))) {
          return false;
        }
      }
      return true;
    }
    case ValueKind::kMap: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        Value ka = value_internal::BorrowMapKeyAt(a, i);
        bool found = false;
        for (size_t j = 0; j < b.size() && !found; ++j) {
          if (ValuesIdentical(ka, value_internal::BorrowMapKeyAt(b, j))) {
            if (!ValuesIdentical(value_internal::BorrowMapValueAt(a, i),
                                 value_internal::BorrowMapValueAt(b, j))) {
              return false;
            }
            found = true;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    case ValueKind::kOptional:
      if (a.optional_has_value() != b.optional_has_value()) return false;
      return !a.optional_has_value() || ValuesIdentical(a.optional_value(), b.optional_value());
    default: return ValuesEqual(a, b);
  }
}

Value TypeOf(const Value& v) {
  if (v.is_error()) return v;
  return Value::Type(KindName(v.kind()));
}

// --- Debug text.

namespace {

void AppendDebug(const Value& v, std::string* out) {
  switch (v.kind()) {
    case ValueKind::kNull: *out += "null"; break;
    case ValueKind::kBool: *out += v.bool_value() ? "true" : "false"; break;
    case ValueKind::kInt: *out += std::to_string(v.int_value()); break;
    case ValueKind::kUint: *out += std::to_string(v.uint_value()) + "u"; break;
    case ValueKind::kDouble: *out += strutil::FormatDouble(v.double_value()); break;
    case ValueKind::kString: *out += strutil::Quote(v.string_value()); break;
    case ValueKind::kBytes: {
      *out += "b\"";
      for (unsigned char c : v.string_value()) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          out->push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          *out += buf;
        }
      }
      *out += "\"";
      break;
    }
    case ValueKind::kList: {
      *out += "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        AppendDebug(value_internal::BorrowListElement(v, i), out);
      }
      *out += "]";
      break;
    }
    case ValueKind::kMap: {
      *out += "{";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        AppendDebug(value_internal::BorrowMapKeyAt(v, i), out);
        *out += ": ";
        AppendDebug(value_internal::BorrowMapValueAt(v, i), out);
      }
      *out += "}";
      break;
    }
    case ValueKind::kTimestamp:
      *out += "timestamp(\"" + timeutil::FormatTimestamp(v.timestamp_value()) + "\")";
      break;
    case ValueKind::kDuration:
      *out += "duration(\"" + timeutil::FormatDuration(v.duration_value()) + "\")";
      break;
    case ValueKind::kType: *out += std::string(v.type_name()); break;
    case ValueKind::kOptional:
      if (!v.optional_has_value()) {
        *out += "optional.none()";
      } else {
        *out += "optional.of(";
        AppendDebug(v.optional_value(), out);
        *out += ")";
      }
      break;
    case ValueKind::kError: *out += "error(" + std::string(v.error_message()) + ")"; break;
  }
}

}  // namespace

std::string Value::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

// --- Arena.

Arena::~Arena() {
  while (chunks_ != nullptr) {
    Chunk* next = chunks_->next;
    ::operator delete(chunks_);
    chunks_ = next;
  }
}

void* Arena::AllocateSlow(size_t bytes, size_t align) {
  size_t chunk_size = std::max<size_t>(bytes + align + sizeof(Chunk), 16 * 1024);
  auto* chunk = static_cast<Chunk*>(::operator new(chunk_size));
  chunk->next = chunks_;
  chunks_ = chunk;
  heap_bytes_ += chunk_size;
  cur_ = reinterpret_cast<char*>(chunk) + sizeof(Chunk);
  end_ = reinterpret_cast<char*>(chunk) + chunk_size;
  return Allocate(bytes, align);
}

Value Arena::NewString(std::string_view s, ValueKind kind) {
  if (s.empty()) {
    return Value::FromRep(kind, value_internal::kStatic, "", 0, false);
  }
  char* p = static_cast<char*>(Allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return Value::FromRep(kind, value_internal::kArenaStr, p, static_cast<uint32_t>(s.size()),
                        false);
}

Value Arena::NewList(size_t n) {
  void* memory = Allocate(sizeof(ListRep) + n * sizeof(Value), alignof(Value));
  ListRep* rep = NewListRep(n, memory, -1);
  return Value::FromRep(ValueKind::kList, value_internal::kRep, rep, 0, false);
}

Value* Arena::MutableElements(const Value& list) {
  return const_cast<ListRep*>(static_cast<const ListRep*>(list.raw_pointer()))->elements();
}

void Arena::TruncateList(const Value& list, size_t n) {
  const_cast<ListRep*>(static_cast<const ListRep*>(list.raw_pointer()))->size =
      static_cast<uint32_t>(n);
}

Value Arena::NewMap(size_t capacity) {
  void* memory = Allocate(sizeof(MapRep) + 2 * capacity * sizeof(Value), alignof(Value));
  MapRep* rep = NewMapRep(capacity, memory, -1);
  return Value::FromRep(ValueKind::kMap, value_internal::kRep, rep, 0, false);
}

bool Arena::MapInsert(const Value& map, const Value& key, const Value& value) {
  auto* rep = const_cast<MapRep*>(static_cast<const MapRep*>(map.raw_pointer()));
  for (uint32_t i = 0; i < rep->size; ++i) {
    if (KeyEquals(rep->keys()[i], key)) return false;
  }
  rep->keys()[rep->size] = key.Borrow();
  rep->values()[rep->size] = value.Borrow();
  ++rep->size;
  return true;
}

void Arena::MapAppendUnchecked(const Value& map, const Value& key, const Value& value) {
  auto* rep = const_cast<MapRep*>(static_cast<const MapRep*>(map.raw_pointer()));
  rep->keys()[rep->size] = key.Borrow();
  rep->values()[rep->size] = value.Borrow();
  ++rep->size;
}

Value Arena::NewOptional(const Value& v) {
  auto* rep = static_cast<OptionalRep*>(Allocate(sizeof(OptionalRep), alignof(OptionalRep)));
  new (&rep->header.refs) std::atomic<int32_t>(-1);
  new (&rep->value) Value(v.Borrow());
  return Value::FromRep(ValueKind::kOptional, value_internal::kRep, rep, 0, false);
}

Value Arena::NewError(std::string_view message) {
  auto* rep = static_cast<ErrorRep*>(Allocate(sizeof(ErrorRep) + message.size(), alignof(ErrorRep)));
  new (&rep->header.refs) std::atomic<int32_t>(-1);
  rep->size = static_cast<uint32_t>(message.size());
  if (!message.empty()) std::memcpy(rep->data(), message.data(), message.size());
  return Value::FromRep(ValueKind::kError, value_internal::kRep, rep, 0, false);
}

}  // namespace govflow::expr
