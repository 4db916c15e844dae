// N-API binding of the fused attention kernels (native/attention_kernels.cc): parses the
// strided Q/K/V views and options into kern::Attn and validates every extent.
#include <string>

#include "attention.h"
#include "common.h"
#include "kernels.h"

namespace glm {

using kern::Attn;
using kern::kMaskExplicit;
using kern::kMaskSep;

namespace {

void checkRows(const Args& a, const char* name, const F32& buf, int64_t rows, int64_t ld, int64_t width) {
  if (ld < width) {
    throwRange(std::string(a.fn()) + ": row stride of " + name + " (" + std::to_string(ld) + ") is smaller than heads·headDim = " + std::to_string(width));
  }
  if (rows == 0 || width == 0) return;
  requireLen(a, name, buf.length, uint64_t(rows - 1) * uint64_t(ld) + uint64_t(width));
}

// Positional layout: q, ldq, k, ldk, v, ldv, batch, heads, headDim, sq, sk, scale, maskMode, sep,
// mask, dropoutP, dropoutSeed, out, ldo, probs, then forward: [stats]; backward: dout, dq, dk,
// dv [, stats].
Attn parse(const Args& a, bool backward) {
  Attn t;
  const int64_t kMax = 0x7fffffff;
  t.q = a.f32(0, "q");
  t.ldq = a.integer(1, "ldq", 0, kMax);
  t.k = a.f32(2, "k");
  t.ldk = a.integer(3, "ldk", 0, kMax);
  t.v = a.f32(4, "v");
  t.ldv = a.integer(5, "ldv", 0, kMax);
  t.B = a.integer(6, "batch", 0, kMax);
  t.N = a.integer(7, "heads", 0, kMax);
  t.D = a.integer(8, "headDim", 1, kMax);
  t.S = a.integer(9, "sq", 0, kMax);
  t.K = a.integer(10, "sk", 0, kMax);
  t.scale = float(a.num(11, "scale"));
  t.mode = int(a.integer(12, "maskMode", 0, 2));
  t.sep = a.i32OrNull(13, "sep");
  t.mask = a.f32OrNull(14, "mask");
  t.p = a.num(15, "dropoutP");
  t.seed = a.u32(16, "dropoutSeed");
  t.out = a.f32OrNull(17, "out");
  t.ldo = a.integer(18, "ldo", 0, kMax);
  t.probs = a.f32OrNull(19, "probs");
  if (backward) {
    t.dout = a.f32(20, "dout");
    t.dq = a.f32(21, "dq");
    t.dk = a.f32(22, "dk");
    t.dv = a.f32(23, "dv");
    t.stats = a.f32OrNull(24, "stats");
  } else {
    t.stats = a.f32OrNull(20, "stats");
  }
  t.dropout = t.p > 0;
  const uint64_t thr = dropoutThreshold(t.p);
  t.thr = thr > 0xffffffffull ? 0xffffffffu : uint32_t(thr);
  t.keepScale = !t.dropout ? 1.0f : thr > 0xffffffffull ? 0.0f : float(1.0 / (1.0 - t.p));

  const int64_t W = t.N * t.D;
  checkRows(a, "q", t.q, t.B * t.S, t.ldq, W);
  checkRows(a, "k", t.k, t.B * t.K, t.ldk, W);
  checkRows(a, "v", t.v, t.B * t.K, t.ldv, W);
  if (!backward) {
    if (!t.out.present) throwType("attention: out must be a Float32Array");
    checkRows(a, "out", t.out, t.B * t.S, t.ldo, W);
  } else {
    if (t.ldo < W) throwRange(std::string(a.fn()) + ": ldo is smaller than heads·headDim");
    checkRows(a, "dout", t.dout, t.B * t.S, t.ldo, W);
    checkRows(a, "dq", t.dq, t.B * t.S, t.ldq, W);
    checkRows(a, "dk", t.dk, t.B * t.K, t.ldk, W);
    checkRows(a, "dv", t.dv, t.B * t.K, t.ldv, W);
    if (!t.probs.present && !t.stats.present) throwType("attentionBackward: probs or stats (from the forward call) is required");
  }
  if (t.stats.present) requireLen(a, "stats", t.stats.length, uint64_t(t.B) * uint64_t(t.N) * uint64_t(t.S) * 2);
  const uint64_t probsLen = uint64_t(t.B) * uint64_t(t.N) * uint64_t(t.S) * uint64_t(t.K);
  if (t.probs.present) requireLen(a, "probs", t.probs.length, probsLen);
  if (t.mode == kMaskSep) {
    if (!t.sep.present) throwType(std::string(a.fn()) + ": maskMode MASK_SEP needs sep (an Int32Array of length batch)");
    requireLen(a, "sep", t.sep.length, uint64_t(t.B));
    if (t.K < t.S) throwRange(std::string(a.fn()) + ": MASK_SEP needs sk >= sq (sk = memory + sq)");
  } else if (t.mode == kMaskExplicit) {
    if (!t.mask.present) throwType(std::string(a.fn()) + ": maskMode MASK_EXPLICIT needs mask (a Float32Array [B, S, K])");
    requireLen(a, "mask", t.mask.length, uint64_t(t.B) * uint64_t(t.S) * uint64_t(t.K));
  }
  return t;
}

}  // namespace

GLM_KERNEL(attention) {
  Args a(env, info, 20, "attention");
  kern::attention(parse(a, false));
  return nullptr;
}

GLM_KERNEL(attentionBackward) {
  Args a(env, info, 24, "attentionBackward");
  kern::attentionBackward(parse(a, true));
  return nullptr;
}

}  // namespace glm
