// N-API binding of the low-precision linear kernels (native/quant_kernels.cc): validates the
// typed arrays and sizes of each format, then calls the plain kernels.
#include <string>

#include "common.h"
#include "kernels.h"
#include "quant.h"

namespace glm {

using kern::kBf16;
using kern::kInt8;
using kern::padI;
using kern::padO;

// amxAvailable() -> boolean: whether bf16 products of many rows run on the AMX tile units.
GLM_KERNEL(amxAvailable) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, kern::amxAvailable(), &r);
  return r;
}

// quantize(w, rows, cols, kind, out, scales|null): kind 0 → out Uint16Array (bf16, tiled, length
// ⌈rows/16⌉·16 · ⌈cols/32⌉·32), kind 1 → out Int8Array [rows, cols] and scales [rows]. int8
// throws on a non-finite weight (there is no code for it).
GLM_KERNEL(quantize) {
  Args a(env, info, 6, "quantize");
  F32 w = a.f32(0, "w");
  const int64_t rows = a.integer(1, "rows"), cols = a.integer(2, "cols");
  const int kind = int(a.integer(3, "kind", 0, 1));
  const uint64_t n = uint64_t(rows) * uint64_t(cols);
  requireLen(a, "w", w.length, n);
  size_t outLen = 0;
  if (kind == kBf16) {
    uint16_t* out = a.raw<uint16_t>(4, napi_uint16_array, "Uint16Array", "out", &outLen);
    const int64_t Ip = padI(cols), Op = padO(rows);
    requireLen(a, "out", outLen, uint64_t(Op) * uint64_t(Ip));
    kern::quantizeBf16(w.data, rows, cols, out);
    return nullptr;
  }
  int8_t* out = a.raw<int8_t>(4, napi_int8_array, "Int8Array", "out", &outLen);
  requireLen(a, "out", outLen, n);
  F32 scales = a.f32(5, "scales");
  requireLen(a, "scales", scales.length, uint64_t(rows));
  const int64_t bad = kern::quantizeInt8(w.data, rows, cols, out, scales.data);
  if (bad >= 0) throwRange("quantize: weight [" + std::to_string(bad / cols) + ", " + std::to_string(bad % cols) + "] is not finite");
  return nullptr;
}

// linearQuant(x, rows, inF, outF, kind, wq, scales|null, bias|null, out):
// out[r, o] = Σ_i x[r, i]·W[o, i] + bias[o], x [R, I], W [O, I] quantized, out [R, O].
GLM_KERNEL(linearQuant) {
  Args a(env, info, 9, "linearQuant");
  F32 x = a.f32(0, "x");
  const int64_t R = a.integer(1, "rows"), I = a.integer(2, "inF"), O = a.integer(3, "outF");
  const int kind = int(a.integer(4, "kind", 0, 1));
  size_t wLen = 0;
  const void* wq = kind == kBf16 ? static_cast<const void*>(a.raw<uint16_t>(5, napi_uint16_array, "Uint16Array", "wq", &wLen))
                                 : static_cast<const void*>(a.raw<int8_t>(5, napi_int8_array, "Int8Array", "wq", &wLen));
  F32 scales = a.f32OrNull(6, "scales");
  F32 bias = a.f32OrNull(7, "bias");
  F32 out = a.f32(8, "out");
  requireLen(a, "x", x.length, uint64_t(R) * uint64_t(I));
  requireLen(a, "wq", wLen, kind == kBf16 ? uint64_t(padO(O)) * uint64_t(padI(I)) : uint64_t(O) * uint64_t(I));
  requireLen(a, "out", out.length, uint64_t(R) * uint64_t(O));
  if (kind == kInt8) {
    if (!scales.present) throwType("linearQuant: int8 weights need scales (a Float32Array of length outF)");
    requireLen(a, "scales", scales.length, uint64_t(O));
  }
  if (bias.present) requireLen(a, "bias", bias.length, uint64_t(O));
  kern::linearQuant(kind, x.data, R, I, O, wq, scales.present ? scales.data : nullptr, bias.present ? bias.data : nullptr, out.data);
  return nullptr;
}

}  // namespace glm
