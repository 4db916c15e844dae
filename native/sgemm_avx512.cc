// AVX-512F kernels of our sgemm: a 12×32 register tile (24 accumulators), masked edges.
// Compiled for AVX-512 by the target pragma below; picked only on CPUs that have it.
#include <immintrin.h>

#include "sgemm_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define GLM_HAVE_AVX512_KERNELS 1
#pragma GCC push_options
#pragma GCC target("avx512f,fma")

namespace glm {
namespace {

constexpr int MR = 12, NR = 32;

inline __mmask16 maskOf(int n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n > 0 ? n : 0)) - 1u); }

// Horizontal sum through memory (GCC 12's _mm512_reduce_add_ps and lane extracts trip
// -Wmaybe-uninitialized); once per output, so its cost does not matter.
inline float hsum(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  float s[8];
  for (int i = 0; i < 8; i++) s[i] = t[i] + t[i + 8];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int mv, int nv) {
  // Fetch the C tile now: its rows are far apart (often in DRAM), and the k loop below is long
  // enough to hide the misses.
  for (int i = 0; i < mv; i++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nv - 1), _MM_HINT_T0);
  }
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 m0 = maskOf(nv), m1 = maskOf(nv - 16);
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) {
    if (i >= mv) break;
    float* row = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
    }
    _mm512_mask_storeu_ps(row, m0, r0);
    _mm512_mask_storeu_ps(row + 16, m1, r1);
  }
}

void dotRows(int64_t rows, int64_t k, const float* M, int64_t ld, const float* x, float* y) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* m0 = M + r * ld;
    const float* m1 = m0 + ld;
    const float* m2 = m1 + ld;
    const float* m3 = m2 + ld;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t p = 0; p < k; p += 16) {
      const __mmask16 mk = maskOf(int(k - p < 16 ? k - p : 16));
      const __m512 xv = _mm512_maskz_loadu_ps(mk, x + p);
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, m0 + p), xv, s0);
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, m1 + p), xv, s1);
      s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, m2 + p), xv, s2);
      s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, m3 + p), xv, s3);
    }
    y[r] = hsum(s0);
    y[r + 1] = hsum(s1);
    y[r + 2] = hsum(s2);
    y[r + 3] = hsum(s3);
  }
  for (; r < rows; r++) {
    const float* m0 = M + r * ld;
    __m512 s0 = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p += 16) {
      const __mmask16 mk = maskOf(int(k - p < 16 ? k - p : 16));
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, m0 + p), _mm512_maskz_loadu_ps(mk, x + p), s0);
    }
    y[r] = hsum(s0);
  }
}

void axpyRows(int64_t k, int64_t n, const float* M, int64_t ld, const float* x, float* y) {
  for (int64_t j = 0; j < n; j += 64) {
    const int w = int(n - j < 64 ? n - j : 64);
    const __mmask16 q0 = maskOf(w), q1 = maskOf(w - 16), q2 = maskOf(w - 32), q3 = maskOf(w - 48);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const float* col = M + j;
    for (int64_t p = 0; p < k; p++, col += ld) {
      const __m512 xp = _mm512_set1_ps(x[p]);
      s0 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(q0, col), s0);
      s1 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(q1, col + 16), s1);
      s2 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(q2, col + 32), s2);
      s3 = _mm512_fmadd_ps(xp, _mm512_maskz_loadu_ps(q3, col + 48), s3);
    }
    _mm512_mask_storeu_ps(y + j, q0, s0);
    _mm512_mask_storeu_ps(y + j + 16, q1, s1);
    _mm512_mask_storeu_ps(y + j + 32, q2, s2);
    _mm512_mask_storeu_ps(y + j + 48, q3, s3);
  }
}

}  // namespace

extern const GemmKernels kGemmAvx512 = {"avx512", MR, NR, 256, 96, 4096, micro, dotRows, axpyRows};

}  // namespace glm

#pragma GCC pop_options
#else
namespace glm {
extern const GemmKernels kGemmAvx512 = {"avx512", 0, 0, 0, 0, 0, nullptr, nullptr, nullptr};
}
#endif
