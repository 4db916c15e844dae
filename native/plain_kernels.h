// Plain C++ kernels (raw pointers and sizes, no N-API types), callable from any C++ code; the
// N-API bindings (native/<family>.cc) parse and validate the JS arguments and call these.
// Families: optimiser, loss, LayerNorm, GELU/softmax (here), attention
// (attention.h), quantized linear (quant.h), element-wise / strided (here), sgemm (sgemm.h),
// machine limits (machine.h).
#pragma once

#include <cstdint>
#include <vector>

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

// elementwise_kernels.cc (strided views: element offsets and strides per dimension, extents
// already validated; total = product of shape)
void add(const float* x, const float* y, float* o, int64_t n);
void mul(const float* x, const float* y, float* o, int64_t n);
void axpy(double alpha, const float* x, float* y, int64_t n);
void scale(const float* x, double alpha, float* o, int64_t n);
double sumSquares(const float* x, int64_t n);
int64_t nonzeroRows(const float* x, int64_t rows, int64_t cols, int32_t* out);
void broadcastBinary(int64_t op, const float* pa, const std::vector<int64_t>& sa, const float* pb, const std::vector<int64_t>& sb, float* po, const std::vector<int64_t>& shape, int64_t total);
void copyStrided(const float* ps, int64_t offset, const std::vector<int64_t>& ss, float* po, const std::vector<int64_t>& shape, int64_t total);
void accumulateStrided(const float* ps, const std::vector<int64_t>& shape, float* pd, int64_t offset, const std::vector<int64_t>& ds, int64_t total);
void addBias(float* x, const float* b, int64_t rows, int64_t cols);
void sumRows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate);
void gatherRows(const float* table, const int32_t* ids, int64_t R, int64_t cols, float* out, bool accumulate);
void scatterAddRows(const float* dOut, const int32_t* ids, int64_t R, int64_t cols, float* dTable);
void dropout(const float* x, int64_t n, double p, uint32_t seed, float* y);
void dropoutBackward(const float* dy, int64_t n, double p, uint32_t seed, float* dx);

}  // namespace kern
}  // namespace glm
