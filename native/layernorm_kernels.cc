// LayerNorm over the last dimension (biased variance), forward and backward. Row statistics
// are accumulated in double precision like the reference backend. Plain kernels;
// native/layernorm.cc is their N-API binding.
#include <algorithm>
#include <vector>

#include "kernel_common.h"
#include "plain_kernels.h"
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

namespace kern {

void layerNorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, double eps, float* y, float* mean, float* rstd) {
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMinElems / 2 && rows > 1)
  for (int64_t r = 0; r < rows; r++) {
    layerNormRow(x + r * cols, gamma, beta, cols, eps, y + r * cols, mean + r, rstd + r);
  }
}

// dgamma / dbeta may be null (not wanted); otherwise the row sums are added to them.
void layerNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t rows, int64_t cols, float* dx,
                       float* dgamma, float* dbeta) {
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  const int nt = (int64_t(n) >= kParallelMinElems / 2 && rows > 1) ? int(std::min<int64_t>(maxThreads(), rows)) : 1;
  const bool wantG = (dgamma != nullptr), wantB = (dbeta != nullptr);
  std::vector<double> pg(wantG ? size_t(nt) * size_t(cols) : 0, 0.0), pb(wantB ? size_t(nt) * size_t(cols) : 0, 0.0);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    double* g = wantG ? pg.data() + size_t(t) * size_t(cols) : nullptr;
    double* b = wantB ? pb.data() + size_t(t) * size_t(cols) : nullptr;
    for (int64_t r = rows * t / nt; r < rows * (t + 1) / nt; r++) {
      layerNormBackwardRow(dy + r * cols, x + r * cols, gamma, double(mean[r]), double(rstd[r]), cols, dx + r * cols, g, b);
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    if (wantG) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += pg[size_t(t) * size_t(cols) + size_t(c)];
      dgamma[c] = float(double(dgamma[c]) + s);
    }
    if (wantB) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += pb[size_t(t) * size_t(cols) + size_t(c)];
      dbeta[c] = float(double(dbeta[c]) + s);
    }
  }
}

}  // namespace kern
}  // namespace glm
