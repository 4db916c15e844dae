// Portable kernels of our sgemm: plain C++ that the compiler vectorises for the baseline ISA
// (SSE2 on x86-64, NEON on aarch64). A 4×16 tile of accumulators; edges via a small buffer.
#include "sgemm_kernels.h"

namespace glm {
namespace {

constexpr int MR = 4, NR = 16;

void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int mv, int nv) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < mv; i++) {
    float* row = c + i * ldc;
    if (beta != 0.0f) {
      for (int j = 0; j < nv; j++) row[j] = alpha * acc[i][j] + beta * row[j];
    } else {
      for (int j = 0; j < nv; j++) row[j] = alpha * acc[i][j];
    }
  }
}

// Eight partial sums per row, so the loop is not one serial chain of additions.
void dotRows(int64_t rows, int64_t k, const float* M, int64_t ld, const float* x, float* y) {
  const int64_t k8 = k & ~int64_t(7);
  for (int64_t r = 0; r < rows; r++) {
    const float* m = M + r * ld;
    float s[8] = {};
    for (int64_t p = 0; p < k8; p += 8)
      for (int q = 0; q < 8; q++) s[q] += m[p + q] * x[p + q];
    float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (int64_t p = k8; p < k; p++) t += m[p] * x[p];
    y[r] = t;
  }
}

void axpyRows(int64_t k, int64_t n, const float* M, int64_t ld, const float* x, float* y) {
  for (int64_t j0 = 0; j0 < n; j0 += 64) {
    const int64_t w = n - j0 < 64 ? n - j0 : 64;
    float s[64] = {};
    const float* col = M + j0;
    for (int64_t p = 0; p < k; p++, col += ld) {
      const float xp = x[p];
      for (int64_t j = 0; j < w; j++) s[j] += xp * col[j];
    }
    for (int64_t j = 0; j < w; j++) y[j0 + j] = s[j];
  }
}

}  // namespace

extern const GemmKernels kGemmPortable = {"portable", MR, NR, 256, 64, 2048, micro, dotRows, axpyRows};

}  // namespace glm
