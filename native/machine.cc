// Peak FMA rate and memory read bandwidth (see machine.h). The loops for each instruction set
// are compiled under their own target pragma and picked by CPUID.
#include "machine.h"

#include <immintrin.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace glm {
namespace {

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
// 16 independent accumulators: more than FMA latency × ports, so the chains never stall.
float fmaLoop512(int64_t iters) {
  __m512 a[16];
  for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps(0.001f * float(i));
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, a[i]);
  alignas(64) float t[16];
  _mm512_store_ps(t, s);
  return t[0];
}
float sum512(const float* p, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (int64_t i = 0; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
  }
  alignas(64) float t[16];
  _mm512_store_ps(t, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  return t[0] + t[5];
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
float fmaLoop256(int64_t iters) {
  __m256 a[12];
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(0.001f * float(i));
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  alignas(32) float t[8];
  _mm256_store_ps(t, s);
  return t[0];
}
#pragma GCC pop_options
#endif

float fmaLoopScalar(int64_t iters) {
  float a[8];
  for (int i = 0; i < 8; i++) a[i] = 0.001f * float(i);
  for (int64_t it = 0; it < iters; it++)
    for (int i = 0; i < 8; i++) a[i] = a[i] * 0.9999999f + 1e-7f;
  return a[0] + a[7];
}

float sumScalar(const float* p, int64_t n) {
  float s[8] = {};
  for (int64_t i = 0; i + 8 <= n; i += 8)
    for (int q = 0; q < 8; q++) s[q] += p[i + q];
  return s[0] + s[7];
}

enum class Isa { Avx512, Avx2, Scalar };

Isa bestIsa() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

// FLOPs of one loop iteration per isa (accumulators × lanes × 2).
double flopsPerIter(Isa isa) { return isa == Isa::Avx512 ? 16 * 16 * 2 : isa == Isa::Avx2 ? 12 * 8 * 2 : 8 * 2; }

float runFma(Isa isa, int64_t iters) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa == Isa::Avx512) return fmaLoop512(iters);
  if (isa == Isa::Avx2) return fmaLoop256(iters);
#endif
  return fmaLoopScalar(iters);
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

volatile float g_sink;

}  // namespace

PeakResult fmaPeak(int threads, double ms) {
  const Isa isa = bestIsa();
  // Calibrate the iteration count on one thread, then time all threads together.
  int64_t iters = 1 << 16;
  double dt = 0;
  for (;;) {
    const double t0 = now();
    g_sink = runFma(isa, iters);
    dt = now() - t0;
    if (dt * 1e3 >= ms / 4 || iters > (int64_t(1) << 40)) break;
    iters *= 2;
  }
  iters = int64_t(double(iters) * (ms / 1e3) / dt) + 1;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    const double t0 = now();
#pragma omp parallel num_threads(threads)
    { g_sink = runFma(isa, iters); }
    const double t = now() - t0;
    const double rate = double(threads) * double(iters) * flopsPerIter(isa) / t / 1e9;
    if (rate > best) best = rate;
  }
  return {best, isa == Isa::Avx512 ? "avx512" : isa == Isa::Avx2 ? "avx2" : "scalar"};
}

double readBandwidth(int threads, int64_t mib, int passes) {
  const int64_t n = mib * (int64_t(1) << 20) / int64_t(sizeof(float));
  float* buf = static_cast<float*>(std::aligned_alloc(64, size_t(n) * sizeof(float)));
  if (buf == nullptr) throw std::bad_alloc();
  // First touch from the reading threads, so the pages sit where they will be read.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; i++) buf[i] = 1.0f;
  const Isa isa = bestIsa();
  double best = 0;
  for (int p = 0; p < passes; p++) {
    const double t0 = now();
#pragma omp parallel num_threads(threads)
    {
#ifdef _OPENMP
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
      const int64_t t = 0, nt = 1;
#endif
      const int64_t chunk = (n / nt) & ~int64_t(63);
      const float* p0 = buf + t * chunk;
#if defined(__x86_64__) && defined(__GNUC__)
      g_sink = isa == Isa::Avx512 ? sum512(p0, chunk) : sumScalar(p0, chunk);
#else
      g_sink = sumScalar(p0, chunk);
#endif
    }
    const double dt = now() - t0;
    const double gbs = double(n) * sizeof(float) / dt / 1e9;
    if (gbs > best) best = gbs;
  }
  std::free(buf);
  return best;
}

}  // namespace glm
