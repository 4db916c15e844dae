// Element-wise kernels, strided copies / broadcasts, row helpers, embeddings and dropout.
#include <algorithm>

#include "common.h"
#include "kernels.h"

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

// Throws unless every index offset + Σ idx_d·strides_d lies inside [0, len).
void checkStridedExtent(const Args& a, const char* name, size_t len, int64_t offset, const std::vector<int64_t>& shape,
                        const std::vector<int64_t>& strides, int64_t total) {
  if (total == 0) return;
  int64_t lo = offset, hi = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    const int64_t span = (shape[d] - 1) * strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || uint64_t(hi) >= uint64_t(len)) {
    throwRange(std::string(a.fn()) + ": strided view of " + name + " reaches indices [" + std::to_string(lo) + ", " + std::to_string(hi) +
               "] but its length is " + std::to_string(len));
  }
}

int64_t shapeTotal(const Args& a, const std::vector<int64_t>& shape) {
  double t = 1;
  int64_t ti = 1;
  for (int64_t s : shape) {
    t *= double(s);
    ti *= s;
  }
  if (t > double(int64_t(1) << 52)) throwRange(std::string(a.fn()) + ": shape is too large");
  return ti;
}

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

// add(a, b, out)
GLM_KERNEL(add) {
  Args a(env, info, 3, "add");
  F32 x = a.f32(0, "a"), y = a.f32(1, "b"), o = a.f32(2, "out");
  requireLen(a, "a", x.length, o.length);
  requireLen(a, "b", y.length, o.length);
  forChunks(int64_t(o.length), [&](int64_t b, int64_t e) { addRange(x.data + b, y.data + b, o.data + b, e - b); });
  return nullptr;
}

// mul(a, b, out)
GLM_KERNEL(mul) {
  Args a(env, info, 3, "mul");
  F32 x = a.f32(0, "a"), y = a.f32(1, "b"), o = a.f32(2, "out");
  requireLen(a, "a", x.length, o.length);
  requireLen(a, "b", y.length, o.length);
  forChunks(int64_t(o.length), [&](int64_t b, int64_t e) { mulRange(x.data + b, y.data + b, o.data + b, e - b); });
  return nullptr;
}

// axpy(alpha, x, y): y += alpha·x over x.length
GLM_KERNEL(axpy) {
  Args a(env, info, 3, "axpy");
  const double alpha = a.num(0, "alpha");
  F32 x = a.f32(1, "x"), y = a.f32(2, "y");
  requireLen(a, "y", y.length, x.length);
  forChunks(int64_t(x.length), [&](int64_t b, int64_t e) { axpyRange(alpha, x.data + b, y.data + b, e - b); });
  return nullptr;
}

// scale(x, alpha, out): out = alpha·x over x.length
GLM_KERNEL(scale) {
  Args a(env, info, 3, "scale");
  F32 x = a.f32(0, "x");
  const double alpha = a.num(1, "alpha");
  F32 o = a.f32(2, "out");
  requireLen(a, "out", o.length, x.length);
  forChunks(int64_t(x.length), [&](int64_t b, int64_t e) { scaleRange(x.data + b, alpha, o.data + b, e - b); });
  return nullptr;
}

// sumSquares(x) -> number (double accumulation). Per-lane partial sums let the compiler
// vectorise the double arithmetic (a single running sum is a serial add chain).
GLM_KERNEL(sumSquares) {
  Args a(env, info, 1, "sumSquares");
  F32 x = a.f32(0, "x");
  const int64_t n = int64_t(x.length);
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static) if (n >= kParallelMinElems)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t b = c * kChunk, e = std::min(n, b + kChunk);
    s += sumSquaresRange(x.data + b, e - b);
  }
  napi_value r;
  napi_create_double(env, s, &r);
  return r;
}

// nonzeroRows(x, rows, cols, out) -> count: indices of the rows of x [R, C] holding any element
// that is not +0/−0 (NaN counts), ascending, written to out[0, count).
GLM_KERNEL(nonzeroRows) {
  Args a(env, info, 4, "nonzeroRows");
  F32 x = a.f32(0, "x");
  const int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols");
  I32 out = a.i32(3, "out");
  requireLen(a, "x", x.length, uint64_t(rows) * uint64_t(cols));
  requireLen(a, "out", out.length, uint64_t(rows));
  std::vector<uint8_t> flag(size_t(rows), 0);
#pragma omp parallel for schedule(dynamic, 16) if (rows * cols >= kParallelMinElems && rows > 1)
  for (int64_t r = 0; r < rows; r++) flag[size_t(r)] = rowAnyNonzero(x.data + r * cols, cols) ? 1 : 0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; r++)
    if (flag[size_t(r)]) out.data[n++] = int32_t(r);
  napi_value res;
  napi_create_double(env, double(n), &res);
  return res;
}

// broadcastBinary(op, a, aStrides, b, bStrides, out, shape)
GLM_KERNEL(broadcastBinary) {
  Args a(env, info, 7, "broadcastBinary");
  const int64_t op = a.integer(0, "op", 0, 1);
  F32 A = a.f32(1, "a");
  std::vector<int64_t> sa = a.intArray(2, "aStrides", kMaxDims, true);
  F32 B = a.f32(3, "b");
  std::vector<int64_t> sb = a.intArray(4, "bStrides", kMaxDims, true);
  F32 O = a.f32(5, "out");
  std::vector<int64_t> shape = a.intArray(6, "shape", kMaxDims, false);
  if (sa.size() != shape.size() || sb.size() != shape.size()) throwRange("broadcastBinary: strides and shape must have the same length");
  const int64_t total = shapeTotal(a, shape);
  if (total == 0) return nullptr;
  requireLen(a, "out", O.length, uint64_t(total));
  checkStridedExtent(a, "a", A.length, 0, shape, sa, total);
  checkStridedExtent(a, "b", B.length, 0, shape, sb, total);

  const std::vector<int64_t>* st[3] = {nullptr, &sa, &sb};
  Nest<3> nest(shape, st);
  const int64_t inner = nest.inner(), rows = nest.rows();
  const int64_t ia = nest.stride[1][nest.nd - 1], ib = nest.stride[2][nest.nd - 1];
  const float* pa = A.data;
  const float* pb = B.data;
  float* po = O.data;
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
  return nullptr;
}

// copyStrided(src, offset, strides, out, shape)
GLM_KERNEL(copyStrided) {
  Args a(env, info, 5, "copyStrided");
  F32 S = a.f32(0, "src");
  const int64_t offset = a.integer(1, "offset");
  std::vector<int64_t> ss = a.intArray(2, "strides", kMaxDims, true);
  F32 O = a.f32(3, "out");
  std::vector<int64_t> shape = a.intArray(4, "shape", kMaxDims, false);
  if (ss.size() != shape.size()) throwRange("copyStrided: strides and shape must have the same length");
  const int64_t total = shapeTotal(a, shape);
  if (total == 0) return nullptr;
  requireLen(a, "out", O.length, uint64_t(total));
  checkStridedExtent(a, "src", S.length, offset, shape, ss, total);

  const std::vector<int64_t>* st[2] = {nullptr, &ss};
  Nest<2> nest(shape, st);
  const int nd = nest.nd;
  const float* ps = S.data;
  float* po = O.data;
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
    return nullptr;
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
  return nullptr;
}

// accumulateStrided(src, shape, dst, offset, strides)
GLM_KERNEL(accumulateStrided) {
  Args a(env, info, 5, "accumulateStrided");
  F32 S = a.f32(0, "src");
  std::vector<int64_t> shape = a.intArray(1, "shape", kMaxDims, false);
  F32 D = a.f32(2, "dst");
  const int64_t offset = a.integer(3, "offset");
  std::vector<int64_t> ds = a.intArray(4, "strides", kMaxDims, true);
  if (ds.size() != shape.size()) throwRange("accumulateStrided: strides and shape must have the same length");
  const int64_t total = shapeTotal(a, shape);
  if (total == 0) return nullptr;
  requireLen(a, "src", S.length, uint64_t(total));
  checkStridedExtent(a, "dst", D.length, offset, shape, ds, total);

  const std::vector<int64_t>* st[2] = {nullptr, &ds};
  Nest<2> nest(shape, st);
  const int nd = nest.nd;
  const int64_t inner = nest.inner(), rows = nest.rows();
  const int64_t is = nest.stride[1][nd - 1];
  const float* ps = S.data;
  float* pd = D.data;
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
  return nullptr;
}

// addBias(x, bias, rows, cols)
GLM_KERNEL(addBias) {
  Args a(env, info, 4, "addBias");
  F32 x = a.f32(0, "x"), bias = a.f32(1, "bias");
  const int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols");
  requireLen(a, "x", x.length, uint64_t(rows) * uint64_t(cols));
  requireLen(a, "bias", bias.length, uint64_t(cols));
  const float* b = bias.data;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinElems)
  for (int64_t r = 0; r < rows; r++) {
    float* xr = x.data + r * cols;
    for (int64_t c = 0; c < cols; c++) xr[c] += b[c];
  }
  return nullptr;
}

// sumRows(x, rows, cols, out, accumulate): column sums in double precision.
GLM_KERNEL(sumRows) {
  Args a(env, info, 5, "sumRows");
  F32 x = a.f32(0, "x");
  const int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols");
  F32 out = a.f32(3, "out");
  const bool accumulate = a.boolean(4, "accumulate");
  requireLen(a, "x", x.length, uint64_t(rows) * uint64_t(cols));
  requireLen(a, "out", out.length, uint64_t(cols));
  if (cols == 0) return nullptr;
  const int nt = (rows * cols >= kParallelMinElems && rows >= 2) ? std::min<int64_t>(maxThreads(), rows) : 1;
  std::vector<double> partial(size_t(nt) * size_t(cols), 0.0);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    double* acc = partial.data() + size_t(t) * size_t(cols);
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x.data + r * cols;
      for (int64_t c = 0; c < cols; c++) acc[c] += double(xr[c]);
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    double s = 0;
    for (int t = 0; t < nt; t++) s += partial[size_t(t) * size_t(cols) + size_t(c)];
    out.data[c] = accumulate ? float(double(out.data[c]) + s) : float(s);
  }
  return nullptr;
}

namespace {
void checkIds(const Args& a, const I32& ids, int64_t numRows, const char* tableName) {
  for (size_t r = 0; r < ids.length; r++) {
    const int32_t id = ids.data[r];
    if (id < 0 || int64_t(id) >= numRows) {
      throwRange(std::string(a.fn()) + ": ids[" + std::to_string(r) + "] = " + std::to_string(id) + " is outside " + tableName + " rows [0, " +
                 std::to_string(numRows) + ")");
    }
  }
}
}  // namespace

// gatherRows(table, ids, cols, out, accumulate)
GLM_KERNEL(gatherRows) {
  Args a(env, info, 5, "gatherRows");
  F32 table = a.f32(0, "table");
  I32 ids = a.i32(1, "ids");
  const int64_t cols = a.integer(2, "cols");
  F32 out = a.f32(3, "out");
  const bool accumulate = a.boolean(4, "accumulate");
  const int64_t R = int64_t(ids.length);
  if (cols == 0 || R == 0) return nullptr;
  requireLen(a, "out", out.length, uint64_t(R) * uint64_t(cols));
  checkIds(a, ids, int64_t(table.length) / cols, "table");
#pragma omp parallel for schedule(static) if (R * cols >= kParallelMinElems)
  for (int64_t r = 0; r < R; r++) {
    const float* src = table.data + int64_t(ids.data[r]) * cols;
    float* dst = out.data + r * cols;
    if (accumulate) for (int64_t c = 0; c < cols; c++) dst[c] += src[c];
    else std::memcpy(dst, src, size_t(cols) * sizeof(float));
  }
  return nullptr;
}

// scatterAddRows(dOut, ids, cols, dTable)
GLM_KERNEL(scatterAddRows) {
  Args a(env, info, 4, "scatterAddRows");
  F32 dOut = a.f32(0, "dOut");
  I32 ids = a.i32(1, "ids");
  const int64_t cols = a.integer(2, "cols");
  F32 dTable = a.f32(3, "dTable");
  const int64_t R = int64_t(ids.length);
  if (cols == 0 || R == 0) return nullptr;
  requireLen(a, "dOut", dOut.length, uint64_t(R) * uint64_t(cols));
  checkIds(a, ids, int64_t(dTable.length) / cols, "dTable");
  // Threads own disjoint column ranges, so repeated ids never race; rows are applied in order.
  const int nt = (R * cols >= kParallelMinElems && cols >= 64) ? maxThreads() : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = threadId();
    const int64_t c0 = cols * t / nt, c1 = cols * (t + 1) / nt;
    for (int64_t r = 0; r < R; r++) {
      const float* src = dOut.data + r * cols;
      float* dst = dTable.data + int64_t(ids.data[r]) * cols;
      for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
    }
  }
  return nullptr;
}

// dropout(x, p, seed, y): over x.length
GLM_KERNEL(dropout) {
  Args a(env, info, 4, "dropout");
  F32 x = a.f32(0, "x");
  const double p = a.num(1, "p");
  const uint32_t seed = a.u32(2, "seed");
  F32 y = a.f32(3, "y");
  requireLen(a, "y", y.length, x.length);
  const uint64_t thr = dropoutThreshold(p);
  const double s = 1.0 / (1.0 - p);
  if (thr > 0xffffffffull) {
    forChunks(int64_t(x.length), [&](int64_t b, int64_t e) { std::memset(y.data + b, 0, size_t(e - b) * sizeof(float)); });
    return nullptr;
  }
  forChunks(int64_t(x.length), [&](int64_t b, int64_t e) { dropoutRange(x.data, y.data, b, e, seed, uint32_t(thr), s); });
  return nullptr;
}

// dropoutBackward(dy, p, seed, dx): over dy.length
GLM_KERNEL(dropoutBackward) {
  Args a(env, info, 4, "dropoutBackward");
  F32 dy = a.f32(0, "dy");
  const double p = a.num(1, "p");
  const uint32_t seed = a.u32(2, "seed");
  F32 dx = a.f32(3, "dx");
  requireLen(a, "dx", dx.length, dy.length);
  const uint64_t thr = dropoutThreshold(p);
  if (thr > 0xffffffffull) return nullptr;  // everything dropped: no gradient flows
  const double s = 1.0 / (1.0 - p);
  forChunks(int64_t(dy.length), [&](int64_t b, int64_t e) { dropoutBackwardRange(dy.data, dx.data, b, e, seed, uint32_t(thr), s); });
  return nullptr;
}

}  // namespace glm
