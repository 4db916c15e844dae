// N-API binding of GELU and softmax (native/activation_kernels.cc): parsing and validation.
#include "common.h"
#include "kernels.h"
#include "plain_kernels.h"

namespace glm {

namespace {
int geluKind(const Args& a, size_t i) { return int(a.integer(i, "kind", 0, 1)); }
}  // namespace

// gelu(x, y, kind) over x.length
GLM_KERNEL(gelu) {
  Args a(env, info, 3, "gelu");
  F32 x = a.f32(0, "x"), y = a.f32(1, "y");
  const int kind = geluKind(a, 2);
  requireLen(a, "y", y.length, x.length);
  kern::gelu(x.data, y.data, int64_t(x.length), kind);
  return nullptr;
}

// geluBackward(x, dy, dx, kind): dx += dy·gelu'(x) over x.length
GLM_KERNEL(geluBackward) {
  Args a(env, info, 4, "geluBackward");
  F32 x = a.f32(0, "x"), dy = a.f32(1, "dy"), dx = a.f32(2, "dx");
  const int kind = geluKind(a, 3);
  requireLen(a, "dy", dy.length, x.length);
  requireLen(a, "dx", dx.length, x.length);
  kern::geluBackward(x.data, dy.data, dx.data, int64_t(x.length), kind);
  return nullptr;
}

// biasGelu(x, bias, rows, cols, y, kind)
GLM_KERNEL(biasGelu) {
  Args a(env, info, 6, "biasGelu");
  F32 x = a.f32(0, "x"), bias = a.f32(1, "bias");
  const int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols");
  F32 y = a.f32(4, "y");
  const int kind = geluKind(a, 5);
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "x", x.length, n);
  requireLen(a, "y", y.length, n);
  requireLen(a, "bias", bias.length, uint64_t(cols));
  kern::biasGelu(x.data, bias.data, rows, cols, y.data, kind);
  return nullptr;
}

// softmax(x, mask|null, rows, cols, y)
GLM_KERNEL(softmax) {
  Args a(env, info, 5, "softmax");
  F32 x = a.f32(0, "x");
  F32 mask = a.f32OrNull(1, "mask");
  const int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols");
  F32 y = a.f32(4, "y");
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "x", x.length, n);
  requireLen(a, "y", y.length, n);
  if (mask.present) requireLen(a, "mask", mask.length, n);
  kern::softmax(x.data, mask.present ? mask.data : nullptr, rows, cols, y.data);
  return nullptr;
}

// softmaxBackward(y, dy, mask|null, rows, cols, dx)
GLM_KERNEL(softmaxBackward) {
  Args a(env, info, 6, "softmaxBackward");
  F32 y = a.f32(0, "y"), dy = a.f32(1, "dy");
  F32 mask = a.f32OrNull(2, "mask");
  const int64_t rows = a.integer(3, "rows"), cols = a.integer(4, "cols");
  F32 dx = a.f32(5, "dx");
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "y", y.length, n);
  requireLen(a, "dy", dy.length, n);
  requireLen(a, "dx", dx.length, n);
  if (mask.present) requireLen(a, "mask", mask.length, n);
  kern::softmaxBackward(y.data, dy.data, mask.present ? mask.data : nullptr, rows, cols, dx.data);
  return nullptr;
}

}  // namespace glm
