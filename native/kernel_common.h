// Plain helpers shared by the kernels (no N-API): thread counts, function multi-versioning,
// the dropout hash and a vectorisable exp. Kernel files (*_kernels.cc) include only this.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace glm {

// ---------------------------------------------------------------------------------------------
// Typed-array views (filled by the N-API bindings; plain pointers and lengths)
// ---------------------------------------------------------------------------------------------

struct F32 {
  float* data = nullptr;
  size_t length = 0;
  bool present = false;  // false for a JS null / undefined optional argument
};

struct I32 {
  int32_t* data = nullptr;
  size_t length = 0;
  bool present = false;
};

// ---------------------------------------------------------------------------------------------
// Threading
// ---------------------------------------------------------------------------------------------

// Elements below which element-wise loops stay on the calling thread.
constexpr int64_t kParallelMinElems = 1 << 15;

inline int maxThreads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline int threadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// ---------------------------------------------------------------------------------------------
// Function multi-versioning: hot row kernels are compiled for AVX-512, AVX2 and baseline x86-64
// and picked at load time (ifunc), so the binary runs on any x86-64 CPU without -march=native.
// ---------------------------------------------------------------------------------------------

// GLM_NATIVE_PORTABLE=1 in the environment disables the hand-written AVX-512 / AMX paths (the
// compiler's clones stay), so tests can check the portable fallbacks on any machine.
inline bool portableOnly() {
  static const bool on = [] {
    const char* e = getenv("GLM_NATIVE_PORTABLE");
    return e != nullptr && e[0] == '1';
  }();
  return on;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define GLM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GLM_CLONES
#endif

// ---------------------------------------------------------------------------------------------
// Dropout hash (mirror of dropoutHash / dropoutKeep in src/backend/backend.ts)
// ---------------------------------------------------------------------------------------------

inline uint32_t dropoutHash(uint32_t seed, uint32_t index) {
  uint32_t h = (index * 0x9e3779b1u) ^ (seed * 0x85ebca77u);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

// Keep iff hash >= floor(p · 2^32). Returned as uint64 so p = 1 (threshold 2^32) drops all.
inline uint64_t dropoutThreshold(double p) {
  if (!(p > 0)) return 0;
  double t = std::floor(p * 4294967296.0);
  if (t >= 18446744073709551615.0) return UINT64_MAX;
  return uint64_t(t);
}

// ---------------------------------------------------------------------------------------------
// exp for float, branch-free so the loops that call it auto-vectorise. Accurate to ~2 ulp over
// the float range; returns exactly 0 below ln(FLT_MIN) (−87.3) and +inf above ~88.7. NaN in
// gives NaN out.
// ---------------------------------------------------------------------------------------------

static inline float expApprox(float x) {
  const float log2e = 1.44269504088896341f;
  const float ln2hi = 0.693145751953125f;
  const float ln2lo = 1.42860682030941723212e-6f;
  const float magic = 12582912.0f;  // 1.5·2^23: adding and subtracting rounds to nearest integer
  float xc = x < -87.33654f ? -87.33654f : x;
  xc = xc > 88.72283f ? 88.72283f : xc;
  float n = (xc * log2e + magic) - magic;
  float r = (xc - n * ln2hi) - n * ln2lo;
  // Taylor/Horner of e^r on |r| ≤ ln2/2, degree 7 (truncation < 1e-9 relative).
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t ni = int32_t(n);
  // 2^n split into two factors so n = 128 (x near 88.7) does not overflow the exponent field.
  int32_t n1 = ni >> 1;
  int32_t n2 = ni - n1;
  uint32_t b1 = uint32_t(n1 + 127) << 23;
  uint32_t b2 = uint32_t(n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  float y = p * s1 * s2;
  y = x < -87.33654f ? 0.0f : y;
  y = x > 88.72283f ? INFINITY : y;
  y = x != x ? x : y;
  return y;
}

}  // namespace glm
