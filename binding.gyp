{
  "variables": {
    # 1: also link OpenBLAS as the optional sgemm path GLM_GEMM=openblas (for comparisons).
    # scripts/build-native.mjs sets it from GLM_OPENBLAS=1; the default build needs only g++.
    "glm_openblas%": 0
  },
  "targets": [
    {
      "target_name": "glm_native",
      "sources": [
        "native/binding.cc",
        "native/gemm.cc",
        "native/sgemm.cc",
        "native/sgemm_avx512.cc",
        "native/sgemm_avx2.cc",
        "native/sgemm_portable.cc",
        "native/sgemm_openblas.cc",
        "native/machine.cc",
        "native/machine_binding.cc",
        "native/elementwise.cc",
        "native/elementwise_kernels.cc",
        "native/layernorm.cc",
        "native/layernorm_kernels.cc",
        "native/activation.cc",
        "native/activation_kernels.cc",
        "native/attention.cc",
        "native/attention_kernels.cc",
        "native/loss.cc",
        "native/loss_kernels.cc",
        "native/optim.cc",
        "native/optim_kernels.cc",
        "native/quant.cc",
        "native/quant_kernels.cc"
      ],
      "include_dirs": ["native"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14", "-std=gnu++1y"],
      "cflags": ["-O3", "-fopenmp", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unknown-pragmas"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fopenmp", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-fopenmp"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["glm_openblas==1", {
          "defines": ["GLM_HAVE_OPENBLAS"],
          "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"],
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
