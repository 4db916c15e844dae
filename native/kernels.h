// Declarations of every exported kernel (implemented by family in the other .cc files). Each
// may throw glm::ArgError; binding.cc wraps them so errors surface as JS exceptions.
#pragma once

#include <node_api.h>

namespace glm {

#define GLM_KERNEL(name) napi_value name(napi_env env, napi_callback_info info)

// gemm.cc
GLM_KERNEL(gemm);
GLM_KERNEL(gemmPath);
GLM_KERNEL(setGemmPath);
GLM_KERNEL(gemmPaths);

// machine_binding.cc
GLM_KERNEL(fmaPeak);
GLM_KERNEL(readBandwidth);

// elementwise.cc
GLM_KERNEL(add);
GLM_KERNEL(mul);
GLM_KERNEL(axpy);
GLM_KERNEL(scale);
GLM_KERNEL(sumSquares);
GLM_KERNEL(nonzeroRows);
GLM_KERNEL(broadcastBinary);
GLM_KERNEL(copyStrided);
GLM_KERNEL(accumulateStrided);
GLM_KERNEL(addBias);
GLM_KERNEL(sumRows);
GLM_KERNEL(gatherRows);
GLM_KERNEL(scatterAddRows);
GLM_KERNEL(dropout);
GLM_KERNEL(dropoutBackward);

// layernorm.cc
GLM_KERNEL(layerNorm);
GLM_KERNEL(layerNormBackward);

// activation.cc
GLM_KERNEL(gelu);
GLM_KERNEL(geluBackward);
GLM_KERNEL(biasGelu);
GLM_KERNEL(softmax);
GLM_KERNEL(softmaxBackward);

// attention.cc
GLM_KERNEL(attention);
GLM_KERNEL(attentionBackward);

// loss.cc
GLM_KERNEL(crossEntropy);
GLM_KERNEL(crossEntropyBackward);

// optim.cc
GLM_KERNEL(adamw);

// quant.cc
GLM_KERNEL(quantize);
GLM_KERNEL(linearQuant);
GLM_KERNEL(amxAvailable);

}  // namespace glm
