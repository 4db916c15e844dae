// Low-precision linear layers for inference (no N-API): formats and entry points of
// native/quant_kernels.cc; native/quant.cc is the binding that validates the typed arrays.
#pragma once

#include <cstdint>

namespace glm {
namespace kern {

constexpr int kBf16 = 0, kInt8 = 1;
// Rows from which bf16 products round the activations to bf16 (must match backend.ts).
constexpr int64_t kRoundRows = 32;
// Rows up to which the weights are streamed against float32 rows (groups of 4 rows each stream
// the weights once more). Below kRoundRows, so streamed products never round activations.
constexpr int64_t kStreamRows = 8;

// Padded sizes of the tiled bf16 layout.
inline int64_t padI(int64_t I) { return (I + 31) / 32 * 32; }
inline int64_t padO(int64_t O) { return (O + 15) / 16 * 16; }

// Whether bf16 products of many rows run on the AMX tile units (CPUID + Linux permission).
bool amxAvailable();
// w [rows, cols] → out, tiled bf16 (length padO(rows)·padI(cols), zero padding).
void quantizeBf16(const float* w, int64_t rows, int64_t cols, uint16_t* out);
// w [rows, cols] → int8 codes out [rows, cols] and scales [rows]. Returns the flat index of the
// first non-finite weight (there is no code for it), or −1.
int64_t quantizeInt8(const float* w, int64_t rows, int64_t cols, int8_t* out, float* scales);
// out[r, o] = Σ_i x[r, i]·W[o, i] (+ bias[o] when bias is not null); wq in format `kind`,
// scales (int8 only) [O].
void linearQuant(int kind, const float* x, int64_t R, int64_t I, int64_t O, const void* wq, const float* scales, const float* bias, float* out);

}  // namespace kern
}  // namespace glm
