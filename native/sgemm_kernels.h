// Per-ISA inner kernels of our sgemm (sgemm_avx512.cc, sgemm_avx2.cc, sgemm_portable.cc).
// Plain C++: no N-API, no standard-library inline code (each ISA file is compiled for its own
// instruction set, and shared inline functions must not pick up those instructions).
#pragma once

#include <cstdint>

namespace glm {

struct GemmKernels {
  const char* name;
  int mr, nr;          // register tile: mr rows × nr columns of C
  int64_t kc, mc, nc;  // cache blocks: depth, rows of packed A, columns of packed B
  // C[mv×nv] (row stride ldc) = alpha · Ap·Bp + beta · C, where Ap is an mr×kc panel stored
  // k-major (mr values per k) and Bp a kc×nr panel (nr values per k); mv ≤ mr, nv ≤ nr.
  // beta = 0 overwrites C without reading it.
  void (*micro)(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, float alpha, float beta, int mv, int nv);
  // y[r] = Σ_p M[r·ld + p]·x[p] for r < rows (dot products of rows with x).
  void (*dotRows)(int64_t rows, int64_t k, const float* M, int64_t ld, const float* x, float* y);
  // y[j] = Σ_p x[p]·M[p·ld + j] for j < n (x-weighted sum of k rows).
  void (*axpyRows)(int64_t k, int64_t n, const float* M, int64_t ld, const float* x, float* y);
};

extern const GemmKernels kGemmAvx512;
extern const GemmKernels kGemmAvx2;
extern const GemmKernels kGemmPortable;

}  // namespace glm
