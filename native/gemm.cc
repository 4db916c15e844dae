// N-API binding of the batched strided GEMM: validates the JS arguments, then calls our sgemm
// (native/sgemm.h). Also the sgemm path controls.

#include "common.h"
#include "kernels.h"
#include "sgemm.h"

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
    // No product term: C = beta·C; A and B are not read.
    sgemmBatched(transA, transB, m, n, 0, 0.0f, nullptr, 1, 0, nullptr, 1, 0, float(beta), C.data, ldc, strideC, batch);
    return nullptr;
  }

  checkOperand(a, "a", A, transA ? k : m, transA ? m : k, lda, strideA, batch);
  checkOperand(a, "b", B, transB ? n : k, transB ? k : n, ldb, strideB, batch);
  sgemmBatched(transA, transB, m, n, k, float(alpha), A.data, lda, strideA, B.data, ldb, strideB, float(beta), C.data, ldc, strideC, batch);
  return nullptr;
}

// gemmPath() -> the sgemm path in use ("avx512", "avx2", "portable" or "openblas"). Throws when
// GLM_GEMM names a path that is unknown or unavailable here.
GLM_KERNEL(gemmPath) {
  napi_value s;
  napi_create_string_utf8(env, gemmPathName(glm::gemmPath()), NAPI_AUTO_LENGTH, &s);
  (void)info;
  return s;
}

// setGemmPath(name): switch the sgemm path ("auto" = best for this CPU and build).
GLM_KERNEL(setGemmPath) {
  Args a(env, info, 1, "setGemmPath");
  const std::string name = a.str(0, "name");
  GemmPath p;
  std::string error;
  if (!parseGemmPath(name, &p, &error)) throwRange("setGemmPath: " + error);
  glm::setGemmPath(p);
  return nullptr;
}

// gemmPaths() -> the paths this CPU and build can run, best first.
GLM_KERNEL(gemmPaths) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (GemmPath p : {GemmPath::Avx512, GemmPath::Avx2, GemmPath::Portable, GemmPath::OpenBlas}) {
    if (!gemmPathAvailable(p)) continue;
    napi_value s;
    napi_create_string_utf8(env, gemmPathName(p), NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i++, s);
  }
  (void)info;
  return arr;
}

}  // namespace glm
