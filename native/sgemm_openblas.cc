// The optional OpenBLAS path of sgemm (GLM_GEMM=openblas), compiled in only when the addon is
// built with GLM_OPENBLAS=1 (defines GLM_HAVE_OPENBLAS and links -lopenblas). Kept so the two
// can be compared in one process; the default build needs nothing but the compiler.
#include <cstring>
#include <string>

#include "sgemm.h"

#ifdef GLM_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace glm {

namespace {
int g_blasThreads = 1;  // what OpenBLAS is set to outside single-threaded sections
}

#ifdef GLM_HAVE_OPENBLAS

bool haveOpenBlas() { return true; }
std::string openBlasConfig() {
  const char* c = openblas_get_config();
  return c ? c : "";
}
void setOpenBlasThreads(int n) {
  g_blasThreads = n;
  openblas_set_num_threads(n);
}
int openBlasThreads() { return openblas_get_num_threads(); }

namespace {
struct InitThreads {
  InitThreads() { g_blasThreads = openblas_get_num_threads(); }
} initThreads;
}  // namespace

BlasSingleThread::BlasSingleThread() : saved_(g_blasThreads) {
  if (saved_ != 1) openblas_set_num_threads(1);
}
BlasSingleThread::~BlasSingleThread() {
  if (saved_ != 1) openblas_set_num_threads(saved_);
}

void openblasSgemmBatched(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, int64_t strideA,
                          const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  // Vector-shaped products (decode steps): GEMV streams the matrix once instead of packing it.
  if (m == 1 || n == 1) {
    for (int64_t bi = 0; bi < batch; bi++) {
      const float* ab = A + bi * strideA;
      const float* bb = B + bi * strideB;
      float* cb = C + bi * strideC;
      if (beta == 0.0f) {
        // BLAS may leave NaN·0 in y; GEMM semantics overwrite C, so clear it first.
        if (m == 1) std::memset(cb, 0, size_t(n) * sizeof(float));
        else for (int64_t i = 0; i < m; i++) cb[i * ldc] = 0.0f;
      }
      if (m == 1) {
        const int incA = transA ? int(lda) : 1;
        if (!transB) cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(n), alpha, bb, int(ldb), ab, incA, beta, cb, 1);
        else cblas_sgemv(CblasRowMajor, CblasNoTrans, int(n), int(k), alpha, bb, int(ldb), ab, incA, beta, cb, 1);
      } else {
        const int incB = transB ? 1 : int(ldb);
        if (!transA) cblas_sgemv(CblasRowMajor, CblasNoTrans, int(m), int(k), alpha, ab, int(lda), bb, incB, beta, cb, int(ldc));
        else cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(m), alpha, ab, int(lda), bb, incB, beta, cb, int(ldc));
      }
    }
    return;
  }
  // Many small products: parallelise over the batch with single-threaded BLAS, provided the
  // C blocks do not overlap. Big products: let OpenBLAS thread each call.
  const bool disjointC = strideC >= (m - 1) * ldc + n;
  const double work = double(m) * double(n) * double(k);
#ifdef _OPENMP
  const bool team = !omp_in_parallel() && omp_get_max_threads() > 1;
#else
  const bool team = false;
#endif
  if (batch > 1 && disjointC && work < double(1 << 18) && team) {
    BlasSingleThread single;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t bi = 0; bi < batch; bi++) {
      cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A + bi * strideA, int(lda), B + bi * strideB, int(ldb), beta,
                  C + bi * strideC, int(ldc));
    }
    return;
  }
  for (int64_t bi = 0; bi < batch; bi++) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A + bi * strideA, int(lda), B + bi * strideB, int(ldb), beta,
                C + bi * strideC, int(ldc));
  }
}

#else  // built without OpenBLAS

bool haveOpenBlas() { return false; }
std::string openBlasConfig() { return ""; }
void setOpenBlasThreads(int n) { g_blasThreads = n; }
int openBlasThreads() { return 0; }
BlasSingleThread::BlasSingleThread() : saved_(0) {}
BlasSingleThread::~BlasSingleThread() {}
void openblasSgemmBatched(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float,
                          float*, int64_t, int64_t, int64_t) {}

#endif

}  // namespace glm
