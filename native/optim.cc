// N-API binding of AdamW (native/optim_kernels.cc): argument parsing and validation.
#include "common.h"
#include "kernels.h"
#include "plain_kernels.h"

namespace glm {

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
  kern::adamw(p.data, g.data, m.data, v.data, n, lr, b1, b2, eps, wd, bc1, bc2, gs);
  return nullptr;
}

}  // namespace glm
