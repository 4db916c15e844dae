// Softmax cross-entropy with label smoothing: per-row forward (loss, lse) and backward.
#include "common.h"
#include "kernels.h"
#include "rowops.h"

namespace glm {

namespace {

GLM_CLONES void crossEntropyRow(const float* x, int64_t V, int32_t t, double eps, float* loss, float* lse) {
  double total;
  const float mx = rowMaxSum(x, V, &total);
  const double sum = expShiftSumOnly(x, mx, V);
  const double mean = total / double(V);
  const double l = double(mx) + std::log(sum);
  *lse = float(l);
  *loss = float((1.0 - eps) * (l - double(x[t])) + eps * (l - mean));
}

GLM_CLONES void crossEntropyBackwardRow(const float* x, int64_t V, int32_t t, float l, float w, double eps, float* d, bool accumulate) {
  if (w == 0.0f) {
    if (!accumulate) for (int64_t c = 0; c < V; c++) d[c] = 0.0f;
    return;
  }
  const float sv = float(eps / double(V));
  const float dt = d[t];
  if (accumulate) for (int64_t c = 0; c < V; c++) d[c] = d[c] + (expApprox(x[c] - l) - sv) * w;
  else for (int64_t c = 0; c < V; c++) d[c] = (expApprox(x[c] - l) - sv) * w;
  // The target entry cancels (p_t − 1 when the prediction is confident): redo it in double.
  const double gt = (std::exp(double(x[t]) - double(l)) - eps / double(V) - (1.0 - eps)) * double(w);
  d[t] = accumulate ? float(double(dt) + gt) : float(gt);
}

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
#pragma omp parallel for schedule(static) if (rows * vocab >= kParallelMinElems / 4 && rows > 1)
  for (int64_t r = 0; r < rows; r++) crossEntropyRow(logits.data + r * vocab, vocab, targets.data[r], eps, loss.data + r, lse.data + r);
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
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMinElems / 4 && rows > 1)
  for (int64_t r = 0; r < rows; r++) {
    crossEntropyBackwardRow(logits.data + r * vocab, vocab, targets.data[r], lse.data[r], coef.data[r], eps, d.data + r * vocab, accumulate);
  }
  return nullptr;
}

}  // namespace glm
