// N-API binding of the element-wise, strided, row and dropout kernels
// (native/elementwise_kernels.cc): parsing and validation of every extent.
#include <string>
#include <vector>

#include "common.h"
#include "kernels.h"
#include "plain_kernels.h"

namespace glm {

namespace {

constexpr int kMaxDims = 8;

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

}  // namespace

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

// add(a, b, out)
GLM_KERNEL(add) {
  Args a(env, info, 3, "add");
  F32 x = a.f32(0, "a"), y = a.f32(1, "b"), o = a.f32(2, "out");
  requireLen(a, "a", x.length, o.length);
  requireLen(a, "b", y.length, o.length);
  kern::add(x.data, y.data, o.data, int64_t(o.length));
  return nullptr;
}

// mul(a, b, out)
GLM_KERNEL(mul) {
  Args a(env, info, 3, "mul");
  F32 x = a.f32(0, "a"), y = a.f32(1, "b"), o = a.f32(2, "out");
  requireLen(a, "a", x.length, o.length);
  requireLen(a, "b", y.length, o.length);
  kern::mul(x.data, y.data, o.data, int64_t(o.length));
  return nullptr;
}

// axpy(alpha, x, y): y += alpha·x over x.length
GLM_KERNEL(axpy) {
  Args a(env, info, 3, "axpy");
  const double alpha = a.num(0, "alpha");
  F32 x = a.f32(1, "x"), y = a.f32(2, "y");
  requireLen(a, "y", y.length, x.length);
  kern::axpy(alpha, x.data, y.data, int64_t(x.length));
  return nullptr;
}

// scale(x, alpha, out): out = alpha·x over x.length
GLM_KERNEL(scale) {
  Args a(env, info, 3, "scale");
  F32 x = a.f32(0, "x");
  const double alpha = a.num(1, "alpha");
  F32 o = a.f32(2, "out");
  requireLen(a, "out", o.length, x.length);
  kern::scale(x.data, alpha, o.data, int64_t(x.length));
  return nullptr;
}

// sumSquares(x) -> number (double accumulation). Per-lane partial sums let the compiler
// vectorise the double arithmetic (a single running sum is a serial add chain).
GLM_KERNEL(sumSquares) {
  Args a(env, info, 1, "sumSquares");
  F32 x = a.f32(0, "x");
  napi_value r;
  napi_create_double(env, kern::sumSquares(x.data, int64_t(x.length)), &r);
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
  napi_value res;
  napi_create_double(env, double(kern::nonzeroRows(x.data, rows, cols, out.data)), &res);
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

  kern::broadcastBinary(op, A.data, sa, B.data, sb, O.data, shape, total);
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

  kern::copyStrided(S.data, offset, ss, O.data, shape, total);
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

  kern::accumulateStrided(S.data, shape, D.data, offset, ds, total);
  return nullptr;
}

// addBias(x, bias, rows, cols)
GLM_KERNEL(addBias) {
  Args a(env, info, 4, "addBias");
  F32 x = a.f32(0, "x"), bias = a.f32(1, "bias");
  const int64_t rows = a.integer(2, "rows"), cols = a.integer(3, "cols");
  requireLen(a, "x", x.length, uint64_t(rows) * uint64_t(cols));
  requireLen(a, "bias", bias.length, uint64_t(cols));
  kern::addBias(x.data, bias.data, rows, cols);
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
  kern::sumRows(x.data, rows, cols, out.data, accumulate);
  return nullptr;
}

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
  kern::gatherRows(table.data, ids.data, R, cols, out.data, accumulate);
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
  kern::scatterAddRows(dOut.data, ids.data, R, cols, dTable.data);
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
  kern::dropout(x.data, int64_t(x.length), p, seed, y.data);
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
  kern::dropoutBackward(dy.data, int64_t(dy.length), p, seed, dx.data);
  return nullptr;
}

}  // namespace glm
