// N-API binding of the machine-limit micro-benchmarks (native/machine.h).
#include "common.h"
#include "kernels.h"
#include "machine.h"

namespace glm {

// fmaPeak(threads, ms) -> { gflops, isa }
GLM_KERNEL(fmaPeak) {
  Args a(env, info, 2, "fmaPeak");
  const int threads = int(a.integer(0, "threads", 1, 4096));
  const double ms = double(a.integer(1, "ms", 1, 60000));
  const PeakResult r = fmaPeak(threads, ms);
  napi_value o, g, s;
  napi_create_object(env, &o);
  napi_create_double(env, r.gflops, &g);
  napi_create_string_utf8(env, r.isa, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, "gflops", g);
  napi_set_named_property(env, o, "isa", s);
  return o;
}

// readBandwidth(threads, mib, passes) -> GB/s
GLM_KERNEL(readBandwidth) {
  Args a(env, info, 3, "readBandwidth");
  const int threads = int(a.integer(0, "threads", 1, 4096));
  const int64_t mib = a.integer(1, "mib", 1, 1 << 16);
  const int passes = int(a.integer(2, "passes", 1, 100));
  napi_value r;
  napi_create_double(env, readBandwidth(threads, mib, passes), &r);
  return r;
}

}  // namespace glm
