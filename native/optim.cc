// AdamW (PyTorch semantics), one fused pass over a flat parameter range, in double arithmetic
// per element like the reference backend.
#include <algorithm>

#include "common.h"
#include "kernels.h"

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

// adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale) over p.length
GLM_KERNEL(adamw) {
  Args a(env, info, 12, "adamw");
  F32 p = a.f32(0, "p"), g = a.f32(1, "g"), m = a.f32(2, "m"), v = a.f32(3, "v");
  const double lr = a.num(4, "lr"), b1 = a.num(5, "beta1"), b2 = a.num(6, "beta2"), eps = a.num(7, "eps");
  const double wd = a.num(8, "weightDecay"), bc1 = a.num(9, "bc1"), bc2 = a.num(10, "bc2"), gs = a.num(11, "gradScale");
  const int64_t n = int64_t(p.length);
  requireLen(a, "g", g.length, uint64_t(n));
  requireLen(a, "m", m.length, uint64_t(n));
  requireLen(a, "v", v.length, uint64_t(n));
  constexpr int64_t kChunk = 1 << 14;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (n >= kParallelMinElems)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t b = c * kChunk, e = std::min(n, b + kChunk);
    adamwRange(p.data + b, g.data + b, m.data + b, v.data + b, e - b, lr, b1, b2, eps, wd, bc1, bc2, gs);
  }
  return nullptr;
}

}  // namespace glm
