// Fused multi-head attention kernels (no N-API): the argument block the binding fills in
// (native/attention.cc parses and validates it), and the forward / backward entry points
// (native/attention_kernels.cc).
#pragma once

#include <cstdint>

#include "kernel_common.h"

namespace glm {

extern int g_attentionSchedule;  // 0 auto, 1 heads-parallel, 2 rows-parallel

namespace kern {

constexpr int kMaskNone = 0, kMaskSep = 1, kMaskExplicit = 2;

struct Attn {
  F32 q, k, v, out, probs, mask, dout, dq, dk, dv;
  F32 stats;  // optional [B, N, S, 2]: per query row the softmax max and 1 / Σ exp(s − max)
  I32 sep;
  int64_t ldq, ldk, ldv, ldo, B, N, D, S, K;
  float scale;
  int mode;
  double p;
  uint32_t seed;
  uint32_t thr;     // keep iff hash >= thr
  float keepScale;  // 1/(1 − p), or 0 when p ≥ 1 drops everything
  bool dropout;
};

void attention(const Attn& t);
void attentionBackward(const Attn& t);

}  // namespace kern
}  // namespace glm
