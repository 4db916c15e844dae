// Machine-limit micro-benchmarks (no N-API): the peak FMA rate of the vector units and the
// memory read bandwidth, measured rather than taken from a datasheet, so benchmark figures can
// be put against what this CPU actually does.
#pragma once

#include <cstdint>

namespace glm {

struct PeakResult {
  double gflops;     // floating-point operations per second / 1e9 (one FMA = 2)
  const char* isa;   // "avx512", "avx2" or "scalar"
};

// `threads` threads, each running independent register-only FMA chains for about `ms` ms.
PeakResult fmaPeak(int threads, double ms);

// Reads a `mib`-MiB buffer (larger than the caches) `passes` times with `threads` threads;
// returns the best pass in GB/s (1e9 bytes per second).
double readBandwidth(int threads, int64_t mib, int passes);

}  // namespace glm
