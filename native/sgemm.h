// Single-precision GEMM and GEMV of our own (row-major, BLAS semantics), with no N-API types:
// packed panels, cache blocking, register-blocked microkernels for AVX-512, AVX2+FMA and a
// portable path, picked at run time; OpenMP threads. OpenBLAS is an optional extra path
// (built only with GLM_OPENBLAS=1, see scripts/build-native.mjs).
//
//   C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C      (beta = 0 overwrites C, NaN-safe)
//
// op(A) is A (m×k, row stride lda) or, with transA, Aᵀ where A is stored k×m. Same for B.
// Results do not depend on the thread count (each element's k-sum has a fixed order).
#pragma once

#include <cstdint>
#include <string>

namespace glm {

enum class GemmPath { Avx512, Avx2, Portable, OpenBlas };

// One product. Runs on the OpenMP team unless called from inside a parallel region (then on
// the calling thread) or the product is small.
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
           float beta, float* C, int64_t ldc);

// `batch` products at element strides strideA / strideB / strideC.
void sgemmBatched(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, int64_t strideA,
                  const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC, int64_t batch);

// The path in use: chosen once from GLM_GEMM (avx512 | avx2 | portable | openblas | auto) and
// the CPU, or set by setGemmPath. GLM_NATIVE_PORTABLE=1 makes auto pick portable.
GemmPath gemmPath();
const char* gemmPathName(GemmPath p);
// Parses a path name ("auto" picks the best this CPU and build support). Returns false and sets
// *error when the name is unknown or the path is unavailable here.
bool parseGemmPath(const std::string& name, GemmPath* out, std::string* error);
void setGemmPath(GemmPath p);
bool gemmPathAvailable(GemmPath p);

// OpenBLAS (only when built with it): configuration string, thread control. Without OpenBLAS
// these report "" / do nothing.
bool haveOpenBlas();
std::string openBlasConfig();
void setOpenBlasThreads(int n);
int openBlasThreads();

// RAII: while alive, OpenBLAS runs single-threaded (for calls from OpenMP workers). Our own
// sgemm needs nothing: inside a parallel region it runs on the calling thread.
class BlasSingleThread {
 public:
  BlasSingleThread();
  ~BlasSingleThread();
  BlasSingleThread(const BlasSingleThread&) = delete;
  BlasSingleThread& operator=(const BlasSingleThread&) = delete;

 private:
  int saved_;
};

}  // namespace glm
