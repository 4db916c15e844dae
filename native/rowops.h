// Row primitives shared by softmax, attention, cross-entropy and LayerNorm. Reductions keep
// explicit per-lane partial results so the compiler can vectorise them without -ffast-math
// (which is off so results stay reproducible and close to the reference backend).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernel_common.h"

namespace glm {

constexpr int kLanes = 16;
constexpr float kMaskFill = -65504.0f;

// max_j x[j] (−inf for n = 0). NaN-free inputs assumed for ordering; NaN propagates to the exp.
static inline float rowMax(const float* x, int64_t n) {
  float lane[kLanes];
  for (int l = 0; l < kLanes; l++) lane[l] = -INFINITY;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
  }
  float m = -INFINITY;
  for (int l = 0; l < kLanes; l++) m = lane[l] > m ? lane[l] : m;
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

// max_j x[j] and Σ x[j] (double) in one pass.
static inline float rowMaxSum(const float* x, int64_t n, double* sum) {
  float lane[kLanes];
  double acc[kLanes] = {};
  for (int l = 0; l < kLanes; l++) lane[l] = -INFINITY;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
      acc[l] += double(x[j + l]);
    }
  }
  float m = -INFINITY;
  double s = 0;
  for (int l = 0; l < kLanes; l++) {
    m = lane[l] > m ? lane[l] : m;
    s += acc[l];
  }
  for (; j < n; j++) {
    m = x[j] > m ? x[j] : m;
    s += double(x[j]);
  }
  *sum = s;
  return m;
}

// y[j] = exp(x[j] − shift); returns Σ y (double combination of float lane sums). y may be x.
static inline double expShiftSum(const float* x, float shift, float* y, int64_t n) {
  float lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const float e = expApprox(x[j + l] - shift);
      y[j + l] = e;
      lane[l] += e;
    }
  }
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += double(lane[l]);
  for (; j < n; j++) {
    const float e = expApprox(x[j] - shift);
    y[j] = e;
    s += double(e);
  }
  return s;
}

// Σ exp(x[j] − shift) without storing.
static inline double expShiftSumOnly(const float* x, float shift, int64_t n) {
  float lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) lane[l] += expApprox(x[j + l] - shift);
  }
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += double(lane[l]);
  for (; j < n; j++) s += double(expApprox(x[j] - shift));
  return s;
}

// Σ x[j] in double.
static inline double rowSum(const float* x, int64_t n) {
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) lane[l] += double(x[j + l]);
  }
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += lane[l];
  for (; j < n; j++) s += double(x[j]);
  return s;
}

// Σ a[j]·b[j] in double.
static inline double rowDot(const float* a, const float* b, int64_t n) {
  double lane[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; l++) lane[l] += double(a[j + l]) * double(b[j + l]);
  }
  double s = 0;
  for (int l = 0; l < kLanes; l++) s += lane[l];
  for (; j < n; j++) s += double(a[j]) * double(b[j]);
  return s;
}

// In-place softmax of one row.
static inline void softmaxInPlace(float* x, int64_t n) {
  if (n <= 0) return;
  const float m = rowMax(x, n);
  const double s = expShiftSum(x, m, x, n);
  const float inv = float(1.0 / s);
  for (int64_t j = 0; j < n; j++) x[j] *= inv;
}

// x[j] = x[j]·m[j] + FILL·(1 − m[j]) (the GLM masking formula).
static inline void applyMask(float* x, const float* m, int64_t n) {
  for (int64_t j = 0; j < n; j++) x[j] = x[j] * m[j] + kMaskFill * (1.0f - m[j]);
}

}  // namespace glm
