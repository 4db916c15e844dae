// Softmax cross-entropy with label smoothing: per-row forward (loss, lse) and backward. Plain
// kernels; native/loss.cc is their N-API binding.
#include "kernel_common.h"
#include "plain_kernels.h"
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

}  // namespace

namespace kern {

void crossEntropy(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab, double eps, float* loss, float* lse) {
#pragma omp parallel for schedule(static) if (rows * vocab >= kParallelMinElems / 4 && rows > 1)
  for (int64_t r = 0; r < rows; r++) crossEntropyRow(logits + r * vocab, vocab, targets[r], eps, loss + r, lse + r);
}

void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, const float* coef, int64_t rows, int64_t vocab, double eps,
                          float* d, bool accumulate) {
#pragma omp parallel for schedule(static) if (rows * vocab >= kParallelMinElems / 4 && rows > 1)
  for (int64_t r = 0; r < rows; r++) crossEntropyBackwardRow(logits + r * vocab, vocab, targets[r], lse[r], coef[r], eps, d + r * vocab, accumulate);
}

}  // namespace kern
}  // namespace glm
