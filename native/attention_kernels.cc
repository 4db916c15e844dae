// Fused multi-head attention over strided Q/K/V views (forward and backward).
//
// Per (batch, head): S = scale·Q·Kᵀ (sgemm on strided pointers, no copies), GLM masking,
// row softmax, optional dropout (hash on the flat index into probs [B, N, S, K]), C = P·V written
// straight into `out` with its row stride.
//
// Masked key blocks are skipped: under MASK_SEP the products of a block of rows only run over
// the key columns some row of the block can see (see forSegments). For backward the forward
// either stores the probabilities (probs [B, N, S, K]) or only two numbers per row (stats: max
// and 1/Σ); with stats the backward recomputes each pair's probabilities from Q and K into
// scratch, so no S×K buffer outlives the call. Dropout masks are recomputed from the hash.
//
// Two schedules:
//   heads-parallel: OpenMP over the B·N (batch, head) pairs, each running sgemm on its own
//                   thread (inside a parallel region sgemm does not fork) on thread-local
//                   scratch (the default when B·N ≥ threads);
//   rows-parallel:  pairs in sequence, sgemm threads each product, OpenMP splits the rows of
//                   the softmax step (used when there are fewer pairs than threads).
//
// Plain kernels: native/attention.cc is the N-API binding that parses and validates the views.
#include <algorithm>
#include <cstring>
#include <vector>

#include "attention.h"
#include "rowops.h"
#include "sgemm.h"

namespace glm {

int g_attentionSchedule = 0;  // set from binding.cc (setAttentionSchedule)

namespace kern {
namespace {

// Number of leading visible key columns for query row i under MASK_SEP.
inline int64_t sepLimit(const Attn& t, int64_t b, int64_t i) {
  const int64_t M = t.K - t.S;
  const int64_t vis = std::max<int64_t>(i + 1, int64_t(t.sep.data[b]));
  return std::min<int64_t>(t.K, M + std::max<int64_t>(vis, 0));
}

// Masked softmax of one score row in place; st (when not null) receives the row's max and the
// reciprocal of its exponential sum, from which the backward pass recomputes the row exactly.
GLM_CLONES void rowForward(float* s, int64_t K, int mode, int64_t limit, const float* m, float* st) {
  if (mode == kMaskSep) for (int64_t j = limit; j < K; j++) s[j] = kMaskFill;
  else if (mode == kMaskExplicit) applyMask(s, m, K);
  if (K <= 0) return;
  const float mx = rowMax(s, K);
  const double sum = expShiftSum(s, mx, s, K);
  const float inv = float(1.0 / sum);
  for (int64_t j = 0; j < K; j++) s[j] *= inv;
  if (st) {
    st[0] = mx;
    st[1] = inv;
  }
}

// Recomputes a probability row from its raw scaled scores and the forward's statistics: the
// same masking and exp(s − max)·inv as rowForward (equal up to the rounding of the score GEMM).
GLM_CLONES void rowRecompute(float* s, int64_t K, int mode, int64_t limit, const float* m, const float* st) {
  if (mode == kMaskSep) for (int64_t j = limit; j < K; j++) s[j] = kMaskFill;
  else if (mode == kMaskExplicit) applyMask(s, m, K);
  if (K <= 0) return;
  expShiftSum(s, st[0], s, K);
  const float inv = st[1];
  for (int64_t j = 0; j < K; j++) s[j] *= inv;
}

// thr: keep iff hash >= thr; ks = 0 when p ≥ 1 (everything dropped).
GLM_CLONES void rowDropout(const float* P, float* Pd, int64_t K, uint32_t base, uint32_t seed, uint32_t thr, float ks) {
  uint32_t idx = base;
  for (int64_t j = 0; j < K; j++, idx++) {
    const uint32_t h = dropoutHash(seed, idx);
    const float v = P[j] * ks;
    Pd[j] = h >= thr ? v : 0.0f;
  }
}

// dP (in: gradient w.r.t. the dropped probabilities; out: dS, the gradient w.r.t. the masked,
// scaled scores, before the factor `scale` which the following sgemm applies).
GLM_CLONES void rowBackward(const float* P, float* dP, int64_t K, int mode, int64_t limit, const float* m, bool dropout, uint32_t base,
                            uint32_t seed, uint32_t thr, float ks) {
  if (dropout) {
    uint32_t idx = base;
    for (int64_t j = 0; j < K; j++, idx++) {
      const uint32_t h = dropoutHash(seed, idx);
      const float v = dP[j] * ks;
      dP[j] = h >= thr ? v : 0.0f;
    }
  }
  const double dot = rowDot(P, dP, K);
  if (mode == kMaskExplicit) {
    for (int64_t j = 0; j < K; j++) dP[j] = float(double(P[j]) * (double(dP[j]) - dot) * double(m[j]));
  } else {
    const int64_t lim = mode == kMaskSep ? limit : K;
    for (int64_t j = 0; j < lim; j++) dP[j] = float(double(P[j]) * (double(dP[j]) - dot));
    for (int64_t j = lim; j < K; j++) dP[j] = 0.0f;
  }
}

// Products of a segment with at most this many query rows (decode steps) run as direct loops:
// for one query row a BLAS call costs more in dispatch than its few thousand FMAs (measured:
// ~18 µs per call, ~14 ms of a 50 ms GLM-Large decode step went to 768 such calls).
constexpr int64_t kDirectRows = 8;

// P[i, j] = scale · Q[i]·K[j] for i < rows, j < kmax (lane sums: vectorises without -ffast-math).
GLM_CLONES void scoresDirect(const float* Q, int64_t ldq, const float* Kp, int64_t ldk, int64_t rows, int64_t kmax, int64_t D, float scale,
                             float* P, int64_t ldp) {
  for (int64_t i = 0; i < rows; i++) {
    const float* q = Q + i * ldq;
    float* p = P + i * ldp;
    for (int64_t j = 0; j < kmax; j++) {
      const float* k = Kp + j * ldk;
      float lane[kLanes] = {};
      int64_t d = 0;
      for (; d + kLanes <= D; d += kLanes) {
        for (int l = 0; l < kLanes; l++) lane[l] += q[d + l] * k[d + l];
      }
      float acc = 0.0f;
      for (int l = 0; l < kLanes; l++) acc += lane[l];
      for (; d < D; d++) acc += q[d] * k[d];
      p[j] = scale * acc;
    }
  }
}

// O[i] = Σ_j P[i, j]·V[j] for i < rows, j < kmax (overwrites O's D columns).
GLM_CLONES void contextDirect(const float* P, int64_t ldp, const float* V, int64_t ldv, int64_t rows, int64_t kmax, int64_t D, float* O,
                              int64_t ldo) {
  for (int64_t i = 0; i < rows; i++) {
    const float* p = P + i * ldp;
    float* o = O + i * ldo;
    for (int64_t d = 0; d < D; d++) o[d] = 0.0f;
    for (int64_t j = 0; j < kmax; j++) {
      const float pj = p[j];
      const float* v = V + j * ldv;
      for (int64_t d = 0; d < D; d++) o[d] += pj * v[d];
    }
  }
}

inline uint32_t probsBase(const Attn& t, int64_t b, int64_t h, int64_t i) { return uint32_t(uint64_t(((b * t.N + h) * t.S + i) * t.K)); }

inline float* statsRow(const Attn& t, int64_t b, int64_t h, int64_t i) {
  return t.stats.present ? t.stats.data + ((b * t.N + h) * t.S + i) * 2 : nullptr;
}

inline const float* maskRow(const Attn& t, int64_t b, int64_t i) {
  return t.mode == kMaskExplicit ? t.mask.data + (b * t.S + i) * t.K : nullptr;
}

// Row segments of one (batch, head) pair: rows [i0, i1) only need key columns [0, kmax) —
// every key at or beyond kmax is masked for every row of the segment, so its probability is
// exactly 0 (exp(−65504 − max) underflows) and the products may skip it. Under MASK_SEP the rows
// of Part A form one segment (keys [0, M + sep)) and the causal rows of Part B are cut into
// blocks of kCausalBlock rows whose limit grows with the block; other modes have one segment.
constexpr int64_t kCausalBlock = 64;

template <class Fn>
void forSegments(const Attn& t, int64_t b, Fn fn) {
  const int64_t S = t.S, K = t.K;
  if (t.mode != kMaskSep) {
    fn(int64_t(0), S, K);
    return;
  }
  const int64_t M = K - S;
  const int64_t sep = std::min<int64_t>(std::max<int64_t>(t.sep.data[b], 0), S);
  int64_t i = 0;
  if (sep > 0) {
    fn(int64_t(0), sep, M + sep);
    i = sep;
  }
  while (i < S) {
    const int64_t i1 = std::min(S, i + kCausalBlock);
    fn(i, i1, M + i1);
    i = i1;
  }
}

// One (batch, head) pair. P: S×K probabilities (probs slice or scratch, row stride K); Pd: S×K
// scratch when dropout is on. rowsParallel: split the row loops with OpenMP (serial schedule).
// Columns [kmax, K) of a segment are written as zeros only where they are stored (probs).
void forwardPair(const Attn& t, int64_t b, int64_t h, float* P, float* Pd, bool rowsParallel, bool storeProbs) {
  const int64_t S = t.S, K = t.K, D = t.D;
  const float* Q = t.q.data + b * S * t.ldq + h * D;
  const float* Kp = t.k.data + b * K * t.ldk + h * D;
  const float* V = t.v.data + b * K * t.ldv + h * D;
  float* O = t.out.data + b * S * t.ldo + h * D;
  forSegments(t, b, [&](int64_t i0, int64_t i1, int64_t kmax) {
    const int64_t rows = i1 - i0;
    const bool direct = rows <= kDirectRows;
    float* Ps = P + i0 * K;
    if (direct) {
      scoresDirect(Q + i0 * t.ldq, t.ldq, Kp, t.ldk, rows, kmax, D, t.scale, Ps, K);
    } else {
      sgemm(false, true, int(rows), int(kmax), int(D), t.scale, Q + i0 * t.ldq, int(t.ldq), Kp, int(t.ldk), 0.0f,
                  Ps, int(K));
    }
#pragma omp parallel for schedule(static) if (rowsParallel)
    for (int64_t i = i0; i < i1; i++) {
      float* row = P + i * K;
      const int64_t lim = t.mode == kMaskSep ? sepLimit(t, b, i) : kmax;
      rowForward(row, lim, t.mode, lim, maskRow(t, b, i), statsRow(t, b, h, i));
      for (int64_t j = lim; j < (storeProbs ? K : kmax); j++) row[j] = 0.0f;
      if (t.dropout) rowDropout(row, Pd + i * K, kmax, probsBase(t, b, h, i), t.seed, t.thr, t.keepScale);
    }
    const float* Pv = t.dropout ? Pd + i0 * K : Ps;
    if (direct) {
      contextDirect(Pv, K, V, t.ldv, rows, kmax, D, O + i0 * t.ldo, t.ldo);
    } else {
      sgemm(false, false, int(rows), int(D), int(kmax), 1.0f, Pv, int(K), V, int(t.ldv), 0.0f, O + i0 * t.ldo,
                  int(t.ldo));
    }
  });
}

// dP, Pd, Pr: S×K scratch (Pd only with dropout, Pr only without stored probs: the
// probabilities are then recomputed segment by segment from Q, K and the row statistics).
void backwardPair(const Attn& t, int64_t b, int64_t h, float* dP, float* Pd, float* Pr, bool rowsParallel) {
  const int64_t S = t.S, K = t.K, D = t.D;
  const float* Q = t.q.data + b * S * t.ldq + h * D;
  const float* Kp = t.k.data + b * K * t.ldk + h * D;
  const float* V = t.v.data + b * K * t.ldv + h * D;
  const float* dO = t.dout.data + b * S * t.ldo + h * D;
  float* dQ = t.dq.data + b * S * t.ldq + h * D;
  float* dK = t.dk.data + b * K * t.ldk + h * D;
  float* dV = t.dv.data + b * K * t.ldv + h * D;
  const float* P = t.probs.present ? t.probs.data + (b * t.N + h) * S * K : Pr;
  forSegments(t, b, [&](int64_t i0, int64_t i1, int64_t kmax) {
    const int64_t rows = i1 - i0;
    if (!t.probs.present) {
      // The same product as the forward's (direct loops for few rows), so the recomputed
      // probabilities equal the forward's to the bit.
      if (rows <= kDirectRows) {
        scoresDirect(Q + i0 * t.ldq, t.ldq, Kp, t.ldk, rows, kmax, D, t.scale, Pr + i0 * K, K);
      } else {
        sgemm(false, true, int(rows), int(kmax), int(D), t.scale, Q + i0 * t.ldq, int(t.ldq), Kp, int(t.ldk), 0.0f,
                    Pr + i0 * K, int(K));
      }
#pragma omp parallel for schedule(static) if (rowsParallel)
      for (int64_t i = i0; i < i1; i++) {
        const int64_t lim = t.mode == kMaskSep ? sepLimit(t, b, i) : kmax;
        float* row = Pr + i * K;
        rowRecompute(row, lim, t.mode, lim, maskRow(t, b, i), statsRow(t, b, h, i));
        for (int64_t j = lim; j < kmax; j++) row[j] = 0.0f;
      }
    }
    if (t.dropout) {
#pragma omp parallel for schedule(static) if (rowsParallel)
      for (int64_t i = i0; i < i1; i++) rowDropout(P + i * K, Pd + i * K, kmax, probsBase(t, b, h, i), t.seed, t.thr, t.keepScale);
    }
    // dPd = dOut·Vᵀ ; dV += Pdᵀ·dOut
    sgemm(false, true, int(rows), int(kmax), int(D), 1.0f, dO + i0 * t.ldo, int(t.ldo), V, int(t.ldv), 0.0f,
                dP + i0 * K, int(K));
    sgemm(true, false, int(kmax), int(D), int(rows), 1.0f, (t.dropout ? Pd : P) + i0 * K, int(K), dO + i0 * t.ldo,
                int(t.ldo), 1.0f, dV, int(t.ldv));
#pragma omp parallel for schedule(static) if (rowsParallel)
    for (int64_t i = i0; i < i1; i++) {
      rowBackward(P + i * K, dP + i * K, kmax, t.mode, t.mode == kMaskSep ? sepLimit(t, b, i) : kmax, maskRow(t, b, i), t.dropout,
                  probsBase(t, b, h, i), t.seed, t.thr, t.keepScale);
    }
    // dQ += scale·dS·K ; dK += scale·dSᵀ·Q
    sgemm(false, false, int(rows), int(D), int(kmax), t.scale, dP + i0 * K, int(K), Kp, int(t.ldk), 1.0f,
                dQ + i0 * t.ldq, int(t.ldq));
    sgemm(true, false, int(kmax), int(D), int(rows), t.scale, dP + i0 * K, int(K), Q + i0 * t.ldq, int(t.ldq), 1.0f,
                dK, int(t.ldk));
  });
}

bool useHeadsParallel(const Attn& t) {
  const int nt = maxThreads();
  if (nt <= 1) return false;
  if (g_attentionSchedule == 1) return true;
  if (g_attentionSchedule == 2) return false;
  // Tiny problems stay on one thread: waking the team costs more than they do. A decode step
  // (one query row per head) is not tiny: it reads the whole K/V cache of the layer (2.4 MB at
  // GLM-Large, context 290), mostly from DRAM because the weights streamed in between evicted
  // it; two threads read it faster (measured at GLM-Large with int8 weights: attention 16.8 →
  // 9.6 ms per token).
  const double work = double(t.B) * double(t.N) * double(t.S) * double(t.K) * double(t.D);
  if (work < double(1 << 17)) return false;
  return t.B * t.N >= nt;
}

// Row loops of the serial-pairs schedule go parallel only for reasonably large score matrices.
bool rowsParallelFor(const Attn& t) { return maxThreads() > 1 && t.S >= 2 && t.S * t.K >= 4096; }

// Grow-only scratch owned by the calling JS thread.
float* scratch(size_t n) {
  static thread_local std::vector<float> buf;
  if (buf.size() < n) {
    buf.clear();
    buf.shrink_to_fit();
    buf.resize(n);
  }
  return buf.data();
}

}  // namespace

void attention(const Attn& t) {
  const int64_t pairs = t.B * t.N, S = t.S, K = t.K, D = t.D;
  if (pairs == 0 || S == 0) return;
  if (K == 0) {
    // No keys: the context is zero (the softmax over an empty row contributes nothing).
    for (int64_t r = 0; r < t.B * S; r++)
      for (int64_t h = 0; h < t.N; h++) std::memset(t.out.data + r * t.ldo + h * D, 0, size_t(D) * sizeof(float));
    return;
  }
  const size_t SK = size_t(S) * size_t(K);
  const size_t per = (t.probs.present ? 0 : SK) + (t.dropout ? SK : 0);
  if (useHeadsParallel(t)) {
    const int nt = int(std::min<int64_t>(maxThreads(), pairs));
    float* buf = scratch(per * size_t(nt));
    BlasSingleThread single;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t bh = 0; bh < pairs; bh++) {
      const int64_t b = bh / t.N, h = bh % t.N;
      float* mine = buf + per * size_t(threadId());
      float* P = t.probs.present ? t.probs.data + size_t(bh) * SK : mine;
      float* Pd = t.dropout ? mine + (t.probs.present ? 0 : SK) : nullptr;
      forwardPair(t, b, h, P, Pd, false, t.probs.present);
    }
  } else {
    float* buf = scratch(per);
    for (int64_t bh = 0; bh < pairs; bh++) {
      const int64_t b = bh / t.N, h = bh % t.N;
      float* P = t.probs.present ? t.probs.data + size_t(bh) * SK : buf;
      float* Pd = t.dropout ? buf + (t.probs.present ? 0 : SK) : nullptr;
      forwardPair(t, b, h, P, Pd, rowsParallelFor(t), t.probs.present);
    }
  }
  return;
}


void attentionBackward(const Attn& t) {
  const int64_t pairs = t.B * t.N, S = t.S, K = t.K;
  if (pairs == 0 || S == 0 || K == 0) return;
  const size_t SK = size_t(S) * size_t(K);
  const bool recompute = !t.probs.present;
  const size_t per = SK * (1 + (t.dropout ? 1 : 0) + (recompute ? 1 : 0));
  // Scratch layout per thread: dP, then Pd (dropout), then Pr (recompute).
  auto parts = [&](float* mine, float** Pd, float** Pr) {
    *Pd = t.dropout ? mine + SK : nullptr;
    *Pr = recompute ? mine + SK * (t.dropout ? 2 : 1) : nullptr;
  };
  if (useHeadsParallel(t)) {
    const int nt = int(std::min<int64_t>(maxThreads(), pairs));
    float* buf = scratch(per * size_t(nt));
    BlasSingleThread single;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t bh = 0; bh < pairs; bh++) {
      float* mine = buf + per * size_t(threadId());
      float *Pd, *Pr;
      parts(mine, &Pd, &Pr);
      backwardPair(t, bh / t.N, bh % t.N, mine, Pd, Pr, false);
    }
  } else {
    float* buf = scratch(per);
    float *Pd, *Pr;
    parts(buf, &Pd, &Pr);
    for (int64_t bh = 0; bh < pairs; bh++) backwardPair(t, bh / t.N, bh % t.N, buf, Pd, Pr, rowsParallelFor(t));
  }
  return;
}

}  // namespace kern
}  // namespace glm
