// N-API module registration, error translation and thread control for glm_native.
#include <new>

#include "common.h"
#include "kernels.h"
#include "sgemm.h"

namespace glm {

extern int g_attentionSchedule;

namespace {

template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const ArgError& e) {
    const std::string msg = "glm_native: " + e.message;
    if (e.kind == ArgError::Type) napi_throw_type_error(env, nullptr, msg.c_str());
    else if (e.kind == ArgError::Range) napi_throw_range_error(env, nullptr, msg.c_str());
    else napi_throw_error(env, nullptr, msg.c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "glm_native: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("glm_native: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

// setNumThreads(n): OpenMP threads of our kernels and sgemm (and OpenBLAS's, when linked).
GLM_KERNEL(setNumThreads) {
  Args a(env, info, 1, "setNumThreads");
  const int n = int(a.integer(0, "n", 1, 4096));
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  setOpenBlasThreads(n);
  return nullptr;
}

// getNumThreads() -> { omp, blas, procs }; blas: threads of the matrix products (the OpenMP team
// for our sgemm, OpenBLAS's pool on the openblas path).
GLM_KERNEL(getNumThreads) {
  napi_value o;
  napi_create_object(env, &o);
#ifdef _OPENMP
  const int procs = omp_get_num_procs();
#else
  const int procs = 1;
#endif
  napi_set_named_property(env, o, "omp", number(env, maxThreads()));
  napi_set_named_property(env, o, "blas", number(env, gemmPath() == GemmPath::OpenBlas ? openBlasThreads() : maxThreads()));
  napi_set_named_property(env, o, "procs", number(env, procs));
  (void)info;
  return o;
}

// setAttentionSchedule(mode): 0 auto, 1 parallel over (batch, head), 2 serial pairs with
// threaded BLAS and parallel rows. For benchmarking.
GLM_KERNEL(setAttentionSchedule) {
  Args a(env, info, 1, "setAttentionSchedule");
  g_attentionSchedule = int(a.integer(0, "mode", 0, 2));
  return nullptr;
}

// blasConfig() -> OpenBLAS's build configuration, or "" when the addon has no OpenBLAS.
GLM_KERNEL(blasConfig) {
  napi_value s;
  const std::string cfg = openBlasConfig();
  napi_create_string_utf8(env, cfg.c_str(), NAPI_AUTO_LENGTH, &s);
  (void)info;
  return s;
}

void initThreads() {
  // Our OpenMP kernels default to every core unless OMP_NUM_THREADS says otherwise; OpenBLAS
  // (when linked) keeps its own default (OPENBLAS_NUM_THREADS or the core count).
#ifdef _OPENMP
  if (getenv("OMP_NUM_THREADS") == nullptr) omp_set_num_threads(omp_get_num_procs());
#endif
}

#define EXPORT(name) {#name, nullptr, guarded<name>, nullptr, nullptr, nullptr, napi_enumerable, nullptr}

napi_value Init(napi_env env, napi_value exports) {
  initThreads();
  // An unusable GLM_GEMM (unknown name, path this CPU or build lacks) fails the load with the
  // reason, rather than later inside a threaded kernel.
  try {
    (void)gemmPath();
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("glm_native: ") + e.what()).c_str());
    return nullptr;
  }
  const napi_property_descriptor props[] = {
      EXPORT(gemm),
      EXPORT(gemmPath),
      EXPORT(setGemmPath),
      EXPORT(gemmPaths),
      EXPORT(fmaPeak),
      EXPORT(readBandwidth),
      EXPORT(add),
      EXPORT(mul),
      EXPORT(axpy),
      EXPORT(scale),
      EXPORT(sumSquares),
      EXPORT(nonzeroRows),
      EXPORT(broadcastBinary),
      EXPORT(copyStrided),
      EXPORT(accumulateStrided),
      EXPORT(addBias),
      EXPORT(sumRows),
      EXPORT(gatherRows),
      EXPORT(scatterAddRows),
      EXPORT(layerNorm),
      EXPORT(layerNormBackward),
      EXPORT(gelu),
      EXPORT(geluBackward),
      EXPORT(biasGelu),
      EXPORT(softmax),
      EXPORT(softmaxBackward),
      EXPORT(dropout),
      EXPORT(dropoutBackward),
      EXPORT(attention),
      EXPORT(attentionBackward),
      EXPORT(crossEntropy),
      EXPORT(crossEntropyBackward),
      EXPORT(adamw),
      EXPORT(quantize),
      EXPORT(linearQuant),
      EXPORT(amxAvailable),
      EXPORT(setNumThreads),
      EXPORT(getNumThreads),
      EXPORT(setAttentionSchedule),
      EXPORT(blasConfig),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace glm

NAPI_MODULE(glm_native, glm::Init)
