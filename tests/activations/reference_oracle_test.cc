// The long-double oracles (each activation's Reference in <name>-inl.h)
// against exact values from GNU MPFR (tools/mpfr_check --print=function:x,
// >= 256 bits, rounded to long double): where tools/mpfr_check found an
// oracle off by more than 0.01 ULP of float64, the inputs it named, so the
// oracle stays fixed without MPFR in the test build.
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "activations/activation_list.h"
#include "activations/catalog.h"
#include "activations/reference.h"
#include "gtest/gtest.h"

namespace activations {
namespace {

// |got - want| in ULP of float64 at want.
double Float64UlpError(long double got, long double want) {
  int e = 0;
  std::frexp(want, &e);
  return static_cast<double>(std::fabs(got - want) / std::ldexp(1.0L, e - 53));
}

struct Exact {
  double x;
  long double f, df;  // MPFR's f(x) and f'(x), rounded to long double
};

// The oracle's f and f' of `function` (at `params`) within 0.01 ULP of
// float64 of MPFR's at each input.
void ExpectNearMpfr(std::string_view function, NamedParams params,
                    std::span<const Exact> exact) {
  const Call f = *MakeCall(function, params, Mode::kForward);
  const Call df = *MakeCall(function, params, Mode::kDerivative);
  for (const Exact& e : exact) {
    SCOPED_TRACE(std::string(function) + " " + std::to_string(e.x));
    EXPECT_LE(Float64UlpError(reference::Forward(f, e.x), e.f), 0.01);
    EXPECT_LE(Float64UlpError(reference::Derivative(df, e.x), e.df), 0.01);
  }
}

// gelu_tanh: exp(-2u) amplifies u's rounding by 2|u| below 0; with u rounded
// once the oracle was off by 0.72 ULP of float64 (f at x = -19.38) and 0.46
// (f' there).
TEST(ReferenceOracleTest, GeluTanhLowerTailAgainstMpfr) {
  const Exact kExact[] = {
      {-0x1.3620e3308147ep+4, -0xf.f3a813cb169893fp-794L, -0xa.37170fd83e01b2cp-787L},
      {-0x1.4aec88da2eb53p+4, -0xf.8347a2cde0a8e85p-958L, -0xb.4913b99fbd20b64p-951L},
      {-15, -0xf.5a0e41bb400c7f2p-382L, -0xb.eb8a84123ae3fc5p-376L},
      {-10, -0xa.3e47ea9427f4c75p-126L, -0xe.a9809f3f42c0b91p-122L},
      {-3, -0xe.e615008b095c402p-12L, -0xb.dcb84353623f8cfp-10L},
  };
  ExpectNearMpfr("gelu_tanh", {}, kExact);
}

// softplus and swish at beta = 1.37 (float32-rounded, certify's non-default
// set), celu at alpha = 1.37: exp amplified the rounding of beta x (of
// x / alpha) to 0.15, 0.18 and 0.23 ULP of float64 (tools/mpfr_check).
TEST(ReferenceOracleTest, ExpArgumentsFormedExactlyAgainstMpfr) {
  struct Case {
    const char* function;
    const char* param;
    double x;
    long double f, df;
  };
  const Case kExact[] = {
      {"softplus", "beta", -0x1.f50413533c11p+8, 0x9.cb0611dbbc89dbap-994L, 0xd.6a9f5bcf336c5fcp-994L},
      {"softplus", "beta", -0x1.c78392c0155a3p+8, 0x9.5b5eec9e9999f3dp-904L,
       0xc.d1a872ff4fc9af3p-904L},
      {"swish", "beta", -0x1.80781f212d774p+8, -0xc.df87cdceb4a1751p-755L,
       -0x8.cd270ee794dc274p-754L},
      {"celu", "alpha", -0x1.62e3d70a3d6fep+9, -0xa.f5c29p-3L, 0xb.c64b05fa49d1564p-751L},
      {"celu", "alpha", -0x1.62ffffffffff1p+9, -0xa.f5c29p-3L, 0xa.071c93c133673f7p-751L},
  };
  for (const Case& c : kExact) {
    const std::pair<std::string_view, double> set[] = {{c.param, double{1.37f}}};
    const Exact e[] = {{c.x, c.f, c.df}};
    ExpectNearMpfr(c.function, set, e);
  }
}

// Far out, where exp is 0 or inf in long double, the rounding error of the
// argument (up to 2^-64 of it) is no longer small: carried into exp it gave
// NaN (softplus f' at beta x = -8e22; mpfr_check's sampled bit patterns).
TEST(ReferenceOracleTest, ExactArgumentsFarOut) {
  const std::pair<std::string_view, double> beta[] = {{"beta", double{1.37f}}};
  for (const char* name : {"softplus", "swish"}) {
    SCOPED_TRACE(name);
    const Call f = *MakeCall(name, beta, Mode::kForward);
    const Call df = *MakeCall(name, beta, Mode::kDerivative);
    for (double x : {-5.8101954214234799e+22, -1e300, -3e4, -1e5, -0x1.fffffffffffffp+13}) {
      SCOPED_TRACE(x);
      EXPECT_EQ(reference::Forward(f, x), 0);
      EXPECT_EQ(reference::Derivative(df, x), 0);
    }
    for (double x : {5.8101954214234799e+22, 1e300}) {
      EXPECT_EQ(reference::Forward(f, x), x);
      EXPECT_EQ(reference::Derivative(df, x), 1);
    }
  }
  const Call f = *MakeCall("gelu_tanh", {}, Mode::kForward);
  const Call df = *MakeCall("gelu_tanh", {}, Mode::kDerivative);
  for (double x : {-1e300, -1e100, -1e10}) {
    EXPECT_EQ(reference::Forward(f, x), 0);
    EXPECT_EQ(reference::Derivative(df, x), 0);
    EXPECT_EQ(reference::Forward(f, -x), -x);
    EXPECT_EQ(reference::Derivative(df, -x), 1);
  }
}

// gelu: erfc(-x / sqrt(2)) amplifies the argument's rounding (and 1 /
// sqrt(2)'s as one long double) by about x^2, e^(-x^2/2) that of x^2: the
// oracle was off by 0.63 ULP of float64 (f at x = -37.4), 0.24 (f' at
// -33.9), 0.07 (f at the integer -20). Far out and at +-inf it keeps the
// plain formula's values.
TEST(ReferenceOracleTest, GeluLowerTailAgainstMpfr) {
  const Exact kExact[] = {
      {-37.396580528967618, -0xe.93cf4e65ae40dfcp-1014L, -0x8.849321ec5653c12p-1008L},
      {-33.916826473950323, -0xe.9f3ec8b98ea63bep-835L, -0xf.7f7677ea09f4ffp-830L},
      {-20, -0x8.c3b14b7a8258e66p-293L, -0xa.f494c101dd846e3p-289L},
      {-8, -0xb.34e96486aae7205p-51L, -0xb.339bf772896e9b6p-48L},
      {-1.5, -0xc.d3b52270b5f2f6ap-7L, -0x8.28748af804e7a8bp-6L},
      {3, 0xb.fbda65a136ede7cp-2L, 0x8.1876f5a0927b121p-3L},
  };
  ExpectNearMpfr("gelu", {}, kExact);
  const Call f = *MakeCall("gelu", {}, Mode::kForward);
  const Call df = *MakeCall("gelu", {}, Mode::kDerivative);
  for (double x : {-1e300, -1e10, -200.0}) {
    SCOPED_TRACE(x);
    EXPECT_EQ(reference::Forward(f, x), 0);
    EXPECT_EQ(reference::Forward(f, -x), -x);
    EXPECT_EQ(reference::Derivative(df, -x), 1);
  }
  EXPECT_EQ(reference::Forward(f, INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(reference::Forward(f, NAN)));
  EXPECT_TRUE(std::isnan(reference::Derivative(df, NAN)));
}

// swish at a small beta (session 28): the zero of f' at x = z0 / beta lies
// outside |x| < 4 (beta = 0.3: x = -4.26154...), where no near-zero
// exception covers it, and s + z s (1 - s) cancels: the oracle was off by 29
// ULP of float64 at x = -4.2615 and 1043 at x = -4.2615475 (MPFR, tools/
// mpfr_check --print=swish:x:0.3). Now a series around z0.
TEST(ReferenceOracleTest, SwishSmallBetaNearTheZeroOfTheDerivativeAgainstMpfr) {
  const Exact kExact[] = {
      {-0x1.10bc6a7ef9db2p+2, -0xe.d9f81f084ad2977p-4L, 0xd.4933462d7711764p-22L},
      {-0x1.10bd31b9b66f9p+2, -0xe.d9f81f0d90efac4p-4L, 0x8.8f02b79babf6923p-27L},
      {-4.25, -0xe.d9f38b9163ef247p-4L, 0xc.647bc035f7051eep-14L},
      {-0x1.199999999999ap+2, -0xe.d7739cde5601cd6p-4L, -0x9.01a32320bc0bc8dp-10L},
      {-5.5, -0xe.2d7660e6247b5fbp-4L, -0xf.d83ca343c6c5e1dp-8L},
      {-0x1.999999999999ap+1, -0xe.2d190e64ac2b822p-4L, 0xa.d679208d267903ep-7L},
  };
  const std::pair<std::string_view, double> beta[] = {{"beta", 0.3}};
  ExpectNearMpfr("swish", beta, kExact);
}

}  // namespace
}  // namespace activations
