// N-API binding of the cross-entropy kernels (native/loss_kernels.cc): parsing and validation.
#include "common.h"
#include "kernels.h"
#include "plain_kernels.h"

namespace glm {

namespace {

void checkTargets(const Args& a, const I32& targets, int64_t rows, int64_t vocab) {
  requireLen(a, "targets", targets.length, uint64_t(rows));
  for (int64_t r = 0; r < rows; r++) {
    const int32_t t = targets.data[r];
    if (t < 0 || int64_t(t) >= vocab) {
      throwRange(std::string(a.fn()) + ": targets[" + std::to_string(r) + "] = " + std::to_string(t) + " is outside [0, " + std::to_string(vocab) + ")");
    }
  }
}

}  // namespace

// crossEntropy(logits, targets, rows, vocab, smoothing, loss, lse)
GLM_KERNEL(crossEntropy) {
  Args a(env, info, 7, "crossEntropy");
  F32 logits = a.f32(0, "logits");
  I32 targets = a.i32(1, "targets");
  const int64_t rows = a.integer(2, "rows"), vocab = a.integer(3, "vocab");
  const double eps = a.num(4, "smoothing");
  F32 loss = a.f32(5, "loss"), lse = a.f32(6, "lse");
  if (rows == 0) return nullptr;
  if (vocab == 0) throwRange("crossEntropy: vocab must be > 0");
  requireLen(a, "logits", logits.length, uint64_t(rows) * uint64_t(vocab));
  requireLen(a, "loss", loss.length, uint64_t(rows));
  requireLen(a, "lse", lse.length, uint64_t(rows));
  checkTargets(a, targets, rows, vocab);
  kern::crossEntropy(logits.data, targets.data, rows, vocab, eps, loss.data, lse.data);
  return nullptr;
}

// crossEntropyBackward(logits, targets, lse, coef, rows, vocab, smoothing, dlogits, accumulate)
GLM_KERNEL(crossEntropyBackward) {
  Args a(env, info, 9, "crossEntropyBackward");
  F32 logits = a.f32(0, "logits");
  I32 targets = a.i32(1, "targets");
  F32 lse = a.f32(2, "lse"), coef = a.f32(3, "coef");
  const int64_t rows = a.integer(4, "rows"), vocab = a.integer(5, "vocab");
  const double eps = a.num(6, "smoothing");
  F32 d = a.f32(7, "dlogits");
  const bool accumulate = a.boolean(8, "accumulate");
  if (rows == 0) return nullptr;
  if (vocab == 0) throwRange("crossEntropyBackward: vocab must be > 0");
  const uint64_t n = uint64_t(rows) * uint64_t(vocab);
  requireLen(a, "logits", logits.length, n);
  requireLen(a, "dlogits", d.length, n);
  requireLen(a, "lse", lse.length, uint64_t(rows));
  requireLen(a, "coef", coef.length, uint64_t(rows));
  checkTargets(a, targets, rows, vocab);
  kern::crossEntropyBackward(logits.data, targets.data, lse.data, coef.data, rows, vocab, eps, d.data, accumulate);
  return nullptr;
}

}  // namespace glm
