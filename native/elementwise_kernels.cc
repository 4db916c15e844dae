// Element-wise kernels, strided copies / broadcasts, row helpers, embeddings and dropout.
// Plain kernels; native/elementwise.cc is their N-API binding.
#include <algorithm>

#include <cstring>
#include <utility>
#include <vector>

#include "kernel_common.h"
#include "plain_kernels.h"

namespace glm {

namespace {

constexpr int64_t kChunk = 1 << 14;

// Runs fn(begin, end) over [0, n) in chunks, threaded when n is large enough.
template <class Fn>
void forChunks(int64_t n, Fn fn) {
  if (n <= 0) return;
  if (n < kParallelMinElems || maxThreads() == 1) {
    fn(int64_t(0), n);
    return;
  }
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; c++) fn(c * kChunk, std::min(n, (c + 1) * kChunk));
}

// ---- plain element-wise loops ----

void addRange(const float* a, const float* b, float* o, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i];
}

void mulRange(const float* a, const float* b, float* o, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i];
}
// alpha stays double (products rounded once, like the reference's JS arithmetic).
void axpyRange(double alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = float(double(y[i]) + alpha * double(x[i]));
}

void scaleRange(const float* x, double alpha, float* o, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = float(alpha * double(x[i]));
}

GLM_CLONES double sumSquaresRange(const float* x, int64_t n) {
  constexpr int L = 16;
  double lane[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int l = 0; l < L; l++) {
      const double v = double(x[i + l]);
      lane[l] += v * v;
    }
  }
  double s = 0;
  for (int l = 0; l < L; l++) s += lane[l];
  for (; i < n; i++) s += double(x[i]) * double(x[i]);
  return s;
}

// True when any element is nonzero or NaN. Blocks of 64 so a nonzero row exits early.
GLM_CLONES bool rowAnyNonzero(const float* x, int64_t n) {
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {
    int any = 0;
    for (int l = 0; l < 64; l++) any |= (x[j + l] != 0.0f);
    if (any) return true;
  }
  for (; j < n; j++)
    if (x[j] != 0.0f) return true;
  return false;
}

// thr: keep iff hash >= thr (thr ≤ 2^32 - 1; dropping everything is handled by the callers).
GLM_CLONES void dropoutRange(const float* x, float* y, int64_t begin, int64_t end, uint32_t seed, uint32_t thr, double s) {
  uint32_t idx = uint32_t(uint64_t(begin));
  for (int64_t i = begin; i < end; i++, idx++) {
    const uint32_t h = dropoutHash(seed, idx);
    const float v = float(double(x[i]) * s);
    y[i] = h >= thr ? v : 0.0f;
  }
}

GLM_CLONES void dropoutBackwardRange(const float* dy, float* dx, int64_t begin, int64_t end, uint32_t seed, uint32_t thr, double s) {
  uint32_t idx = uint32_t(uint64_t(begin));
  for (int64_t i = begin; i < end; i++, idx++) {
    const uint32_t h = dropoutHash(seed, idx);
    const float d = dx[i];
    const float v = float(double(d) + double(dy[i]) * s);
    dx[i] = h >= thr ? v : d;
  }
}

// ---- N-d strided loop nests ----

constexpr int kMaxDims = 8;

// A loop nest over a contiguous index space (operand 0) and up to two strided operands.
// Size-1 dimensions are dropped and adjacent dimensions merged when every operand allows it, so
// a contiguous copy becomes a single row. The innermost dimension is the "row".
template <int NOPS>
struct Nest {
  int nd = 1;
  int64_t shape[kMaxDims] = {1};
  int64_t stride[NOPS][kMaxDims] = {};
  int64_t total = 1;

  // strides[p] for operand p; operand 0 is the contiguous one when `contiguous0`.
  Nest(const std::vector<int64_t>& shp, const std::vector<int64_t>* strides[NOPS]) {
    const int n = int(shp.size());
    int64_t cont[kMaxDims];
    int64_t acc = 1;
    for (int d = n - 1; d >= 0; d--) {
      cont[d] = acc;
      acc *= shp[d];
    }
    total = acc;
    nd = 0;
    for (int d = 0; d < n; d++) {
      if (shp[d] == 1) continue;
      int64_t st[NOPS];
      for (int p = 0; p < NOPS; p++) st[p] = strides[p] ? (*strides[p])[d] : cont[d];
      if (nd > 0) {
        bool merge = true;
        for (int p = 0; p < NOPS; p++) merge = merge && stride[p][nd - 1] == st[p] * shp[d];
        if (merge) {
          shape[nd - 1] *= shp[d];
          for (int p = 0; p < NOPS; p++) stride[p][nd - 1] = st[p];
          continue;
        }
      }
      shape[nd] = shp[d];
      for (int p = 0; p < NOPS; p++) stride[p][nd] = st[p];
      nd++;
    }
    if (nd == 0) {
      nd = 1;
      shape[0] = 1;
      for (int p = 0; p < NOPS; p++) stride[p][0] = 0;
    }
  }

  int64_t inner() const { return shape[nd - 1]; }
  int64_t rows() const { return total / shape[nd - 1]; }

  // Calls fn(base[NOPS]) for outer rows [r0, r1) (row-major order over dims 0..nd-2).
  template <class Fn>
  void forRows(int64_t r0, int64_t r1, const int64_t* offsets, Fn fn) const {
    const int od = nd - 1;
    int64_t idx[kMaxDims];
    int64_t base[NOPS];
    int64_t rem = r0;
    for (int d = od - 1; d >= 0; d--) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
    }
    for (int p = 0; p < NOPS; p++) {
      base[p] = offsets[p];
      for (int d = 0; d < od; d++) base[p] += idx[d] * stride[p][d];
    }
    for (int64_t r = r0; r < r1; r++) {
      fn(static_cast<const int64_t*>(base));
      for (int d = od - 1; d >= 0; d--) {
        idx[d]++;
        for (int p = 0; p < NOPS; p++) base[p] += stride[p][d];
        if (idx[d] < shape[d]) break;
        for (int p = 0; p < NOPS; p++) base[p] -= stride[p][d] * shape[d];
        idx[d] = 0;
      }
    }
  }
};

// True when the map idx -> Σ idx_d·strides_d over the dims with nonzero stride is injective.
bool injectiveIgnoringZero(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (|stride|, size)
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] > 1 && strides[d] != 0) dims.push_back({strides[d] < 0 ? -strides[d] : strides[d], shape[d]});
  }
  std::sort(dims.begin(), dims.end());
  int64_t span = 0;
  for (auto& [s, n] : dims) {
    if (s <= span) return false;
    span += s * (n - 1);
  }
  return true;
}

// Tiled 2-d transpose copy: out[i·cols + j] = src[i + j·ld] for an rows × cols block.
void transposeCopy(const float* src, int64_t ld, float* out, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += T) {
    const int64_t i1 = std::min(rows, i0 + T);
    for (int64_t j0 = 0; j0 < cols; j0 += T) {
      const int64_t j1 = std::min(cols, j0 + T);
      for (int64_t j = j0; j < j1; j++) {
        const float* s = src + j * ld;
        for (int64_t i = i0; i < i1; i++) out[i * cols + j] = s[i];
      }
    }
  }
}

}  // namespace

namespace kern {

void add(const float* x, const float* y, float* o, int64_t n) {
  forChunks(n, [&](int64_t b, int64_t e) { addRange(x + b, y + b, o + b, e - b); });
}

void mul(const float* x, const float* y, float* o, int64_t n) {
  forChunks(n, [&](int64_t b, int64_t e) { mulRange(x + b, y + b, o + b, e - b); });
}

void axpy(double alpha, const float* x, float* y, int64_t n) {
  forChunks(n, [&](int64_t b, int64_t e) { axpyRange(alpha, x + b, y + b, e - b); });
}

void scale(const float* x, double alpha, float* o, int64_t n) {
  forChunks(n, [&](int64_t b, int64_t e) { scaleRange(x + b, alpha, o + b, e - b); });
}

double sumSquares(const float* x, int64_t n) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static) if (n >= kParallelMinElems)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t b = c * kChunk, e = std::min(n, b + kChunk);
    s += sumSquaresRange(x + b, e - b);
  }
  return s;
}

int64_t nonzeroRows(const float* x, int64_t rows, int64_t cols, int32_t* out) {
  std::vector<uint8_t> flag(size_t(rows), 0);
#pragma omp parallel for schedule(dynamic, 16) if (rows * cols >= kParallelMinElems && rows > 1)
  for (int64_t r = 0; r < rows; r++) flag[size_t(r)] = rowAnyNonzero(x + r * cols, cols) ? 1 : 0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; r++)
    if (flag[size_t(r)]) out[n++] = int32_t(r);
  return n;
}

void broadcastBinary(int64_t op, const float* pa, const std::vector<int64_t>& sa, const float* pb, const std::vector<int64_t>& sb, float* po, const std::vector<int64_t>& shape, int64_t total) {
  const std::vector<int64_t>* st[3] = {nullptr, &sa, &sb};
  Nest<3> nest(shape, st);
  const int64_t inner = nest.inner(), rows = nest.rows();
  const int64_t ia = nest.stride[1][nest.nd - 1], ib = nest.stride[2][nest.nd - 1];
  const bool isAdd = op == 0;
  auto row = [&](const int64_t* base) {
    float* o = po + base[0];
    const float* x = pa + base[1];
    const float* y = pb + base[2];
    if (isAdd) {
      if (ia == 1 && ib == 1) for (int64_t j = 0; j < inner; j++) o[j] = x[j] + y[j];
      else if (ia == 1 && ib == 0) for (int64_t j = 0; j < inner; j++) o[j] = x[j] + y[0];
      else if (ia == 0 && ib == 1) for (int64_t j = 0; j < inner; j++) o[j] = x[0] + y[j];
      else for (int64_t j = 0; j < inner; j++) o[j] = x[j * ia] + y[j * ib];
    } else {
      if (ia == 1 && ib == 1) for (int64_t j = 0; j < inner; j++) o[j] = x[j] * y[j];
      else if (ia == 1 && ib == 0) for (int64_t j = 0; j < inner; j++) o[j] = x[j] * y[0];
      else if (ia == 0 && ib == 1) for (int64_t j = 0; j < inner; j++) o[j] = x[0] * y[j];
      else for (int64_t j = 0; j < inner; j++) o[j] = x[j * ia] * y[j * ib];
    }
  };
  const int64_t offs[3] = {0, 0, 0};
  if (total < kParallelMinElems || rows == 1 || maxThreads() == 1) {
    nest.forRows(0, rows, offs, row);
  } else {
    const int nt = maxThreads();
#pragma omp parallel num_threads(nt)
    {
      const int t = threadId(), T = nt;
      const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
      nest.forRows(r0, r1, offs, row);
    }
  }
}

void copyStrided(const float* ps, int64_t offset, const std::vector<int64_t>& ss, float* po, const std::vector<int64_t>& shape, int64_t total) {
  const std::vector<int64_t>* st[2] = {nullptr, &ss};
  Nest<2> nest(shape, st);
  const int nd = nest.nd;
  const int64_t offs[2] = {0, offset};
  const bool parallel = total >= kParallelMinElems && maxThreads() > 1;

  // Transpose of the two innermost dims (src contiguous along the second-innermost dim): tiled.
  if (nd >= 2 && nest.stride[1][nd - 1] != 1 && nest.stride[1][nd - 2] == 1 && nest.shape[nd - 1] >= 8 && nest.shape[nd - 2] >= 8) {
    const int64_t rowsT = nest.shape[nd - 2], colsT = nest.shape[nd - 1], ldT = nest.stride[1][nd - 1];
    // Outer loop over dims 0..nd-3: reuse a nest with the last two dims folded into one "row".
    Nest<2> outer = nest;
    outer.nd = nd - 1;
    outer.shape[nd - 2] = rowsT * colsT;
    const int64_t blocks = outer.rows();
    auto blk = [&](const int64_t* base) { transposeCopy(ps + base[1], ldT, po + base[0], rowsT, colsT); };
    if (parallel && blocks > 1) {
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < blocks; r++) outer.forRows(r, r + 1, offs, blk);
    } else if (parallel) {
      // One big transpose: split its rows.
#pragma omp parallel for schedule(static)
      for (int64_t i0 = 0; i0 < rowsT; i0 += 64) {
        const int64_t i1 = std::min(rowsT, i0 + 64);
        for (int64_t j = 0; j < colsT; j++) {
          const float* s = ps + offset + j * ldT;
          for (int64_t i = i0; i < i1; i++) po[i * colsT + j] = s[i];
        }
      }
    } else {
      outer.forRows(0, blocks, offs, blk);
    }
    return;
  }

  const int64_t inner = nest.inner(), rows = nest.rows();
  const int64_t is = nest.stride[1][nd - 1];
  auto row = [&](const int64_t* base) {
    float* o = po + base[0];
    const float* s = ps + base[1];
    if (is == 1) std::memcpy(o, s, size_t(inner) * sizeof(float));
    else if (is == 0) for (int64_t j = 0; j < inner; j++) o[j] = s[0];
    else for (int64_t j = 0; j < inner; j++) o[j] = s[j * is];
  };
  if (!parallel) {
    nest.forRows(0, rows, offs, row);
  } else if (rows == 1) {
#pragma omp parallel for schedule(static)
    for (int64_t j0 = 0; j0 < inner; j0 += kChunk) {
      const int64_t j1 = std::min(inner, j0 + kChunk);
      for (int64_t j = j0; j < j1; j++) po[j] = ps[offset + j * is];
    }
  } else {
    const int nt = maxThreads();
#pragma omp parallel num_threads(nt)
    {
      const int t = threadId();
      nest.forRows(rows * t / nt, rows * (t + 1) / nt, offs, row);
    }
  }
}

void accumulateStrided(const float* ps, const std::vector<int64_t>& shape, float* pd, int64_t offset, const std::vector<int64_t>& ds, int64_t total) {
  const std::vector<int64_t>* st[2] = {nullptr, &ds};
  Nest<2> nest(shape, st);
  const int nd = nest.nd;
  const int64_t inner = nest.inner(), rows = nest.rows();
  const int64_t is = nest.stride[1][nd - 1];
  const int64_t offs[2] = {0, offset};
  auto rowRange = [&](const int64_t* base, int64_t j0, int64_t j1) {
    const float* s = ps + base[0];
    float* d = pd + base[1];
    if (is == 1) for (int64_t j = j0; j < j1; j++) d[j] += s[j];
    else if (is == 0) {
      float acc = d[0];
      for (int64_t j = j0; j < j1; j++) acc += s[j];
      d[0] = acc;
    } else for (int64_t j = j0; j < j1; j++) d[j * is] += s[j];
  };
  const bool big = total >= kParallelMinElems && maxThreads() > 1;
  bool allInjective = false, partInjective = false;
  if (big) {
    allInjective = injectiveIgnoringZero(shape, ds);
    if (allInjective) {
      for (size_t d = 0; d < shape.size(); d++) allInjective = allInjective && (shape[d] == 1 || ds[d] != 0);
      partInjective = !allInjective && is != 0 && inner >= 256;
    }
  }
  if (big && allInjective && rows > 1) {
    // Every src element has its own dst element: split the outer rows.
    const int nt = maxThreads();
#pragma omp parallel num_threads(nt)
    {
      const int t = threadId();
      nest.forRows(rows * t / nt, rows * (t + 1) / nt, offs, [&](const int64_t* base) { rowRange(base, 0, inner); });
    }
  } else if (big && (allInjective || partInjective)) {
    // Broadcast (stride-0) dims only reduce across rows: split the inner dimension instead, so
    // two threads never touch the same dst element.
    const int nt = maxThreads();
#pragma omp parallel num_threads(nt)
    {
      const int t = threadId();
      const int64_t j0 = inner * t / nt, j1 = inner * (t + 1) / nt;
      nest.forRows(0, rows, offs, [&](const int64_t* base) { rowRange(base, j0, j1); });
    }
  } else {
    nest.forRows(0, rows, offs, [&](const int64_t* base) { rowRange(base, 0, inner); });
  }
}

void addBias(float* x, const float* b, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElems)
  for (int64_t r = 0; r < rows; r++) {
    float* xr = x + r * cols;
    for (int64_t c = 0; c < cols; c++) xr[c] += b[c];
  }
}

void sumRows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate) {
  if (cols == 0) return;
  const int nt = (rows * cols >= kParallelMinElems && rows >= 2) ? std::min<int64_t>(maxThreads(), rows) : 1;
  std::vector<double> partial(size_t(nt) * size_t(cols), 0.0);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    double* acc = partial.data() + size_t(t) * size_t(cols);
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      for (int64_t c = 0; c < cols; c++) acc[c] += double(xr[c]);
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    double s = 0;
    for (int t = 0; t < nt; t++) s += partial[size_t(t) * size_t(cols) + size_t(c)];
    out[c] = accumulate ? float(double(out[c]) + s) : float(s);
  }
}

void gatherRows(const float* table, const int32_t* ids, int64_t R, int64_t cols, float* out, bool accumulate) {
#pragma omp parallel for schedule(static) if (R * cols >= kParallelMinElems)
  for (int64_t r = 0; r < R; r++) {
    const float* src = table + int64_t(ids[r]) * cols;
    float* dst = out + r * cols;
    if (accumulate) for (int64_t c = 0; c < cols; c++) dst[c] += src[c];
    else std::memcpy(dst, src, size_t(cols) * sizeof(float));
  }
}

void scatterAddRows(const float* dOut, const int32_t* ids, int64_t R, int64_t cols, float* dTable) {
  // Threads own disjoint column ranges, so repeated ids never race; rows are applied in order.
  const int nt = (R * cols >= kParallelMinElems && cols >= 64) ? maxThreads() : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    const int64_t c0 = cols * t / nt, c1 = cols * (t + 1) / nt;
    for (int64_t r = 0; r < R; r++) {
      const float* src = dOut + r * cols;
      float* dst = dTable + int64_t(ids[r]) * cols;
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  }
}

void dropout(const float* x, int64_t n, double p, uint32_t seed, float* y) {
  const uint64_t thr = dropoutThreshold(p);
  const double s = 1.0 / (1.0 - p);
  if (thr > 0xffffffffull) {
    forChunks(n, [&](int64_t b, int64_t e) { std::memset(y + b, 0, size_t(e - b) * sizeof(float)); });
    return;
  }
  forChunks(n, [&](int64_t b, int64_t e) { dropoutRange(x, y, b, e, seed, uint32_t(thr), s); });
}

void dropoutBackward(const float* dy, int64_t n, double p, uint32_t seed, float* dx) {
  const uint64_t thr = dropoutThreshold(p);
  if (thr > 0xffffffffull) return;  // everything dropped: no gradient flows
  const double s = 1.0 / (1.0 - p);
  forChunks(n, [&](int64_t b, int64_t e) { dropoutBackwardRange(dy, dx, b, e, seed, uint32_t(thr), s); });
}

}  // namespace kern
}  // namespace glm
