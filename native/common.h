// Shared helpers for the glm_native bindings: N-API argument parsing (zero-copy typed-array
// access with bounds validation), plus the plain kernel helpers of kernel_common.h.
//
// Error model: argument problems throw ArgError (a C++ exception); the wrapper in binding.cc
// turns it into a JS TypeError / RangeError. Kernels validate every buffer extent before they
// touch memory, so a too-short view is an exception, never an out-of-bounds read or write.
#pragma once

#include <node_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_common.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace glm {

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

struct ArgError {
  enum Kind { Type, Range, Generic } kind;
  std::string message;
};

[[noreturn]] inline void throwType(const std::string& m) { throw ArgError{ArgError::Type, m}; }
[[noreturn]] inline void throwRange(const std::string& m) { throw ArgError{ArgError::Range, m}; }
[[noreturn]] inline void throwError(const std::string& m) { throw ArgError{ArgError::Generic, m}; }

// Argument accessor for one N-API call. `fn` is the kernel name used in error messages.
class Args {
 public:
  static constexpr size_t kMaxArgs = 32;

  Args(napi_env env, napi_callback_info info, size_t expected, const char* fn) : env_(env), fn_(fn) {
    argc_ = kMaxArgs;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) throwError(std::string(fn) + ": cannot read arguments");
    if (argc_ < expected) {
      throwType(std::string(fn) + ": expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc_));
    }
  }

  napi_env env() const { return env_; }
  const char* fn() const { return fn_; }

  bool isNullish(size_t i) const {
    napi_valuetype t;
    if (napi_typeof(env_, argv_[i], &t) != napi_ok) return false;
    return t == napi_null || t == napi_undefined;
  }

  F32 f32(size_t i, const char* name) const {
    F32 r;
    void* data = nullptr;
    napi_typedarray_type type;
    if (!typed(i, &type, &r.length, &data) || type != napi_float32_array) {
      throwType(std::string(fn_) + ": " + name + " must be a Float32Array");
    }
    // napi_get_typedarray_info already returns the data pointer adjusted by the view's byte
    // offset, so subarray views work without further arithmetic.
    r.data = static_cast<float*>(data);
    r.present = true;
    return r;
  }

  F32 f32OrNull(size_t i, const char* name) const {
    if (isNullish(i)) return F32{};
    return f32(i, name);
  }

  I32 i32(size_t i, const char* name) const {
    I32 r;
    void* data = nullptr;
    napi_typedarray_type type;
    if (!typed(i, &type, &r.length, &data) || type != napi_int32_array) {
      throwType(std::string(fn_) + ": " + name + " must be an Int32Array");
    }
    r.data = static_cast<int32_t*>(data);
    r.present = true;
    return r;
  }

  // A Uint16Array (bf16 bit patterns) or Int8Array argument, as raw bytes plus element count.
  template <class T>
  T* raw(size_t i, napi_typedarray_type want, const char* typeName, const char* name, size_t* length) const {
    void* data = nullptr;
    napi_typedarray_type type;
    if (!typed(i, &type, length, &data) || type != want) throwType(std::string(fn_) + ": " + name + " must be a " + typeName);
    return static_cast<T*>(data);
  }

  I32 i32OrNull(size_t i, const char* name) const {
    if (isNullish(i)) return I32{};
    return i32(i, name);
  }

  double num(size_t i, const char* name) const {
    double v;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) throwType(std::string(fn_) + ": " + name + " must be a number");
    return v;
  }

  // An integer-valued number in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo = 0, int64_t hi = (int64_t(1) << 52)) const {
    double v = num(i, name);
    if (!std::isfinite(v) || std::floor(v) != v) throwType(std::string(fn_) + ": " + name + " must be an integer, got " + fmt(v));
    if (v < double(lo) || v > double(hi)) {
      throwRange(std::string(fn_) + ": " + name + " = " + fmt(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return int64_t(v);
  }

  // ToUint32 semantics (like `x >>> 0` in JS), used for seeds.
  uint32_t u32(size_t i, const char* name) const {
    double v = num(i, name);
    if (!std::isfinite(v)) return 0;
    double t = std::trunc(v);
    double m = std::fmod(t, 4294967296.0);
    if (m < 0) m += 4294967296.0;
    return uint32_t(m);
  }

  bool boolean(size_t i, const char* name) const {
    bool b;
    if (napi_get_value_bool(env_, argv_[i], &b) != napi_ok) throwType(std::string(fn_) + ": " + name + " must be a boolean");
    return b;
  }

  std::string str(size_t i, const char* name) const {
    size_t len = 0;
    if (napi_get_value_string_utf8(env_, argv_[i], nullptr, 0, &len) != napi_ok) throwType(std::string(fn_) + ": " + name + " must be a string");
    std::string out(len, '\0');
    napi_get_value_string_utf8(env_, argv_[i], out.data(), len + 1, &len);
    return out;
  }

  // A JS array of integers (shapes, strides), at most maxLen entries.
  std::vector<int64_t> intArray(size_t i, const char* name, size_t maxLen, bool allowNegative) const {
    bool isArr = false;
    if (napi_is_array(env_, argv_[i], &isArr) != napi_ok || !isArr) throwType(std::string(fn_) + ": " + name + " must be an array of integers");
    uint32_t len = 0;
    napi_get_array_length(env_, argv_[i], &len);
    if (len > maxLen) throwRange(std::string(fn_) + ": " + name + " has " + std::to_string(len) + " entries (at most " + std::to_string(maxLen) + " supported)");
    std::vector<int64_t> out(len);
    for (uint32_t k = 0; k < len; k++) {
      napi_value e;
      double v;
      if (napi_get_element(env_, argv_[i], k, &e) != napi_ok || napi_get_value_double(env_, e, &v) != napi_ok || !std::isfinite(v) ||
          std::floor(v) != v) {
        throwType(std::string(fn_) + ": " + name + "[" + std::to_string(k) + "] must be an integer");
      }
      if (!allowNegative && v < 0) throwRange(std::string(fn_) + ": " + name + "[" + std::to_string(k) + "] must be >= 0");
      if (std::fabs(v) > double(int64_t(1) << 52)) throwRange(std::string(fn_) + ": " + name + "[" + std::to_string(k) + "] is too large");
      out[k] = int64_t(v);
    }
    return out;
  }

  static std::string fmt(double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }

 private:
  bool typed(size_t i, napi_typedarray_type* type, size_t* length, void** data) const {
    bool is = false;
    if (napi_is_typedarray(env_, argv_[i], &is) != napi_ok || !is) return false;
    napi_value ab;
    size_t byteOffset = 0;
    if (napi_get_typedarray_info(env_, argv_[i], type, length, data, &ab, &byteOffset) != napi_ok) return false;
    if (*length == 0) *data = nullptr;
    return true;
  }

  napi_env env_;
  const char* fn_;
  size_t argc_;
  napi_value argv_[kMaxArgs];
};

// Throws unless `need` elements fit in the view.
inline void requireLen(const Args& a, const char* name, size_t have, uint64_t need) {
  if (uint64_t(have) < need) {
    throwRange(std::string(a.fn()) + ": " + name + " is too short (length " + std::to_string(have) + ", needs at least " + std::to_string(need) + ")");
  }
}

inline void requireEq(const Args& a, const char* name, size_t have, uint64_t need) {
  if (uint64_t(have) != need) {
    throwRange(std::string(a.fn()) + ": " + name + " has length " + std::to_string(have) + ", expected " + std::to_string(need));
  }
}

}  // namespace glm
