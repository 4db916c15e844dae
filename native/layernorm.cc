// LayerNorm over the last dimension (biased variance), forward and backward. Row statistics
// are accumulated in double precision like the reference backend.
#include <algorithm>

#include "common.h"
#include "kernels.h"
#include "rowops.h"

namespace glm {

namespace {

GLM_CLONES void layerNormRow(const float* x, const float* gamma, const float* beta, int64_t n, double eps, float* y, float* mean, float* rstd) {
  const double mu = rowSum(x, n) / double(n);
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const double d = double(x[j + l]) - mu;
      lane[l] += d * d;
    }
  }
  double var = 0;
  for (int l = 0; l < kLanes; l++) var += lane[l];
  for (; j < n; j++) {
    const double d = double(x[j]) - mu;
    var += d * d;
  }
  const double rs = 1.0 / std::sqrt(var / double(n) + eps);
  *mean = float(mu);
  *rstd = float(rs);
  for (int64_t c = 0; c < n; c++) y[c] = float((double(x[c]) - mu) * rs * double(gamma[c]) + double(beta[c]));
}

// One row of the backward pass; adds this row's dgamma / dbeta terms into the double partials.
GLM_CLONES void layerNormBackwardRow(const float* dy, const float* x, const float* gamma, double mu, double rs, int64_t n, float* dx,
                                     double* pg, double* pb) {
  double lD[kLanes] = {}, lDX[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const double xhat = (double(x[j + l]) - mu) * rs;
      const double dxhat = double(dy[j + l]) * double(gamma[j + l]);
      lD[l] += dxhat;
      lDX[l] += dxhat * xhat;
    }
  }
  double sumD = 0, sumDX = 0;
  for (int l = 0; l < kLanes; l++) {
    sumD += lD[l];
    sumDX += lDX[l];
  }
  for (; j < n; j++) {
    const double xhat = (double(x[j]) - mu) * rs;
    const double dxhat = double(dy[j]) * double(gamma[j]);
    sumD += dxhat;
    sumDX += dxhat * xhat;
  }
  sumD /= double(n);
  sumDX /= double(n);
  for (int64_t c = 0; c < n; c++) {
    const double xhat = (double(x[c]) - mu) * rs;
    const double dxhat = double(dy[c]) * double(gamma[c]);
    dx[c] = float(double(dx[c]) + rs * (dxhat - sumD - xhat * sumDX));
  }
  if (pg) for (int64_t c = 0; c < n; c++) pg[c] += double(dy[c]) * ((double(x[c]) - mu) * rs);
  if (pb) for (int64_t c = 0; c < n; c++) pb[c] += double(dy[c]);
}

}  // namespace

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
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMinElems / 2 && rows > 1)
  for (int64_t r = 0; r < rows; r++) {
    layerNormRow(x.data + r * cols, gamma.data, beta.data, cols, eps, y.data + r * cols, mean.data + r, rstd.data + r);
  }
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

  const int nt = (int64_t(n) >= kParallelMinElems / 2 && rows > 1) ? int(std::min<int64_t>(maxThreads(), rows)) : 1;
  const bool wantG = dgamma.present, wantB = dbeta.present;
  std::vector<double> pg(wantG ? size_t(nt) * size_t(cols) : 0, 0.0), pb(wantB ? size_t(nt) * size_t(cols) : 0, 0.0);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    double* g = wantG ? pg.data() + size_t(t) * size_t(cols) : nullptr;
    double* b = wantB ? pb.data() + size_t(t) * size_t(cols) : nullptr;
    for (int64_t r = rows * t / nt; r < rows * (t + 1) / nt; r++) {
      layerNormBackwardRow(dy.data + r * cols, x.data + r * cols, gamma.data, double(mean.data[r]), double(rstd.data[r]), cols, dx.data + r * cols,
                           g, b);
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    if (wantG) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += pg[size_t(t) * size_t(cols) + size_t(c)];
      dgamma.data[c] = float(double(dgamma.data[c]) + s);
    }
    if (wantB) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += pb[size_t(t) * size_t(cols) + size_t(c)];
      dbeta.data[c] = float(double(dbeta.data[c]) + s);
    }
  }
  return nullptr;
}

}  // namespace glm
