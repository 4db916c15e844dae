// Low-precision linear layers for inference: bf16 or int8 (per-output-channel scale) weights,
// float32 accumulation. Plain kernels; native/quant.cc is their N-API binding.
//
// Decoding at batch 1 streams every weight once per token, so it is bound by memory bandwidth:
// 2 bytes (bf16) or 1 byte (int8) per weight instead of 4 is where the speed comes from. For a
// few rows (decode steps) the kernels stream the weights against float32 activations held in
// registers (AVX-512 when the CPU has it). For many rows (prefill, scoring) the product is
// compute-bound: bf16 runs on the AMX tile units when the CPU and kernel allow it (activations
// rounded to bf16, see below), int8 and the fallback expand blocks of weights to float32 in
// cache and run single-threaded sgemm on them, one block per thread.
//
// Formats (W [O, I], one row per output channel):
//   bf16: the upper 16 bits of each float32, rounded to nearest even (NaN stays NaN), stored in
//         AMX/VNNI tiles: O padded to Op = ⌈O/16⌉·16, I to Ip = ⌈I/32⌉·32 (zeros); tile (ob, ib)
//         (16 channels × 32 inputs, 512 values) starts at (ob·Ip/32 + ib)·512 and holds
//         W[16·ob + n][32·ib + 2·kk + j] at kk·32 + 2·n + j (kk < 16, n < 16, j < 2).
//         With R ≥ kRoundRows rows the activations are rounded to bf16 too (on every path, so
//         the result does not depend on whether the CPU has AMX).
//   int8: row-major [O, I] codes q = round_half_even(w · 127 / max_i |w[o, i]|) ∈ [−127, 127]
//         and scale[o] = max_i |w[o, i]| / 127 (1 for an all-zero row): w ≈ q · scale.
#include "sgemm.h"

#include <algorithm>
#include <functional>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernel_common.h"
#include "quant.h"

// The intrinsic paths need GCC ≥ 11 (AMX intrinsics under target attributes); other compilers
// build the portable loops only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
// GCC 12's AVX-512 reduction intrinsics trip a false -Wmaybe-uninitialized inside its headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define GLM_X86 1
#endif

namespace glm {
namespace kern {

namespace {


inline uint16_t toBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float fromBf16(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}


// Position of W[o][i] in the tiled bf16 layout.
inline size_t tiledIndex(int64_t o, int64_t i, int64_t Ip) {
  return size_t(((o >> 4) * (Ip >> 5) + (i >> 5)) * 512 + ((i & 31) >> 1) * 32 + (o & 15) * 2 + (i & 1));
}

// Expands channels [o0, o1) of W into float32 dst [(o1 − o0), I] (int8: code · scale).
void dequantRows(int kind, const void* wq, const float* scales, int64_t I, int64_t o0, int64_t o1, float* dst) {
  const int64_t Ip = padI(I);
  for (int64_t o = o0; o < o1; o++) {
    float* d = dst + (o - o0) * I;
    if (kind == kBf16) {
      const uint16_t* w = static_cast<const uint16_t*>(wq);
      for (int64_t i = 0; i < I; i++) d[i] = fromBf16(w[tiledIndex(o, i, Ip)]);
    } else {
      const int8_t* w = static_cast<const int8_t*>(wq) + o * I;
      const float s = scales[o];
      for (int64_t i = 0; i < I; i++) d[i] = float(w[i]) * s;
    }
  }
}

// ---- few rows: stream the weights ----

// out[r, o] for R ≤ 4 rows, channels [o0, o1); portable. xp: rows with stride ldx ≥ Ip (bf16:
// zero-padded to Ip).
GLM_CLONES void gemvPortable(int kind, const float* x, int64_t ldx, int64_t R, int64_t I, const void* wq, const float* scales, int64_t o0,
                             int64_t o1, float* out, int64_t ldo) {
  const int64_t Ip = padI(I);
  for (int64_t o = o0; o < o1; o++) {
    for (int64_t r = 0; r < R; r++) {
      const float* xr = x + r * ldx;
      float s = 0;
      if (kind == kBf16) {
        const uint16_t* w = static_cast<const uint16_t*>(wq);
        for (int64_t i = 0; i < I; i++) s += xr[i] * fromBf16(w[tiledIndex(o, i, Ip)]);
        out[r * ldo + o] = s;
      } else {
        const int8_t* w = static_cast<const int8_t*>(wq) + o * I;
        float lane[16] = {};
        int64_t i = 0;
        for (; i + 16 <= I; i += 16)
          for (int l = 0; l < 16; l++) lane[l] += xr[i + l] * float(w[i + l]);
        for (; i < I; i++) lane[0] += xr[i] * float(w[i]);
        for (int l = 0; l < 16; l++) s += lane[l];
        out[r * ldo + o] = s * scales[o];
      }
    }
  }
}

#ifdef GLM_X86
#define GLM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

GLM_AVX512 inline __m512 loadI8x16(const int8_t* w, int64_t i) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i))));
}
GLM_AVX512 inline __m512 loadI8x16Masked(const int8_t* w, int64_t i, __mmask16 m) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, w + i)));
}

// int8: R rows at once so each weight vector is loaded and converted once; two channels per
// iteration and two accumulators per (row, channel) so the FMA latency does not bind.
template <int R>
GLM_AVX512 void gemvInt8Avx512(const float* x, int64_t ldx, int64_t I, const int8_t* wq, const float* scales, int64_t o0, int64_t o1, float* out,
                               int64_t ldo) {
  const int64_t full = I & ~int64_t(15);
  const __mmask16 tail = __mmask16((1u << (I - full)) - 1u);
  int64_t o = o0;
  for (; o + 2 <= o1; o += 2) {
    const int8_t* w0 = wq + o * I;
    const int8_t* w1 = w0 + I;
    __m512 a0[R], a1[R], b0[R], b1[R];
    for (int r = 0; r < R; r++) a0[r] = a1[r] = b0[r] = b1[r] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= full; i += 32) {
      const __m512 v0 = loadI8x16(w0, i), v1 = loadI8x16(w1, i), u0 = loadI8x16(w0, i + 16), u1 = loadI8x16(w1, i + 16);
      for (int r = 0; r < R; r++) {
        const __m512 xv = _mm512_loadu_ps(x + r * ldx + i), xu = _mm512_loadu_ps(x + r * ldx + i + 16);
        a0[r] = _mm512_fmadd_ps(v0, xv, a0[r]);
        a1[r] = _mm512_fmadd_ps(v1, xv, a1[r]);
        b0[r] = _mm512_fmadd_ps(u0, xu, b0[r]);
        b1[r] = _mm512_fmadd_ps(u1, xu, b1[r]);
      }
    }
    for (; i < full; i += 16) {
      const __m512 v0 = loadI8x16(w0, i), v1 = loadI8x16(w1, i);
      for (int r = 0; r < R; r++) {
        const __m512 xv = _mm512_loadu_ps(x + r * ldx + i);
        a0[r] = _mm512_fmadd_ps(v0, xv, a0[r]);
        a1[r] = _mm512_fmadd_ps(v1, xv, a1[r]);
      }
    }
    if (tail) {
      const __m512 v0 = loadI8x16Masked(w0, full, tail), v1 = loadI8x16Masked(w1, full, tail);
      for (int r = 0; r < R; r++) {
        const __m512 xv = _mm512_maskz_loadu_ps(tail, x + r * ldx + full);
        a0[r] = _mm512_fmadd_ps(v0, xv, a0[r]);
        a1[r] = _mm512_fmadd_ps(v1, xv, a1[r]);
      }
    }
    for (int r = 0; r < R; r++) {
      out[r * ldo + o] = _mm512_reduce_add_ps(_mm512_add_ps(a0[r], b0[r])) * scales[o];
      out[r * ldo + o + 1] = _mm512_reduce_add_ps(_mm512_add_ps(a1[r], b1[r])) * scales[o + 1];
    }
  }
  for (; o < o1; o++) {
    const int8_t* w0 = wq + o * I;
    __m512 a0[R];
    for (int r = 0; r < R; r++) a0[r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < full; i += 16) {
      const __m512 v0 = loadI8x16(w0, i);
      for (int r = 0; r < R; r++) a0[r] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(x + r * ldx + i), a0[r]);
    }
    if (tail) {
      const __m512 v0 = loadI8x16Masked(w0, full, tail);
      for (int r = 0; r < R; r++) a0[r] = _mm512_fmadd_ps(v0, _mm512_maskz_loadu_ps(tail, x + r * ldx + full), a0[r]);
    }
    for (int r = 0; r < R; r++) out[r * ldo + o] = _mm512_reduce_add_ps(a0[r]) * scales[o];
  }
}

// bf16 (tiled layout): 16 channels per vector, no horizontal sums. One 64-byte tile row holds
// inputs (k, k+1) of 16 channels: the even bf16s shifted up and the odd ones masked are the two
// float32 vectors, multiplied by broadcasts of x[k] and x[k+1]. x rows are zero-padded to Ip.
template <int R>
GLM_AVX512 void gemvBf16Avx512(const float* x, int64_t ldx, int64_t I, const uint16_t* wq, int64_t ob0, int64_t ob1, int64_t O, float* out,
                               int64_t ldo) {
  const int64_t Ip = padI(I), KB = Ip / 32;
  const __m512i hiMask = _mm512_set1_epi32(int32_t(0xffff0000u));
  for (int64_t ob = ob0; ob < ob1; ob++) {
    const uint16_t* t = wq + size_t(ob * KB) * 512;
    __m512 ae[R], ao[R];
    for (int r = 0; r < R; r++) ae[r] = ao[r] = _mm512_setzero_ps();
    for (int64_t kb = 0; kb < KB; kb++, t += 512) {
      const float* xk = x + kb * 32;
      for (int kk = 0; kk < 16; kk++) {
        const __m512i w = _mm512_loadu_si512(t + kk * 32);
        const __m512 we = _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
        const __m512 wo = _mm512_castsi512_ps(_mm512_and_si512(w, hiMask));
        for (int r = 0; r < R; r++) {
          ae[r] = _mm512_fmadd_ps(we, _mm512_set1_ps(xk[r * ldx + 2 * kk]), ae[r]);
          ao[r] = _mm512_fmadd_ps(wo, _mm512_set1_ps(xk[r * ldx + 2 * kk + 1]), ao[r]);
        }
      }
    }
    const int64_t n = std::min<int64_t>(16, O - ob * 16);
    const __mmask16 m = __mmask16(n == 16 ? 0xffffu : (1u << n) - 1u);
    for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(out + r * ldo + ob * 16, m, _mm512_add_ps(ae[r], ao[r]));
  }
}

bool hasAvx512() {
  static const bool ok =
      !portableOnly() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return ok;
}

// ---- AMX ----

// AMX-BF16 and AMX-TILE in CPUID, and the kernel's permission for the tile state (Linux asks
// each process to request it once).
bool hasAmx() {
  static const bool ok = [] {
    if (portableOnly()) return false;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    if (!((d >> 22) & 1u) || !((d >> 24) & 1u)) return false;
#ifdef SYS_arch_prctl
    const long kReqXcompPerm = 0x1023, kXtileData = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
#else
    return false;
#endif
  }();
  return ok;
}

struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0–3: C (2×2 blocks of 16×16 float32); 4–5: A (16 rows × 32 bf16); 6–7: B (16 VNNI rows).
#define GLM_AMX __attribute__((target("amx-tile,amx-bf16")))

GLM_AMX void amxConfigure() {
  TileConfig c;
  for (int t = 0; t < 8; t++) {
    c.colsb[t] = 64;
    c.rows[t] = 16;
  }
  // GCC does not treat ldtilecfg as reading the whole 64 bytes and drops the stores above
  // without this barrier.
  asm volatile("" : : "r"(&c) : "memory");
  _tile_loadconfig(&c);
}

GLM_AMX void amxRelease() { _tile_release(); }

// One 32×32 (or 32×16 when `two` is false) block of C = A·Bᵀ: rows [m0, m0 + 32) of xb
// [Mp, Ip], channel blocks ob (and ob + 1). Written to tmp [32, 32] (row stride 32 floats).
GLM_AMX void amxBlock(const uint16_t* xb, int64_t Ip, const uint16_t* wq, int64_t ob, bool two, int64_t m0, float* tmp) {
  const int64_t KB = Ip / 32;
  const size_t ldx = size_t(Ip) * 2;
  const uint16_t* a0 = xb + m0 * Ip;
  const uint16_t* a1 = a0 + 16 * Ip;
  const uint16_t* b0 = wq + size_t(ob * KB) * 512;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  if (two) {
    const uint16_t* b1 = b0 + size_t(KB) * 512;
    for (int64_t kb = 0; kb < KB; kb++) {
      _tile_loadd(4, a0 + kb * 32, ldx);
      _tile_loadd(5, a1 + kb * 32, ldx);
      _tile_loadd(6, b0 + kb * 512, 64);
      _tile_loadd(7, b1 + kb * 512, 64);
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  } else {
    for (int64_t kb = 0; kb < KB; kb++) {
      _tile_loadd(4, a0 + kb * 32, ldx);
      _tile_loadd(5, a1 + kb * 32, ldx);
      _tile_loadd(6, b0 + kb * 512, 64);
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(2, 5, 6);
    }
  }
  _tile_stored(0, tmp, 128);
  _tile_stored(1, tmp + 16, 128);
  _tile_stored(2, tmp + 16 * 32, 128);
  _tile_stored(3, tmp + 16 * 32 + 16, 128);
}
#endif

// Channels [o0, o1) for R ≤ kStreamRows float32 rows (ldx ≥ Ip, zero-padded for bf16).
void gemvRange(int kind, const float* x, int64_t ldx, int64_t R, int64_t I, int64_t O, const void* wq, const float* scales, int64_t o0, int64_t o1,
               float* out, int64_t ldo) {
  for (int64_t r0 = 0; r0 < R; r0 += 4) {
    const int64_t rr = std::min<int64_t>(4, R - r0);
    const float* xr = x + r0 * ldx;
    float* orow = out + r0 * ldo;
#ifdef GLM_X86
    if (hasAvx512()) {
      if (kind == kBf16) {
        const uint16_t* w = static_cast<const uint16_t*>(wq);
        const int64_t ob0 = o0 / 16, ob1 = (o1 + 15) / 16;  // o0 is a multiple of 16 here
        switch (rr) {
          case 1: gemvBf16Avx512<1>(xr, ldx, I, w, ob0, ob1, O, orow, ldo); break;
          case 2: gemvBf16Avx512<2>(xr, ldx, I, w, ob0, ob1, O, orow, ldo); break;
          case 3: gemvBf16Avx512<3>(xr, ldx, I, w, ob0, ob1, O, orow, ldo); break;
          default: gemvBf16Avx512<4>(xr, ldx, I, w, ob0, ob1, O, orow, ldo); break;
        }
      } else {
        const int8_t* w = static_cast<const int8_t*>(wq);
        switch (rr) {
          case 1: gemvInt8Avx512<1>(xr, ldx, I, w, scales, o0, o1, orow, ldo); break;
          case 2: gemvInt8Avx512<2>(xr, ldx, I, w, scales, o0, o1, orow, ldo); break;
          case 3: gemvInt8Avx512<3>(xr, ldx, I, w, scales, o0, o1, orow, ldo); break;
          default: gemvInt8Avx512<4>(xr, ldx, I, w, scales, o0, o1, orow, ldo); break;
        }
      }
      continue;
    }
#endif
    gemvPortable(kind, xr, ldx, rr, I, wq, scales, o0, o1, orow, ldo);
  }
}

// Per-thread scratch (float32 weight blocks, padded rows).
template <class T>
T* threadScratch(size_t n) {
  static thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// Channel blocks of 64 (a multiple of the bf16 tile's 16) handed out dynamically: when the
// machine is busy and the OS deschedules one thread, the others take over its remaining blocks
// instead of waiting for it at the end of the region.
void parallelChannels(int64_t O, int64_t work, const std::function<void(int64_t, int64_t)>& fn) {
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (O + kBlock - 1) / kBlock;
  const bool par = work >= (int64_t(1) << 16) && maxThreads() > 1 && blocks > 1;
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t bk = 0; bk < blocks; bk++) fn(bk * kBlock, std::min(O, (bk + 1) * kBlock));
}

// R > kStreamRows rows.
void linearManyRows(int kind, const float* x, int64_t R, int64_t I, int64_t O, const void* wq, const float* sc, float* out) {
  const int64_t Ip = padI(I);
  const bool round = kind == kBf16 && R >= kRoundRows;
#ifdef GLM_X86
  if (round && hasAmx()) {
    // Activations to bf16 [Mp, Ip], zero-padded; then 32×32 output blocks on the tile units.
    const int64_t Mp = (R + 31) / 32 * 32, OB = padO(O) / 16;
    std::vector<uint16_t> xb(size_t(Mp) * size_t(Ip), 0);
#pragma omp parallel for schedule(static) if (R * I >= kParallelMinElems)
    for (int64_t r = 0; r < R; r++)
      for (int64_t i = 0; i < I; i++) xb[size_t(r * Ip + i)] = toBf16(x[r * I + i]);
    const uint16_t* w = static_cast<const uint16_t*>(wq);
    // Blocks of 8 channel tiles (128 channels) per work item; rows in panels of 256 so a
    // panel of A stays in L2 while the block's weights are reused across it.
    const int64_t kChanTiles = 8, kPanel = 256;
    const int64_t items = (OB + kChanTiles - 1) / kChanTiles;
#pragma omp parallel if (items > 1 && maxThreads() > 1)
    {
      amxConfigure();
      alignas(64) float tmp[32 * 32];
#pragma omp for schedule(dynamic, 1)
      for (int64_t it = 0; it < items; it++) {
        const int64_t obEnd = std::min(OB, (it + 1) * kChanTiles);
        for (int64_t p0 = 0; p0 < Mp; p0 += kPanel) {
          const int64_t p1 = std::min(Mp, p0 + kPanel);
          for (int64_t ob = it * kChanTiles; ob < obEnd; ob += 2) {
            const bool two = ob + 1 < obEnd;
            for (int64_t m0 = p0; m0 < p1; m0 += 32) {
              amxBlock(xb.data(), Ip, w, ob, two, m0, tmp);
              const int64_t rows = std::min<int64_t>(32, R - m0), c0 = ob * 16, cols = std::min<int64_t>(two ? 32 : 16, O - c0);
              for (int64_t r = 0; r < rows; r++) std::memcpy(out + (m0 + r) * O + c0, tmp + r * 32, size_t(cols) * sizeof(float));
            }
          }
        }
      }
      amxRelease();
    }
    return;
  }
#endif
  // Blocks of output channels expanded to float32 (≤ 512 KiB) and multiplied by sgemm; for
  // bf16 with R ≥ kRoundRows the rows are rounded to bf16 first, like the AMX path.
  std::vector<float> xr;
  const float* xs = x;
  if (round) {
    xr.resize(size_t(R) * size_t(I));
#pragma omp parallel for schedule(static) if (R * I >= kParallelMinElems)
    for (int64_t i = 0; i < R * I; i++) xr[size_t(i)] = fromBf16(toBf16(x[i]));
    xs = xr.data();
  }
  const int64_t blk = std::max<int64_t>(16, std::min<int64_t>(256, ((int64_t(1) << 17) / std::max<int64_t>(Ip, 1)) & ~int64_t(15)));
  const int64_t nblk = (O + blk - 1) / blk;
  const bool par = nblk > 1 && maxThreads() > 1;
  BlasSingleThread single;
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t bi = 0; bi < nblk; bi++) {
    const int64_t o0 = bi * blk, o1 = std::min(O, o0 + blk);
    float* wf = threadScratch<float>(size_t(blk) * size_t(I));
    dequantRows(kind, wq, sc, I, o0, o1, wf);
    sgemm(false, true, int(R), int(o1 - o0), int(I), 1.0f, xs, int(I), wf, int(I), 0.0f, out + o0, int(O));
  }
}

}  // namespace

bool amxAvailable() {
#ifdef GLM_X86
  return hasAmx();
#else
  return false;
#endif
}

void quantizeBf16(const float* w, int64_t rows, int64_t cols, uint16_t* out) {
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  const int64_t Ip = padI(cols), Op = padO(rows);
  std::memset(out, 0, size_t(Op) * size_t(Ip) * sizeof(uint16_t));
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMinElems)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) out[tiledIndex(r, c, Ip)] = toBf16(w[r * cols + c]);
}

int64_t quantizeInt8(const float* w, int64_t rows, int64_t cols, int8_t* out, float* scales) {
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  std::vector<uint8_t> bad(size_t(rows), 0);
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMinElems)
  for (int64_t r = 0; r < rows; r++) {
    const float* wr = w + r * cols;
    double amax = 0;
    bool finite = true;
    for (int64_t c = 0; c < cols; c++) {
      finite = finite && std::isfinite(wr[c]);
      amax = std::max(amax, double(std::fabs(wr[c])));
    }
    if (!finite) {
      bad[size_t(r)] = 1;
      continue;
    }
    const double inv = amax > 0 ? 127.0 / amax : 0.0;
    scales[r] = amax > 0 ? float(amax / 127.0) : 1.0f;
    for (int64_t c = 0; c < cols; c++) {
      double q = std::nearbyint(double(wr[c]) * inv);
      q = std::min(127.0, std::max(-127.0, q));
      out[r * cols + c] = int8_t(q);
    }
  }
  for (int64_t r = 0; r < rows; r++) {
    if (!bad[size_t(r)]) continue;
    for (int64_t c = 0; c < cols; c++)
      if (!std::isfinite(w[r * cols + c])) return r * cols + c;
  }
  return -1;
}

void linearQuant(int kind, const float* x, int64_t R, int64_t I, int64_t O, const void* wq, const float* scales, const float* bias, float* out) {
  if (R == 0 || O == 0) return;
  if (I == 0) {
    for (int64_t r = 0; r < R; r++)
      for (int64_t o = 0; o < O; o++) out[r * O + o] = (bias != nullptr) ? bias[o] : 0.0f;
    return;
  }
  const float* sc = scales;
  if (R <= kStreamRows) {
    // bf16 reads x in blocks of 32 inputs: pad the rows with zeros when I is not a multiple.
    const float* xs = x;
    int64_t ldx = I;
    std::vector<float> padded;
    if (kind == kBf16 && I % 32 != 0) {
      ldx = padI(I);
      padded.assign(size_t(R) * size_t(ldx), 0.0f);
      for (int64_t r = 0; r < R; r++) std::memcpy(padded.data() + r * ldx, x + r * I, size_t(I) * sizeof(float));
      xs = padded.data();
    }
    parallelChannels(O, O * I, [&](int64_t o0, int64_t o1) { gemvRange(kind, xs, ldx, R, I, O, wq, sc, o0, o1, out, O); });
  } else {
    linearManyRows(kind, x, R, I, O, wq, sc, out);
  }
  if ((bias != nullptr)) {
#pragma omp parallel for schedule(static) if (R * O >= kParallelMinElems && R > 1)
    for (int64_t r = 0; r < R; r++)
      for (int64_t o = 0; o < O; o++) out[r * O + o] += bias[o];
  }
}

}  // namespace kern
}  // namespace glm
