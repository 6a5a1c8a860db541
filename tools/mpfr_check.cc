// mpfr_check: an independent check of the accuracy contract against MPFR.
//
// Our oracle (each activation's long-double Reference in <name>-inl.h, read
// through activations/reference.h) has 64 significant bits: 40 beyond
// float32 but only 11 beyond float64. This tool checks the kernels AND that
// oracle against formulas of its own, evaluated with GNU MPFR at >= 256 bits:
//
//  * an MPFR formula for f, f' and (where the catalogue has it) f' as a
//    function of y = f(x) for every elementwise function of the catalogue,
//    written from the mathematical definition (the functions' own
//    definitions in exponentials, MPFR's correctly rounded exp, expm1,
//    log1p, tanh, sech, erfc), with the precision raised until two
//    precisions agree (a Ziv loop), so cancellation cannot go unnoticed;
//  * OUR kernels as the server calls them: MakeCall by name, then
//    Engine::Run, one call per row and array, every mode (forward,
//    derivative, forward_and_derivative, backward and, where allowed,
//    derivative and backward from y), float32 and float64, on every SIMD
//    target compiled in (hwy::SetSupportedTargetsForTest, as the accuracy
//    tests) or only the native one (--targets=native);
//  * errors exactly as the contract counts them (reference.h: ULP of the
//    element type at the exact value -- here the MPFR value --, the
//    near-zero exception and the subnormal slack), compared with the
//    catalogue's bound;
//  * the oracle's own error against MPFR in the same units (ULP of the
//    element type at the exact value; in the near-zero region of a function
//    with the derivative_near_zero exception, ULP of 1 times |g|, the unit
//    of that exception).
//
// Inputs per function, parameter set and element type: random bit patterns
// (every binade, both signs, NaN and inf included), uniform values in
// [-50, 50] and [-4, 4], log-uniform magnitudes in [2^-40, 2^12], random
// subnormals, and the hard places: specials (+-0, +-denorm_min, +-min, +-max,
// +-inf, NaN), a list of switch points of the kernels and the parameters'
// own edges with 16 neighbours on each side, the zeros of f' (found on the
// MPFR derivative) with 64 neighbours and a grid of +-1/2 around them, and
// (--worst-from=docs/accuracy.md) every worst input the certificate tables
// name for the function. Gradients g as tools/certify draws them
// (certify::GradientAt). Parameters: the catalogue's defaults and the
// non-default set tools/certify uses (the first parameter moved up by 0.37
// of its scale, rounded to float32, that the spec accepts).
//
// Wider, on request (off by default; the ctest keeps them small):
//  * --param-sets=N: N more parameter sets per function over each
//    parameter's whole valid range (certify::WideParameterSets: the range's
//    ends, 2^-100 beside 0, 2^+-100 for an unbounded side, log-uniform
//    magnitudes between);
//  * --tails: x up to T's overflow and underflow edges (log-uniform over
//    denorm_min..max, T's max / min and the switch points scaled by each
//    parameter and its reciprocal), gradients from the ends of T's range on
//    every other input (certify::ExtremeGradientAt: +-max, +-min,
//    subnormals, +-0, +-inf, any magnitude), and y near the ends of f's
//    range for the from-y rows (OutputEnds);
//  * --merge-params: one row per function and mode over all its parameter
//    sets, the worst input's set named beside it.
//
//   mpfr_check [--samples=N] [--seed=S] [--functions=a,b] [--dtypes=f32,f64]
//              [--targets=all|native] [--worst-from=FILE] [--markdown]
//              [--check] [--param-sets=N] [--tails] [--merge-params]
//              [--print=fn:x[:p0[:p1]] [--grad=G]]
//
// --print: MPFR's f and f' at x beside the oracle's, and the native kernels'
// every mode (backward with --grad=G, default 1) in --dtypes, in ULP.
//
// Exit status: 1 if a catalogue function has no MPFR formula here (a new
// activation cannot skip this check: add its formulas to kFormulas), or, with
// --check, if a row exceeds its bound against MPFR or an MPFR value could not
// be settled; 2 on bad usage.
#include <mpfr.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/reference.h"
#include "hwy/targets.h"
#include "tools/certify.h"

namespace activations::mpfr_check {
namespace {

// ---------------------------------------------------------------------------
// A small value type over mpfr_t: every result is rounded to nearest at the
// current working precision g_prec.
thread_local mpfr_prec_t g_prec = 256;

class R {
 public:
  R() {
    mpfr_init2(v_, g_prec);
    mpfr_set_zero(v_, 1);
  }
  // Exact (g_prec >= 64).
  R(double d) {  // NOLINT: implicit on purpose, formulas mix doubles in
    mpfr_init2(v_, g_prec);
    mpfr_set_d(v_, d, MPFR_RNDN);
  }
  static R FromLongDouble(long double d) {
    R r;
    mpfr_set_ld(r.v_, d, MPFR_RNDN);
    return r;
  }
  static R FromString(const char *s) {
    R r;
    mpfr_set_str(r.v_, s, 10, MPFR_RNDN);
    return r;
  }
  R(const R &o) {
    mpfr_init2(v_, mpfr_get_prec(o.v_));
    mpfr_set(v_, o.v_, MPFR_RNDN);
  }
  R(R &&o) noexcept {
    mpfr_init2(v_, MPFR_PREC_MIN);
    mpfr_swap(v_, o.v_);
  }
  R &operator=(const R &o) {
    if (this != &o) {
      mpfr_set_prec(v_, mpfr_get_prec(o.v_));
      mpfr_set(v_, o.v_, MPFR_RNDN);
    }
    return *this;
  }
  R &operator=(R &&o) noexcept {
    mpfr_swap(v_, o.v_);
    return *this;
  }
  ~R() { mpfr_clear(v_); }

  mpfr_ptr get() { return v_; }
  mpfr_srcptr get() const { return v_; }
  double ToDouble() const { return mpfr_get_d(v_, MPFR_RNDN); }
  float ToFloat() const { return mpfr_get_flt(v_, MPFR_RNDN); }
  bool nan() const { return mpfr_nan_p(v_) != 0; }
  bool inf() const { return mpfr_inf_p(v_) != 0; }
  bool zero() const { return mpfr_zero_p(v_) != 0; }
  bool neg() const { return mpfr_signbit(v_) != 0; }

 private:
  mpfr_t v_;
};

using Unary = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);
inline R Apply(Unary f, const R &a) {
  R r;
  f(r.get(), a.get(), MPFR_RNDN);
  return r;
}
inline R operator+(const R &a, const R &b) {
  R r;
  mpfr_add(r.get(), a.get(), b.get(), MPFR_RNDN);
  return r;
}
inline R operator-(const R &a, const R &b) {
  R r;
  mpfr_sub(r.get(), a.get(), b.get(), MPFR_RNDN);
  return r;
}
inline R operator*(const R &a, const R &b) {
  R r;
  mpfr_mul(r.get(), a.get(), b.get(), MPFR_RNDN);
  return r;
}
inline R operator/(const R &a, const R &b) {
  R r;
  mpfr_div(r.get(), a.get(), b.get(), MPFR_RNDN);
  return r;
}
inline R operator-(const R &a) { return Apply(mpfr_neg, a); }
inline bool operator>(const R &a, const R &b) { return mpfr_greater_p(a.get(), b.get()) != 0; }
inline bool operator<(const R &a, const R &b) { return mpfr_less_p(a.get(), b.get()) != 0; }
inline bool operator>=(const R &a, const R &b) {
  return mpfr_greaterequal_p(a.get(), b.get()) != 0;
}
inline bool operator<=(const R &a, const R &b) { return mpfr_lessequal_p(a.get(), b.get()) != 0; }
inline R Abs(const R &a) { return Apply(mpfr_abs, a); }
inline R Exp(const R &a) { return Apply(mpfr_exp, a); }
inline R Expm1(const R &a) { return Apply(mpfr_expm1, a); }
inline R Log1p(const R &a) { return Apply(mpfr_log1p, a); }
inline R Tanh(const R &a) { return Apply(mpfr_tanh, a); }
inline R Sech(const R &a) { return Apply(mpfr_sech, a); }
inline R Erfc(const R &a) { return Apply(mpfr_erfc, a); }
inline R Sqrt(const R &a) { return Apply(mpfr_sqrt, a); }
inline R Pi() {
  R r;
  mpfr_const_pi(r.get(), MPFR_RNDN);
  return r;
}
// Phi(x) = erfc(-x / sqrt 2) / 2; for x > 0 as 1 - erfc(x / sqrt 2) / 2
// (erfc(-t) = 2 - erfc(t)): MPFR's erfc of a negative argument goes through
// erf's series, thousands of times slower for large |x|.
inline R Phi(const R &x) {
  const R t = x / Sqrt(2.0);
  return x > 0.0 ? 1.0 - Erfc(t) / 2.0 : Erfc(-t) / 2.0;
}
inline R Sigmoid(const R &z) { return 1.0 / (1.0 + Exp(-z)); }
// sigmoid'(z) = e^-z / (1 + e^-z)^2, even in z: written in e^-|z| so that
// e^-z cannot overflow MPFR's exponent range (|z| up to 2^2000).
inline R SigmoidSlope(const R &z) {
  const R e = Exp(-Abs(z));
  const R d = 1.0 + e;
  return e / (d * d);
}
inline R Sigmoid2(const R &z) {  // sigmoid, in e^-|z| for the same reason
  const R e = Exp(-Abs(z));
  return z.neg() ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

// ---------------------------------------------------------------------------
// The formulas, from the definitions. p: the parameters in spec order.
using Fn = R (*)(const R &x, const double *p);

struct Formula {
  std::string_view name;
  Fn value;
  Fn derivative;
  Fn derivative_from_output;  // f'(x) in terms of y = f(x); null if the spec has
                              // none
  // Bits the literal formula cancels at x (the working precision starts this
  // much higher than 256); null: none beyond what the Ziv loop finds.
  int (*extra_bits)(double x, const double *p) = nullptr;
};

const char *const kSeluAlphaDec = "1.6732632423543772848170429916717";
const char *const kSeluScaleDec = "1.0507009873554804934193349852946";

inline R Step(bool c) { return R(c ? 1.0 : 0.0); }

// gelu_tanh: u(x) = sqrt(2/pi) (x + 0.044715 x^3) and 1 + tanh(u) literally:
// for u < 0 it cancels about 2.885 |u| bits, and past |u| = 800 the result
// (|x| e^-2|u| at most) is below 2^-2300: far below every denorm_min even
// times the largest g (--tails; 400 before session 28).
inline R GeluTanhU(const R &x) {
  const R c = R::FromString("0.044715");
  return Sqrt(2.0 / Pi()) * (x + c * x * x * x);
}
int GeluTanhExtraBits(double x, const double *) {
  if (!(x < 0)) return 0;
  const double a = std::fabs(x);
  const double u = a > 40 ? 800 : 0.7978845608 * (a + 0.044715 * a * a * a);
  return static_cast<int>(2.9 * std::min(u, 800.0)) + 8;
}
// tanhshrink: x - tanh(x) cancels about 2 log2(1/|x|) bits near 0.
int TanhshrinkExtraBits(double x, const double *) {
  if (x == 0 || !std::isfinite(x)) return 0;
  int e;
  std::frexp(x, &e);
  return e < 0 ? 2 * std::min(-e, 1100) + 8 : 0;
}

const Formula kFormulas[] = {
    {"sigmoid", [](const R &x, const double *) { return Sigmoid2(x); },
     [](const R &x, const double *) { return SigmoidSlope(x); },
     [](const R &y, const double *) { return y * (1.0 - y); }},
    {"tanh", [](const R &x, const double *) { return Tanh(x); },
     [](const R &x, const double *) {
       const R s = Sech(x);
       return s * s;
     },
     [](const R &y, const double *) { return 1.0 - y * y; }},
    {"relu", [](const R &x, const double *) { return x > 0.0 ? x : R(0.0); },
     [](const R &x, const double *) { return Step(x > 0.0); },
     [](const R &y, const double *) { return Step(y > 0.0); }},
    {"leaky_relu", [](const R &x, const double *p) { return x > 0.0 ? x : p[0] * x; },
     [](const R &x, const double *p) { return x > 0.0 ? R(1.0) : R(p[0]); },
     [](const R &y, const double *p) { return y > 0.0 ? R(1.0) : R(p[0]); }},
    {"elu", [](const R &x, const double *p) { return x > 0.0 ? x : p[0] * Expm1(x); },
     [](const R &x, const double *p) { return x > 0.0 ? R(1.0) : p[0] * Exp(x); },
     [](const R &y, const double *p) { return y > 0.0 ? R(1.0) : y + p[0]; }},
    {"softplus",
     // log(1 + e^z) as z + log1p(e^-z) for z > 0: with a threshold above
     // MPFR's exponent range (threshold = 2^100), e^z overflowed MPFR to inf
     // where f is about x (session 28, --param-sets).
     [](const R &x, const double *p) {
       const R z = p[0] * x;
       if (z > p[1]) return x;
       if (z > 0.0) return (z + Log1p(Exp(-z))) / p[0];
       return Log1p(Exp(z)) / p[0];
     },
     [](const R &x, const double *p) {
       const R z = p[0] * x;
       if (z > p[1]) return R(1.0);
       return Sigmoid2(z);
     },
     nullptr},
    {"silu", [](const R &x, const double *) { return x * Sigmoid2(x); },
     [](const R &x, const double *) { return Sigmoid2(x) + x * SigmoidSlope(x); }, nullptr},
    {"swish", [](const R &x, const double *p) { return x * Sigmoid2(p[0] * x); },
     [](const R &x, const double *p) {
       const R z = p[0] * x;
       return Sigmoid2(z) + z * SigmoidSlope(z);
     },
     nullptr},
    {"mish", [](const R &x, const double *) { return x * Tanh(Log1p(Exp(x))); },
     [](const R &x, const double *) {
       // d/dx x tanh(sp(x)) = tanh(sp) + x sech^2(sp) sp', sp' = sigmoid(x).
       const R sp = Log1p(Exp(x));
       const R s = Sech(sp);
       return Tanh(sp) + x * s * s * Sigmoid2(x);
     },
     nullptr},
    {"gelu", [](const R &x, const double *) { return x * Phi(x); },
     [](const R &x, const double *) { return Phi(x) + x * Exp(-(x * x) / 2.0) / Sqrt(2.0 * Pi()); },
     nullptr},
    {"gelu_tanh", [](const R &x, const double *) { return x / 2.0 * (1.0 + Tanh(GeluTanhU(x))); },
     [](const R &x, const double *) {
       const R u = GeluTanhU(x);
       const R s = Sech(u);
       const R du = Sqrt(2.0 / Pi()) * (1.0 + 3.0 * R::FromString("0.044715") * x * x);
       return (1.0 + Tanh(u)) / 2.0 + x / 2.0 * s * s * du;
     },
     nullptr, &GeluTanhExtraBits},
    {"selu",
     [](const R &x, const double *) {
       const R scale = R::FromString(kSeluScaleDec), alpha = R::FromString(kSeluAlphaDec);
       return x > 0.0 ? scale * x : scale * alpha * Expm1(x);
     },
     [](const R &x, const double *) {
       const R scale = R::FromString(kSeluScaleDec), alpha = R::FromString(kSeluAlphaDec);
       return x > 0.0 ? scale : scale * alpha * Exp(x);
     },
     [](const R &y, const double *) {
       const R scale = R::FromString(kSeluScaleDec), alpha = R::FromString(kSeluAlphaDec);
       return y > 0.0 ? scale : y + scale * alpha;
     }},
    {"celu", [](const R &x, const double *p) { return x > 0.0 ? x : p[0] * Expm1(x / p[0]); },
     [](const R &x, const double *p) { return x > 0.0 ? R(1.0) : Exp(x / p[0]); },
     [](const R &y, const double *p) { return y > 0.0 ? R(1.0) : (y + p[0]) / p[0]; }},
    {"relu6", [](const R &x, const double *) { return x < 0.0 ? R(0.0) : (x > 6.0 ? R(6.0) : x); },
     [](const R &x, const double *) { return Step(x > 0.0 && x < 6.0); },
     [](const R &y, const double *) { return Step(y > 0.0 && y < 6.0); }},
    {"hardtanh",
     [](const R &x, const double *p) { return x < p[0] ? R(p[0]) : (x > p[1] ? R(p[1]) : x); },
     [](const R &x, const double *p) { return Step(x > p[0] && x < p[1]); },
     [](const R &y, const double *p) { return Step(y > p[0] && y < p[1]); }},
    {"hardsigmoid",
     [](const R &x, const double *) {
       return x <= -3.0 ? R(0.0) : (x >= 3.0 ? R(1.0) : x / 6.0 + R(0.5));
     },
     [](const R &x, const double *) { return x > -3.0 && x < 3.0 ? 1.0 / R(6.0) : R(0.0); },
     [](const R &y, const double *) { return y > 0.0 && y < 1.0 ? 1.0 / R(6.0) : R(0.0); }},
    {"hardswish",
     [](const R &x, const double *) {
       return x <= -3.0 ? R(0.0) : (x >= 3.0 ? x : x * (x + 3.0) / 6.0);
     },
     // PyTorch's values at the jumps: f'(-3) = -1/2, f'(3) = 3/2.
     [](const R &x, const double *) {
       return x < -3.0 ? R(0.0) : (x > 3.0 ? R(1.0) : (2.0 * x + 3.0) / 6.0);
     },
     nullptr},
    {"softsign", [](const R &x, const double *) { return x / (1.0 + Abs(x)); },
     [](const R &x, const double *) {
       const R d = 1.0 + Abs(x);
       return 1.0 / (d * d);
     },
     [](const R &y, const double *) {
       const R d = 1.0 - Abs(y);
       return d * d;
     }},
    {"logsigmoid",
     [](const R &x, const double *) {
       // log(1 / (1 + e^-x)); e^-x overflows MPFR's exponent range only
       // below x = -2^40, where log(1 + e^-x) = -x + log(1 + e^x) is used.
       if (x < -0x1p40) return x - Log1p(Exp(x));
       return -Log1p(Exp(-x));
     },
     [](const R &x, const double *) { return 1.0 / (1.0 + Exp(x)); },
     // e^f = sigmoid(x), f' = 1 - sigmoid(x) = 1 - e^y.
     [](const R &y, const double *) { return -Expm1(y); }},
    {"tanhshrink", [](const R &x, const double *) { return x - Tanh(x); },
     [](const R &x, const double *) {
       const R t = Tanh(x);
       return t * t;
     },
     nullptr, &TanhshrinkExtraBits},
    {"softshrink",
     [](const R &x, const double *p) {
       return x > p[0] ? x - p[0] : (x < -p[0] ? x + p[0] : R(0.0));
     },
     [](const R &x, const double *p) { return Step(Abs(x) > p[0]); },
     [](const R &y, const double *) { return Step(!y.zero()); }},
    {"hardshrink", [](const R &x, const double *p) { return Abs(x) > p[0] ? x : R(0.0); },
     [](const R &x, const double *p) { return Step(Abs(x) > p[0]); },
     [](const R &y, const double *) { return Step(!y.zero()); }},
    {"threshold", [](const R &x, const double *p) { return x > p[0] ? x : R(p[1]); },
     [](const R &x, const double *p) { return Step(x > p[0]); }, nullptr},
    {"rrelu", [](const R &x, const double *p) { return x > 0.0 ? x : (R(p[0]) + p[1]) / 2.0 * x; },
     [](const R &x, const double *p) { return x > 0.0 ? R(1.0) : (R(p[0]) + p[1]) / 2.0; },
     [](const R &y, const double *p) { return y > 0.0 ? R(1.0) : (R(p[0]) + p[1]) / 2.0; }},
};

const Formula *FindFormula(std::string_view name) {
  for (const Formula &f : kFormulas) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The exact value of fn at x (a value of the element type, exact in double),
// rounded at >= 256 bits: evaluated at precisions P and P + 64 until the two
// agree to 2^-192 relative (or both are below 2^-2400, far under every
// denorm_min), doubling P up to 2^15 bits; `settled` is false if they never
// did. +-inf is taken as +-2^2000 (the limit, as reference::Evaluate takes
// 1e1000), NaN gives NaN.
// Below 2^-kNegligibleExp a value is taken as settled without agreeing:
// under every denorm_min even times the largest g (2^1024; --tails). It was
// 2^-1400 before session 28: gelu_tanh's f'(-24) ~ 2^-1467, times g =
// -1.5e308, was then taken from a precision that had cancelled it away.
constexpr long kNegligibleExp = 2400;
struct Exact {
  R v;
  bool settled = true;
};
Exact Evaluate(Fn fn, int (*extra)(double, const double *), double x, const double *p) {
  Exact out;
  if (std::isnan(x)) {
    mpfr_set_nan(out.v.get());
    return out;
  }
  const double xin = std::isinf(x) ? std::copysign(0x1p1000, x) : x;
  mpfr_prec_t prec = 256 + (extra ? extra(xin, p) : 0);
  const mpfr_prec_t saved = g_prec;
  for (; prec <= (1 << 15); prec *= 2) {
    auto at = [&](mpfr_prec_t pr) {
      g_prec = pr;
      R xr(xin);
      if (std::isinf(x)) mpfr_mul_2si(xr.get(), xr.get(), 1000, MPFR_RNDN);  // +-2^2000
      return fn(xr, p);
    };
    R a = at(prec), b = at(prec + 64);
    bool agree = false;
    if (a.nan() || b.nan()) {
      agree = a.nan() && b.nan();
    } else if (a.inf() || b.inf()) {
      agree = mpfr_equal_p(a.get(), b.get()) != 0;
    } else if (mpfr_equal_p(a.get(), b.get())) {
      agree = true;
    } else {
      const R d = Abs(a - b);
      R tol = Abs(b);
      mpfr_mul_2si(tol.get(), tol.get(), -192, MPFR_RNDN);
      agree = d <= tol || (mpfr_cmp_si_2exp(Abs(a).get(), 1, -kNegligibleExp) < 0 &&
                           mpfr_cmp_si_2exp(Abs(b).get(), 1, -kNegligibleExp) < 0);
    }
    if (agree) {
      out.v = std::move(b);
      g_prec = saved;
      return out;
    }
    out.v = std::move(b);
  }
  out.settled = false;
  g_prec = saved;
  return out;
}

// ---------------------------------------------------------------------------
// Errors in ULP of T at the exact value W, as reference.cc counts them.
template <typename T>
struct Fmt {
  static constexpr int kDigits = std::numeric_limits<T>::digits;
  static constexpr int kMaxExp = std::numeric_limits<T>::max_exponent;
  static constexpr int kMinExp = std::numeric_limits<T>::min_exponent;
  static constexpr double kDenormMin = std::numeric_limits<T>::denorm_min();
  static constexpr double kMinNormal = std::numeric_limits<T>::min();
  static constexpr double kEps = std::numeric_limits<T>::epsilon();
};

// |W| at or beyond T's max + half an ULP: W rounds to inf in T.
template <typename T>
bool RoundsToInf(const R &w) {
  if (w.inf()) return true;
  g_prec = 320;
  R ov(static_cast<double>(std::numeric_limits<T>::max()));
  R half(1.0);
  mpfr_mul_2si(half.get(), half.get(), Fmt<T>::kMaxExp - Fmt<T>::kDigits - 1, MPFR_RNDN);
  ov = ov + half;
  return Abs(w) >= ov;
}

// |got - W| / ulp_T(W), got any long double (a T value or the oracle's).
template <typename T>
double RawUlp(long double got, const R &w, bool *overflowed = nullptr) {
  if (w.nan() || std::isnan(got)) {
    return w.nan() && std::isnan(got) ? 0 : std::numeric_limits<double>::infinity();
  }
  const bool w_inf = RoundsToInf<T>(w);
  if (overflowed) *overflowed = w_inf;
  // A finite result where W is just past T's max (rounds to inf): its error
  // in ULP of T's top binade, not inf (g = 1.8e308 times silu's f'(40.5) =
  // 1 + 1e-16: exact rounds to inf, the kernel's max is 0.6 ULP off).
  const bool near_max = !std::isinf(got) && !w.inf() && w_inf;
  if (!near_max && (std::isinf(got) || w_inf)) {
    if (std::isinf(got) && w_inf && std::signbit(got) == w.neg()) return 0;
    return std::numeric_limits<double>::infinity();
  }
  g_prec = 320;
  R d = Abs(R::FromLongDouble(got) - w);
  long e = w.zero() ? Fmt<T>::kMinExp : mpfr_get_exp(w.get());  // |W| in [2^(e-1), 2^e)
  const long ulp_exp = std::max<long>(e - Fmt<T>::kDigits, Fmt<T>::kMinExp - Fmt<T>::kDigits);
  mpfr_mul_2si(d.get(), d.get(), -ulp_exp, MPFR_RNDN);
  return d.ToDouble();
}

// The contract's error of a kernel's element (reference::ContractUlp with
// the exact value): the near-zero exception and the subnormal slack.
template <typename T>
double ContractError(T got, const R &w, double input, double grad, bool is_derivative,
                     bool backward, double slack, double bound) {
  const double err = RawUlp<T>(got, w);
  if (!std::isfinite(err)) return err;
  const double scale = backward ? std::fabs(grad) : 1.0;
  g_prec = 320;
  const R aw = Abs(w);
  if (is_derivative && slack > 0 && std::fabs(input) < kNearZeroMaxAbsInput &&
      aw < R(kNearZeroMaxAbsDerivative) * scale &&
      Abs(R(static_cast<double>(got)) - w) <= R(slack * Fmt<T>::kEps) * scale) {
    return 0;
  }
  if (aw < Fmt<T>::kMinNormal && err <= bound + kSubnormalExtraUlp) return 0;
  return err;
}

// The oracle's error in the same units: ULP of T at W, but in ULP of 1
// (times |g|) where the contract's near-zero exception applies to the row,
// since that is the unit the contract counts there. 0 where both round to
// the same infinity of T.
template <typename T>
double OracleError(long double ref, const R &w, double input, double grad, bool is_derivative,
                   bool backward, double slack) {
  if (std::isinf(ref) || RoundsToInf<T>(w)) {
    const bool ref_inf = std::isinf(ref) || std::fabs(ref) >= std::numeric_limits<T>::max();
    return ref_inf && RoundsToInf<T>(w) && std::signbit(ref) == w.neg()
               ? 0
               : std::numeric_limits<double>::infinity();
  }
  double err = RawUlp<T>(ref, w);
  const double scale = backward ? std::fabs(grad) : 1.0;
  g_prec = 320;
  if (std::isfinite(err) && is_derivative && slack > 0 && std::fabs(input) < kNearZeroMaxAbsInput &&
      Abs(w) < R(kNearZeroMaxAbsDerivative) * scale) {
    R d = Abs(R::FromLongDouble(ref) - w) / (R(Fmt<T>::kEps) * scale);
    err = std::min(err, d.ToDouble());
  }
  return err;
}

// The driver's stated limit for a huge g (kernels.cc, BackwardRare;
// session 30): lanes with |g| in [2^e, 2^(e+1)) above 2^64 (float32; 2^512
// float64) run with g brought into [2^63, 2^64) ([2^511, 2^512)) and are
// scaled back, exact where |g f'| >= 2^(e - 189) (2^(e - 1533)), i.e.
// where |f'| >= 2^-189 (2^-1533); below, the scaled product was rounded as
// a subnormal, so `got` may be off by a few of its steps, denorm_min times
// 2^(e - 63) (2^(e - 511)): here up to 4 of them. (Session 28's limit,
// g 2^-64 for every such g, was |g f'| < 2^-62 / 2^-510.) The catalogue's
// bounds (spec.h, UlpBounds) do not state this limit. float64 only since
// session 31: float32 lanes with such a g are computed again through the
// activation's float64 kernel (kernels.cc, BackwardRare's Wide), within
// the bound like every other input.
template <typename T>
bool InLargeGradientLimit(double grad, const R &want, T got) {
  if constexpr (sizeof(T) == 4) return false;
  const double big = 0x1p512;
  if (!(std::fabs(grad) > big) || !std::isfinite(grad) || !std::isfinite(got)) return false;
  const int e = std::ilogb(grad);
  const double small = std::ldexp(1.0, e - 1533);
  g_prec = 320;
  const R step = R(static_cast<double>(std::numeric_limits<T>::denorm_min())) *
                 R(std::ldexp(1.0, e - 511));
  return Abs(want) < R(small) && Abs(R(static_cast<double>(got)) - want) <= R(4.0) * step;
}

// ---------------------------------------------------------------------------
struct Options {
  long samples = 20000;
  std::uint64_t seed = 27;
  std::vector<std::string> functions;
  bool f32 = true, f64 = true;
  bool all_targets = true;
  std::string worst_from;
  bool markdown = false;
  bool check = false;
  // Rows known to be over their bound (reported on the board, awaiting a
  // kernel fix), as function:dtype:row, row one of kRowKeys: they do not fail
  // --check, but a known row that is within its bound does (remove it).
  std::vector<std::string> known_over;
  // More parameter sets per function, over each parameter's whole valid
  // range (certify::WideParameterSets), beside the defaults and the
  // non-default set.
  int param_sets = 0;
  // The tails: x up to T's overflow and underflow edges (and the switch
  // points scaled by each parameter), extreme gradients (ExtremeGradient) on
  // every other input, and y near the ends of f's range for the from-y rows.
  bool tails = false;
  // One row per function and mode over all its parameter sets (the worst
  // input's set named beside it) instead of one per set.
  bool merge_params = false;
};

constexpr int kRows = 7;
const char *const kRowNames[kRows] = {
    "forward",  "derivative",          "forward_and_derivative: f", "forward_and_derivative: f'",
    "backward", "derivative (from y)", "backward (from y)"};

// Short names of the rows, for --known-over.
const char *const kRowKeys[kRows] = {"forward",  "derivative",        "fd_f",           "fd_df",
                                     "backward", "derivative_from_y", "backward_from_y"};

struct RowStat {
  double ulp = -1, input = 0, got = 0, want = 0, grad = 1;
  std::string target;
  std::string worst_params, oracle_params;  // the sets of the worst inputs
  double bound = 0;
  std::uint64_t checked = 0, over = 0;
  // Over the bound, but inside the driver's stated limit for a huge g
  // (InLargeGradientLimit): counted apart, not in ulp / over.
  std::uint64_t over_large_g = 0;
  double oracle = -1, oracle_input = 0;
  long double oracle_ref = 0;
  double oracle_want = 0;
};

struct Table {
  struct Key {
    std::string function, params, dtype;
    int row;
    bool operator<(const Key &o) const {
      return std::tie(function, params, dtype, row) <
             std::tie(o.function, o.params, o.dtype, o.row);
    }
  };
  std::map<Key, RowStat> rows;
  std::vector<Key> order;
  RowStat &At(const Key &k) {
    auto it = rows.find(k);
    if (it == rows.end()) {
      order.push_back(k);
      it = rows.emplace(k, RowStat{}).first;
    }
    return it->second;
  }
};

// Worst inputs named in docs/accuracy.md's certificate tables for `function`:
// rows "| function | parameters | mode | max ULP | worst input | ...".
std::vector<double> WorstInputs(const std::string &path, const std::string &function) {
  std::vector<double> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  std::string line;
  const std::string prefix = "| " + function + " |";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::vector<std::string> cells;
    std::size_t pos = 1;
    while (pos < line.size()) {
      const std::size_t bar = line.find('|', pos);
      if (bar == std::string::npos) break;
      cells.push_back(line.substr(pos, bar - pos));
      pos = bar + 1;
    }
    if (cells.size() < 7) continue;
    const char *s = cells[4].c_str();
    char *end = nullptr;
    const double v = std::strtod(s, &end);
    if (end != s && std::isfinite(v)) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename T>
void AddWithNeighbours(std::vector<double> *xs, double a, int k) {
  T v = static_cast<T>(a), w = v;
  xs->push_back(v);
  for (int i = 0; i < k; ++i) {
    v = std::nextafter(v, std::numeric_limits<T>::infinity());
    w = std::nextafter(w, -std::numeric_limits<T>::infinity());
    xs->push_back(v);
    xs->push_back(w);
  }
}

// Zeros of the MPFR f' on [-6, 6] (sign changes on a grid, then bisection).
std::vector<double> DerivativeZeros(const Formula &f, const double *p) {
  std::vector<double> zeros;
  auto fp = [&](double x) { return Evaluate(f.derivative, nullptr, x, p).v.ToDouble(); };
  const int n = 1200;
  double xa = -6, fa = fp(xa);
  for (int i = 1; i <= n; ++i) {
    const double xb = -6 + 12.0 * i / n, fb = fp(xb);
    if (fa != 0 && fb != 0 && (fa < 0) != (fb < 0)) {
      double a = xa, b = xb, sa = fa;
      for (int k = 0; k < 64; ++k) {
        const double m = (a + b) / 2, fm = fp(m);
        if ((fm < 0) == (sa < 0)) {
          a = m;
          sa = fm;
        } else {
          b = m;
        }
      }
      zeros.push_back(a);
    }
    xa = xb;
    fa = fb;
  }
  return zeros;
}

template <typename T>
std::vector<double> Inputs(const Options &opt, const ActivationSpec &spec, const Formula &f,
                           const Call &call, const std::vector<double> &worst, std::uint64_t seed) {
  std::vector<double> xs;
  const double specials[] = {0.0,
                             std::numeric_limits<T>::denorm_min(),
                             std::numeric_limits<T>::min(),
                             std::numeric_limits<T>::max(),
                             std::numeric_limits<T>::infinity(),
                             std::numeric_limits<T>::epsilon(),
                             1.0};
  for (double s : specials) {
    xs.push_back(s);
    xs.push_back(-s);
  }
  xs.push_back(std::numeric_limits<double>::quiet_NaN());
  // Switch points of the kernels (the -inl.h comments), the float32 and
  // float64 exp range edges and round numbers; +-16 neighbours each.
  std::vector<double> points = {0.125, 0.25,   0.32,   0.4, 0.5,    0.75, 1,   1.2785, 1.5,   2,
                                3,     4,      4.5,    5,   6,      8,    9.1, 10,     12,    15,
                                16,    17,     18,     20,  22,     24,   25,  28,     30,    32,
                                36,    40,     44,     50,  64,     80,   87,  88,     88.72, 89,
                                90,    100,    103.98, 104, 105,    128,  160, 200,    256,   700,
                                708,   709.78, 710,    744, 745.13, 746,  750, 1000,   1200,  1370};
  for (std::size_t i = 0; i < spec.params.size(); ++i) {
    points.push_back(std::fabs(call.params[i]));
    if (call.params[0] != 0) points.push_back(std::fabs(call.params[i] / call.params[0]));
  }
  if (opt.tails) {
    // T's own edges, and every point (the exponential's edges among them)
    // scaled by each parameter and its reciprocal: where beta x, x / alpha,
    // slope x reach them.
    using L = std::numeric_limits<T>;
    const std::vector<double> base = points;
    for (double e : {double{L::max()}, double{L::min()}, double{L::denorm_min()}}) {
      points.push_back(e);
    }
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
      const double a = std::fabs(call.params[i]);
      if (a == 0 || !std::isfinite(a) || a == 1) continue;
      for (double b : base) points.insert(points.end(), {b * a, b / a});
      for (double e : {double{L::max()}, double{L::min()}}) points.insert(points.end(), {e * a, e / a});
    }
  }
  for (double a : points) {
    if (!(std::fabs(a) <= std::numeric_limits<T>::max())) continue;
    AddWithNeighbours<T>(&xs, a, opt.tails ? 8 : 16);
    AddWithNeighbours<T>(&xs, -a, opt.tails ? 8 : 16);
  }
  for (double z : DerivativeZeros(f, call.params.data())) {
    AddWithNeighbours<T>(&xs, z, 64);
    for (int i = -200; i <= 200; ++i) xs.push_back(static_cast<T>(z + 0.5 * i / 200));
  }
  for (double w : worst) AddWithNeighbours<T>(&xs, w, 2);
  std::mt19937_64 rng(seed);
  const long n = opt.samples;
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  for (long i = 0; i < n; ++i) {
    const Bits b = static_cast<Bits>(rng());
    T v;
    std::memcpy(&v, &b, sizeof(v));
    xs.push_back(v);
  }
  std::uniform_real_distribution<double> u50(-50, 50), u4(-4, 4), ue(-40, 12);
  for (long i = 0; i < n / 2; ++i) xs.push_back(static_cast<T>(u50(rng)));
  for (long i = 0; i < n / 4; ++i) xs.push_back(static_cast<T>(u4(rng)));
  for (long i = 0; i < n / 4; ++i) {
    const double m = std::exp2(ue(rng));
    xs.push_back(static_cast<T>((rng() & 1) ? -m : m));
  }
  for (long i = 0; i < n / 16; ++i) {
    // Uniform below T's smallest normal: T's subnormals (and a few zeros).
    const double m = static_cast<double>(rng() >> 11) * 0x1p-53 * std::numeric_limits<T>::min();
    xs.push_back(static_cast<T>((rng() & 1) ? -m : m));
  }
  if (opt.tails) {
    // Log-uniform magnitudes over T's whole range, denorm_min to max.
    constexpr int lo = std::numeric_limits<T>::min_exponent - std::numeric_limits<T>::digits;
    constexpr int hi = std::numeric_limits<T>::max_exponent;
    std::uniform_real_distribution<double> ew(lo, hi);
    for (long i = 0; i < n / 4; ++i) {
      const double m = std::exp2(ew(rng));
      xs.push_back(static_cast<T>((rng() & 1) ? -m : m));
    }
  }
  return xs;
}

const char *DTypeLabel(DType d) { return d == DType::kFloat32 ? "float32" : "float64"; }

// y near the ends of f's range (the limits of f at x = -+inf, rounded to T,
// where finite), for the from-y rows with --tails: each end, its 64
// neighbours inside the range and the end moved inwards by 2^j of T's
// spacing there for every j up to the end's own size (by powers of two down
// to denorm_min at an end of 0).
template <typename T>
std::vector<T> OutputEnds(const Formula &f, const double *p) {
  using L = std::numeric_limits<T>;
  std::vector<T> ys;
  const Exact lo = Evaluate(f.value, nullptr, -L::infinity(), p);
  const Exact hi = Evaluate(f.value, nullptr, L::infinity(), p);
  auto as_t = [](const Exact &e) {
    return sizeof(T) == 4 ? static_cast<T>(e.v.ToFloat()) : static_cast<T>(e.v.ToDouble());
  };
  const T ends[2] = {as_t(lo), as_t(hi)};
  for (int side = 0; side < 2; ++side) {
    const T end = ends[side], other = ends[1 - side];
    if (!std::isfinite(end) || std::isnan(end) || end == other) continue;
    const T inward = other > end ? L::infinity() : -L::infinity();
    const T dir = other > end ? T(1) : T(-1);
    ys.push_back(end);
    T v = end;
    for (int i = 0; i < 64; ++i) ys.push_back(v = std::nextafter(v, inward));
    const int top = end == 0 ? 0 : std::ilogb(end);
    const T spacing = end == 0 ? L::denorm_min() : std::nextafter(end, inward) - end;
    for (T step = std::fabs(spacing); std::ilogb(step) <= top; step *= 2) {
      ys.push_back(end + dir * step);
      ys.push_back(end + dir * step * T(1.5));
    }
  }
  return ys;
}

template <typename T>
void CheckFunction(const Options &opt, const ActivationSpec &spec, const Formula &f,
                   const Engine &engine, const std::vector<int64_t> &targets, Table *table,
                   std::uint64_t *unsettled) {
  constexpr DType kDType = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  const UlpBounds &bounds = kDType == DType::kFloat32 ? spec.ulp_float32 : spec.ulp_float64;
  const std::vector<double> worst = WorstInputs(opt.worst_from, std::string(spec.name));
  auto sets = certify::ParameterSets(spec, /*non_default=*/true);
  for (auto &s : certify::WideParameterSets(spec, opt.param_sets, opt.seed)) sets.push_back(s);
  for (std::size_t k = 0; k < sets.size(); ++k) {
    const auto &set = sets[k];
    const bool from_y = spec.derivative_from_output;
    Call calls[kRows];
    calls[0] = *MakeCall(spec.name, set, Mode::kForward);
    calls[1] = *MakeCall(spec.name, set, Mode::kDerivative);
    calls[2] = calls[3] = *MakeCall(spec.name, set, Mode::kForwardAndDerivative);
    calls[4] = *MakeCall(spec.name, set, Mode::kBackward);
    if (from_y) {
      calls[5] = *MakeCall(spec.name, set, Mode::kDerivative, InputKind::kOutput);
      calls[6] = *MakeCall(spec.name, set, Mode::kBackward, InputKind::kOutput);
    }
    const double *p = calls[0].params.data();
    const std::string label = certify::ParamsLabel(spec, calls[0]);
    const std::string params = label.empty() ? "defaults" : label;
    std::uint64_t seed = opt.seed * 0x9E3779B97F4A7C15ull + sizeof(T) * 131 + k;
    for (char c : spec.name) seed = seed * 31 + static_cast<unsigned char>(c);
    const std::vector<double> xs = Inputs<T>(opt, spec, f, calls[0], worst, seed);
    const std::size_t n = xs.size();

    // Inputs as the element type, gradients as certify draws them (with
    // --tails every other one from the ends of T's range), the exact values,
    // y = f(x) rounded to T (from MPFR; with --tails then the ends of f's
    // range) and the oracle's.
    std::vector<T> x(n), y;
    std::vector<Exact> wf, wd, wdy;
    wf.reserve(n);
    wd.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = static_cast<T>(xs[i]);
      wf.push_back(Evaluate(f.value, f.extra_bits, x[i], p));
      wd.push_back(Evaluate(f.derivative, f.extra_bits, x[i], p));
      *unsettled += !wf.back().settled + !wd.back().settled;
      if (from_y) {
        y.push_back(sizeof(T) == 4 ? static_cast<T>(wf.back().v.ToFloat())
                                   : static_cast<T>(wf.back().v.ToDouble()));
      }
    }
    if (from_y && opt.tails) {
      for (T v : OutputEnds<T>(f, p)) y.push_back(v);
    }
    const std::size_t ny = y.size();
    for (std::size_t i = 0; i < ny; ++i) {
      wdy.push_back(Evaluate(f.derivative_from_output, nullptr, y[i], p));
      *unsettled += !wdy.back().settled;
    }
    std::vector<T> g(std::max(n, ny));
    for (std::size_t i = 0; i < g.size(); ++i) {
      g[i] = static_cast<T>(opt.tails && i % 2 == 1 ? certify::ExtremeGradientAt(i, kDType)
                                                    : certify::GradientAt(i));
    }
    // g f' exactly, with the contract's select: 0 where f' = 0 and g is not
    // NaN; for g = +-inf, the driver's convention (kernels.cc,
    // WithSpecialGradient): 0 where f' in T is 0, i.e. where the exact f'
    // rounds to 0 in T, else +-inf.
    auto times_g = [&](const Exact &d, T gi) {
      if (d.v.zero() && !std::isnan(gi)) return R(0.0);
      if (std::isinf(gi) && (sizeof(T) == 4 ? d.v.ToFloat() == 0 : d.v.ToDouble() == 0)) {
        return R(0.0);
      }
      g_prec = 320;
      return R(static_cast<double>(gi)) * d.v;
    };
    std::vector<R> wb(n), wby(ny);
    for (std::size_t i = 0; i < n; ++i) wb[i] = times_g(wd[i], g[i]);
    for (std::size_t i = 0; i < ny; ++i) wby[i] = times_g(wdy[i], g[i]);
    auto want = [&](int row, std::size_t i) -> const R & {
      switch (row) {
        case 0:
        case 2:
          return wf[i].v;
        case 1:
        case 3:
          return wd[i].v;
        case 4:
          return wb[i];
        case 5:
          return wdy[i].v;
        default:
          return wby[i];
      }
    };
    // The row's inputs: x, or y for the from-y rows.
    auto count = [&](int row) { return row >= 5 ? ny : n; };
    auto input = [&](int row, std::size_t i) {
      return row >= 5 ? static_cast<double>(y[i]) : static_cast<double>(x[i]);
    };
    auto key = [&](int row) {
      return Table::Key{std::string(spec.name), opt.merge_params ? "all" : params,
                        DTypeLabel(kDType), row};
    };

    // The oracle against MPFR (once: it does not depend on the target).
    for (int row : {0, 1, 4, 5, 6}) {
      if (row >= 5 && !from_y) continue;
      RowStat &st = table->At(key(row));
      const bool is_d = row != 0, bwd = row == 4 || row == 6;
      for (std::size_t i = 0; i < count(row); ++i) {
        // An infinite g: the oracle is long double, whose f' underflows
        // elsewhere than T's; the convention above is the kernels'.
        if (bwd && std::isinf(g[i])) continue;
        const double in = input(row, i);
        const long double ref =
            reference::Evaluate(calls[row], in, static_cast<long double>(g[i])).output;
        const double e = OracleError<T>(ref, want(row, i), in, g[i], is_d, bwd,
                                        bounds.derivative_near_zero_ulp_of_one);
        if (e > st.oracle) {
          st.oracle = e;
          st.oracle_input = in;
          st.oracle_ref = ref;
          st.oracle_want = want(row, i).ToDouble();
          st.oracle_params = params;
        }
      }
      if (row <= 1) {  // forward_and_derivative's tensors: the same oracle
        RowStat &both = table->At(key(row + 2));
        both.oracle = st.oracle;
        both.oracle_input = st.oracle_input;
        both.oracle_ref = st.oracle_ref;
        both.oracle_want = st.oracle_want;
        both.oracle_params = st.oracle_params;
      }
    }

    std::vector<T> out[kRows];
    for (int64_t target : targets) {
      if (opt.all_targets) hwy::SetSupportedTargetsForTest(target);
      const std::string tname =
          opt.all_targets ? hwy::TargetName(target) : std::string(SimdTarget());
      for (int row = 0; row < kRows; ++row) out[row].assign(count(row), T(0));
      auto run = [&](int row, const T *in, int row2) {
        Job job{calls[row],
                kDType,
                count(row),
                in,
                g.data(),
                out[row].data(),
                row2 >= 0 ? out[row2].data() : nullptr};
        const absl::Status s = engine.Run({&job, 1});
        if (!s.ok()) {
          std::fprintf(stderr, "mpfr_check: %s: %s\n", spec.name.data(), s.ToString().c_str());
          std::exit(1);
        }
      };
      run(0, x.data(), -1);
      run(1, x.data(), -1);
      run(2, x.data(), 3);
      run(4, x.data(), -1);
      if (from_y) {
        run(5, y.data(), -1);
        run(6, y.data(), -1);
      }
      for (int row = 0; row < kRows; ++row) {
        if (row >= 5 && !from_y) continue;
        const ResultTensor tensor = row == 3 ? ResultTensor::kDerivative : ResultTensor::kOutput;
        const double bound = MaxUlpError(calls[row], kDType, tensor);
        const bool is_d = row != 0 && row != 2, bwd = row == 4 || row == 6;
        RowStat &st = table->At(key(row));
        // Merged sets may have different bounds: the worst is the one
        // furthest over (or least under) its own.
        const double st_score = opt.merge_params ? st.ulp - st.bound : st.ulp;
        double best = st.ulp < 0 ? -std::numeric_limits<double>::infinity() : st_score;
        for (std::size_t i = 0; i < count(row); ++i) {
          const double in = input(row, i);
          const R &w = want(row, i);
          const T got = out[row][i];
          double e = ContractError<T>(got, w, in, g[i], is_d, bwd,
                                      bounds.derivative_near_zero_ulp_of_one, bound);
          // g = +-inf where the exact f' is below T's smallest normal: a
          // kernel whose f' (in T, or in float64 lanes for float32) is
          // subnormal or has flushed to 0 gives +-inf or 0 by the driver's
          // convention; either is accepted there.
          if (bwd && std::isinf(g[i]) && e > bound && (got == 0 || std::isinf(got))) {
            const R &d = row == 4 ? wd[i].v : wdy[i].v;
            g_prec = 320;
            const bool sign_ok = got == 0 || std::signbit(got) == (std::signbit(g[i]) != d.neg());
            if (sign_ok && Abs(d) < R(static_cast<double>(std::numeric_limits<T>::min()))) e = 0;
          }
          ++st.checked;
          if (e > bound && bwd && InLargeGradientLimit<T>(g[i], w, got)) {
            ++st.over_large_g;
            continue;
          }
          if (e > bound) ++st.over;
          const double score = opt.merge_params ? e - bound : e;
          if (score > best) {
            best = score;
            st.ulp = e;
            st.bound = bound;
            st.input = in;
            st.got = got;
            st.grad = g[i];
            st.want = w.ToDouble();
            st.target = tname;
            st.worst_params = params;
          }
        }
      }
    }
    if (opt.all_targets) hwy::SetSupportedTargetsForTest(0);
  }
}

// --print's kernel lines: what the native kernels give at x (and, from y,
// at y = f(x) rounded to T) in each mode, g for the backward, against MPFR,
// in the contract's ULP.
template <typename T>
void PrintKernels(const Engine &engine, const ActivationSpec &spec, const Formula &f,
                  const certify::ParameterSet &set, double x_in, double g_in) {
  constexpr DType kDType = sizeof(T) == 4 ? DType::kFloat32 : DType::kFloat64;
  const UlpBounds &bounds = kDType == DType::kFloat32 ? spec.ulp_float32 : spec.ulp_float64;
  const T x = static_cast<T>(x_in), g = static_cast<T>(g_in);
  const Call fc = *MakeCall(spec.name, set, Mode::kForward);
  const double *p = fc.params.data();
  const Exact wf = Evaluate(f.value, f.extra_bits, x, p);
  const Exact wd = Evaluate(f.derivative, f.extra_bits, x, p);
  const T y = sizeof(T) == 4 ? static_cast<T>(wf.v.ToFloat()) : static_cast<T>(wf.v.ToDouble());
  struct Line {
    const char *name;
    Mode mode;
    InputKind kind;
  };
  const Line lines[] = {{"forward", Mode::kForward, InputKind::kX},
                        {"derivative", Mode::kDerivative, InputKind::kX},
                        {"backward", Mode::kBackward, InputKind::kX},
                        {"derivative (from y)", Mode::kDerivative, InputKind::kOutput},
                        {"backward (from y)", Mode::kBackward, InputKind::kOutput}};
  std::printf("  %s, x = %.17g, g = %.17g, native %s:\n", DTypeLabel(kDType),
              static_cast<double>(x), static_cast<double>(g), SimdTarget().data());
  for (const Line &l : lines) {
    if (l.kind == InputKind::kOutput && !spec.derivative_from_output) continue;
    const Call call = *MakeCall(spec.name, set, l.mode, l.kind);
    const T in = l.kind == InputKind::kOutput ? y : x;
    const bool bwd = l.mode == Mode::kBackward;
    Exact w = l.mode == Mode::kForward ? wf
              : l.kind == InputKind::kOutput
                  ? Evaluate(f.derivative_from_output, nullptr, in, p)
                  : wd;
    if (bwd) {
      const bool zero = w.v.zero() || (std::isinf(g) && (sizeof(T) == 4 ? w.v.ToFloat() == 0
                                                                         : w.v.ToDouble() == 0));
      g_prec = 320;
      w.v = zero && !std::isnan(g) ? R(0.0) : R(static_cast<double>(g)) * w.v;
    }
    T got = 0;
    Job job{call, kDType, 1, &in, &g, &got, nullptr};
    if (!engine.Run({&job, 1}).ok()) continue;
    const double bound = MaxUlpError(call, kDType, ResultTensor::kOutput);
    const double e = ContractError<T>(got, w.v, in, g, l.mode != Mode::kForward, bwd,
                                      bounds.derivative_near_zero_ulp_of_one, bound);
    std::printf("    %-20s in %-24.17g got %-24.17g mpfr %-24.17g %.4g ULP (bound %g)\n", l.name,
                static_cast<double>(in), static_cast<double>(got), w.v.ToDouble(), e, bound);
  }
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

int Main(int argc, char **argv) {
  Options opt;
  std::string print_at;
  double print_grad = 1;  // --print's g for the backward lines
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char * {
      return a.rfind(flag, 0) == 0 ? argv[i] + flag.size() : nullptr;
    };
    if (const char *v = value("--samples=")) {
      opt.samples = std::atol(v);
    } else if (const char *v = value("--seed=")) {
      opt.seed = std::strtoull(v, nullptr, 10);
    } else if (const char *v = value("--functions=")) {
      opt.functions = SplitList(v);
    } else if (const char *v = value("--dtypes=")) {
      opt.f32 = opt.f64 = false;
      for (const std::string &d : SplitList(v)) {
        if (d == "f32" || d == "float32")
          opt.f32 = true;
        else if (d == "f64" || d == "float64")
          opt.f64 = true;
        else
          return std::fprintf(stderr, "mpfr_check: unknown dtype '%s'\n", d.c_str()), 2;
      }
    } else if (const char *v = value("--targets=")) {
      if (std::string_view(v) != "all" && std::string_view(v) != "native") {
        return std::fprintf(stderr, "mpfr_check: --targets=all|native\n"), 2;
      }
      opt.all_targets = std::string_view(v) == "all";
    } else if (const char *v = value("--worst-from=")) {
      opt.worst_from = v;
    } else if (const char *v = value("--known-over=")) {
      opt.known_over = SplitList(v);
    } else if (const char *v = value("--print=")) {
      print_at = v;
    } else if (const char *v = value("--grad=")) {
      print_grad = std::strtod(v, nullptr);
    } else if (const char *v = value("--param-sets=")) {
      opt.param_sets = std::atoi(v);
    } else if (a == "--tails") {
      opt.tails = true;
    } else if (a == "--merge-params") {
      opt.merge_params = true;
    } else if (a == "--markdown") {
      opt.markdown = true;
    } else if (a == "--check") {
      opt.check = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--samples=N] [--seed=S] [--functions=a,b] "
                   "[--dtypes=f32,f64] "
                   "[--targets=all|native] [--worst-from=docs/accuracy.md] [--markdown] "
                   "[--check] [--known-over=fn:float64:row,...] [--param-sets=N] [--tails] "
                   "[--merge-params] [--print=fn:x[:p0[:p1]] [--grad=G]]\n",
                   argv[0]);
      return 2;
    }
  }
  mpfr_set_emin(mpfr_get_emin_min());
  mpfr_set_emax(mpfr_get_emax_max());

  // Every elementwise function of the catalogue needs its MPFR formulas.
  int missing = 0;
  for (const ActivationSpec &spec : Catalog()) {
    if (!spec.elementwise) continue;
    const Formula *f = FindFormula(spec.name);
    if (f == nullptr || (spec.derivative_from_output && f->derivative_from_output == nullptr)) {
      std::fprintf(stderr,
                   "mpfr_check: no MPFR formula for '%s'%s: add it to kFormulas in "
                   "tools/mpfr_check.cc\n",
                   spec.name.data(), f ? " (derivative from y)" : "");
      ++missing;
    }
  }
  for (const std::string &name : opt.functions) {
    const ActivationSpec *s = FindSpec(name);
    if (s == nullptr || !s->elementwise) {
      std::fprintf(stderr, "mpfr_check: '%s' is not an elementwise function of the catalogue\n",
                   name.c_str());
      return 2;
    }
  }

  if (!print_at.empty()) {
    // --print=fn:x[:p0[:p1]]: the MPFR f(x) and f'(x) as hex long doubles,
    // beside the oracle's and its error in ULP of float64.
    const std::size_t colon = print_at.find(':');
    const std::string name = print_at.substr(0, colon);
    const double x = std::strtod(print_at.c_str() + colon + 1, nullptr);
    const ActivationSpec *spec = FindSpec(name);
    const Formula *f = FindFormula(name);
    if (spec == nullptr || f == nullptr || colon == std::string::npos) {
      return std::fprintf(stderr, "mpfr_check: --print=function:x[:p0[:p1]]\n"), 2;
    }
    // Optional parameters after x, in spec order: --print=softplus:-500:1.37.
    std::vector<std::pair<std::string_view, double>> set;
    std::size_t at = print_at.find(':', colon + 1);
    for (std::size_t k = 0; at != std::string::npos && k < spec->params.size(); ++k) {
      set.emplace_back(spec->params[k].name, std::strtod(print_at.c_str() + at + 1, nullptr));
      at = print_at.find(':', at + 1);
    }
    const absl::StatusOr<Call> fcall = MakeCall(name, set, Mode::kForward);
    if (!fcall.ok())
      return std::fprintf(stderr, "mpfr_check: %s\n", fcall.status().ToString().c_str()), 2;
    const Call fc = *fcall, dc = *MakeCall(name, set, Mode::kDerivative);
    const Exact wf = Evaluate(f->value, f->extra_bits, x, fc.params.data());
    const Exact wd = Evaluate(f->derivative, f->extra_bits, x, fc.params.data());
    const long double rf = reference::Evaluate(fc, x).output,
                      rd = reference::Evaluate(dc, x).output;
    std::printf(
        "%s x=%a (%.17g)\n  f  mpfr %La  oracle %La  oracle error %.4g "
        "ULP of float64\n"
        "  f' mpfr %La  oracle %La  oracle error %.4g ULP of float64\n",
        name.c_str(), x, x, mpfr_get_ld(wf.v.get(), MPFR_RNDN), rf,
        OracleError<double>(rf, wf.v, x, 1, false, false, 0), mpfr_get_ld(wd.v.get(), MPFR_RNDN),
        rd, OracleError<double>(rd, wd.v, x, 1, true, false, 0));
    activations::Options eo;
    eo.threads = 1;
    const Engine engine(eo);
    if (opt.f32) PrintKernels<float>(engine, *spec, *f, set, x, print_grad);
    if (opt.f64) PrintKernels<double>(engine, *spec, *f, set, x, print_grad);
    return 0;
  }
  std::vector<int64_t> targets = {0};
  if (opt.all_targets) targets = hwy::SupportedAndGeneratedTargets();
  activations::Options eo;
  eo.threads = 1;
  const Engine engine(eo);
  Table table;
  std::uint64_t unsettled = 0;
  std::uint64_t over_rows = 0, known_rows = 0, known_within = 0;
  double worst_oracle64 = 0;
  std::uint64_t large_g_inputs = 0;
  if (opt.markdown) {
    std::printf(
        "| function | parameters | dtype | mode | max ULP vs MPFR | "
        "worst input (target) | "
        "bound | over bound | oracle's max error vs MPFR | at input |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n");
  } else {
    std::printf("%-12s %-22s %-7s %-27s %10s %-32s %6s %6s %12s %s\n", "function", "params",
                "dtype", "mode", "maxULP", "worst input (target)", "bound", "over", "oracleULP",
                "oracle worst input");
  }
  // Prints the rows added since the last call (one function's), as it goes.
  std::size_t printed = 0;
  auto print_new_rows = [&] {
    for (; printed < table.order.size(); ++printed) {
      const Table::Key &k = table.order[printed];
      const RowStat &s = table.rows.at(k);
      if (s.checked == 0) continue;
      const std::string id = k.function + ":" + k.dtype + ":" + kRowKeys[k.row];
      const bool known =
          std::find(opt.known_over.begin(), opt.known_over.end(), id) != opt.known_over.end();
      if (known) {
        ++known_rows;
        if (s.over == 0) {
          ++known_within;
          std::fprintf(stderr,
                       "mpfr_check: %s is listed in --known-over but within "
                       "its bound in this run (on this target and these "
                       "samples): if it is fixed, remove it\n",
                       id.c_str());
        }
      } else {
        over_rows += s.over > 0;
      }
      if (k.dtype == "float64") worst_oracle64 = std::max(worst_oracle64, s.oracle);
      // The worst input, the gradient where it is not certify's (--tails,
      // backward rows) and the parameter set where the row merges them.
      char worst[192], oracle_at[160];
      std::snprintf(worst, sizeof(worst), "%.9g (%s)", s.input, s.target.c_str());
      const bool bwd = k.row == 4 || k.row == 6;
      if (opt.tails && bwd) {
        std::snprintf(worst + std::strlen(worst), sizeof(worst) - std::strlen(worst), " g=%.3g",
                      s.grad);
      }
      if (opt.merge_params) {
        std::snprintf(worst + std::strlen(worst), sizeof(worst) - std::strlen(worst), " [%s]",
                      s.worst_params.c_str());
      }
      std::snprintf(oracle_at, sizeof(oracle_at), "%.17g", s.oracle_input);
      if (opt.merge_params) {
        std::snprintf(oracle_at + std::strlen(oracle_at), sizeof(oracle_at) - std::strlen(oracle_at),
                      " [%s]", s.oracle_params.c_str());
      }
      char over[64];
      std::snprintf(over, sizeof(over), "%llu", static_cast<unsigned long long>(s.over));
      if (s.over_large_g > 0) {
        std::snprintf(over + std::strlen(over), sizeof(over) - std::strlen(over), " (+%llu huge g)",
                      static_cast<unsigned long long>(s.over_large_g));
      }
      large_g_inputs += s.over_large_g;
      if (opt.markdown) {
        std::printf("| %s | %s | %s | %s | %.3f | %s | %g | %s | %.2e | %s |\n", k.function.c_str(),
                    k.params.c_str(), k.dtype.c_str(), kRowNames[k.row], s.ulp, worst, s.bound,
                    over, s.oracle, oracle_at);
      } else {
        std::printf("%-12s %-22s %-7s %-27s %10.4f %-32s %6g %6s %12.3e %s\n", k.function.c_str(),
                    k.params.c_str(), k.dtype.c_str(), kRowNames[k.row], s.ulp, worst, s.bound,
                    over, s.oracle, oracle_at);
      }
    }
    std::fflush(stdout);
  };
  for (const ActivationSpec &spec : Catalog()) {
    if (!spec.elementwise) continue;
    if (!opt.functions.empty() &&
        std::find(opt.functions.begin(), opt.functions.end(), spec.name) == opt.functions.end()) {
      continue;
    }
    const Formula *f = FindFormula(spec.name);
    if (f == nullptr) continue;
    if (opt.f32) CheckFunction<float>(opt, spec, *f, engine, targets, &table, &unsettled);
    if (opt.f64) CheckFunction<double>(opt, spec, *f, engine, targets, &table, &unsettled);
    print_new_rows();
  }

  std::printf(
      "\nrows over their bound against MPFR: %llu (and %llu known, "
      "--known-over); MPFR values not settled: %llu; "
      "functions without an MPFR formula: %d; the long-double oracle's "
      "largest error "
      "in float64 ULP: %.3g; inputs over only inside the huge-g limit "
      "(InLargeGradientLimit): %llu\n",
      static_cast<unsigned long long>(over_rows),
      static_cast<unsigned long long>(known_rows - known_within),
      static_cast<unsigned long long>(unsettled), missing, worst_oracle64,
      static_cast<unsigned long long>(large_g_inputs));
  if (missing > 0) return 1;
  // A known row found within its bound is a note, not a failure: which rows
  // a run finds over depends on the native target and the samples (the list
  // names every target's rows; session 28's ctest failed on no target, but an
  // AVX2 machine does not reach AVX3's rows).
  if (opt.check && (over_rows > 0 || unsettled > 0)) return 1;
  return 0;
}

}  // namespace
}  // namespace activations::mpfr_check

int main(int argc, char **argv) { return activations::mpfr_check::Main(argc, argv); }
