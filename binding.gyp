{
  "targets": [
    {
      "target_name": "glm_native",
      "sources": [
        "native/binding.cc",
        "native/gemm.cc",
        "native/elementwise.cc",
        "native/layernorm.cc",
        "native/activation.cc",
        "native/attention.cc",
        "native/loss.cc",
        "native/optim.cc",
        "native/quant.cc"
      ],
      "include_dirs": [
        "native",
        "/usr/include/x86_64-linux-gnu",
        "/usr/include/openblas"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14", "-std=gnu++1y"],
      "cflags": ["-O3", "-fopenmp", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unknown-pragmas"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fopenmp", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-lopenblas", "-fopenmp"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
