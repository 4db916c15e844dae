// Our sgemm driver: path selection, packing, cache blocking, threading and the matrix-vector
// cases. The register kernels live in sgemm_<isa>.cc; the optional OpenBLAS path in
// sgemm_openblas.cc. No N-API here (native/gemm.cc parses the JS arguments).
//
// Blocking (BLIS order, adapted to row-major C): for each block of up to 32·mc rows and each
// kc-deep slice of k, A is packed once into mr-row panels; for each nc-wide block of columns B
// is packed into nr-column panels; then tiles of mc rows × 8 panels are shared out to threads,
// each looping over its B panels (kept in L1) and A panels (in L2). Packing pads edges with
// zeros, so the microkernel always runs the full register tile and masks only its stores.
// (Tried: items that pack their own A and B with no barriers; re-packing A per column block
// cost 15-30% on the model's shapes, as one packed element costs about as much as 200 FMAs.)
#include "sgemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "sgemm_kernels.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace glm {

// sgemm_openblas.cc
void openblasSgemmBatched(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, int64_t strideA,
                          const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC, int64_t batch);

namespace {

int teamSize() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

bool cpuHas(GemmPath p) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (p == GemmPath::Avx512) return kGemmAvx512.micro != nullptr && __builtin_cpu_supports("avx512f");
  if (p == GemmPath::Avx2) return kGemmAvx2.micro != nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  if (p == GemmPath::Portable) return true;
  if (p == GemmPath::OpenBlas) return haveOpenBlas();
  return false;
}

GemmPath bestPath() {
  const char* portable = getenv("GLM_NATIVE_PORTABLE");
  if (portable != nullptr && portable[0] == '1') return GemmPath::Portable;
  if (cpuHas(GemmPath::Avx512)) return GemmPath::Avx512;
  if (cpuHas(GemmPath::Avx2)) return GemmPath::Avx2;
  return GemmPath::Portable;
}

// Chosen on first use from GLM_GEMM; an unusable GLM_GEMM is reported by every product (the
// addon still loads, so the error reaches the caller as an exception with the reason).
struct PathState {
  GemmPath path = GemmPath::Portable;
  std::string error;
  PathState() {
    const char* e = getenv("GLM_GEMM");
    if (e == nullptr || e[0] == '\0') {
      path = bestPath();
    } else if (!parseGemmPath(e, &path, &error)) {
      error = "GLM_GEMM: " + error;
    }
  }
};

PathState& state() {
  static PathState s;
  return s;
}

const GemmKernels& kernelsOf(GemmPath p) {
  if (p == GemmPath::Avx512) return kGemmAvx512;
  if (p == GemmPath::Avx2) return kGemmAvx2;
  return kGemmPortable;
}

// Grow-only 64-byte-aligned scratch, one set per calling thread.
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = nullptr;
      cap = 0;
      const size_t bytes = (n * sizeof(float) + 63) & ~size_t(63);
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (p == nullptr) throw std::bad_alloc();
      cap = n;
    }
    return p;
  }
};
thread_local Scratch tlA, tlB, tlX, tlY;

// dst[c·dstStride + r] = src[r·ld + c] for r < rows, c < cols: 4×4 blocks transposed in SSE
// registers (baseline on x86-64), scalar edges.
void transposeInto(const float* src, int64_t ld, int64_t rows, int64_t cols, float* dst, int64_t dstStride) {
  int64_t r = 0;
#if defined(__SSE__)
  for (; r + 4 <= rows; r += 4) {
    const float* s0 = src + r * ld;
    int64_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      __m128 x0 = _mm_loadu_ps(s0 + c), x1 = _mm_loadu_ps(s0 + ld + c), x2 = _mm_loadu_ps(s0 + 2 * ld + c), x3 = _mm_loadu_ps(s0 + 3 * ld + c);
      _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
      _mm_storeu_ps(dst + c * dstStride + r, x0);
      _mm_storeu_ps(dst + (c + 1) * dstStride + r, x1);
      _mm_storeu_ps(dst + (c + 2) * dstStride + r, x2);
      _mm_storeu_ps(dst + (c + 3) * dstStride + r, x3);
    }
    for (; c < cols; c++)
      for (int64_t q = 0; q < 4; q++) dst[c * dstStride + r + q] = s0[q * ld + c];
  }
#endif
  for (; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) dst[c * dstStride + r] = src[r * ld + c];
}

void packA(int MR, bool ta, const float* A, int64_t lda, int64_t i0, int64_t rows, int64_t p0, int64_t kc, float* dst) {
  if (!ta) {
    transposeInto(A + i0 * lda + p0, lda, rows, kc, dst, MR);
  } else {
    for (int64_t p = 0; p < kc; p++) {
      const float* src = A + (p0 + p) * lda + i0;
      for (int64_t i = 0; i < rows; i++) dst[p * MR + i] = src[i];
    }
  }
  for (int64_t i = rows; i < MR; i++)
    for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = 0.0f;
}

void packB(int NR, bool tb, const float* B, int64_t ldb, int64_t j0, int64_t cols, int64_t p0, int64_t kc, float* dst) {
  if (!tb) {
    for (int64_t p = 0; p < kc; p++) {
      const float* src = B + (p0 + p) * ldb + j0;
      float* d = dst + p * NR;
      std::memcpy(d, src, size_t(cols) * sizeof(float));
      for (int64_t j = cols; j < NR; j++) d[j] = 0.0f;
    }
  } else {
    transposeInto(B + j0 * ldb + p0, ldb, cols, kc, dst, NR);
    for (int64_t j = cols; j < NR; j++)
      for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = 0.0f;
  }
}

constexpr int64_t kPanelsPerTile = 8;  // B panels per unit of work
constexpr int64_t kRowBlocksPerChunk = 32;

void gemmPacked(const GemmKernels& K, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int nt) {
  const int64_t MR = K.mr, NR = K.nr;
  const int64_t KC = K.kc, MC = K.mc, NC = K.nc;
  const int64_t mChunk = MC * kRowBlocksPerChunk;
  const int64_t mMax = (std::min(m, mChunk) + MR - 1) / MR * MR;
  const int64_t kMax = std::min(k, KC);
  const int64_t nMax = (std::min(n, NC) + NR - 1) / NR * NR;
  float* Ap = tlA.get(size_t(mMax * kMax));
  float* Bp = tlB.get(size_t(kMax * nMax));
  (void)nt;
#pragma omp parallel num_threads(nt) if (nt > 1)
  for (int64_t i0 = 0; i0 < m; i0 += mChunk) {
    const int64_t mb = std::min(mChunk, m - i0);
    const int64_t mPanels = (mb + MR - 1) / MR;
    // Row blocks of at most mc rows, as even as possible (a last block of one panel would load
    // each B panel into L1 for a single use).
    const int64_t mBlocks = (mPanels + MC / MR - 1) / (MC / MR);
    const int64_t panelsPerBlock = (mPanels + mBlocks - 1) / mBlocks;
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = std::min(KC, k - p0);
      const float bEff = p0 == 0 ? beta : 1.0f;
#pragma omp for schedule(static) nowait
      for (int64_t ip = 0; ip < mPanels; ip++) packA(int(MR), ta, A, lda, i0 + ip * MR, std::min(MR, mb - ip * MR), p0, kc, Ap + ip * MR * kc);
      for (int64_t j0 = 0; j0 < n; j0 += NC) {
        const int64_t nb = std::min(NC, n - j0);
        const int64_t nPanels = (nb + NR - 1) / NR;
        const int64_t nBlocks = (nPanels + kPanelsPerTile - 1) / kPanelsPerTile;
#pragma omp for schedule(static)
        for (int64_t jp = 0; jp < nPanels; jp++) packB(int(NR), tb, B, ldb, j0 + jp * NR, std::min(NR, nb - jp * NR), p0, kc, Bp + jp * NR * kc);
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < mBlocks * nBlocks; u++) {
          const int64_t ib = u / nBlocks, jb = u % nBlocks;
          const int64_t ipEnd = std::min(mPanels, (ib + 1) * panelsPerBlock);
          const int64_t jpEnd = std::min(nPanels, (jb + 1) * kPanelsPerTile);
          for (int64_t jp = jb * kPanelsPerTile; jp < jpEnd; jp++) {
            const float* bp = Bp + jp * NR * kc;
            const int nv = int(std::min(NR, nb - jp * NR));
            for (int64_t ip = ib * panelsPerBlock; ip < ipEnd; ip++) {
              const int mv = int(std::min(MR, mb - ip * MR));
              K.micro(kc, Ap + ip * MR * kc, bp, C + (i0 + ip * MR) * ldc + j0 + jp * NR, ldc, alpha, bEff, mv, nv);
            }
          }
        }
      }
    }
  }
}

// Products below these sizes (multiply-adds) stay on the calling thread: waking the team costs
// more than they gain, and on a busy machine a team waits for its slowest (descheduled) member.
// Measured on 2 cores with other jobs running (load 7): a 2-layer hidden-128 model ran its
// forward in 5.0 ms with 2^24, 11.4 ms with 2^18 and 5.6-7.5 ms on OpenBLAS.
constexpr double kPackedParallelMin = double(1 << 24);
constexpr double kGemvParallelMin = double(1 << 18);

// Fixed chunk widths (independent of the thread count, so results are too).
constexpr int64_t kDotChunk = 64, kAxpyChunk = 256;

// One output vector: y = alpha · (M·x or Mᵀ·x) + beta · y, with y at stride incy.
void gemvOwn(const GemmKernels& K, bool dot, int64_t outLen, int64_t k, const float* M, int64_t ld, const float* x, int64_t incx, float alpha,
             float beta, float* y, int64_t incy, int nt) {
  if (incx != 1) {
    float* xc = tlX.get(size_t(k));
    for (int64_t p = 0; p < k; p++) xc[p] = x[p * incx];
    x = xc;
  }
  float* t = tlY.get(size_t(outLen));
  const int64_t chunk = dot ? kDotChunk : kAxpyChunk;
  const int64_t chunks = (outLen + chunk - 1) / chunk;
  const bool par = nt > 1 && chunks > 1 && double(outLen) * double(k) >= kGemvParallelMin;
  (void)par;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (par)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t j0 = c * chunk, len = std::min(chunk, outLen - j0);
    if (dot) K.dotRows(len, k, M + j0 * ld, ld, x, t + j0);
    else K.axpyRows(k, len, M + j0, ld, x, t + j0);
    for (int64_t j = j0; j < j0 + len; j++) {
      float* out = y + j * incy;
      *out = beta == 0.0f ? alpha * t[j] : alpha * t[j] + beta * *out;
    }
  }
}

void gemmOwn(const GemmKernels& K, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B,
             int64_t ldb, float beta, float* C, int64_t ldc, int nt) {
  if (m == 1) {
    // c[1×n] = op(A)[1×k] · op(B): x = row 0 of op(A); op(B)ᵀ·x is a dot per row of B when B
    // is stored n×k (transB), else a weighted sum of B's k rows.
    gemvOwn(K, tb, n, k, B, ldb, A, ta ? lda : 1, alpha, beta, C, 1, nt);
    return;
  }
  if (n == 1) {
    gemvOwn(K, !ta, m, k, A, lda, B, tb ? 1 : ldb, alpha, beta, C, ldc, nt);
    return;
  }
  const double work = double(m) * double(n) * double(k);
  gemmPacked(K, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work < kPackedParallelMin ? 1 : nt);
}

void scaleC(int64_t m, int64_t n, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float* row = C + i * ldc;
    if (beta == 0.0f) std::memset(row, 0, size_t(n) * sizeof(float));
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; j++) row[j] *= beta;
  }
}

const GemmKernels& currentKernels(GemmPath* path) {
  PathState& s = state();
  if (!s.error.empty()) throw std::runtime_error(s.error);
  *path = s.path;
  return kernelsOf(s.path);
}

}  // namespace

const char* gemmPathName(GemmPath p) {
  switch (p) {
    case GemmPath::Avx512: return "avx512";
    case GemmPath::Avx2: return "avx2";
    case GemmPath::Portable: return "portable";
    case GemmPath::OpenBlas: return "openblas";
  }
  return "?";
}

bool gemmPathAvailable(GemmPath p) { return cpuHas(p); }

bool parseGemmPath(const std::string& name, GemmPath* out, std::string* error) {
  GemmPath p;
  if (name == "auto") {
    *out = bestPath();
    return true;
  }
  if (name == "avx512") p = GemmPath::Avx512;
  else if (name == "avx2") p = GemmPath::Avx2;
  else if (name == "portable") p = GemmPath::Portable;
  else if (name == "openblas") p = GemmPath::OpenBlas;
  else {
    *error = "unknown sgemm path '" + name + "' (expected auto, avx512, avx2, portable or openblas)";
    return false;
  }
  if (!cpuHas(p)) {
    *error = p == GemmPath::OpenBlas ? std::string("sgemm path 'openblas' is not available: the addon was built without OpenBLAS (rebuild with GLM_OPENBLAS=1)")
                                     : "sgemm path '" + name + "' is not available: this CPU lacks " + (p == GemmPath::Avx512 ? "AVX-512F" : "AVX2/FMA");
    return false;
  }
  *out = p;
  return true;
}

GemmPath gemmPath() {
  GemmPath p;
  currentKernels(&p);
  return p;
}

void setGemmPath(GemmPath p) {
  PathState& s = state();
  s.path = p;
  s.error.clear();
}

void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
           float beta, float* C, int64_t ldc) {
  sgemmBatched(transA, transB, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

void sgemmBatched(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, int64_t strideA,
                  const float* B, int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  GemmPath path;
  const GemmKernels& K = currentKernels(&path);
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t bi = 0; bi < batch; bi++) scaleC(m, n, beta, C + bi * strideC, ldc);
    return;
  }
  if (path == GemmPath::OpenBlas) {
    openblasSgemmBatched(transA, transB, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch);
    return;
  }
  const int nt = teamSize();
  // Many small products with disjoint outputs: one product per thread at a time.
  const bool disjointC = strideC >= (m - 1) * ldc + n;
  const double work = double(m) * double(n) * double(k);
  if (batch > 1 && disjointC && nt > 1 && work < double(1 << 18)) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t bi = 0; bi < batch; bi++)
      gemmOwn(K, transA, transB, m, n, k, alpha, A + bi * strideA, lda, B + bi * strideB, ldb, beta, C + bi * strideC, ldc, 1);
    return;
  }
  for (int64_t bi = 0; bi < batch; bi++)
    gemmOwn(K, transA, transB, m, n, k, alpha, A + bi * strideA, lda, B + bi * strideB, ldb, beta, C + bi * strideC, ldc, nt);
}

}  // namespace glm
