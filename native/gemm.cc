// Batched strided GEMM through OpenBLAS (row-major cblas_sgemm).
#include <cblas.h>

#include "common.h"
#include "kernels.h"

namespace glm {

namespace {

// Validates one stored operand: `rows` × `cols` as stored, row stride ld, batch stride `stride`.
void checkOperand(const Args& a, const char* name, const F32& buf, int64_t rows, int64_t cols, int64_t ld, int64_t stride, int64_t batch) {
  if (ld < (cols > 1 ? cols : 1)) {
    throwRange(std::string(a.fn()) + ": leading dimension of " + name + " (" + std::to_string(ld) + ") is smaller than its stored row length " +
               std::to_string(cols));
  }
  if (rows == 0 || cols == 0 || batch == 0) return;
  uint64_t need = uint64_t(batch - 1) * uint64_t(stride) + uint64_t(rows - 1) * uint64_t(ld) + uint64_t(cols);
  requireLen(a, name, buf.length, need);
}

}  // namespace

// gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
GLM_KERNEL(gemm) {
  Args a(env, info, 17, "gemm");
  const bool transA = a.boolean(0, "transA");
  const bool transB = a.boolean(1, "transB");
  const int64_t kMaxDim = 0x7fffffff;
  const int64_t m = a.integer(2, "m", 0, kMaxDim);
  const int64_t n = a.integer(3, "n", 0, kMaxDim);
  const int64_t k = a.integer(4, "k", 0, kMaxDim);
  const double alpha = a.num(5, "alpha");
  F32 A = a.f32(6, "a");
  const int64_t batch = a.integer(16, "batch");
  // Batch strides are ignored (and may be anything) when batch = 1.
  const int64_t lda = a.integer(7, "lda", 0, kMaxDim);
  const int64_t strideA = batch > 1 ? a.integer(8, "strideA") : 0;
  F32 B = a.f32(9, "b");
  const int64_t ldb = a.integer(10, "ldb", 0, kMaxDim);
  const int64_t strideB = batch > 1 ? a.integer(11, "strideB") : 0;
  const double beta = a.num(12, "beta");
  F32 C = a.f32(13, "c");
  const int64_t ldc = a.integer(14, "ldc", 0, kMaxDim);
  const int64_t strideC = batch > 1 ? a.integer(15, "strideC") : 0;

  if (m == 0 || n == 0 || batch == 0) return nullptr;
  checkOperand(a, "c", C, m, n, ldc, strideC, batch);

  if (k == 0 || alpha == 0.0) {
    // No product term: C = beta·C (beta = 0 overwrites, like BLAS).
    const float fb = float(beta);
    for (int64_t bi = 0; bi < batch; bi++) {
      float* cb = C.data + bi * strideC;
      for (int64_t i = 0; i < m; i++) {
        float* row = cb + i * ldc;
        if (beta == 0.0) {
          for (int64_t j = 0; j < n; j++) row[j] = 0.0f;
        } else if (beta != 1.0) {
          for (int64_t j = 0; j < n; j++) row[j] *= fb;
        }
      }
    }
    return nullptr;
  }

  checkOperand(a, "a", A, transA ? k : m, transA ? m : k, lda, strideA, batch);
  checkOperand(a, "b", B, transB ? n : k, transB ? k : n, ldb, strideB, batch);

  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  const float fa = float(alpha), fb = float(beta);

  // Vector-shaped products (decode steps): GEMV streams the matrix once instead of packing it.
  if (m == 1 || n == 1) {
    for (int64_t bi = 0; bi < batch; bi++) {
      const float* ab = A.data + bi * strideA;
      const float* bb = B.data + bi * strideB;
      float* cb = C.data + bi * strideC;
      if (beta == 0.0) {
        // BLAS may leave NaN·0 in y; GEMM semantics overwrite C, so clear it first.
        if (m == 1) std::memset(cb, 0, size_t(n) * sizeof(float));
        else for (int64_t i = 0; i < m; i++) cb[i * ldc] = 0.0f;
      }
      if (m == 1) {
        // c[1×n] = op(B)ᵀ·a with a = op(A) as a vector.
        const int incA = transA ? int(lda) : 1;
        if (!transB) cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(n), fa, bb, int(ldb), ab, incA, fb, cb, 1);
        else cblas_sgemv(CblasRowMajor, CblasNoTrans, int(n), int(k), fa, bb, int(ldb), ab, incA, fb, cb, 1);
      } else {
        // c[m×1] = op(A)·b with b = op(B) as a vector.
        const int incB = transB ? 1 : int(ldb);
        if (!transA) cblas_sgemv(CblasRowMajor, CblasNoTrans, int(m), int(k), fa, ab, int(lda), bb, incB, fb, cb, int(ldc));
        else cblas_sgemv(CblasRowMajor, CblasTrans, int(k), int(m), fa, ab, int(lda), bb, incB, fb, cb, int(ldc));
      }
    }
    return nullptr;
  }

  // Many small products: parallelise over the batch with single-threaded BLAS, provided the
  // C blocks do not overlap. Big products: let OpenBLAS thread each call.
  const bool disjointC = strideC >= (m - 1) * ldc + n;
  const double work = double(m) * double(n) * double(k);
  if (batch > 1 && disjointC && work < double(1 << 18) && maxThreads() > 1) {
    BlasSingleThread single;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t bi = 0; bi < batch; bi++) {
      cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), fa, A.data + bi * strideA, int(lda), B.data + bi * strideB, int(ldb), fb,
                  C.data + bi * strideC, int(ldc));
    }
    return nullptr;
  }
  for (int64_t bi = 0; bi < batch; bi++) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), fa, A.data + bi * strideA, int(lda), B.data + bi * strideB, int(ldb), fb,
                C.data + bi * strideC, int(ldc));
  }
  return nullptr;
}

}  // namespace glm
