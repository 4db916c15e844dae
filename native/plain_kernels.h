// Plain C++ kernels (raw pointers and sizes, no N-API types), callable from any C++ code; the
// N-API bindings (native/<family>.cc) parse and validate the JS arguments and call these.
// Families split so far: optimiser, loss, LayerNorm, GELU/softmax (here), attention
// (attention.h), sgemm (sgemm.h), machine limits (machine.h). Still parsing and computing in one
// function: element-wise / strided copies (elementwise.cc) and the quantized kernels (quant.cc).
#pragma once

#include <cstdint>

namespace glm {
namespace kern {

// optim_kernels.cc
void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps, double wd, double bc1, double bc2,
           double gs);

// loss_kernels.cc
void crossEntropy(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab, double eps, float* loss, float* lse);
void crossEntropyBackward(const float* logits, const int32_t* targets, const float* lse, const float* coef, int64_t rows, int64_t vocab, double eps,
                          float* d, bool accumulate);

// layernorm_kernels.cc
void layerNorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t cols, double eps, float* y, float* mean, float* rstd);
void layerNormBackward(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t rows, int64_t cols, float* dx,
                       float* dgamma, float* dbeta);

// activation_kernels.cc (kind: 0 erf, 1 tanh; mask may be null)
void gelu(const float* x, float* y, int64_t n, int kind);
void geluBackward(const float* x, const float* dy, float* dx, int64_t n, int kind);
void biasGelu(float* x, const float* bias, int64_t rows, int64_t cols, float* y, int kind);
void softmax(const float* x, const float* mask, int64_t rows, int64_t cols, float* y);
void softmaxBackward(const float* y, const float* dy, const float* mask, int64_t rows, int64_t cols, float* dx);

}  // namespace kern
}  // namespace glm
