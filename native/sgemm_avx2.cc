// AVX2 + FMA kernels of our sgemm: a 6×16 register tile (12 accumulators); edges go through a
// small buffer. Compiled for AVX2/FMA by the target pragma below; picked only on CPUs with both.
#include <immintrin.h>

#include "sgemm_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace glm {
namespace {

constexpr int MR = 6, NR = 16;

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int mv, int nv) {
  // Fetch the C tile now (rows far apart); the k loop hides the misses.
  for (int i = 0; i < mv; i++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nv - 1), _MM_HINT_T0);
  }
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (mv == MR && nv == NR) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      float* row = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    }
    return;
  }
  alignas(32) float t[MR][NR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    _mm256_store_ps(t[i], _mm256_mul_ps(va, acc[i][0]));
    _mm256_store_ps(t[i] + 8, _mm256_mul_ps(va, acc[i][1]));
  }
  for (int i = 0; i < mv; i++) {
    float* row = c + i * ldc;
    if (beta != 0.0f) {
      for (int j = 0; j < nv; j++) row[j] = t[i][j] + beta * row[j];
    } else {
      for (int j = 0; j < nv; j++) row[j] = t[i][j];
    }
  }
}

void dotRows(int64_t rows, int64_t k, const float* M, int64_t ld, const float* x, float* y) {
  const int64_t k8 = k & ~int64_t(7);
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* m0 = M + r * ld;
    const float* m1 = m0 + ld;
    const float* m2 = m1 + ld;
    const float* m3 = m2 + ld;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t p = 0; p < k8; p += 8) {
      const __m256 xv = _mm256_loadu_ps(x + p);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(m0 + p), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(m1 + p), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(m2 + p), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(m3 + p), xv, s3);
    }
    float t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
    for (int64_t p = k8; p < k; p++) {
      t0 += m0[p] * x[p];
      t1 += m1[p] * x[p];
      t2 += m2[p] * x[p];
      t3 += m3[p] * x[p];
    }
    y[r] = t0;
    y[r + 1] = t1;
    y[r + 2] = t2;
    y[r + 3] = t3;
  }
  for (; r < rows; r++) {
    const float* m0 = M + r * ld;
    __m256 s0 = _mm256_setzero_ps();
    for (int64_t p = 0; p < k8; p += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(m0 + p), _mm256_loadu_ps(x + p), s0);
    float t0 = hsum(s0);
    for (int64_t p = k8; p < k; p++) t0 += m0[p] * x[p];
    y[r] = t0;
  }
}

void axpyRows(int64_t k, int64_t n, const float* M, int64_t ld, const float* x, float* y) {
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    const float* col = M + j;
    for (int64_t p = 0; p < k; p++, col += ld) {
      const __m256 xp = _mm256_broadcast_ss(x + p);
      s0 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(col), s0);
      s1 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(col + 8), s1);
      s2 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(col + 16), s2);
      s3 = _mm256_fmadd_ps(xp, _mm256_loadu_ps(col + 24), s3);
    }
    _mm256_storeu_ps(y + j, s0);
    _mm256_storeu_ps(y + j + 8, s1);
    _mm256_storeu_ps(y + j + 16, s2);
    _mm256_storeu_ps(y + j + 24, s3);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 s0 = _mm256_setzero_ps();
    const float* col = M + j;
    for (int64_t p = 0; p < k; p++, col += ld) s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + p), _mm256_loadu_ps(col), s0);
    _mm256_storeu_ps(y + j, s0);
  }
  for (; j < n; j++) {
    float s = 0.0f;
    for (int64_t p = 0; p < k; p++) s += x[p] * M[p * ld + j];
    y[j] = s;
  }
}

}  // namespace

extern const GemmKernels kGemmAvx2 = {"avx2", MR, NR, 256, 72, 4096, micro, dotRows, axpyRows};

}  // namespace glm

#pragma GCC pop_options
#else
namespace glm {
extern const GemmKernels kGemmAvx2 = {"avx2", 0, 0, 0, 0, 0, nullptr, nullptr, nullptr};
}
#endif
