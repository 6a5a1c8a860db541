// softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0.
#ifndef ACTIVATIONS_SOFTSHRINK_SPEC_H_
#define ACTIVATIONS_SOFTSHRINK_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kSoftshrinkParams[] = {
    {.name = "lambd",
     .default_value = 0.5,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "half-width of the interval mapped to 0; >= 0 (as PyTorch)"},
};
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double SoftshrinkReference(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > p[0] ? x - p[0] : (x < -p[0] ? x + p[0] : 0);
}
inline long double SoftshrinkReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return std::fabs(x) > p[0] ? 1 : 0;
}
inline long double SoftshrinkReferenceFromOutput(long double y, const double*) {
  if (std::isnan(y)) return y;
  return y != 0 ? 1 : 0;
}
inline constexpr ActivationSpec kSoftshrinkSpec{
    .name = "softshrink",
    .formula = "f(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
    .derivative_formula = "f'(x) = 1 if |x| > lambd else 0",
    .params = kSoftshrinkParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 0.5, .derivative = 0.5, .backward = 0.5, .derivative_from_output = 0.5,
                    .backward_from_output = 0.5},
    .notes = "f'(+-lambd) = 0, as PyTorch's softshrink_backward; backward selects "
             "(g outside [-lambd, lambd], else 0 for every g but NaN). x - lambd "
             "is rounded once with lambd exact (float32: lambd as three floats "
             "and exact sums), so it keeps its digits next to lambd. From the output, y != 0 exactly when "
             "|x| > lambd.",
    .reference = {&SoftshrinkReference, &SoftshrinkReferenceDerivative,
                  &SoftshrinkReferenceFromOutput},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = lambd.
struct SoftshrinkNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    const T l = static_cast<T>(p[0]);
    return x > l ? x - l : (x < -l ? x + l : T(0));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return std::fabs(x) > static_cast<T>(p[0]) ? T(1) : T(0);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_SOFTSHRINK_SPEC_H_

#if defined(ACTIVATIONS_SOFTSHRINK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_SOFTSHRINK_INL_H_
#undef ACTIVATIONS_SOFTSHRINK_INL_H_
#else
#define ACTIVATIONS_SOFTSHRINK_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Softshrink {
  // x - lambd must round once with lambd exact (a float32 lambd = 0.1f
  // would be off by 1.5e-9, which is many ULP of x - lambd next to lambd).
  // float32 on FMA targets: lambd = hi + mid + lo in float32 (exact; hi
  // truncated), |x| - hi and then - mid as exact sums (Fast2Sum: |x| > lambd
  // >= hi, and |x| - hi >= ulp(hi) > mid), their errors and lo added last:
  // one rounding after an error of about 2^-22 ULP. Targets without FMA
  // take the driver's float64 path for f (no FMA is used here, but the
  // same split keeps the two float32 paths alike). f' only selects: the
  // breakpoint as an exact float comparison (FirstAbove), in T.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = false;

  // float32: a lambd outside [2^-60, 2^100] (but not 0) takes RareKernel,
  // float64 lanes (mid and lo would leave float32's range). Chosen once per
  // call (kernels.cc, RunInType).
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    return sizeof(T) == 4 && p[0] != 0 && !(p[0] >= 0x1p-60 && p[0] <= 0x1p100);
  }
  // A lambd that is a float32 (0.5, PyTorch's default, 0.25, 1, ...) takes
  // FastKernel: mid = lo = 0, and x - lambd sign(x) in one float32
  // subtraction is already rounded once from the exact difference. The
  // split path's result there is s + e0 with s = RN(|x| - hi) and e0 its
  // exact error, and RN(s + e0) = RN(|x| - hi) = s: the same bits (kernels22
  // fingerprints). Two vector operations for the value instead of twelve.
  // (float64 and the float64-lane path: Kernel's code, lambd = hi.)
  static bool UseFastKernel(const ParamValues& p) {
    return static_cast<double>(static_cast<float>(p[0])) == p[0];
  }

  enum class Variant { kSplit, kExact, kWide };

  template <class D, Variant kVariant>
  struct KernelOf : ShrinkSlope<D> {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    // A few vector operations per element in its forward: float64 jobs
    // past L2 run it in 256-bit vectors on 512-bit targets (kernels.cc
    // NarrowsPastL2).
    static constexpr bool kNarrowPastL2 = true;
    using T = hn::TFromD<D>;
    static constexpr bool kFloat = sizeof(T) == 4 && !kFloatViaDouble;
    static constexpr bool kWide = kVariant == Variant::kWide;
    static constexpr bool kSplit = kVariant == Variant::kSplit;
    D d;
    V<D> hi, mid, lo;  // float64: hi = lambd; float32: lambd = hi + mid + lo
    double lambd;
    // lambd rounded toward 0 in float32 (lambd in [2^-60, 2^100] or 0);
    // float64: lambd.
    static T Hi(double l) {
      T h = NearestOf<T>(l);
      if (kFloat && static_cast<double>(h) > l) h = std::nextafter(h, T(0));
      return h;
    }
    // (l - hi is exact in float64, and so is its rest past mid: at most 29
    // and 5 bits, from l's 53.)
    static T Mid(double l) { return kFloat && kSplit ? static_cast<T>(l - Hi(l)) : T(0); }
    static T Lo(double l) {
      return kFloat && kSplit ? static_cast<T>((l - Hi(l)) - Mid(l)) : T(0);
    }
    KernelOf(D d_in, const ParamValues& p)
        : ShrinkSlope<D>(p[0]),
          d(d_in),
          hi(hn::Set(d_in, kFloat && kWide ? T(0) : Hi(p[0]))),
          mid(hn::Set(d_in, Mid(p[0]))),
          lo(hn::Set(d_in, Lo(p[0]))),
          lambd(p[0]) {}

    // Prepare (|x| <= lambd, where f = 0 and f' = 0), Slope and
    // SlopeFromOutput: ShrinkSlope.
    using State = typename ShrinkSlope<D>::State;
    // x - lambd * sign(x) outside [-lambd, lambd].
    HWY_INLINE V<D> Value(const State& flat, V<D> x) const {
      if constexpr (kFloat && kWide) {
        const WideHalf<D> dw;
        const Halves<D> h = PromoteHalves(d, x);
        const auto l = hn::Set(dw, lambd);
        const V<D> r = DemoteHalves(d, hn::Sub(h.lo, hn::CopySign(l, h.lo)),
                                    hn::Sub(h.hi, hn::CopySign(l, h.hi)));
        return hn::IfThenZeroElse(flat, r);
      } else if constexpr (kFloat && kSplit) {
        const V<D> a = hn::Abs(x);
        const V<D> s = hn::Sub(a, hi);
        const V<D> e0 = hn::Sub(hn::Sub(a, s), hi);  // s + e0 = a - hi
        const V<D> u = hn::Sub(s, mid);
        const V<D> e1 = hn::Sub(hn::Sub(s, u), mid);  // u + e1 = s - mid
        const V<D> r = hn::Add(u, hn::Sub(hn::Add(e0, e1), lo));
        // (|x| = inf: s = inf, and e0 = inf - inf; f = x.)
        return hn::IfThenZeroElse(flat, hn::IfThenElse(hn::IsInf(x), x, hn::CopySignToAbs(r, x)));
      } else {
        // float64, and float32 with lambd = hi exactly (kExact): one
        // rounding; inf - lambd = inf.
        return hn::IfThenZeroElse(flat, hn::Sub(x, hn::CopySign(hi, x)));
      }
    }
  };
  template <class D>
  using Kernel = KernelOf<D, Variant::kSplit>;
  template <class D>
  using FastKernel = KernelOf<D, Variant::kExact>;
  template <class D>
  using RareKernel = KernelOf<D, Variant::kWide>;
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_SOFTSHRINK_INL_H_
