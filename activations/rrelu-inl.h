// rrelu(x) in evaluation mode = leaky_relu(x, (lower + upper) / 2) (Xu et al.
// 2015): the training mode's random slopes are replaced by their mean.
#ifndef ACTIVATIONS_RRELU_SPEC_H_
#define ACTIVATIONS_RRELU_SPEC_H_
#include "activations/spec.h"
namespace activations {
inline constexpr ParamSpec kRreluParams[] = {
    {.name = "lower",
     .default_value = 1.0 / 8,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "lower end of the training mode's slope distribution; "
                    "<= upper"},
    {.name = "upper",
     .default_value = 1.0 / 3,
     .valid_range = {.min = 0, .max = kInf, .min_inclusive = true},
     .description = "upper end of the training mode's slope distribution; the "
                    "slope for x <= 0 is (lower + upper) / 2"},
};
inline const char* RreluCheckParams(const double* p) {
  return p[0] <= p[1] ? nullptr : "lower must not exceed upper (as torch.nn.RReLU)";
}
// The reference (oracle) for tests: long double, independent of the kernels.
inline long double RreluReference(long double x, const double* p) {
  return x > 0 ? x : (static_cast<long double>(p[0]) + p[1]) / 2 * x;
}
inline long double RreluReferenceDerivative(long double x, const double* p) {
  if (std::isnan(x)) return x;
  return x > 0 ? 1 : (static_cast<long double>(p[0]) + p[1]) / 2;
}
inline constexpr ActivationSpec kRreluSpec{
    .name = "rrelu",
    .formula = "f(x) = x if x > 0 else (lower + upper) / 2 * x",
    .derivative_formula = "f'(x) = 1 if x > 0 else (lower + upper) / 2",
    .params = kRreluParams,
    .output_range = {},
    .properties = {.bounded_below = false, .bounded_above = false, .smooth = false,
                   .monotonic = true, .zero_centered = true, .saturating = false},
    .derivative_from_output = true,
    .ulp_float32 = {.forward = 0.501, .derivative = 0.501, .backward = 0.501, .derivative_from_output = 0.501,
                    .backward_from_output = 0.501},
    .ulp_float64 = {.forward = 1, .derivative = 1, .backward = 1, .derivative_from_output = 1,
                    .backward_from_output = 1},
    .notes = "Evaluation mode only (training=False), which is deterministic: the "
             "slope is the mean (lower + upper) / 2, as PyTorch's eval mode. "
             "Not differentiable at 0: f'(0) = the slope. The slope is applied "
             "as a pair hi + lo in the element type (float32: one FMA, rounded "
             "once); a float32 slope outside [2^-64, 2^64] in float64 lanes.",
    .reference = {&RreluReference, &RreluReferenceDerivative, &RreluReferenceDerivative},
    .pytorch = "torch.nn.functional.rrelu(input, lower, upper, training=False)",
    .check_params = &RreluCheckParams,
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
// Parameters: p[0] = lower, p[1] = upper.
struct RreluNaive {
  template <typename T>
  static T Value(T x, const ParamValues& p) {
    return x > T(0) ? x : static_cast<T>((p[0] + p[1]) / 2) * x;
  }
  template <typename T>
  static T Derivative(T x, const ParamValues& p) {
    return x > T(0) ? T(1) : static_cast<T>((p[0] + p[1]) / 2);
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_RRELU_SPEC_H_

#if defined(ACTIVATIONS_RRELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_RRELU_INL_H_
#undef ACTIVATIONS_RRELU_INL_H_
#else
#define ACTIVATIONS_RRELU_INL_H_
#endif
#include <cstring>

#include "activations/spec.h"
#include "activations/math-inl.h"
#include "activations/piecewise-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

struct Rrelu {
  // The slope m = (lower + upper) / 2 (11/48 at the defaults) is not a float
  // in general; rounded to float32 it would cost 0.8 ULP. float32 on FMA
  // targets: m = hi + lo in float32 lanes (hi truncated, lo >= 0 rounded),
  // v m = FMA(v, hi, v lo), one rounding after an error of about 2^-22 ULP
  // (v lo's own rounding and m's residual past lo, both ~2^-47 of v m).
  // Targets without FMA take the driver's float64 path.
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;
  static constexpr bool kFloatFromOutputViaDouble = kFloatViaDouble;

  static long double Mean(const ParamValues& p) {
    return (static_cast<long double>(p[0]) + p[1]) / 2;
  }
  // float32: a slope outside [2^-64, 2^64] (but not 0) takes RareKernel,
  // float64 lanes: there hi and lo would lose digits to float32's range
  // (lo subnormal, hi inf). Chosen once per call (kernels.cc, RunInType).
  template <typename T>
  static bool UseRareKernel(const ParamValues& p) {
    if constexpr (sizeof(T) != 4) {
      return false;
    } else {
      const long double m = Mean(p);
      return m != 0 && !(m >= 0x1p-64L && m <= 0x1p64L);
    }
  }
  // A slope that is a float32 (0, 1/2, lower = upper = 0.25, ...) takes
  // FastKernel in float32: v hi alone, as leaky_relu.
  static bool UseFastKernel(const ParamValues& p) {
    const long double m = Mean(p);
    return m <= 0x1p64L && static_cast<long double>(static_cast<float>(m)) == m;
  }

  enum class Variant { kSplit, kExact, kWide };

  // kSplit / kExact: see above (float64: the same kernel for both, the slope
  // as hi + lo in float64, 1 ULP); kWide: float32 times the slope in float64,
  // rounded once.
  template <class D, Variant kVariant>
  struct KernelOf {
    // Bound by memory, not arithmetic: large jobs store every mode's results
    // non-temporally (kernels.cc StreamsOneOutput).
    static constexpr bool kStreamLargeOutputs = true;
    using T = hn::TFromD<D>;
    static constexpr bool kFloat = sizeof(T) == 4 && !kFloatViaDouble;
    D d;
    V<D> slope, slope_lo;  // float64, float32 kSplit: m = slope + slope_lo
    V<D> slope_rounded;    // m rounded to T: f'(x) for x <= 0
    // float32 kSplit: 0 < |v| < tiny takes TinyTimesSlope; as a key on the
    // bits, u = 2 bits(v) (the sign shifted out): u - 1 < tiny_key, unsigned,
    // with tiny_key = 2 bits(tiny) - 1 (0 when tiny is 0: no lane). One
    // integer compare where |v| < tiny and v != 0 took two and a mask AND;
    // the same lanes (NaN and inf: u - 1 above every finite key).
    using DU = hn::RebindToUnsigned<D>;
    using TU = hn::TFromD<DU>;
    V<DU> tiny_key;
    double mean;           // m in float64
    V<WideHalf<D>> slope_wide;  // float32 kWide: m in float64 lanes

    // m rounded toward 0 in float32 (m >= 0, below 2^64 here); float64: to
    // nearest.
    static T Hi(long double m) {
      T hi = NearestOf<T>(static_cast<double>(m));
      if (kFloat && std::isfinite(hi) && static_cast<long double>(hi) > m) {
        hi = std::nextafter(hi, T(0));
      }
      return hi;
    }
    // m - Hi rounded to T; 0 where m overflows T (float64 with upper near
    // DBL_MAX), so that slope + slope_lo is inf and not inf - inf, and for
    // the float32 kernels that do not use it (m - hi may be out of float's
    // range there).
    static T Lo(long double m) {
      if (kFloat && kVariant != Variant::kSplit) return T(0);
      const T hi = Hi(m);
      return std::isinf(hi) ? T(0) : static_cast<T>(m - hi);
    }
    KernelOf(D d_in, const ParamValues& p)
        : d(d_in),
          slope(hn::Set(d_in, Hi(Mean(p)))),
          slope_lo(hn::Set(d_in, Lo(Mean(p)))),
          slope_rounded(hn::Set(d_in, NearestOf<T>(static_cast<double>(Mean(p))))),
          // |v| m < 2^-100: v lo may have lost digits to underflow (its
          // error 2^-150 is then more than 2^-27 ULP of v m).
          tiny_key(hn::Set(DU(), TinyKey(NearestOf<T>(static_cast<double>(
                                     0x1p-100L / (Mean(p) > 0 ? Mean(p) : 1)))))),
          mean(static_cast<double>(Mean(p))),
          slope_wide(hn::Set(WideHalf<D>(), static_cast<double>(Mean(p)))) {}

    static TU TinyKey(T tiny) {
      TU bits;
      std::memcpy(&bits, &tiny, sizeof(bits));
      return bits == 0 ? TU(0) : static_cast<TU>(2 * bits - 1);
    }
    HWY_INLINE auto Tiny(V<D> v) const {
      const DU du;
      const V<DU> u = hn::BitCast(du, v);
      return hn::RebindMask(d, hn::Lt(hn::Sub(hn::Add(u, u), hn::Set(du, 1)), tiny_key));
    }

    // float32 v m in float64 lanes, rounded once (kWide, and kSplit's tiny
    // v); out of line for kSplit, whose loop should not hold its registers.
    static HWY_INLINE V<D> WideTimes(D d, V<D> v, V<WideHalf<D>> m) {
      const Halves<D> h = PromoteHalves(d, v);
      return DemoteHalves(d, hn::Mul(h.lo, m), hn::Mul(h.hi, m));
    }
    static HWY_NOINLINE V<D> TinyTimesSlope(D d, V<D> v, double m) {
      return WideTimes(d, v, hn::Set(WideHalf<D>(), m));
    }

    // x <= 0 (false for NaN): the selects take x, g or 1 where it is false,
    // so that Value gives x itself, every bit, in NaN lanes and the forward
    // needs no NaN restore (kernels.cc, ValueKeepsNaN). The other modes give
    // NaN there from the driver's restore, whatever Slope selected.
    using State = hn::Mask<D>;
    static constexpr bool kValueKeepsNaN = true;
    HWY_INLINE State Prepare(V<D> x) const { return hn::Le(x, hn::Zero(d)); }
    // v m. float64: v (slope + slope_lo), v clamped in the correction so
    // that -inf gives -inf, and a NaN from -inf * 0 (slope 0) is the limit 0.
    HWY_INLINE V<D> TimesSlope(V<D> v) const {
      if constexpr (kFloat && kVariant == Variant::kSplit) {
        // slope_lo > 0 here, so v lo keeps v's sign (-0 m = -0) and is -inf
        // at v = -inf (slope > 0: no NaN).
        const V<D> neg = hn::MulAdd(v, slope, hn::Mul(v, slope_lo));
        const auto small = Tiny(v);  // 0 < |v| < tiny
        if (HWY_UNLIKELY(!hn::AllFalse(d, small))) {
          return hn::IfThenElse(small, TinyTimesSlope(d, v, mean), neg);
        }
        return neg;
      } else {
        V<D> neg;
        if constexpr (kFloat && kVariant == Variant::kWide) {
          neg = WideTimes(d, v, slope_wide);
        } else if constexpr (kFloat) {
          neg = hn::Mul(v, slope);  // kExact: m is slope
        } else {
          neg = hn::MulAdd(slope_lo, ClampHuge(d, v), hn::Mul(v, slope));
          if constexpr (!HWY_NATIVE_FMA) {
            // Without FMA v slope_lo is rounded on its own, and below |v| =
            // 2^-900 it may be subnormal and lose digits: 1.13 ULP at
            // x = -2.36e-307, m = 0.2 (AccuracyTest.FloatSplitParameters).
            // Such v are scaled by 2^64 first (exact) and the sum back by
            // 2^-64 (exact unless v m is subnormal, then its one rounding).
            const auto small = hn::Lt(hn::Abs(v), hn::Set(d, 0x1p-900));
            if (HWY_UNLIKELY(!hn::AllFalse(d, small))) {
              const V<D> vs = hn::Mul(v, hn::Set(d, 0x1p64));
              const V<D> ns = hn::Mul(hn::MulAdd(slope_lo, vs, hn::Mul(vs, slope)),
                                      hn::Set(d, 0x1p-64));
              neg = hn::IfThenElse(small, ns, neg);
            }
          }
        }
        return hn::IfThenZeroElse(hn::IsNaN(neg), neg);
      }
    }
    HWY_INLINE V<D> Value(const State& neg, V<D> x) const {
      return hn::IfThenElse(neg, TimesSlope(x), x);
    }
    // g itself for x > 0; g m below.
    HWY_INLINE V<D> Slope(const State& neg, V<D>, Unit) const {
      if constexpr (kFloat) {
        return hn::IfThenElse(neg, slope_rounded, hn::Set(d, 1));
      } else {
        return hn::IfThenElse(neg, hn::Add(slope, slope_lo), hn::Set(d, 1));
      }
    }
    HWY_INLINE V<D> Slope(const State& neg, V<D>, V<D> g) const {
      return hn::IfThenElse(neg, TimesSlope(g), g);
    }
    // With a slope >= 0, y <= 0 exactly when x <= 0.
    template <class G>
    HWY_INLINE V<D> SlopeFromOutput(V<D> y, G g) const { return Slope(Prepare(y), y, g); }
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
#endif  // ACTIVATIONS_RRELU_INL_H_
