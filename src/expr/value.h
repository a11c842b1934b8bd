// CEL runtime values: null, bool, int, uint, double, string, bytes, list, map, timestamp, duration,
// type, optional and error. A Value is 16 bytes and cheap to copy. Values built through this
// header's factories own their storage (reference counted, atomically, so a Value may be copied
// and read from several threads); Values made from a JSON document (FromJson) are VIEWS into it
// and are valid only while the document lives. A Value is immutable; a const Value is safe to
// share between threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "expr/time_util.h"

namespace govflow::expr {

enum class ValueKind : uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kTimestamp,
  kDuration,
  kType,
  kOptional,
  kError,
};

// The CEL type name of a kind as `type(x)` spells it: "int", "list", "google.protobuf.Timestamp".
std::string_view KindName(ValueKind kind);

class Value;
class Arena;

namespace value_internal {

// Every shared representation starts with this header. refs == -1 marks storage owned by an
// evaluation Arena (never counted, never freed individually).
struct RepHeader {
  std::atomic<int32_t> refs;
};

// How a Value's payload is stored (Value::sub_).
enum Storage : uint8_t {
  kInline = 0,   // scalars
  kStatic = 1,   // string/type name in static or caller-kept memory (a view)
  kRep = 2,      // payload points to a RepHeader-prefixed representation (heap or arena)
  kArenaStr = 3, // string bytes in an evaluation arena (no header)
  kJson = 4,     // list/map viewing a boost::json array/object
};

struct StringRep {
  RepHeader header;
  uint32_t size;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
};

struct ListRep;
struct MapRep;
struct OptionalRep;
struct ErrorRep;

void IncRef(const RepHeader* rep);
void DecRef(const RepHeader* rep, ValueKind kind);

}  // namespace value_internal

class Value {
 public:
  // null.
  Value() = default;
  Value(const Value& other) : bits_(other.bits_) { AddRef(); }
  Value(Value&& other) noexcept : bits_(other.bits_) { other.bits_.owns = false; }
  Value& operator=(const Value& other) {
    if (this != &other) {
      other.AddRef();
      Release();
      bits_ = other.bits_;
    }
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      Release();
      bits_ = other.bits_;
      other.bits_.owns = false;
    }
    return *this;
  }
  ~Value() { Release(); }

  // --- Factories (the result owns its storage unless it says "view").
  static Value Null() { return Value(); }
  static Value Bool(bool b) { Value v(ValueKind::kBool); v.bits_.b = b; return v; }
  static Value Int(int64_t i) { Value v(ValueKind::kInt); v.bits_.i = i; return v; }
  static Value Uint(uint64_t u) { Value v(ValueKind::kUint); v.bits_.u = u; return v; }
  static Value Double(double d) { Value v(ValueKind::kDouble); v.bits_.d = d; return v; }
  static Value String(std::string_view s);
  static Value Bytes(std::string_view s);
  // A view of `s`; the caller keeps the bytes alive as long as the Value and its copies.
  static Value StringView(std::string_view s);
  static Value BytesView(std::string_view s);
  static Value List(std::vector<Value> elements);
  // Map keys must be bool, int, uint or string; a bad or repeated key gives an error Value.
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  static Value Timestamp(timeutil::Timestamp t);
  static Value Duration(timeutil::Duration d);
  // A type value; the name is copied unless it is a built-in type name.
  static Value Type(std::string_view name);
  static Value OptionalNone();
  static Value OptionalOf(Value v);
  static Value Error(std::string_view message);
  // CEL's JSON mapping, as a VIEW of `json` (no copy): object -> map with string keys,
  // array -> list, number -> double, string -> string, bool, null.
  static Value FromJson(const boost::json::value& json);

  // --- Inspection.
  ValueKind kind() const { return bits_.kind; }
  bool is_error() const { return bits_.kind == ValueKind::kError; }
  bool IsNull() const { return bits_.kind == ValueKind::kNull; }
  bool IsBool() const { return bits_.kind == ValueKind::kBool; }
  bool bool_value() const { return bits_.b; }
  int64_t int_value() const { return bits_.i; }
  uint64_t uint_value() const { return bits_.u; }
  double double_value() const { return bits_.d; }
  // String or bytes contents (also the name of a type value).
  std::string_view string_value() const {
    if (bits_.sub == value_internal::kRep) {
      auto* rep = static_cast<const value_internal::StringRep*>(bits_.p);
      return {rep->data(), rep->size};
    }
    return {static_cast<const char*>(bits_.p), bits_.aux};
  }
  std::string_view type_name() const { return string_value(); }
  timeutil::Timestamp timestamp_value() const {
    return {bits_.i, static_cast<int32_t>(bits_.aux)};
  }
  timeutil::Duration duration_value() const {
    return {bits_.i, static_cast<int32_t>(bits_.aux)};
  }
  std::string_view error_message() const;
  // Optionals.
  bool optional_has_value() const { return bits_.p != nullptr; }
  Value optional_value() const;  // null when empty

  // Lists and maps (JSON-backed or not). Elements come back as owning copies.
  size_t size() const;  // list or map entry count
  Value ListElement(size_t i) const;
  // Map lookup with CEL key semantics (1, 1u and 1.0 find the same key).
  std::optional<Value> MapFind(const Value& key) const;
  Value MapKeyAt(size_t i) const;
  Value MapValueAt(size_t i) const;

  // True when this is a view into a JSON document (list/map/string from FromJson).
  bool IsJsonView() const { return bits_.sub == value_internal::kJson; }

  // A copy that owns all of its storage, JSON views included.
  Value DeepCopy() const;
  // Human-readable CEL-like text: 1, 1u, "s", b"..", [1, 2], {"k": v}, timestamp("..").
  std::string DebugString() const;

  // --- For the interpreter (not for general use).
  // A non-owning copy: valid while the original (or its container) lives.
  Value Borrow() const {
    Value v;
    v.bits_ = bits_;
    v.bits_.owns = false;
    return v;
  }
  const void* raw_pointer() const { return bits_.p; }
  uint8_t storage() const { return bits_.sub; }
  static Value FromRep(ValueKind kind, value_internal::Storage storage, const void* p,
                       uint32_t aux, bool owns) {
    Value v(kind);
    v.bits_.sub = storage;
    v.bits_.p = p;
    v.bits_.aux = aux;
    v.bits_.owns = owns;
    return v;
  }
  static Value TimestampSecondsNanos(int64_t s, int32_t n) {
    Value v(ValueKind::kTimestamp);
    v.bits_.i = s;
    v.bits_.aux = static_cast<uint32_t>(n);
    return v;
  }
  static Value DurationSecondsNanos(int64_t s, int32_t n) {
    Value v(ValueKind::kDuration);
    v.bits_.i = s;
    v.bits_.aux = static_cast<uint32_t>(n);
    return v;
  }

 private:
  explicit Value(ValueKind kind) { bits_.kind = kind; }
  void AddRef() const {
    if (bits_.owns) value_internal::IncRef(static_cast<const value_internal::RepHeader*>(bits_.p));
  }
  void Release() {
    if (bits_.owns) {
      value_internal::DecRef(static_cast<const value_internal::RepHeader*>(bits_.p), bits_.kind);
      bits_.owns = false;
    }
  }

  struct Bits {
    ValueKind kind = ValueKind::kNull;
    uint8_t sub = value_internal::kInline;
    bool owns = false;  // holds one reference on the RepHeader at p
    uint8_t pad = 0;
    uint32_t aux = 0;  // string length, timestamp/duration nanos
    union {
      bool b;
      int64_t i;
      uint64_t u;
      double d;
      const void* p;
    };
    Bits() : i(0) {}
  } bits_;
};

static_assert(sizeof(Value) == 16, "Value must stay small");

// CEL equality (==): numbers compare across int/uint/double by value, NaN != NaN, lists and maps
// element-wise, values of different types are unequal. Error operands are the caller's concern.
bool ValuesEqual(const Value& a, const Value& b);

// CEL ordering (<): -1, 0, 1 for comparable operands (same type, or numbers across types);
// nullopt when the pair has no ordering (different types, lists, maps, null, NaN).
std::optional<int> CompareValues(const Value& a, const Value& b);

// Test equality for golden files: like ValuesEqual but type-exact (1 != 1u != 1.0) and NaN equal
// to NaN; errors equal when both are errors.
bool ValuesIdentical(const Value& a, const Value& b);

// The type value of `v` (type(v)).
Value TypeOf(const Value& v);

// Evaluation-scoped bump allocator: starts in a caller-supplied buffer (typically on the stack),
// then takes heap chunks. Not thread-safe; one per evaluation.
class Arena {
 public:
  Arena(char* buffer, size_t size) : cur_(buffer), end_(buffer + size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  void* Allocate(size_t bytes, size_t align = alignof(std::max_align_t)) {
    auto addr = reinterpret_cast<uintptr_t>(cur_);
    uintptr_t aligned = (addr + align - 1) & ~(uintptr_t{align} - 1);
    if (aligned + bytes <= reinterpret_cast<uintptr_t>(end_)) {
      cur_ = reinterpret_cast<char*>(aligned + bytes);
      return reinterpret_cast<void*>(aligned);
    }
    return AllocateSlow(bytes, align);
  }
  // Heap bytes taken beyond the initial buffer (tests assert it stays 0 on hot paths).
  size_t heap_bytes() const { return heap_bytes_; }

  // Arena-backed values (borrowed: valid until the arena dies).
  Value NewString(std::string_view s, ValueKind kind = ValueKind::kString);
  // A list of `n` nulls to fill through MutableElements.
  Value NewList(size_t n);
  static Value* MutableElements(const Value& list);
  // Shrinks an arena list built by NewList to its first `n` elements.
  static void TruncateList(const Value& list, size_t n);
  // A map with room for `n` entries, filled through MapInsert; initially empty.
  Value NewMap(size_t capacity);
  // Appends key -> value; returns false when the key is already present.
  static bool MapInsert(const Value& map, const Value& key, const Value& value);
  // Appends without the duplicate check (the caller knows the key is new).
  static void MapAppendUnchecked(const Value& map, const Value& key, const Value& value);
  Value NewOptional(const Value& v);
  Value NewError(std::string_view message);

 private:
  void* AllocateSlow(size_t bytes, size_t align);
  struct Chunk {
    Chunk* next;
  };
  char* cur_;
  char* end_;
  Chunk* chunks_ = nullptr;
  size_t heap_bytes_ = 0;
};

// Turns an evaluation result into a self-owned Value: arena storage is copied to the heap,
// heap storage gains a reference; JSON views stay views (the caller owns the document).
Value MaterializeValue(const Value& v);

namespace value_internal {

struct ListRep {
  RepHeader header;
  uint32_t size;  // (8 bytes so far: the Values that follow are 8-byte aligned)
  Value* elements() { return reinterpret_cast<Value*>(this + 1); }
  const Value* elements() const { return reinterpret_cast<const Value*>(this + 1); }
};

struct MapRep {
  RepHeader header;
  uint32_t size;
  uint32_t capacity;
  // Slots of the hash index (a power of two) or 0 for none (small and arena maps scan).
  // Also keeps the Values that follow 8-byte aligned.
  uint32_t index_capacity;
  // keys[capacity], values[capacity], then index[index_capacity] (entry + 1, 0 = empty).
  Value* keys() { return reinterpret_cast<Value*>(this + 1); }
  const Value* keys() const { return reinterpret_cast<const Value*>(this + 1); }
  Value* values() { return keys() + capacity; }
  const Value* values() const { return keys() + capacity; }
  uint32_t* index() { return reinterpret_cast<uint32_t*>(values() + capacity); }
  const uint32_t* index() const { return reinterpret_cast<const uint32_t*>(values() + capacity); }
};

struct OptionalRep {
  RepHeader header;
  Value value;
};

struct ErrorRep {
  RepHeader header;
  uint32_t size;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

static_assert(sizeof(ListRep) % alignof(Value) == 0 && sizeof(MapRep) % alignof(Value) == 0,
              "Values trailing a representation must stay aligned");

// Interpreter fast paths: borrowed access without reference counting.
Value BorrowJsonListElement(const Value& list, size_t i);
inline Value BorrowListElement(const Value& list, size_t i) {
  if (list.storage() == kRep) {
    return static_cast<const ListRep*>(list.raw_pointer())->elements()[i].Borrow();
  }
  return BorrowJsonListElement(list, i);
}
// Map lookup returning a borrowed value; false when absent. Key type not checked.
bool BorrowMapFind(const Value& map, const Value& key, Value* out);
// Map lookup by string key (field selection); false when absent.
bool BorrowMapFindString(const Value& map, std::string_view key, Value* out);
Value BorrowMapKeyAt(const Value& map, size_t i);
Value BorrowMapValueAt(const Value& map, size_t i);

}  // namespace value_internal

}  // namespace govflow::expr
