// AdamW (PyTorch semantics), one fused pass over a flat parameter range, in double arithmetic
// per element like the reference backend. Plain kernel; native/optim.cc is its N-API binding.
#include <algorithm>
#include <cmath>

#include "kernel_common.h"
#include "plain_kernels.h"

namespace glm {

namespace {

GLM_CLONES void adamwRange(float* p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps, double wd,
                           double bc1, double bc2, double gs) {
  const double stepSize = lr / bc1;
  const double sqrtBc2 = std::sqrt(bc2);
  const double decay = 1.0 - lr * wd;
  for (int64_t i = 0; i < n; i++) {
    const double grad = double(g[i]) * gs;
    double pi = double(p[i]) * decay;
    const double mi = b1 * double(m[i]) + (1.0 - b1) * grad;
    const double vi = b2 * double(v[i]) + (1.0 - b2) * grad * grad;
    m[i] = float(mi);
    v[i] = float(vi);
    pi -= (stepSize * mi) / (std::sqrt(vi) / sqrtBc2 + eps);
    p[i] = float(pi);
  }
}

}  // namespace

namespace kern {

void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps, double wd, double bc1, double bc2,
           double gs) {
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n >= kParallelMinElems)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t b = c * kChunk, e = std::min(n, b + kChunk);
    adamwRange(p + b, g + b, m + b, v + b, e - b, lr, b1, b2, eps, wd, bc1, bc2, gs);
  }
}

}  // namespace kern
}  // namespace glm
