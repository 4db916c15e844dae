// N-API binding of LayerNorm (native/layernorm_kernels.cc): argument parsing and validation.
#include "common.h"
#include "kernels.h"
#include "plain_kernels.h"

namespace glm {


// layerNorm(x, gamma, beta, rows, cols, eps, y, mean, rstd)
GLM_KERNEL(layerNorm) {
  Args a(env, info, 9, "layerNorm");
  F32 x = a.f32(0, "x"), gamma = a.f32(1, "gamma"), beta = a.f32(2, "beta");
  const int64_t rows = a.integer(3, "rows"), cols = a.integer(4, "cols");
  const double eps = a.num(5, "eps");
  F32 y = a.f32(6, "y"), mean = a.f32(7, "mean"), rstd = a.f32(8, "rstd");
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "x", x.length, n);
  requireLen(a, "y", y.length, n);
  requireLen(a, "gamma", gamma.length, uint64_t(cols));
  requireLen(a, "beta", beta.length, uint64_t(cols));
  requireLen(a, "mean", mean.length, uint64_t(rows));
  requireLen(a, "rstd", rstd.length, uint64_t(rows));
  if (cols == 0) return nullptr;
  kern::layerNorm(x.data, gamma.data, beta.data, rows, cols, eps, y.data, mean.data, rstd.data);
  return nullptr;
}

// layerNormBackward(dy, x, gamma, mean, rstd, rows, cols, dx, dgamma|null, dbeta|null)
GLM_KERNEL(layerNormBackward) {
  Args a(env, info, 10, "layerNormBackward");
  F32 dy = a.f32(0, "dy"), x = a.f32(1, "x"), gamma = a.f32(2, "gamma"), mean = a.f32(3, "mean"), rstd = a.f32(4, "rstd");
  const int64_t rows = a.integer(5, "rows"), cols = a.integer(6, "cols");
  F32 dx = a.f32(7, "dx");
  F32 dgamma = a.f32OrNull(8, "dgamma"), dbeta = a.f32OrNull(9, "dbeta");
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "dy", dy.length, n);
  requireLen(a, "x", x.length, n);
  requireLen(a, "dx", dx.length, n);
  requireLen(a, "gamma", gamma.length, uint64_t(cols));
  requireLen(a, "mean", mean.length, uint64_t(rows));
  requireLen(a, "rstd", rstd.length, uint64_t(rows));
  if (dgamma.present) requireLen(a, "dgamma", dgamma.length, uint64_t(cols));
  if (dbeta.present) requireLen(a, "dbeta", dbeta.length, uint64_t(cols));
  if (cols == 0 || rows == 0) return nullptr;

  kern::layerNormBackward(dy.data, x.data, gamma.data, mean.data, rstd.data, rows, cols, dx.data, dgamma.present ? dgamma.data : nullptr,
                          dbeta.present ? dbeta.data : nullptr);
  return nullptr;
}

}  // namespace glm
