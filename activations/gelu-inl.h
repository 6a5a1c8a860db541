// gelu(x) = x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016).
#ifndef ACTIVATIONS_GELU_SPEC_H_
#define ACTIVATIONS_GELU_SPEC_H_
#include <numbers>

#include "activations/spec.h"
namespace activations {
// The reference (oracle) for tests: long double, independent of the kernels.
// Phi(x) = erfc(z) / 2 with z = -x / sqrt(2) carried as z + zl: erfc's
// relative error grows by about 2 z^2 times the relative error of its
// argument, so z rounded once (and 1 / sqrt(2) as one long double) cost the
// oracle up to 0.63 ULP of float64 at x = -37.4 (tools/mpfr_check, session
// 27). 1 / sqrt(2) = kHi + kLo (mpmath, 400 bits), x kHi exact by fmal, and
// erfc(z + zl) = erfc(z) - zl (2 / sqrt(pi)) e^(-z^2) to first order (zl^2
// is below 2^-120 relative).
inline long double GeluPhiReference(long double x) {
  constexpr long double kHi = 0xb504f333f9de6484p-64L, kLo = 0xb2fb1366ea957d3ep-129L;
  constexpr long double kTwoOverSqrtPi = 1.12837916709551257389615890312154517L;
  const long double t = x * kHi, te = std::fma(x, kHi, -t) + x * kLo;  // x / sqrt(2) = t + te
  const long double z = -t, zl = -te;
  return (std::erfc(z) - zl * kTwoOverSqrtPi * std::exp(-z * z)) / 2;
}
inline long double GeluReference(long double x, const double*) {
  // NaN and +-inf as the plain formula gives them (their bits as before).
  if (!std::isfinite(x)) return x * std::erfc(-x / std::sqrt(2.0L)) / 2;
  return x * GeluPhiReference(x);
}
// x e^(-x^2/2) / sqrt(2 pi) with x^2 = p + pe exact (fmal): e^(-p/2) (1 -
// pe/2); x^2 rounded once cost 0.24 ULP of float64 at x = -33.9.
inline long double GeluReferenceDerivative(long double x, const double*) {
  const long double kInvSqrt2Pi = 0.398942280401432677939946059934381868L;
  if (std::isnan(x)) return x;
  if (std::isinf(x)) {  // as the plain formula gives them
    return std::erfc(-x / std::sqrt(2.0L)) / 2 + x * std::exp(-x * x / 2) * kInvSqrt2Pi;
  }
  const long double p = x * x, pe = std::fma(x, x, -p);
  return GeluPhiReference(x) + x * (std::exp(-p / 2) * (1 - pe / 2) * kInvSqrt2Pi);
}
inline constexpr ActivationSpec kGeluSpec{
    .name = "gelu",
    .formula = "f(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))",
    .derivative_formula = "f'(x) = Phi(x) + x * exp(-x^2/2) / sqrt(2 pi)",
    .params = {},
    .output_range = {.min = -0.16997120747990366, .max = kInf, .min_inclusive = true},
    .properties = {.bounded_below = true, .bounded_above = false, .smooth = true,
                   .monotonic = false, .zero_centered = true, .saturating = false},
    .derivative_from_output = false,
    .ulp_float32 = {.forward = 1.5, .derivative = 1.5, .backward = 1.5},
    .ulp_float64 = {.forward = 2, .derivative = 2, .backward = 2,
                    .derivative_near_zero_ulp_of_one = 4},
    .notes = "PyTorch's approximate='none'. Highway has no erf: Phi(-|x|) = "
             "exp(-x^2/2) R(|x|), x^2 formed exactly, so the tail keeps full "
             "precision (gelu(-10) = -7.6e-23). float32: R from 16 fitted "
             "polynomials of degree 8 (16 intervals, cut at the half-integers), "
             "picked per lane by a table lookup; double: R = S(t) / (|x| + 4), "
             "t = (|x| - 4)/(|x| + 4), one polynomial S of degree 22 with t's "
             "rounding carried. float32 is native on FMA targets in every mode "
             "(through float64 on SSE4 and scalar; on AVX-512 in 16 float32 "
             "lanes with hi + lo factors, f and f' from one exponential "
             "(forward bound 1.5: a few roundings more than the other "
             "targets'); on AVX2 in hi + lo pairs); f = max(x, 0) - |x| Q for "
             "either sign; f'(-a) = E (R(a) - a/sqrt(2 pi)), and the interval "
             "around its zero (x = -0.7518) is centred on it, so that factor "
             "keeps its relative precision there from R's own Horner sums: "
             "float32 has no near-zero exception; float64 has the bounds' "
             "derivative_near_zero one.",
    .reference = {&GeluReference, &GeluReferenceDerivative},
};
// The textbook formula, one element at a time with <cmath>: the speed
// baseline of bench/activation_benchmark.cc, never used to serve.
struct GeluNaive {
  template <typename T>
  static T Value(T x, const ParamValues&) {
    return T(0.5) * x * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
  }
  template <typename T>
  static T Derivative(T x, const ParamValues&) {
    // 1 / sqrt(2 pi)
    const T inv_sqrt_2pi = std::numbers::inv_sqrtpi_v<T> / std::numbers::sqrt2_v<T>;
    const T cdf = T(0.5) * (T(1) + std::erf(x / std::numbers::sqrt2_v<T>));
    return cdf + x * std::exp(T(-0.5) * x * x) * inv_sqrt_2pi;
  }
};
}  // namespace activations
#endif  // ACTIVATIONS_GELU_SPEC_H_

#if defined(ACTIVATIONS_GELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ACTIVATIONS_GELU_INL_H_
#undef ACTIVATIONS_GELU_INL_H_
#else
#define ACTIVATIONS_GELU_INL_H_
#endif
#include "activations/spec.h"
#include "activations/math-inl.h"
HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// The tail of the normal distribution, Q(a) = Phi(-a) = E R(a) for a >= 0,
// with E = exp(-a^2/2) and R(a) = erfcx(a/sqrt 2)/2. double (float32 takes
// GeluTailTable below): R(a) = S(t) / (a + K),
// t = (a - K)/(a + K). S = (a + K) R is smooth and bounded ([0.40, 1.5]) on
// the whole half-line, so one polynomial in t (K = 4, degree 22) covers
// [0, 40] with no cancellation at large a; beyond, E is 0. Coefficients: a
// least-squares fit in relative error on 400 Chebyshev nodes at 60 digits
// (mpmath), fit error 2.2e-17; the two leading ones as hi + lo.
template <typename T>
struct GeluTail;
template <>
struct GeluTail<float> {
  static constexpr float kMaxA = 16;  // R itself: GeluTailTable
};
template <>
struct GeluTail<double> {
  static constexpr double kK = 4, kMaxA = 40;
  static constexpr double kC0 = 0.7552851304157515, kC0Lo = -3.8649409939643665e-17;
  static constexpr double kC1 = -0.6078966419718921, kC1Lo = 2.7100993444798676e-18;
  static constexpr double kC[] = {
      0.3871374007422199,     -0.1865218579596623,     0.06039657489064385,
      -0.007540188966530889,  -0.0034796923611876795,  0.0016308184546660013,
      0.00013334424462303245, -0.00023109491496864772, -1.907823702236086e-06,
      3.5144625429199784e-05, 7.149144278740056e-07,   -5.920186397037244e-06,
      -6.251259216060743e-07, 1.022207254768024e-06,   2.6408156687641206e-07,
      -1.5702326000588482e-07, -7.724223601350653e-08, 1.6367377482282575e-08,
      1.4704834274675189e-08, -4.2753349860313886e-10, -1.236536846892026e-09};  // c2 .. c22
};

// float: R(a) on [0, 15.5] from 16 polynomials of degree 8, one on each
// interval of the a that round to i = 0..15, in u = a - c_i (exact:
// Sterbenz), c_i = i except c_1 = a0 = 0.75179152 (hi + lo: u's lo part is
// kCentre[1]), the zero of m = R - a/sqrt(2 pi) (f'(-a) = E m), so that the
// derivative can form m from the same Horner sums with its relative
// precision intact (Gelu::MFromTable). Coefficients picked per lane by a
// table lookup (one permute on AVX-512): no divisions and no rounded
// argument, unlike the t-polynomial above (which double keeps).
// tools/fit_gelu_tail.py: Chebyshev interpolants at 50 digits (mpmath); with
// the coefficients rounded to float (c0, c1 as hi + lo), 8.2e-9 relative
// error at most (interval 1, |u| up to 3/4; 3.8e-9 elsewhere). kC[k][i] =
// c_k on interval i; kLo[0], kLo[1] hold the lo parts of c0, c1.
struct GeluTailTable {
  static constexpr int kDegree = 8;
  alignas(64) static constexpr float kC[kDegree + 1][16] =
  {
     {
      0.5f, 0.2999214231967926f, 0.16810199618339539f, 0.12151394784450531f,
      0.09441064298152924f, 0.0769193023443222f, 0.06477931141853333f, 0.05589348077774048f,
      0.04912254586815834f, 0.043798789381980896f, 0.0395066924393177f, 0.0359748899936676f,
      0.03301897272467613f, 0.03050941415131092f, 0.028352661058306694f, 0.026479488238692284f,
     },
     {
      -0.3989422917366028f, -0.17346389591693878f, -0.06273827701807022f, -0.03440043702721596f,
      -0.02129971608519554f, -0.01434575580060482f, -0.010266394354403019f, -0.0076879034750163555f,
      -0.00596191082149744f, -0.004753180779516697f, -0.0038753394037485123f, -0.003218494588509202f,
      -0.0027146274223923683f, -0.0023198919370770454f, -0.0020050329621881247f, -0.0017499454552307725f,
     },
     {
      0.24999994039535522f, 0.08475632220506668f, 0.02131272293627262f, 0.009156321175396442f,
      0.00460589025169611f, 0.0025952637661248446f, 0.001590473810210824f, 0.0010390796232968569f,
      0.0007136302883736789f, 0.0005100818816572428f, 0.00037665010313503444f, 0.0002857246727216989f,
      0.0002217206929344684f, 0.000175409484654665f, 0.00014109913900028914f, 0.00011515390360727906f,
     },
     {
      -0.1329796016216278f, -0.036581508815288544f, -0.006704293191432953f, -0.0023104925639927387f,
      -0.0009587183594703674f, -0.00045647911611013114f, -0.0002411839086562395f, -0.0001381153560942039f,
      -8.428943692706525e-05f, -5.4147825721884146e-05f, -3.6279419873608276e-05f, -2.5174358597723767e-05f,
      -1.7993066649069078e-05f, -1.3189541277824901e-05f, -9.881718142423779e-06f, -7.545626431237906e-06f,
     },
     {
      0.062487855553627014f, 0.014315026812255383f, 0.001976045547053218f, 0.0005562127334997058f,
      0.00019275456725154072f, 7.821710460120812e-05f, 3.5842618672177196e-05f, 1.8068034478346817e-05f,
      9.82869642029982e-06f, 5.687871180271031e-06f, 3.463978828222025e-06f, 2.201685447289492e-06f,
      1.450971012673108e-06f, 9.863614423011313e-07f, 6.887713652758976e-07f, 4.923761594000098e-07f,
     },
     {
      -0.02652425691485405f, -0.0051684146746993065f, -0.0005502108833752573f, -0.00012834319204557687f,
      -3.753560667973943e-05f, -1.3077836229058448e-05f, -5.225427230470814e-06f, -2.327762558707036e-06f,
      -1.1319550594635075e-06f, -5.913905170018552e-07f, -3.279237716924399e-07f, -1.9116271232633153e-07f,
      -1.1628254981133068e-07f, -7.336824126014108e-08f, -4.7783675682921967e-08f, -3.199669151854323e-08f,
     },
     {
      0.010162957943975925f, 0.001731444732286036f, 0.00014580917195416987f, 2.851130921044387e-05f,
      7.098340574884787e-06f, 2.137122464773711e-06f, 7.4810247951973e-07f, 2.9554001912401873e-07f,
      1.2881557154287293e-07f, 6.0882115349159e-08f, 3.078568866499154e-08f, 1.6480537823326813e-08f,
      9.262406841514803e-09f, 5.4285553829913624e-09f, 3.299708062343143e-09f, 2.070820404043161e-09f,
     },
     {
      -0.0032624362502247095f, -0.0005042971461080015f, -3.816792377620004e-05f, -6.263360774028115e-06f,
      -1.3295548342284746e-06f, -3.464440681000269e-07f, -1.0638847669497409e-07f, -3.731383557692425e-08f,
      -1.459060339215057e-08f, -6.242872441220015e-09f, -2.880427674156749e-09f, -1.4166966488815547e-09f,
      -7.359324816214041e-10f, -4.0077746676914217e-10f, -2.2742015215460043e-10f, -1.337929628197898e-10f,
     },
     {
      0.000645582505967468f, 9.214063902618363e-05f, 9.266122106055263e-06f, 1.29925399505737e-06f,
      2.3825998596294085e-07f, 5.424985616286904e-08f, 1.4718415819459096e-08f, 4.607320747140875e-09f,
      1.6227003074575919e-09f, 6.304823330083309e-10f, 2.660719700120495e-10f, 1.204590316383758e-10f,
      5.792540058724427e-11f, 2.934776727192556e-11f, 1.5562346550312967e-11f, 8.5897764595666e-12f,
     },
  };
  alignas(64) static constexpr float kLo[2][16] =
  {
     {
      -3.226884471435598e-12f, 2.2568749091789186e-09f, 5.039775263782076e-09f, 5.110568634947299e-10f,
      -1.6795602686414668e-09f, 2.630684114990345e-09f, 2.9059135098208344e-09f, 1.662800008794818e-09f,
      3.44266587459785e-10f, -5.111140954916493e-10f, 1.6620682607992876e-09f, -3.725332542448001e-10f,
      -1.6474616115758067e-09f, 3.439462326060294e-10f, -5.309637729489225e-10f, 7.605375773600542e-10f,
     },
     {
      1.2381705438713198e-08f, 8.742273016615343e-10f, -6.392645857111745e-10f, 1.7283970921155856e-09f,
      8.973631837605467e-10f, 2.7534780011606586e-10f, -1.0007332462702578e-10f, 1.574445296359528e-10f,
      1.1948873834821683e-10f, 2.1589380283515425e-10f, 1.6179212483646843e-11f, 1.955576846290885e-11f,
      -5.246527171043347e-11f, -2.6012202808400886e-11f, -5.644324591047578e-11f, 4.224649796658042e-11f,
     },
  };
  // The centres c_i (hi) and -(c_i - hi): u = (a - hi) + that.
  alignas(64) static constexpr float kCentre[2][16] =
  {
     {
      0.0f, 0.7517915368080139f, 2.0f, 3.0f,
      4.0f, 5.0f, 6.0f, 7.0f,
      8.0f, 9.0f, 10.0f, 11.0f,
      12.0f, 13.0f, 14.0f, 15.0f,
     },
     {
      0.0f, 1.211444988769017e-08f, 0.0f, 0.0f,
      0.0f, 0.0f, 0.0f, 0.0f,
      0.0f, 0.0f, 0.0f, 0.0f,
      0.0f, 0.0f, 0.0f, 0.0f,
     },
  };
  // m(c_i) = R(c_i) - c_i / sqrt(2 pi) as hi + lo.
  alignas(64) static constexpr float kMAtCentre[2][16] =
  {
     {
      0.5f, 2.456380723960894e-16f, -0.6297825574874878f, -1.075312852859497f,
      -1.5013585090637207f, -1.9177920818328857f, -2.328874349594116f, -2.7367024421691895f,
      -3.142415761947632f, -3.5466816425323486f, -3.949916124343872f, -4.352390289306641f,
      -4.754288196563721f, -5.155740261077881f, -5.556839466094971f, -5.95765495300293f,
     },
     {
      0.0f, -7.640274061524733e-24f, -2.0922068522111203e-09f, -3.9989238587168074e-08f,
      2.8759959747048924e-08f, -1.5199271174992646e-08f, -1.849003261611415e-08f, -3.820029803591751e-08f,
      6.494859405847819e-08f, -9.220968166800958e-08f, 1.443093111674898e-08f, 9.451201776755624e-08f,
      -1.971762628727447e-07f, 3.035451356936392e-08f, 2.0100225128771854e-07f, 2.3598066434260545e-07f,
     },
  };
};

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// GeluTailTable's c0 lo parts with interval 1's centre lo part folded in
// (R(u + u_lo) = R(u) + c1 u_lo to u u_lo c2), and e^r - 1 = r + r^2 P(r)
// for |r| <= ln2/2 + 3e-4, P of degree 4 (tools/fit_gelu_exp.py 4: relative
// error 1.0e-8 with these float coefficients; lowest degree first; session
// 21: degree 5's 7.6e-10 cost an FMA more for an error the bounds do not
// need), for Gelu::Native16. Its derivative: W(u) = w - k = c1 - k + u p,
// from c1k = c1 - k as hi + lo (so W takes one FMA from Horner's p, with no
// sum against k), and m(c_i + u_lo) = m(c_i) + u_lo W(0) as m0 + m0_lo, the
// value of m at the float centre (u_lo W'(u) u, dropped, is 2e-9 of m at
// most). On interval 1 m0 (-6.9e-9: the centre's rounding to float, times
// W) goes whole into m0_lo, so that m0 + u W is a Fast2Sum on every
// interval (elsewhere |m0| > |u W|: m is monotonic, |m'| < 2k); m_lo is
// then as large as m next to x0, and E m keeps e_lo m_lo (Native16::Slope).
struct GeluTailNative16 {
  alignas(64) float c0_lo[16];
  alignas(64) float m0[16];
  alignas(64) float m0_lo[16];
  alignas(64) float c1k[16];
  alignas(64) float c1k_lo[16];
  static constexpr float kExpm1[] = {0.5f, 0.16666576266288757f, 0.04166655242443085f,
                                     0.008363224565982819f, 0.001392624108120799f};
  // 1/sqrt(2 pi) as hi + lo (float).
  static constexpr float kInvSqrt2Pi = 0.3989422917366028f;
  static constexpr float kInvSqrt2PiLo = -1.1335203e-08f;
};
constexpr GeluTailNative16 MakeGeluTailNative16() {
  using Table = GeluTailTable;
  GeluTailNative16 t{};
  for (int i = 0; i < 16; ++i) {
    t.c0_lo[i] = Table::kLo[0][i] + Table::kC[1][i] * Table::kCentre[1][i];
    // W(0) = c1 - 1/sqrt(2 pi) in double (the float pairs' sums are exact).
    const double w0 = double{Table::kC[1][i]} + double{Table::kLo[1][i]} -
                      (double{GeluTailNative16::kInvSqrt2Pi} +
                       double{GeluTailNative16::kInvSqrt2PiLo});
    const double m0 = double{Table::kMAtCentre[0][i]} + double{Table::kMAtCentre[1][i]} +
                      double{Table::kCentre[1][i]} * w0;
    t.m0[i] = i == 1 ? 0.0f : static_cast<float>(m0);
    t.m0_lo[i] = static_cast<float>(m0 - double{t.m0[i]});
    t.c1k[i] = static_cast<float>(w0);
    t.c1k_lo[i] = static_cast<float>(w0 - double{t.c1k[i]});
  }
  return t;
}
inline constexpr GeluTailNative16 kGeluTailNative16 = MakeGeluTailNative16();
#endif

// table[idx] per lane, for idx in [0, 16): one TableLookupLanes on 16-lane
// vectors, two and a blend on 8-lane ones, a gather elsewhere.
template <class D>
HWY_INLINE V<D> LookupInterval(D d, const float* table, V<hn::RebindToSigned<D>> idx) {
  constexpr size_t kLanes = hn::MaxLanes(D());
  if constexpr (kLanes == 16) {
    return hn::TableLookupLanes(hn::Load(d, table), hn::IndicesFromVec(d, idx));
  } else if constexpr (kLanes == 8) {
    const hn::RebindToSigned<D> di;
    const auto i8 = hn::IndicesFromVec(d, hn::And(idx, hn::Set(di, 7)));
    const V<D> lo = hn::TableLookupLanes(hn::Load(d, table), i8);
    const V<D> hi = hn::TableLookupLanes(hn::Load(d, table + 8), i8);
    return hn::IfThenElse(hn::RebindMask(d, hn::Gt(idx, hn::Set(di, 7))), hi, lo);
  } else {
    return hn::GatherIndex(d, table, idx);
  }
}

struct Gelu {
  // float32 natively on FMA targets, every mode (through float64 on SSE4
  // and scalar): f and f' share Prepare's exponential and R(a), and next to
  // the zero of f' m = R - a k keeps its relative precision (MFromTable).
  static constexpr bool kFloatForwardViaDouble = kFloatViaDouble;
  static constexpr bool kFloatDerivativeViaDouble = kFloatViaDouble;

  // g f'(x) for x below the tail table's end (x < -kMaxA: 15.5 float32 on
  // AVX-512, 16 on AVX2, 40 float64), the kernels' rare path (issue 11,
  // session 24). There f' = E m underflows (float32 below 2e-52, float64
  // below 1e-305) but g f' is still representable for a large g (|g| up to
  // 2^64 float32 / 2^512 float64 after the driver's scaling, kernels.cc):
  // float32 x = -16, g = 2^64 gives -4.2e-37, float64 x = -44, g = -6.2e114
  // gives 4.3e-305. m = R - a k from R's asymptotic series, R(a) = (k/a)
  // (1 - t + 3 t^2 - 15 t^3 + ...), t = 1/a^2:
  //   m = -a k (1 - t S(t)),  S(t) = 1 - t + 3 t^2 - 15 t^3 + 105 t^4 - ...,
  // S to t^6: its first dropped term, 135135 t^8 (t S enters m times t), is
  // 2e-20 of m at a = 40 and 5e-15 at a = 15.5 (float32). a k as hi + lo,
  // the sum with a k t S by Fast2Sum (t S < 1/200); then, as the common
  // path, g E m formed as hi + lo before the one scaling by 2^q (E from
  // exp(-a^2/2) with a^2's rounding carried, as Generic::Prepare). Beyond
  // kFarA (17.5 float32, 47.5 float64) g f' is below half the smallest
  // subnormal for every such g, and the lanes give g f' times 0 there (the
  // signed zero the common path gives where g f' underflows). At g = 1
  // these lanes still round to -0, as before: the same bits where
  // certify looks (g = 1).
  template <class D, class G>
  static HWY_NOINLINE V<D> FarTailSlope(D d, V<D> x, G g) {
    using T = hn::TFromD<D>;
    constexpr T kFarA = sizeof(T) == 4 ? T(17.5) : T(47.5);
    const V<D> a = hn::Min(hn::Abs(x), hn::Set(d, kFarA));
    // E = exp(-a^2/2) = (n + n_lo) 2^q, -a^2/2 = h + h_lo exactly.
    V<D> sq_lo;
    const V<D> sq = TwoProduct(d, a, a, &sq_lo);
    const V<D> minus_half = hn::Set(d, T(-0.5));
    const ExpParts<D> parts = ComputeExpPartsNonPositive(d, hn::Mul(sq, minus_half));
    const V<D> n = parts.N(d);
    const V<D> n_lo = hn::MulAdd(n, hn::Mul(sq_lo, minus_half), parts.NLo(d));
    // t S(t), t = 1/a^2 (their roundings move m by 2^-53 t at most).
    const V<D> t = hn::Div(hn::Set(d, T(1)), sq);
    static constexpr T kS[] = {T(1), T(-1), T(3), T(-15), T(105), T(-945), T(10395)};
    const V<D> ts = hn::Mul(t, Horner(d, t, kS));
    // m = -(a k) + (a k) t S, a k = ak + ak_lo.
    const T k_hi = sizeof(T) == 4 ? T(0.3989422917366028) : T(0.3989422804014327);
    const T k_lo = sizeof(T) == 4 ? T(-1.1335203e-08) : T(-2.4923272022777433e-17);
    V<D> ak_lo;
    const V<D> ak = TwoProduct(d, a, hn::Set(d, k_hi), &ak_lo);
    ak_lo = hn::MulAdd(a, hn::Set(d, k_lo), ak_lo);
    V<D> m_lo;
    const V<D> m = Fast2Sum<D>(hn::Neg(ak), hn::Mul(ak, ts), &m_lo);
    m_lo = hn::Add(m_lo, hn::MulAdd(ak_lo, ts, hn::Neg(ak_lo)));
    // g E m as hi + lo, scaled once.
    V<D> e_lo;
    V<D> e_hi = TwoProduct(d, n, m, &e_lo);
    e_lo = hn::MulAdd(n, m_lo, hn::MulAdd(n_lo, m, e_lo));
    TimesHiLo(d, g, &e_hi, &e_lo);
    const V<D> y = parts.Scale(hn::Add(e_hi, e_lo));
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -kFarA)), hn::Mul(y, hn::Zero(d)), y);
  }

  // float64, and float32 on AVX2 (FMA, 8 lanes): hi + lo arithmetic in the
  // vector's own type. float32 on AVX-512 takes Native16 below.
  template <class D>
  struct Generic {
    using T = hn::TFromD<D>;
    using C = GeluTail<T>;
    D d;
    Generic(D d_in, const ParamValues&) : d(d_in) {}

    // 1/sqrt(2 pi) as hi + lo.
    static constexpr T kInvSqrt2Pi = sizeof(T) == 4 ? T(0.3989422917366028)
                                                    : T(0.3989422804014327);
    static constexpr T kInvSqrt2PiLo = sizeof(T) == 4 ? T(-1.1335203e-08)
                                                      : T(-2.4923272022777433e-17);

    struct State {
      V<D> a;              // |x|, clamped to kMaxA
      hn::Mask<D> neg;     // x < 0
      ExpParts<D> parts;   // of -a^2/2: E = (n + n_lo) 2^q
      V<D> n, n_lo;
      V<D> r_hi, r_lo;     // R(a)
      // float (GeluTailTable): the interval's index, u = a - c_i as
      // u + u_lo, and Horner's last two partial sums: R = c0 + u w,
      // w = c1 + u p (w as w + w_lo), for the derivative's m.
      V<hn::RebindToSigned<D>> idx;
      V<D> u, u_lo, w, w_lo, p;
    };
    HWY_INLINE State Prepare(V<D> x) const {
      State s;
      s.neg = hn::Lt(x, hn::Zero(d));
      s.a = hn::Min(hn::Abs(x), hn::Set(d, C::kMaxA));
      // -a^2/2 = h + h_lo exactly; e^(h + h_lo) = e^h (1 + h_lo) to h_lo^2
      // (|h_lo| <= 2^-17 for a <= 16): h_lo goes into n_lo below rather
      // than into the exponential's argument (ComputeExpParts' x_lo path
      // costs a compare, a blend and three FMAs more).
      V<D> sq_lo;
      const V<D> sq = TwoProduct(d, s.a, s.a, &sq_lo);
      const V<D> minus_half = hn::Set(d, T(-0.5));
      s.parts = ComputeExpPartsNonPositive(d, hn::Mul(sq, minus_half));
      s.n = s.parts.N(d);
      s.n_lo = hn::MulAdd(s.n, hn::Mul(sq_lo, minus_half), s.parts.NLo(d));
      if constexpr (sizeof(T) == 4) {
        TailFromTable(&s);
      } else {
        TailFromT(&s);
      }
      return s;
    }
    // double: R(a) = S(t) / (a + K) (GeluTail).
    HWY_INLINE void TailFromT(State* ps) const {
      State& s = *ps;
      // a + K exactly, and t = (a - K) / (a + K) (only the polynomial's
      // argument: its rounding moves the point, not the value).
      const V<D> k = hn::Set(d, C::kK);
      V<D> ak_lo, am_lo;
      const V<D> ak = Fast2Sum<D>(hn::Max(s.a, k), hn::Min(s.a, k), &ak_lo);
      const V<D> am = TwoSum(d, s.a, hn::Neg(k), &am_lo);
      const V<D> rcp = Reciprocal(d, ak);
      // t corrected and its rounding kept in t_lo: S varies fastest near
      // t = -1, where t's rounding would move S(t) by up to 0.35 ULP (an
      // uncorrected quotient by 1 ULP), several times that where f'
      // cancels; S(t + t_lo) = S(t) + S'(t) t_lo.
      V<D> t_lo;
      const V<D> t = DivideRoundedHiLo(d, am, am_lo, ak, ak_lo, rcp, &t_lo);
      // S(t) by Horner, the last two steps compensated (their FMAs' exact
      // residuals and the leading coefficients' lo parts carried).
      V<D> p = Horner(d, t, C::kC);
      const V<D> c1 = hn::Set(d, C::kC1), c0 = hn::Set(d, C::kC0);
      const V<D> w = hn::MulAdd(t, p, c1);
      const V<D> w_lo = hn::Add(ExactFma(d, t, p, hn::Sub(c1, w)), hn::Set(d, C::kC1Lo));
      const V<D> sv = hn::MulAdd(t, w, c0);
      V<D> sv_lo = ExactFma(d, t, w, hn::Sub(c0, sv));
      sv_lo = hn::Add(hn::MulAdd(t, w_lo, sv_lo), hn::Set(d, C::kC0Lo));
      // S'(t) ~ w + t p = c1 + 2 c2 t + 2 c3 t^2 + ...: within 9.1 % (float)
      // and 30 % (double) on t's range, plenty for a term below an ULP of S.
      sv_lo = hn::MulAdd(hn::MulAdd(t, p, w), t_lo, sv_lo);
      s.r_hi = DivideHiLo(d, sv, sv_lo, ak, ak_lo, rcp, &s.r_lo);
      // (The table's fields, unused by double.)
      s.idx = hn::Zero(hn::RebindToSigned<D>());
      s.u = s.u_lo = s.w = s.w_lo = s.p = hn::Zero(d);
    }
    // R(a) as r_hi + r_lo from GeluTailTable: Horner in u, the last two
    // steps compensated (their FMAs' exact residuals and c0, c1's lo parts
    // carried), so R keeps ~2^-30 where f' amplifies it (R - a k cancels).
    HWY_INLINE void TailFromTable(State* s) const {
      using Table = GeluTailTable;
      const hn::RebindToSigned<D> di;
      // i = a rounded to an integer (ties to even: the intervals meet at
      // the half-integers), in the low bits of a + 2^23, where the permute
      // reads its index. On (15.5, kMaxA = 16] interval 15's polynomial,
      // extrapolated to u <= 1 (the index of a >= 15.5 would wrap to 0,
      // whose polynomial at u = 16 is ~1e8: with g up to 2^64, g E R is
      // representable there).
      const V<D> a = s->a;
      const V<D> shifted = hn::Add(hn::Min(a, hn::Set(d, 15.499999f)), hn::Set(d, 0x1p23f));
      const auto idx = hn::And(hn::BitCast(di, shifted), hn::Set(di, 15));
      s->idx = idx;
      // u = a - c_i exactly (c_i = i, or on interval 1 within a factor 2 of
      // a: Sterbenz), and c_i's lo part into u_lo.
      const V<D> u = hn::Sub(a, LookupInterval(d, Table::kCentre[0], idx));
      s->u = u;
      s->u_lo = LookupInterval(d, Table::kCentre[1], idx);
      V<D> p3 = LookupInterval(d, Table::kC[Table::kDegree], idx);
      for (int k = Table::kDegree - 1; k >= 3; --k) {
        p3 = hn::MulAdd(p3, u, LookupInterval(d, Table::kC[k], idx));
      }
      const V<D> c2 = LookupInterval(d, Table::kC[2], idx);
      const V<D> c1 = LookupInterval(d, Table::kC[1], idx);
      const V<D> c0 = LookupInterval(d, Table::kC[0], idx);
      const V<D> p = hn::MulAdd(p3, u, c2);
      const V<D> p_lo = ExactFma(d, u, p3, hn::Sub(c2, p));
      const V<D> w = hn::MulAdd(u, p, c1);
      const V<D> w_lo = hn::Add(hn::MulAdd(u, p_lo, ExactFma(d, u, p, hn::Sub(c1, w))),
                                LookupInterval(d, Table::kLo[1], idx));
      s->p = p;
      s->w = w;
      s->w_lo = w_lo;
      s->r_hi = hn::MulAdd(u, w, c0);
      const V<D> r_lo = ExactFma(d, u, w, hn::Sub(c0, s->r_hi));
      // R(u + u_lo) = R(u) + R'(u) u_lo, R'(u) ~ w + u p (within c3 u^2).
      s->r_lo = hn::Add(hn::MulAdd(u, w_lo, hn::MulAdd(hn::MulAdd(u, p, w), s->u_lo, r_lo)),
                        LookupInterval(d, Table::kLo[0], idx));
    }
    // f = max(x, 0) - a Q(a): x < 0 gives x Q, x >= 0 gives x - x Q =
    // x (1 - Q). P = a n R (a Q unscaled) as hi + lo. x >= 0: P's scaled hi
    // is subtracted from x exactly (Fast2Sum: a Q <= x/2), so the only
    // rounding of size is the last addition's. x < 0: -(hi + lo) rounded
    // once before the scaling (scaled apart, a lo below the normal range
    // would be rounded to a subnormal by itself: 0.71 ULP at x = -13.06).
    HWY_INLINE V<D> Value(const State& s, V<D> x) const {
      using TT = hn::TFromD<D>;
      const V<D> huge = hn::Set(d, kHuge<TT>);
      V<D> g_lo;
      const V<D> g = TwoProduct(d, s.n, s.r_hi, &g_lo);
      g_lo = hn::MulAdd(s.n_lo, s.r_hi, hn::MulAdd(s.n, s.r_lo, g_lo));
      V<D> p_lo;
      const V<D> p = TwoProduct(d, s.a, g, &p_lo);
      p_lo = hn::MulAdd(s.a, g_lo, p_lo);
      const V<D> sh = s.parts.Scale(p);
      // (Clamped below kHuge so that x - sh and its residual stay finite.)
      const V<D> pos = hn::Min(hn::Max(x, hn::Zero(d)), huge);
      const V<D> f = hn::Sub(pos, sh);
      // pos - sh - f exactly is -(sh + (f - pos)); with P's scaled lo.
      const V<D> rest = hn::Add(hn::Add(sh, hn::Sub(f, pos)), s.parts.Scale(p_lo));
      V<D> y = hn::IfThenElse(s.neg, hn::Neg(s.parts.Scale(hn::Add(p, p_lo))), hn::Sub(f, rest));
      // Beyond kMaxA, a Q is below the smallest subnormal, so f = -0 for
      // x < 0 (x = -inf included). For |x| < 2^-60, f = x/2 to far below
      // an ULP (x/sqrt(2 pi) relative), also for +-0; there P's lo would
      // fall under the subnormal range and be rounded a second time (1 ULP
      // at x ~ 4e-38). Above kHuge (+inf included), f = x.
      const V<D> tiny = hn::Mul(x, hn::Set(d, TT(0.5)));
      y = hn::IfThenElse(hn::Lt(hn::Abs(x), hn::Set(d, TT(0x1p-60))), tiny, y);
      return hn::IfThenElse(hn::Gt(x, huge), x, y);
    }
    // g f'(x). |g| > 2^64 never reaches it: the driver's backward scales
    // such g into [2^63, 2^64) first (kernels.cc, BackwardRare).
    // Beyond x = -kMaxA (a is clamped there, and the tail's table ends),
    // FarTailSlope: g f'(x) from R's asymptotic series, for the large g
    // where it is representable (issue 11; session 22 gave 0 there, an
    // underestimate for |g| > 1e6 between -kMaxA and -17.5 / -47.5).
    template <class G>
    HWY_INLINE V<D> Slope(const State& s, V<D> x, G g) const {
      V<D> m_lo;
      V<D> y;
      if constexpr (sizeof(T) == 4) {
        const V<D> m = MFromTable(s, &m_lo);
        y = SlopeGeneral(s, m, m_lo, g);
      } else {
        const V<D> m = MFromR(s, &m_lo);
        y = SlopeGeneral(s, m, m_lo, g);
      }
      // (A rare branch, x < -kMaxA: FarTailSlope.)
      const auto far = hn::Lt(x, hn::Set(d, -C::kMaxA));
      if (HWY_UNLIKELY(!hn::AllFalse(d, far))) y = hn::IfThenElse(far, FarTailSlope(d, x, g), y);
      return y;
    }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states before either result
    // (float64 on AVX-512; float32 there is Native16's).
    HWY_INLINE void OrderPair(State& s0, State& s1) const { ComputedBefore(s0.r_lo, s1.r_lo); }
#endif

    // m = R - a k as hi + *lo (k = 1/sqrt(2 pi)): f'(-a) = E m. It cancels
    // near its zero a0 = 0.7518 (x0 = -a0, the zero of f'). double: R - a k
    // directly, both as hi + lo (the bounds' near-zero exception covers
    // the rest). 
    HWY_INLINE V<D> MFromR(const State& s, V<D>* lo) const {
      V<D> ak_lo;
      const V<D> ak = TwoProduct(d, s.a, hn::Set(d, kInvSqrt2Pi), &ak_lo);
      ak_lo = hn::MulAdd(s.a, hn::Set(d, kInvSqrt2PiLo), ak_lo);
      const V<D> m = TwoSum(d, s.r_hi, hn::Neg(ak), lo);
      *lo = hn::Add(hn::Sub(*lo, ak_lo), s.r_lo);
      return m;
    }
    // float: m(c_i + u) = m(c_i) + u (w - k), from R's own Horner sums
    // (R = c0 + u w); interval 1 is centred on a0 (GeluTailTable), where
    // m(c_1) is 2.5e-16 and u (w - k) carries m's relative precision down
    // to its zero: no cancellation, and no series for f' there. w - k: no
    // cancellation either (R' = a R - k is in (-k, 0), and w is an average
    // of R' over [c_i, a] to within the higher terms): |w| < k, Fast2Sum.
    HWY_INLINE V<D> MFromTable(const State& s, V<D>* lo) const {
      using Table = GeluTailTable;
      V<D> wk_lo;
      const V<D> wk = Fast2Sum<D>(hn::Set(d, -kInvSqrt2Pi), s.w, &wk_lo);
      wk_lo = hn::Add(wk_lo, hn::Sub(s.w_lo, hn::Set(d, kInvSqrt2PiLo)));
      // u + u_lo as uh + ul exactly: near m's zero u_lo (w - k) is m's
      // leading term, and rounded on its own it cost 0.8 ULP at the floats
      // next to x0; uh (w - k) is exact (TwoProduct) instead.
      V<D> ul;
      const V<D> uh = TwoSum(d, s.u, s.u_lo, &ul);
      V<D> t_lo;
      const V<D> t = TwoProduct(d, uh, wk, &t_lo);
      // w - k is W(u); W(u + u_lo) = W(u) + u_lo W'(u), W' ~ p.
      t_lo = hn::MulAdd(uh, wk_lo,
                        hn::MulAdd(ul, wk, hn::MulAdd(hn::Mul(uh, s.u_lo), s.p, t_lo)));
      const V<D> m0 = LookupInterval(d, Table::kMAtCentre[0], s.idx);
      const V<D> m = TwoSum(d, m0, t, lo);
      *lo = hn::Add(*lo, hn::Add(t_lo, LookupInterval(d, Table::kMAtCentre[1], s.idx)));
      return m;
    }

    // x < 0: f' = E m; x >= 0: f' = 1 - E m (m = R - a k as m + m_lo).
    template <class G>
    HWY_INLINE V<D> SlopeGeneral(const State& s, V<D> m, V<D> m_lo, G g) const {
      // E (R - a k) as n (m + m_lo) 2^q, times g.
      V<D> e_lo;
      V<D> e_hi = TwoProduct(d, s.n, m, &e_lo);
      e_lo = hn::MulAdd(s.n, m_lo, hn::MulAdd(s.n_lo, m, e_lo));
      TimesHiLo(d, g, &e_hi, &e_lo);
      const V<D> neg_val = s.parts.Scale(hn::Add(e_hi, e_lo));
      // x >= 0: g (1 - E m), 1 - E m with |E m| <= 1/2.
      V<D> sum_lo;
      const V<D> em = s.parts.Scale(e_hi);
      const V<D> one = Times(d, g, hn::Set(d, 1));
      const V<D> pos_hi = Fast2Sum<D>(one, hn::Neg(em), &sum_lo);
      // (For a finite g, |g| >= |g E m|; the sum's lo and E's lo parts.)
      const V<D> pos_val = hn::Add(pos_hi, hn::Sub(sum_lo, s.parts.Scale(e_lo)));
      return hn::IfThenElse(s.neg, neg_val, pos_val);
    }
  };

  template <class DF>
  struct Native16;
  template <class D>
  using Kernel = KernelInWideLanes512<D, Native16, Generic>;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // float32 on AVX-512 in native float32 lanes (16 a vector; session 18's
  // float64-lane version needed two of everything and the conversions),
  // every mode from one Prepare: f = max(x, -0) - a R E and
  // f' = E m (x < 0) or 1 - E m (x >= 0), every factor as hi + lo.
  // R = c0 + u (c1 + u p) from GeluTailTable, one VPERMPS a coefficient
  // (the index is round(a) in the low four bits of a + 2^23, which VPERMPS
  // alone reads); the last two Horner steps compensated (their exact FMA
  // residuals, c0's lo part with interval 1's centre lo part folded in).
  // (Session 21 tried 32 intervals of width 1/2 and degree 6 through
  // VPERMT2PS, fit error 6.1e-9: two lookups and two FMAs fewer, yet the
  // forward was 7 % slower on Zen 4, where the two-table permute and the
  // register copy it needs cost more than they saved.)
  // E = exp(-a^2/2) = 2^k e^(r + r_lo): -a^2/2 = h + h_lo exactly (FMA
  // two-product of -a/2 and a), k = round(h log2 e), r = h - k ln2_hi exact
  // (Cody-Waite: ln2_hi has 9 bits, |k| <= 173), r_lo = h_lo - k ln2_lo
  // (< 3e-4); e^r = 1 + r + q, q = r^2 P(r) (P of degree 4,
  // GeluTailNative16), as E_h = 1 + r (Fast2Sum) and E_l = its residual +
  // q + r_lo (1 + r + q). Then a R E = a R_h E_h + a (R_l E_h + R_h E_l)
  // with a R_h as hi + lo, summed by two FMAs: one rounding of size, and
  // the scaling by 2^k (VSCALEFPS) rounds once more only in the subnormal
  // range (x in [-15.5, -13]). For x < 0, -0 - P is -P exactly (f(-inf) =
  // -0); for x > 0 the subtraction's rounding. NaN: a is NaN (x86's min
  // returns its second operand), and so is every result.
  // m = R - a k = m(c_i) + u W(u), W = w - k = (c1 - k) + u p from a
  // table of c1 - k (MFromTable's m, as Generic, with W in one FMA), with
  // u W exact (FMA two-product), m(c_i) taken at the float centre and the
  // sum a Fast2Sum (GeluTailNative16), so m keeps its relative precision
  // next to the zero of f' (x0 = -0.7518); E m as hi + lo, rounded once
  // after g. Session 21 (AMD Zen 4, where the loop's speed follows its
  // count of 512-bit operations): these, the degree-4 exponential and R
  // without w's rounding took the AVX3 loops from 72 to 63 instructions a
  // vector (forward) and from 102 to 92 (backward); docs/benchmarks.md.
  template <class DF>
  struct Native16 {
    using Table = GeluTailTable;
    using Tab16 = GeluTailNative16;
    static constexpr int kDegree = Table::kDegree;
    static constexpr float kMaxA = 15.499999f;
    // Value gives x's bits in NaN lanes of x (the driver's forward skips its
    // restore).
    static constexpr bool kValueKeepsNaN = true;
    DF d;
    Native16(DF d_in, const ParamValues&) : d(d_in) {}

    struct State {
      V<DF> a;            // min(|x|, kMaxA)
      __m512i idx;        // round(a) in the low four bits
      V<DF> u;            // a - c_i (c_i's float hi part), exact
      V<DF> p;            // w = c1 + u p
      V<DF> w;            // R = c0 + u w
      V<DF> r_hi, r_lo;   // R(a)
      V<DF> k;            // E = (e_hi + e_lo) 2^k
      V<DF> e_hi, e_lo;
    };
    HWY_INLINE V<DF> Lookup(const float* table, __m512i idx) const {
      return V<DF>{_mm512_permutexvar_ps(idx, hn::Load(d, table).raw)};
    }
    HWY_INLINE State Prepare(V<DF> x) const {
      const Tab16& t = kGeluTailNative16;
      State s;
      // a = min(|x|, kMaxA) in one VRANGEPS (imm 0b1010: the operand of
      // smaller magnitude, its sign cleared; NaN: NaN), for VANDPS and
      // VMINPS: the same values.
      const V<DF> a{_mm512_range_ps(x.raw, hn::Set(d, kMaxA).raw, 0x0A)};
      s.a = a;
      s.idx = _mm512_castps_si512(hn::Add(a, hn::Set(d, 0x1p23f)).raw);
      const __m512i idx = s.idx;
      const V<DF> u = hn::Sub(a, Lookup(Table::kCentre[0], idx));
      s.u = u;
      V<DF> p = Lookup(Table::kC[kDegree], idx);
      for (int k = kDegree - 1; k >= 2; --k) p = hn::MulAdd(p, u, Lookup(Table::kC[k], idx));
      // w = c1 + u p and R = c0 + u w with the last FMA's residual (c0 -
      // r_hi exact: |u w| < c0/2, Sterbenz) and c0's lo part. w's own
      // rounding is not carried (session 21: two operations a vector
      // of the forward's 65): u w's error, 2^-24 |u w| < 0.43 2^-24 R at most
      // (|u w| / R is largest at the ends of intervals 0 and 1).
      const V<DF> c1 = Lookup(Table::kC[1], idx);
      const V<DF> c0 = Lookup(Table::kC[0], idx);
      s.p = p;
      s.w = hn::MulAdd(p, u, c1);
      s.r_hi = hn::MulAdd(u, s.w, c0);
      s.r_lo = hn::Add(hn::MulAdd(u, s.w, hn::Sub(c0, s.r_hi)), Lookup(t.c0_lo, idx));
      // e^(r + r_lo) with -a^2/2 = h + h_lo exactly: h = (-a/2) a (-a/2 is
      // exact, and so h = -round(a^2)/2; a below 2^-125 loses a bit there,
      // where h rounds to 0 anyway) and h_lo its FMA residual.
      const V<DF> minus_half_a = hn::Mul(a, hn::Set(d, -0.5f));
      const V<DF> h = hn::Mul(minus_half_a, a);
      const V<DF> h_lo = hn::MulSub(minus_half_a, a, h);
      // k = round(h log2 e) as (h log2 e + 1.5 2^23) - 1.5 2^23, the first
      // an FMA (|h log2 e| <= 174): one rounding of h log2 e to an integer
      // (until session 27, h log2 e rounded to float, then VRNDSCALEPS;
      // they differ where h log2 e is within half a float ULP of a
      // half-integer, and then either k keeps |r| <= ln2/2 + 2^-17).
      const V<DF> shifter = hn::Set(d, 0x1.8p23f);
      s.k = hn::Sub(hn::MulAdd(h, hn::Set(d, 1.4426950408889634f), shifter), shifter);
      const V<DF> r = hn::MulAdd(s.k, hn::Set(d, -FloatTraits<float>::kLn2Hi), h);
      const V<DF> rl = hn::MulAdd(s.k, hn::Set(d, -FloatTraits<float>::kLn2Lo), h_lo);
      const V<DF> q = hn::Mul(hn::Mul(r, r), Horner(d, r, t.kExpm1));
      const V<DF> one = hn::Set(d, 1.0f);
      s.e_hi = hn::Add(one, r);
      s.e_lo = hn::Add(hn::Add(hn::Sub(one, s.e_hi), r), hn::MulAdd(rl, hn::Add(s.e_hi, q), q));
      return s;
    }
    HWY_INLINE V<DF> Value(const State& s, V<DF> x) const {
      // a R E: a R = ar + t (a r_hi as ar + ar_lo exactly, t = ar_lo +
      // a r_lo), then a R E = ar e_hi + (t e_hi + ar e_lo), two FMAs (the
      // dropped ar_lo e_lo is 2^-48 of it).
      const V<DF> ar = hn::Mul(s.a, s.r_hi);
      const V<DF> ar_lo = hn::MulSub(s.a, s.r_hi, ar);
      const V<DF> t = hn::MulAdd(s.a, s.r_lo, ar_lo);
      const V<DF> p = hn::MulAdd(ar, s.e_hi, hn::MulAdd(t, s.e_hi, hn::Mul(ar, s.e_lo)));
      // NaN lanes keep x's own bits (kValueKeepsNaN): the subtraction is
      // masked to the ordered lanes and merges x into the rest, one
      // instruction in place of the driver's restore (a compare and a
      // blend; session 24). Elsewhere the same bits as the restore gave.
      const __mmask16 ordered = _mm512_cmp_ps_mask(x.raw, x.raw, _CMP_ORD_Q);
      return V<DF>{_mm512_mask_sub_ps(x.raw, ordered, hn::Max(hn::Set(d, -0.0f), x).raw,
                                      Scalef(d, p, s.k).raw)};
    }
    // Two vectors, each Value's bits: both states first, then both values,
    // one loop body for two vectors (kernels.cc, LoopForwardPairs; session
    // 30, kernels52).
    HWY_INLINE void ValuePair(V<DF> x0, V<DF> x1, V<DF>* y0, V<DF>* y1) const {
      State s0 = Prepare(x0);
      State s1 = Prepare(x1);
      ComputedBefore(s0.e_lo, s1.e_lo);
      *y0 = Value(s0, x0);
      *y1 = Value(s1, x1);
    }
    // The derivative's and forward_and_derivative's pair hook (kernels.cc,
    // LoopFromXPairs; session 31): both states before either result.
    HWY_INLINE void OrderPair(State& s0, State& s1) const { ComputedBefore(s0.e_lo, s1.e_lo); }
    // g f'(x) (|g| <= 2^64: the driver scales larger g first).
    template <class G>
    HWY_INLINE V<DF> Slope(const State& s, V<DF> x, G g) const {
      const Tab16& t = kGeluTailNative16;
      // W = w - k = c1k + u p as wk + wk_lo: c1k - wk is exact (c1 is in
      // (-k, 0), so |c1k| > k, and |u p| < 0.2 < k/2), and the FMA's
      // residual u p + (c1k - wk) is rounded once, far below W's ULP.
      const V<DF> c1k = Lookup(t.c1k, s.idx);
      const V<DF> wk = hn::MulAdd(s.p, s.u, c1k);
      const V<DF> wk_lo =
          hn::Add(hn::MulAdd(s.p, s.u, hn::Sub(c1k, wk)), Lookup(t.c1k_lo, s.idx));
      // m = m0 + u W, u W exactly, the sum by Fast2Sum (GeluTailNative16:
      // |m0| > |u W|, or m0 = 0 on interval 1).
      V<DF> uw_lo;
      const V<DF> uw = TwoProduct(d, s.u, wk, &uw_lo);
      uw_lo = hn::MulAdd(s.u, wk_lo, uw_lo);
      V<DF> m_lo;
      const V<DF> m = Fast2Sum<DF>(Lookup(t.m0, s.idx), uw, &m_lo);
      m_lo = hn::Add(m_lo, hn::Add(uw_lo, Lookup(t.m0_lo, s.idx)));
      // g E m as em + em_lo (unscaled: times 2^k below). e_lo m_lo is
      // kept: on interval 1 m_lo holds m0 (up to a quarter of m, all of it
      // at x = -c_1), and e_lo (= q + ...) is up to 0.07 of E.
      V<DF> em_lo;
      V<DF> em = TwoProduct(d, s.e_hi, m, &em_lo);
      em_lo = hn::MulAdd(s.e_hi, m_lo, hn::MulAdd(s.e_lo, m_lo, hn::MulAdd(s.e_lo, m, em_lo)));
      TimesHiLo(d, g, &em, &em_lo);
      // Beyond -kMaxA (a is clamped there). f' alone (g = 1): -0, from a
      // scaling by 2^-inf (one compare and a masked broadcast; f' < 2e-52
      // rounds to -0 there). g f': FarTailSlope on a rare branch, for the
      // large g where g f' is representable (issue 11).
      V<DF> neg_val;
      if constexpr (kIsUnit<G>) {
        const V<DF> k_neg = hn::IfThenElse(hn::Lt(x, hn::Set(d, -kMaxA)),
                                           hn::Set(d, -std::numeric_limits<float>::infinity()), s.k);
        neg_val = Scalef(d, hn::Add(em, em_lo), k_neg);
      } else {
        neg_val = Scalef(d, hn::Add(em, em_lo), s.k);
        const auto far = hn::Lt(x, hn::Set(d, -kMaxA));
        if (HWY_UNLIKELY(!hn::AllFalse(d, far))) {
          neg_val = hn::IfThenElse(far, FarTailSlope(d, x, g), neg_val);
        }
      }
      // x >= 0: g (1 - E m), |E m| <= 1/2: g - sc as a Fast2Sum, hi = g -
      // sc, lo = -(sc + (hi - g)), and hi + (lo - sc_lo) as hi - ((sc +
      // (hi - g)) + sc_lo): the same roundings negated (round to nearest is
      // symmetric), so the same bits as Fast2Sum(g, -sc) without the
      // negation (session 24; signed zeros: hi = +-0 only for g = +-0, and
      // then both give hi's sign, see docs/benchmarks.md).
      const V<DF> one = Times(d, g, hn::Set(d, 1.0f));
      const V<DF> sc = Scalef(d, em, s.k);
      const V<DF> pos_hi = hn::Sub(one, sc);
      const V<DF> back = hn::Add(sc, hn::Sub(pos_hi, one));
      // The last subtraction masked to the lanes not below 0 (NaN
      // included: the driver restores those), merging neg_val into the
      // rest: a VSUBPS for the VSUBPS and the blend (the same bits).
      const __mmask16 not_neg = _mm512_cmp_ps_mask(x.raw, _mm512_setzero_ps(), _CMP_NLT_UQ);
      return V<DF>{_mm512_mask_sub_ps(neg_val.raw, not_neg, pos_hi.raw,
                                      hn::Add(back, Scalef(d, em_lo, s.k)).raw)};
    }
  };
#endif
};

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();
#endif  // ACTIVATIONS_GELU_INL_H_
