// The per-target kernel driver: one loop over a span for every activation,
// mode and element type, expanded from ACTIVATION_LIST, behind one
// HWY_EXPORT per element type.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "activations/kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "activations/kernels.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#define ACTIVATIONS_WANT_DEFINITIONS
#include "activations/activation_list.h"

HWY_BEFORE_NAMESPACE();
namespace activations {
namespace HWY_NAMESPACE {

// The kernel interface every activation implements (see sigmoid-inl.h):
//   State Prepare(V x)                 the work f and f' share (the exponential)
//   V Value(const State&, V x)         f(x)
//   V Slope(const State&, V x, G g)    g * f'(x), G = V or Unit (g = 1)
// and, where f' is a function of y = f(x):
//   V SlopeFromOutput(V y, G g)        g * f'(x) from y
// Every mode is built from these, so forward_and_derivative returns exactly
// forward's f and derivative's f': the same expressions on the same values.
template <class K, class VC>
concept HasSlopeFromOutput = requires(const K& k, VC v) { k.SlopeFromOutput(v, v); };

// The per-vector lambdas of the loops below (Loop's step, RunKernel's op
// and slope) are always inlined. Left to its budget, GCC 12 compiled some of
// them out of line in the AVX3 object of main 6e2846a: a call per vector,
// the vectors passed through memory -- forward_and_derivative of softplus
// (float32 and float64), celu (float32), swish (float32 at beta = 1: 0.80x
// session 24's speed, kernels41), gelu_tanh (float64), and softplus' slope
// on the backward's common path; which ones moved with unrelated changes
// elsewhere in the file (tests/activations/per_vector_inlined_test.sh).
// GCC only: clang 14 (the sanitizer and fuzz builds, -O1) took 145 s for
// this file without the attribute and over 7 minutes with it.
#ifndef ACTIVATIONS_PER_VECTOR
#if defined(__clang__)
#define ACTIVATIONS_PER_VECTOR HWY_ATTR
#else
#define ACTIVATIONS_PER_VECTOR HWY_ATTR __attribute__((always_inline))
#endif
#endif

// Loads T elements as compute-type vectors: the same type, or float promoted
// to double for activations that compute float32 through float64.
template <class DC, typename T>
struct Io {
  using TC = hn::TFromD<DC>;
  using DS = hn::Rebind<T, DC>;  // storage tag, same lane count as DC
  DC dc;
  DS ds;
  V<DC> Load(const T* p) const {
    if constexpr (std::is_same_v<T, TC>) {
      return hn::LoadU(dc, p);
    } else {
      return hn::PromoteTo(dc, hn::LoadU(ds, p));
    }
  }
  void Store(V<DC> v, T* p) const {
    if constexpr (std::is_same_v<T, TC>) {
      hn::StoreU(v, dc, p);
    } else {
#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
      // Highway's emulated DemoteTo saturates +-inf and overflow to the
      // largest float; an IEEE conversion gives inf, as the SIMD targets do.
      HWY_ALIGN TC lanes[hn::MaxLanes(DC())];
      hn::Store(v, dc, lanes);
      for (size_t i = 0; i < hn::Lanes(dc); ++i) p[i] = static_cast<T>(lanes[i]);
#else
      hn::StoreU(hn::DemoteTo(ds, v), ds, p);
#endif
    }
  }
  // A non-temporal store (see Loop's `stream`); p aligned to the stored
  // vector. Highway's x86 Stream writes a whole 16-byte register even for
  // a narrower vector (SSE4's two floats demoted from two doubles): those,
  // and the emulated targets, store as Store does.
  void Stream(V<DC> v, T* p) const {
#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
    Store(v, p);
#else
    if constexpr (std::is_same_v<T, TC>) {
      hn::Stream(v, dc, p);
    } else if constexpr (hn::MaxLanes(DS()) * sizeof(T) < 16) {
      Store(v, p);
    } else {
      hn::Stream(hn::DemoteTo(ds, v), ds, p);
    }
#endif
  }
};

// Runs `op(x, g, &o1, &o2)` over n elements, one vector at a time; the tail
// goes through a zero-padded vector so every element takes the same path.
// NaN in gives NaN out, whatever the kernel's clamps did: NaN lanes of x (and
// of g, when there is one) are restored into o1/o2. kGrad / kOut2: whether
// `grad` / `out2` are used (the mode decides, at compile time, so the loop
// body tests no pointer). kRestoreNaN = false: op already gives x itself in
// NaN lanes of x (see ValueKeepsNaN), and the restore is skipped.
// stream: the whole vectors are stored non-temporally (ComputeStreaming:
// out and out2 aligned to the vector; the caller fences); the same values.
template <bool kGrad, bool kOut2, bool kRestoreNaN = true, class DC, typename T, class Op>
HWY_INLINE void Loop(DC dc, const T* in, const T* grad, T* out, T* out2,
                     std::size_t n, bool stream, Op op) {
  const Io<DC, T> io{dc, {}};
  const std::size_t N = hn::Lanes(dc);
  auto step = [&](auto streamed, const T* x_p, const T* g_p, T* o1_p, T* o2_p) ACTIVATIONS_PER_VECTOR {
    const auto put = [&](V<DC> v, T* p) ACTIVATIONS_PER_VECTOR {
      if constexpr (decltype(streamed)::value) {
        io.Stream(v, p);
      } else {
        io.Store(v, p);
      }
    };
    const V<DC> x = io.Load(x_p);
    V<DC> g = hn::Zero(dc);
    if constexpr (kGrad) g = io.Load(g_p);
    V<DC> o1, o2 = hn::Zero(dc);
    op(x, g, &o1, &o2);
    // (NaN lanes of g are the kernel's: BackwardOf's rare path.)
    if constexpr (!kRestoreNaN) {
      static_assert(!kGrad && !kOut2, "only a forward may skip the NaN restore");
      put(o1, o1_p);
    } else {
      const auto nan = hn::IsNaN(x);
      put(hn::IfThenElse(nan, x, o1), o1_p);
      if constexpr (kOut2) put(hn::IfThenElse(nan, x, o2), o2_p);
    }
  };
  // The whole vectors end at `whole`, counted before the loop: `i < whole`
  // is one add, compare and branch a vector, where `i + N <= n` cost a
  // copy of i + N and a register move besides (GCC 12, every target).
  const std::size_t whole = n - n % N;
  if (stream) {
    for (std::size_t i = 0; i < whole; i += N) {
      step(std::true_type(), in + i, kGrad ? grad + i : nullptr, out + i,
           kOut2 ? out2 + i : nullptr);
    }
  } else {
    for (std::size_t i = 0; i < whole; i += N) {
      step(std::false_type(), in + i, kGrad ? grad + i : nullptr, out + i,
           kOut2 ? out2 + i : nullptr);
    }
  }
  if (whole == n) return;
  const std::size_t i = whole;
  const std::size_t rest = n - i;
  constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(hn::TFromD<DC>);
  T x_buf[kMax] = {}, g_buf[kMax] = {}, o1_buf[kMax], o2_buf[kMax];
  std::memcpy(x_buf, in + i, rest * sizeof(T));
  if constexpr (kGrad) std::memcpy(g_buf, grad + i, rest * sizeof(T));
  step(std::false_type(), x_buf, g_buf, o1_buf, o2_buf);
  std::memcpy(out + i, o1_buf, rest * sizeof(T));
  if constexpr (kOut2) std::memcpy(out2 + i, o2_buf, rest * sizeof(T));
}

// The forward two vectors at a time, for a kernel with ValuePair(x0, x1,
// &y0, &y1) (the same bits as Value on each): the two chains interleaved in
// one body, one rare-path test for both. Only where the kernel's Value keeps
// NaN lanes (no restore) and the stores are cached; the rest (an odd whole
// vector, the tail) through Loop. (selu float32 on Zen 5, session 29: its
// loop of about 48 operations is bound by its latency chain, not by its
// operations; see selu-inl.h.)
template <class K, class VC>
concept HasValuePair = requires(const K& k, VC v, VC* o) { k.ValuePair(v, v, o, o); };
template <class DC, typename T, class Pair, class Op>
HWY_INLINE void LoopForwardPairs(DC dc, const T* in, T* out, std::size_t n, Pair pair, Op op) {
  const Io<DC, T> io{dc, {}};
  const std::size_t N = hn::Lanes(dc);
  const std::size_t pairs = n - n % (2 * N);
  std::size_t i = 0;
  for (; i < pairs; i += 2 * N) {
    V<DC> o0, o1;
    pair(io.Load(in + i), io.Load(in + i + N), &o0, &o1);
    io.Store(o0, out + i);
    io.Store(o1, out + i + N);
  }
  Loop<false, false, false>(dc, in + i, static_cast<const T*>(nullptr), out + i,
                            static_cast<T*>(nullptr), n - i, false, op);
}

// g * f' for a g that is not finite, on the rare path: NaN where g is NaN,
// also where f' is 0 (NaN in, NaN out); and where g = +-inf, +-inf wherever
// f' is non-zero and 0 where it is exactly 0 (a zero derivative selects 0
// whatever g is, as relu's backward and PyTorch's threshold_backward do).
// The kernels fold g into the terms of f' before its last scaling, for
// accuracy; with an infinite g those terms give inf - inf = NaN, so these
// lanes are recomputed from f' alone.
template <class DC, class SlopeOf>
HWY_INLINE V<DC> WithSpecialGradient(DC dc, V<DC> g, V<DC> product, SlopeOf slope_of) {
  const auto special = hn::Not(hn::IsFinite(g));
  if (HWY_LIKELY(hn::AllFalse(dc, special))) return product;
  const V<DC> dv = slope_of(Unit{});
  const V<DC> inf_product = hn::IfThenZeroElse(hn::Eq(dv, hn::Zero(dc)), hn::Mul(g, dv));
  return hn::IfThenElse(special, hn::IfThenElse(hn::IsNaN(g), g, inf_product), product);
}

// The gradients the backward's common path takes as they are: |g| in
// [kTinyGradient, kLargeGradient], or 0. Beyond 2^64 (float32; 2^512
// float64) the kernels' terms g times f's pieces can overflow (math-inl.h,
// kScaledFactorMax); below 2^-80 (2^-900) an intermediate, g times a
// factor below 1, can be rounded as a subnormal where g f' itself is not
// (or is, but that intermediate lost more: elu's g e^x before its huge
// alpha), which cost up to 2.5 ULP near the smallest normal (tanh, selu,
// softsign, celu, softplus, gelu_tanh) and 1.7e7 ULP with a huge parameter
// (elu, celu from y): docs/accuracy.md, "Session 28: an independent
// accuracy sweep against MPFR", finding 5. 2^-80 (2^-900) leaves 46 (122)
// binades above the smallest normal for such factors (swish's scaled
// quotient is g 2^-43 (2^-72) at its smallest).
template <typename TC>
inline constexpr TC kLargeGradient = sizeof(TC) == 4 ? TC(0x1p64f) : TC(0x1p512);
template <typename TC>
inline constexpr TC kTinyGradient = sizeof(TC) == 4 ? TC(0x1p-80f) : TC(0x1p-900);

// The backward's float32 lanes with a huge g computed again in float64
// (BackwardRare): `wide(x, g, out, n)` runs the same activation's float64
// backward (the same kernel choice and parameters, from x or from y as the
// call says) over n float32 inputs and gradients and rounds each result to
// float32 once. NoWide: none (float64 lanes, and float32 computed in
// float64 lanes, whose g never exceeds 2^512).
struct NoWide {};

// The backward's rare path, out of line (kept out of the hot loop's
// registers): some lane of g is NaN, infinite, above kLargeGradient or
// nonzero below kTinyGradient. One slope for all the lanes, with g scaled
// by a power of two per lane (up[i]) and the result scaled back (down[i]
// = 1 / up[i]), so that only that last product rounds into the subnormal
// range:
//  * |g| > 2^64 (2^512): g 2^(63 - e) with e = floor(log2 |g|), i.e. |g|
//    brought into [2^63, 2^64) ([2^511, 2^512)), the top of the range the
//    kernels take as it is: their terms (g times f's pieces, up to a few
//    thousand or kScaledFactorMax) stay finite and their clamps (a factor
//    clamped where the exponential's scale is already 0) keep giving 0.
//    Exact where |g 2^(63 - e) f'| >= 2^-126 (2^-1022), i.e. wherever |f'|
//    >= 2^-189 (2^-1533): where the kernel's g f' is normal. Session 28's
//    g 2^-64 (2^-512) was exact only where |g f'| >= 2^-62 (2^-510): below,
//    the scaled product had been rounded as a subnormal (finding 4: 1138
//    ULP at sigmoid x = -120, g = 1e30; now 0.54). Below: |f'| < 2^-189
//    (2^-1533), so |g f'| < 2^(e - 189) (2^(e - 1533)), at most 2^-62
//    (2^-510) for a finite g (every bit lost at softsign x = 1e35, g =
//    3e38, where f' = 2^-232); the kernels cannot take g higher (tried in
//    session 30: the unscaled g overflowed their terms near FLT_MAX, and
//    gave their clamps' residue where g f' is 0: silu at x = -FLT_MAX, g =
//    FLT_MAX, -1.8e-29). So float32 lanes (a `wide` that is not NoWide)
//    with a finite g above 2^64 are computed again through the same
//    activation's float64 kernel (session 31): g <= 2^128 is in its common
//    range and every float32 g f' far inside double's normal range, so
//    its result, rounded once, is within the float32 bound for every f'.
//    What is left: float64's |f'| < 2^-1533 (no wider type to run in;
//    docs/accuracy.md, "Session 31: a huge g times a tiny f' ...");
//  * 0 < |g| < 2^-80 (2^-900): g 2^S with |g 2^S| in [2^-52, 2^-16)
//    (float32: S = 100 below 2^-116, else 64; float64: S = 880, |g 2^S| in
//    [2^-194, 2^-20)): the kernel sees a normal g and its intermediates
//    stay normal; |g 2^S| < 2^-16 keeps g 2^S f' finite wherever g f' was
//    for a finite f' (a huge parameter: elu's alpha, leaky_relu's slope up
//    to the type's max) and the kernels' terms (g times a few thousand, or
//    kScaledFactorMax) far from overflow. The scaling back by 2^-S is one
//    rounding, exact where g f' is normal. Where the scaled result
//    overflowed (g 2^S f' beyond the type, for an f' itself beyond the
//    type's range: elu float32 with alpha above FLT_MAX), the lane is
//    computed again from g as it is, and that result taken unless NaN;
//  * every other lane: 1 (the same bits as slope(x, g)).
// WithSpecialGradient then settles the non-finite g.
template <class DC, class Slope, class Wide>
HWY_NOINLINE V<DC> BackwardRare(DC dc, V<DC> x, V<DC> g, const Slope& slope, const Wide& wide) {
  using TC = hn::TFromD<DC>;
  using TU = hwy::MakeUnsigned<TC>;
  constexpr bool kF32 = sizeof(TC) == 4;
  const hn::RebindToUnsigned<DC> du;
  const V<DC> a = hn::Abs(g);
  const V<DC> one = hn::Set(dc, TC(1));
  const auto big = hn::Gt(a, hn::Set(dc, kLargeGradient<TC>));
  const auto tiny = hn::And(hn::Lt(a, hn::Set(dc, kTinyGradient<TC>)), hn::Gt(a, hn::Zero(dc)));
  // 2^e of |g| (its exponent bits alone; inf and NaN as the largest binade).
  const V<DC> binade = hn::Min(
      hn::BitCast(dc, hn::And(hn::BitCast(du, a), hn::Set(du, TU(hwy::ExponentMask<TC>())))),
      hn::Set(dc, kF32 ? TC(0x1p127f) : TC(0x1p1023)));
  const V<DC> top = hn::Set(dc, kF32 ? TC(0x1p63f) : TC(0x1p511));
  V<DC> up = hn::IfThenElse(big, hn::Div(top, binade), one);
  V<DC> down = hn::IfThenElse(big, hn::Div(binade, top), one);
  if constexpr (kF32) {
    const auto deep = hn::Lt(a, hn::Set(dc, TC(0x1p-116f)));
    const V<DC> s_up = hn::IfThenElse(deep, hn::Set(dc, TC(0x1p100f)), hn::Set(dc, TC(0x1p64f)));
    const V<DC> s_down =
        hn::IfThenElse(deep, hn::Set(dc, TC(0x1p-100f)), hn::Set(dc, TC(0x1p-64f)));
    up = hn::IfThenElse(tiny, s_up, up);
    down = hn::IfThenElse(tiny, s_down, down);
  } else {
    up = hn::IfThenElse(tiny, hn::Set(dc, TC(0x1p880)), up);
    down = hn::IfThenElse(tiny, hn::Set(dc, TC(0x1p-880)), down);
  }
  const V<DC> scaled = slope(x, hn::Mul(g, up));
  V<DC> product = hn::Mul(scaled, down);
  const auto overflowed = hn::And(tiny, hn::IsInf(scaled));
  if (HWY_UNLIKELY(!hn::AllFalse(dc, overflowed))) {
    const V<DC> direct = slope(x, g);
    product = hn::IfThenElse(hn::AndNot(hn::IsNaN(direct), overflowed), direct, product);
  }
  if constexpr (!std::is_same_v<Wide, NoWide>) {
    // float32 lanes: every finite g above 2^64 again through the float64
    // kernel (see NoWide's comment), whatever the scaled result was: one
    // test, no threshold on the scaled result to get right (a kernel's
    // intermediate can be subnormal where its result is not).
    const auto redo = hn::And(big, hn::IsFinite(g));
    if (!hn::AllFalse(dc, redo)) {
      constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(TC);
      HWY_ALIGN TC x_lanes[kMax], g_lanes[kMax], o_lanes[kMax];
      hn::Store(x, dc, x_lanes);
      // (The other lanes take g = 1, in every kernel's common range; their
      // results are not used.)
      hn::Store(hn::IfThenElse(redo, g, one), dc, g_lanes);
      wide(x_lanes, g_lanes, o_lanes, hn::Lanes(dc));
      product = hn::IfThenElse(redo, hn::Load(dc, o_lanes), product);
    }
  }
  return WithSpecialGradient(dc, g, product, [&](Unit u) HWY_ATTR { return slope(x, u); });
}

// g * f'(x) from `slope(x, g)` (x or y, whatever the kernel's slope takes).
// The common path costs an add and a compare per vector beside |g|: |g| in
// [kTinyGradient, kLargeGradient] as one signed compare of its bits plus a
// bias (bits(|g|) + 2^31 - bits(kTinyGradient), modulo 2^32 (2^64): the
// range starts at the smallest signed integer, |g| below it wraps to the
// top, and inf and NaN are above the limit). A vector with a zero g (not in
// the range, but taken as it is) tests once more; every g that BackwardRare
// would scale or WithSpecialGradient would change takes BackwardRare, and
// the results are the same bits as applying it to every vector. (Three
// float compares and two mask operations instead cost 0.76x elu, 0.77x
// softsign, 0.79x hardswish float32 backward at 1 Mi: ab.py, session 29.)
template <class DC>
HWY_INLINE auto GradientInRange(DC dc, V<DC> g) {
  using TC = hn::TFromD<DC>;
  using TI = hwy::MakeSigned<TC>;
  using TU = hwy::MakeUnsigned<TC>;
  const hn::RebindToSigned<DC> di;
  const hn::RebindToUnsigned<DC> du;
  constexpr TU kTinyBits = std::bit_cast<TU>(kTinyGradient<TC>);
  constexpr TU kLargeBits = std::bit_cast<TU>(kLargeGradient<TC>);
  constexpr TU kSignBit = TU(1) << (sizeof(TU) * 8 - 1);
  constexpr TU kBias = kSignBit - kTinyBits;  // added modulo 2^bits
  constexpr TI kLimit = static_cast<TI>(kSignBit + (kLargeBits - kTinyBits) + 1);
  const V<decltype(du)> biased = hn::Add(hn::BitCast(du, hn::Abs(g)), hn::Set(du, kBias));
  return hn::RebindMask(dc, hn::Lt(hn::BitCast(di, biased), hn::Set(di, kLimit)));
}
template <class DC, class Slope, class Wide = NoWide>
HWY_INLINE V<DC> BackwardOf(DC dc, V<DC> x, V<DC> g, const Slope& slope,
                            const Wide& wide = Wide()) {
  const auto in_range = GradientInRange(dc, g);
  if (HWY_LIKELY(hn::AllTrue(dc, in_range)) ||
      hn::AllTrue(dc, hn::Or(in_range, hn::Eq(g, hn::Zero(dc))))) {
    return slope(x, g);
  }
  return BackwardRare(dc, x, g, slope, wide);
}

// The backward from x two vectors at a time, for a kernel with
// SlopePair(x0, x1, g0, g1, &o0, &o1) (the same bits as Slope(Prepare(x), x,
// g) on each, for gradients in BackwardOf's common range): the two chains in
// one body, one gradient-range test for both (and the kernel's own rare test
// for both). A pair with any gradient outside the range takes BackwardOf on
// each vector, out of line; an odd whole vector and the tail go through Loop.
// Cached stores only (no backward of such a kernel streams). (silu float32
// and float64 backward on Zen 5, session 30: a chain of about 70 cycles
// (the exponential, the division) against about 17 per vector of float32;
// two vectors a body ran 1.07-1.11x, four no faster than two:
// docs/benchmarks.md, "Session 30: silu backward ...".)
template <class K, class VC>
concept HasSlopePair = requires(const K& k, VC v, VC* o) { k.SlopePair(v, v, v, v, o, o); };
template <class DC, class Slope, class Wide>
HWY_NOINLINE void BackwardPairOutOfRange(DC dc, V<DC> x0, V<DC> x1, V<DC> g0, V<DC> g1,
                                         const Slope& slope, const Wide& wide, V<DC>* o0,
                                         V<DC>* o1) {
  *o0 = BackwardOf(dc, x0, g0, slope, wide);
  *o1 = BackwardOf(dc, x1, g1, slope, wide);
}
template <class DC, typename T, class Pair, class Slope, class Wide, class Op>
HWY_INLINE void LoopBackwardPairs(DC dc, const T* in, const T* grad, T* out, std::size_t n,
                                  Pair pair, const Slope& slope, const Wide& wide, Op op) {
  const Io<DC, T> io{dc, {}};
  const std::size_t N = hn::Lanes(dc);
  const std::size_t pairs = n - n % (2 * N);
  std::size_t i = 0;
  for (; i < pairs; i += 2 * N) {
    const V<DC> x0 = io.Load(in + i), x1 = io.Load(in + i + N);
    const V<DC> g0 = io.Load(grad + i), g1 = io.Load(grad + i + N);
    V<DC> o0, o1;
    const auto r0 = GradientInRange(dc, g0);
    const auto r1 = GradientInRange(dc, g1);
    // (A zero g is taken as it is, as in BackwardOf: gradients with many
    // exact zeros, behind a relu or a dropout mask, stay on this path.)
    if (HWY_LIKELY(hn::AllTrue(dc, hn::And(r0, r1))) ||
        hn::AllTrue(dc, hn::And(hn::Or(r0, hn::Eq(g0, hn::Zero(dc))),
                                hn::Or(r1, hn::Eq(g1, hn::Zero(dc)))))) {
      pair(x0, x1, g0, g1, &o0, &o1);
    } else {
      BackwardPairOutOfRange(dc, x0, x1, g0, g1, slope, wide, &o0, &o1);
    }
    io.Store(hn::IfThenElse(hn::IsNaN(x0), x0, o0), out + i);
    io.Store(hn::IfThenElse(hn::IsNaN(x1), x1, o1), out + i + N);
  }
  Loop<true, false>(dc, in + i, grad + i, out + i, static_cast<T*>(nullptr), n - i, false, op);
}

// The modes from x with f' (derivative, forward_and_derivative) two
// vectors at a time: a kernel opts in with OrderPair(s0, s1), which takes
// the two states of Prepare and orders them (ComputedBefore on one member
// each that its results read: both states are computed before either
// result, GCC otherwise sinks the second state's operations below the first
// result; see ValuePair). The pair body is then Prepare, Prepare, OrderPair,
// and Value / Slope(Unit) on each, the same functions on the same values as
// the one-vector loop, so the same bits. A kernel whose derivative does
// not read the state (silu float32 on AVX-512: SlopeWide from x) gives
// SlopePair for a Unit g instead, and the derivative takes it. An odd whole
// vector and the tail go through Loop; cached stores only (a streaming job
// takes Loop). (Session 31, kernels55: the derivative and
// forward_and_derivative had stayed one vector a body after the forwards
// took pairs, 1.5-2.5x the forward's time: docs/benchmarks.md.)
template <class K, class VC>
concept HasOrderPair = requires(const K& k, VC v) {
  requires requires(decltype(k.Prepare(v))& s) { k.OrderPair(s, s); };
};
template <class K, class VC>
concept HasSlopeUnitPair =
    requires(const K& k, VC v, VC* o) { k.SlopePair(v, v, Unit{}, Unit{}, o, o); };
template <bool kOut2, class DC, typename T, class Pair, class Op>
HWY_INLINE void LoopFromXPairs(DC dc, const T* in, T* out, T* out2, std::size_t n, Pair pair,
                               Op op) {
  const Io<DC, T> io{dc, {}};
  const std::size_t N = hn::Lanes(dc);
  const std::size_t pairs = n - n % (2 * N);
  std::size_t i = 0;
  for (; i < pairs; i += 2 * N) {
    const V<DC> x0 = io.Load(in + i), x1 = io.Load(in + i + N);
    V<DC> a0, a1, b0 = hn::Zero(dc), b1 = hn::Zero(dc);
    pair(x0, x1, &a0, &a1, &b0, &b1);
    const auto nan0 = hn::IsNaN(x0);
    const auto nan1 = hn::IsNaN(x1);
    io.Store(hn::IfThenElse(nan0, x0, a0), out + i);
    io.Store(hn::IfThenElse(nan1, x1, a1), out + i + N);
    if constexpr (kOut2) {
      io.Store(hn::IfThenElse(nan0, x0, b0), out2 + i);
      io.Store(hn::IfThenElse(nan1, x1, b1), out2 + i + N);
    }
  }
  Loop<false, kOut2>(dc, in + i, static_cast<const T*>(nullptr), out + i,
                     kOut2 ? out2 + i : static_cast<T*>(nullptr), n - i, false, op);
}

// A kernel whose Value(Prepare(x), x) is x itself, every bit, in NaN lanes
// of x (a select that takes x where its compare is false, and compares are
// false for NaN: hardshrink's |x| <= lambd, rrelu's x <= 0, hardswish's
// x < 3) says kValueKeepsNaN = true, and its forward skips the driver's NaN
// restore: two vector operations of a loop of six to fifteen. Only
// where the types match (float32 through float64 lanes would not give x's
// bits back), and only the forward: the other modes keep the restore.
// conventions_test checks every activation's NaN bits in every mode.
//
// Except in a narrowed loop (DC half the target's widest vector: a float64
// forward past L2, see NarrowsPastL2), which is bound by L3's bandwidth, not
// by its operations: there the restore stays. Zen 4, 1 Mi float64 from L3,
// 256-bit vectors: hardshrink's loop of five operations (load, and,
// compare, masked zero, store) moved 0.88x the elements per second of the
// same loop with the restore added (seven), and relu's with its restore ran
// 1.13x its own without; the extra operations slow the L2-resident loop
// (0.93x at 64 Ki), which is not narrowed. docs/benchmarks.md, "Session 25:
// ... (branch kernels39)". The same bits either way.
template <class DC>
constexpr bool IsNarrowed() {
  return hn::MaxLanes(DC()) * sizeof(hn::TFromD<DC>) < HWY_MAX_BYTES;
}
template <class K, typename T, class DC>
constexpr bool ValueKeepsNaN() {
  if constexpr (requires { K::kValueKeepsNaN; }) {
    return K::kValueKeepsNaN && std::is_same_v<T, hn::TFromD<DC>> && !IsNarrowed<DC>();
  } else {
    return false;
  }
}

// Which modes of a kernel store non-temporally in a large job (`stream`,
// see ComputeStreaming). forward_and_derivative always: its two outputs
// were 1.8-1.9x faster at 16 Mi for the select kernels and the same
// (0.94-1.12x) for sigmoid, silu and gelu. The one-output modes only for a
// kernel that says kStreamLargeOutputs = true (its loop is bound by memory,
// not arithmetic): they gained 1.2-1.5x for relu, softshrink, hardshrink,
// threshold, leaky_relu, but a forward that is bound by its arithmetic lost
// 5-14% (sigmoid, silu: a non-temporal store is slower to retire than a
// cached one while the loop has compute to overlap). docs/benchmarks.md,
// "Session 23: the driver for large arrays and the two-output modes".
template <class K>
constexpr bool StreamsOneOutput() {
  if constexpr (requires { K::kStreamLargeOutputs; }) {
    return K::kStreamLargeOutputs;
  } else {
    return false;
  }
}

// A kernel whose modes from x are bound by arithmetic but whose modes from
// the output y are a few operations per element (tanh: g (1 - y^2)) says
// kStreamFromOutput = true: its derivative and backward from y stream in a
// large job as the select kernels' modes do, its modes from x do not.
template <class K>
constexpr bool StreamsFromOutput() {
  if constexpr (requires { K::kStreamFromOutput; }) {
    return K::kStreamFromOutput;
  } else {
    return false;
  }
}

template <class K, class DC, typename T, class Wide>
HWY_INLINE void RunKernel(DC dc, const Call& call, Mode mode, const T* in, const T* grad,
                          T* out, T* out2, std::size_t n, bool stream, const Wide& wide) {
  using VC = V<DC>;
  const K k(dc, call.params);
  const bool from_output = call.input_kind == InputKind::kOutput;
  if (mode != Mode::kForwardAndDerivative && !StreamsOneOutput<K>() &&
      !(from_output && mode != Mode::kForward && StreamsFromOutput<K>())) {
    stream = false;
  }
  switch (mode) {
    case Mode::kForward:
      if constexpr (HasValuePair<K, VC> && ValueKeepsNaN<K, T, DC>()) {
        if (!stream) {
          return LoopForwardPairs(
              dc, in, out, n,
              [&](VC x0, VC x1, VC* o0, VC* o1) ACTIVATIONS_PER_VECTOR { k.ValuePair(x0, x1, o0, o1); },
              [&](VC x, VC, VC* o1, VC*) ACTIVATIONS_PER_VECTOR { *o1 = k.Value(k.Prepare(x), x); });
        }
      }
      return Loop<false, false, !ValueKeepsNaN<K, T, DC>()>(
          dc, in, grad, out, out2, n, stream,
          [&](VC x, VC, VC* o1, VC*) ACTIVATIONS_PER_VECTOR { *o1 = k.Value(k.Prepare(x), x); });
    case Mode::kForwardAndDerivative: {
      const auto op = [&](VC x, VC, VC* o1, VC* o2) ACTIVATIONS_PER_VECTOR {
        const auto s = k.Prepare(x);
        *o1 = k.Value(s, x);
        *o2 = k.Slope(s, x, Unit{});
      };
      if constexpr (HasOrderPair<K, VC>) {
        if (!stream) {
          return LoopFromXPairs<true>(
              dc, in, out, out2, n,
              [&](VC x0, VC x1, VC* y0, VC* y1, VC* d0, VC* d1) ACTIVATIONS_PER_VECTOR {
                auto s0 = k.Prepare(x0);
                auto s1 = k.Prepare(x1);
                k.OrderPair(s0, s1);
                *y0 = k.Value(s0, x0);
                *y1 = k.Value(s1, x1);
                *d0 = k.Slope(s0, x0, Unit{});
                *d1 = k.Slope(s1, x1, Unit{});
              },
              op);
        }
      }
      return Loop<false, true>(dc, in, grad, out, out2, n, stream, op);
    }
    case Mode::kDerivative:
      if constexpr (HasSlopeFromOutput<K, VC>) {
        if (from_output) {
          return Loop<false, false>(dc, in, grad, out, out2, n, stream,
                                    [&](VC y, VC, VC* o1, VC*) ACTIVATIONS_PER_VECTOR {
                                      *o1 = k.SlopeFromOutput(y, Unit{});
                                    });
        }
      }
      {
        const auto op = [&](VC x, VC, VC* o1, VC*) ACTIVATIONS_PER_VECTOR {
          *o1 = k.Slope(k.Prepare(x), x, Unit{});
        };
        if constexpr (HasSlopeUnitPair<K, VC>) {
          if (!stream) {
            return LoopFromXPairs<false>(
                dc, in, out, static_cast<T*>(nullptr), n,
                [&](VC x0, VC x1, VC* o0, VC* o1, VC*, VC*) ACTIVATIONS_PER_VECTOR {
                  k.SlopePair(x0, x1, Unit{}, Unit{}, o0, o1);
                },
                op);
          }
        } else if constexpr (HasOrderPair<K, VC>) {
          if (!stream) {
            return LoopFromXPairs<false>(
                dc, in, out, static_cast<T*>(nullptr), n,
                [&](VC x0, VC x1, VC* o0, VC* o1, VC*, VC*) ACTIVATIONS_PER_VECTOR {
                  auto s0 = k.Prepare(x0);
                  auto s1 = k.Prepare(x1);
                  k.OrderPair(s0, s1);
                  *o0 = k.Slope(s0, x0, Unit{});
                  *o1 = k.Slope(s1, x1, Unit{});
                },
                op);
          }
        }
        return Loop<false, false>(dc, in, grad, out, out2, n, stream, op);
      }
    case Mode::kBackward:
      if constexpr (HasSlopeFromOutput<K, VC>) {
        if (from_output) {
          const auto slope = [&k](VC y, auto g) ACTIVATIONS_PER_VECTOR { return k.SlopeFromOutput(y, g); };
          return Loop<true, false>(dc, in, grad, out, out2, n, stream,
                                   [&](VC y, VC g, VC* o1, VC*) ACTIVATIONS_PER_VECTOR {
                                     *o1 = BackwardOf(dc, y, g, slope, wide);
                                   });
        }
      }
      // (The slope recomputes the state from x: a state captured by
      // reference for the rare path would be stored to memory every time.)
      const auto slope = [&k](VC x, auto g) ACTIVATIONS_PER_VECTOR { return k.Slope(k.Prepare(x), x, g); };
      const auto op = [&](VC x, VC g, VC* o1, VC*) ACTIVATIONS_PER_VECTOR {
        *o1 = BackwardOf(dc, x, g, slope, wide);
      };
      if constexpr (HasSlopePair<K, VC>) {
        if (!stream) {
          return LoopBackwardPairs(
              dc, in, grad, out, n,
              [&](VC x0, VC x1, VC g0, VC g1, VC* o0, VC* o1) ACTIVATIONS_PER_VECTOR {
                k.SlopePair(x0, x1, g0, g1, o0, o1);
              },
              slope, wide, op);
        }
      }
      return Loop<true, false>(dc, in, grad, out, out2, n, stream, op);
  }
}

// A kernel may carry a second variant for parameters that need work its
// common one should not test for on every vector (softplus: a beta beyond
// 2^+-512), chosen once per call: A::UseRareKernel(params) selects
// A::RareKernel. (A never-taken test in softplus' forward cost it a third
// more instructions: its registers, not its work.) Likewise a variant for
// parameters that allow less work (softplus at beta = 1, PyTorch's default:
// z = x exactly, f' the logistic function of x): A::UseFastKernel(params)
// selects A::FastKernel.
template <class A, class DC, class Run>
HWY_INLINE void WithKernel(const Call& call, const Run& run) {
  using TT = hn::TFromD<DC>;
  if constexpr (requires { A::template UseRareKernel<TT>(call.params); }) {
    if (HWY_UNLIKELY(A::template UseRareKernel<TT>(call.params))) {
      return run(std::type_identity<typename A::template RareKernel<DC>>());
    }
  }
  if constexpr (requires { A::UseFastKernel(call.params); }) {
    if (A::UseFastKernel(call.params)) {
      return run(std::type_identity<typename A::template FastKernel<DC>>());
    }
  }
  run(std::type_identity<typename A::template Kernel<DC>>());
}

// The float64 backward over n float32 inputs (x or y, as the call says) and
// gradients, each result rounded once to float32: BackwardRare's Wide for
// float32 lanes. Out of line, reached only from the rare path. Every g it
// is given is 1 or a float32 above 2^64, within float64's common range
// [2^-900, 2^512]: the kernel's slope as it is (what BackwardOf would run;
// its rare path is not instantiated here, for code size).
template <class A>
HWY_NOINLINE void BackwardThroughDouble(const Call& call, const float* in, const float* grad,
                                        float* out, std::size_t n) {
  using DD = hn::ScalableTag<double>;
  const DD dd;
  WithKernel<A, DD>(call, [&](auto kernel) HWY_ATTR {
    using K = typename decltype(kernel)::type;
    using VD = V<DD>;
    const K k(dd, call.params);
    const auto run = [&](const auto& slope) HWY_ATTR {
      Loop<true, false>(dd, in, grad, out, static_cast<float*>(nullptr), n, false,
                        [&](VD x, VD g, VD* o1, VD*) ACTIVATIONS_PER_VECTOR { *o1 = slope(x, g); });
    };
    if constexpr (HasSlopeFromOutput<K, VD>) {
      if (call.input_kind == InputKind::kOutput) {
        return run([&k](VD y, VD g) ACTIVATIONS_PER_VECTOR { return k.SlopeFromOutput(y, g); });
      }
    }
    run([&k](VD x, VD g) ACTIVATIONS_PER_VECTOR { return k.Slope(k.Prepare(x), x, g); });
  });
}

template <class A, class DC, typename T>
HWY_INLINE void RunInType(DC dc, const Call& call, Mode mode, const T* in, const T* grad,
                          T* out, T* out2, std::size_t n, bool stream) {
  // (The lambdas always inlined, as RunKernel was before WithKernel: left
  // to GCC, each kernel's whole driver became one more out-of-line
  // function; gelu and sigmoid float64 backward measured 0.92-0.97x main's
  // in some runs, not all: docs/accuracy.md, "Session 31: a huge g ...".)
  const auto run = [&](auto kernel, const auto& wide) ACTIVATIONS_PER_VECTOR {
    RunKernel<typename decltype(kernel)::type>(dc, call, mode, in, grad, out, out2, n, stream,
                                               wide);
  };
  if constexpr (std::is_same_v<hn::TFromD<DC>, float>) {
    const auto wide = [&call](const float* x, const float* g, float* o, std::size_t count) {
      BackwardThroughDouble<A>(call, x, g, o, count);
    };
    WithKernel<A, DC>(call, [&](auto kernel) ACTIVATIONS_PER_VECTOR { run(kernel, wide); });
  } else {
    WithKernel<A, DC>(call, [&](auto kernel) ACTIVATIONS_PER_VECTOR { run(kernel, NoWide()); });
  }
}

// Optional: float32 derivatives from y through float64 as well (false when
// the kernel does not say).
template <class A>
constexpr bool FloatFromOutputViaDouble() {
  if constexpr (requires { A::kFloatFromOutputViaDouble; }) {
    return A::kFloatFromOutputViaDouble;
  } else {
    return false;
  }
}

// Whether an activation's forward runs in 256-bit vectors on a 512-bit
// target (AVX3, AVX3_DL) in a job past kNarrowFootprint and within
// kStreamFootprint (`narrow`): float64, and its kernel says kNarrowPastL2
// (a few operations per element, bound by memory). At 1 Mi float64 (8 MiB
// arrays, in L3) those forwards ran 3-34% faster in 256-bit vectors on the
// Zen 4 (medians of three same-process runs: 1.10-1.30x). What did not pay
// (same-process A/B, medians): the derivatives and forward_and_derivative
// of the clamps (relu6, hardtanh; two compares per vector) 0.88-1.0x; the
// other forward_and_derivatives 1.03-1.10x, too little to be sure of on
// this loaded machine; float32 at 1 Mi (4 MiB arrays) 0.91-1.10x; loops of
// a dozen operations per vector (leaky_relu's forward, the backwards with
// their gradient test) lost up to 15%: at half the width they are bound by
// their operations. The same bits: every such kernel works lane by lane.
template <class A, typename T>
constexpr bool NarrowsPastL2() {
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
  using K = typename A::template Kernel<hn::ScalableTag<T>>;
  if constexpr (!std::is_same_v<T, double>) {
    return false;
  } else if constexpr (requires { K::kNarrowPastL2; }) {
    return K::kNarrowPastL2;
  } else {
    return false;
  }
#else
  return false;
#endif
}

template <class A, typename T>
HWY_INLINE void RunActivation(const Call& call, const T* in, const T* grad,
                              T* out, T* out2, std::size_t n, bool stream, bool narrow) {
  // Some activations compute float32 in float64 and round once at the end
  // (see their kFloat*ViaDouble comments); a float kernel is instantiated
  // only where some mode uses it. Derivatives from the output y are cheap and
  // accurate natively: the flags are about the modes that take x, except for
  // a kernel that sets kFloatFromOutputViaDouble (its float32 bounds promise
  // correct rounding, which y + constant or (1 - |y|)^2 in float32 breaks).
  constexpr bool kIsFloat = std::is_same_v<T, float>;
  constexpr bool kForwardViaDouble = kIsFloat && A::kFloatForwardViaDouble;
  constexpr bool kDerivativeViaDouble = kIsFloat && A::kFloatDerivativeViaDouble;
  constexpr bool kFromOutputViaDouble = kIsFloat && FloatFromOutputViaDouble<A>();
  auto run = [&](auto via_double, Mode mode, T* o1, T* o2) HWY_ATTR {
    if constexpr (decltype(via_double)::value) {
      RunInType<A>(hn::ScalableTag<double>(), call, mode, in, grad, o1, o2, n, stream);
    } else {
      if constexpr (NarrowsPastL2<A, T>()) {
        if (narrow && mode == Mode::kForward) {
          return RunInType<A>(hn::Half<hn::ScalableTag<T>>(), call, mode, in, grad, o1, o2, n,
                              stream);
        }
      }
      RunInType<A>(hn::ScalableTag<T>(), call, mode, in, grad, o1, o2, n, stream);
    }
  };
  switch (call.mode) {
    case Mode::kForward:
      return run(std::bool_constant<kForwardViaDouble>(), call.mode, out, nullptr);
    case Mode::kDerivative:
    case Mode::kBackward:
      if constexpr (HasSlopeFromOutput<typename A::template Kernel<hn::ScalableTag<T>>,
                                       V<hn::ScalableTag<T>>>) {
        if (call.input_kind == InputKind::kOutput) {
          return run(std::bool_constant<kFromOutputViaDouble>(), call.mode, out, nullptr);
        }
      }
      return run(std::bool_constant<kDerivativeViaDouble>(), call.mode, out, nullptr);
    case Mode::kForwardAndDerivative:
      if constexpr (kForwardViaDouble == kDerivativeViaDouble) {
        return run(std::bool_constant<kForwardViaDouble>(), call.mode, out, out2);
      } else {
        // f and f' take different paths, and each must equal its own mode's
        // result bit for bit: two passes, the derivative first, since `out`
        // may be the input.
        run(std::bool_constant<kDerivativeViaDouble>(), Mode::kDerivative, out2, nullptr);
        return run(std::bool_constant<kForwardViaDouble>(), Mode::kForward, out, nullptr);
      }
  }
}

// Entries that are not elementwise (softmax) say so with kElementwise =
// false and run line by line (RunLines below); the rest run element by
// element.
template <class A>
concept LineWise = requires { requires !A::kElementwise; };

// The spec and the kernel must agree on elementwise, and an elementwise
// kernel defines SlopeFromOutput exactly when the spec says
// derivative_from_output.
template <class A>
constexpr bool KernelMatchesSpec(const ActivationSpec& spec) {
  if constexpr (LineWise<A>) {
    return !spec.elementwise;
  } else {
    return spec.elementwise &&
           spec.derivative_from_output ==
               HasSlopeFromOutput<typename A::template Kernel<hn::ScalableTag<double>>,
                                       V<hn::ScalableTag<double>>>;
  }
}
#define ACTIVATIONS_CHECK_SPEC(Name)                          \
  static_assert(KernelMatchesSpec<Name>(k##Name##Spec),       \
                #Name ": spec (elementwise, derivative_from_output) disagrees with kernel");
ACTIVATION_LIST(ACTIVATIONS_CHECK_SPEC)
#undef ACTIVATIONS_CHECK_SPEC

template <typename T>
HWY_INLINE void Compute(const Call& call, const T* in, const T* grad, T* out,
                        T* out2, std::size_t n, bool stream, bool narrow) {
  switch (call.id) {
#define ACTIVATIONS_CASE(Name)                                    \
  case ActivationId::k##Name:                                     \
    if constexpr (!LineWise<Name>) {                              \
      return RunActivation<Name>(call, in, grad, out, out2, n, stream, narrow); \
    }                                                             \
    return;
    ACTIVATION_LIST(ACTIVATIONS_CASE)
#undef ACTIVATIONS_CASE
  }
}

// --- Large arrays: results through non-temporal stores.
//
// Past the last-level cache (internal::kStreamFootprint), an ordinary store
// first reads its line from DRAM (to own it) and writes it back later: each
// output crosses the memory bus twice. Non-temporal stores write whole lines
// without the read. The elements before out's first 64-byte line boundary
// take ordinary stores, then every vector is streamed (Loop's `stream`; the
// padded tail vector is stored as usual); a second output on another offset
// than the first, or an output not aligned to its element, takes the
// ordinary path. The same values either way: only the stores differ.
template <typename T>
HWY_INLINE void ComputeStreaming(const Call& call, const T* in, const T* grad, T* out, T* out2,
                                 std::size_t n) {
  constexpr std::size_t kLine = 64;  // a multiple of every target's vector
  const auto offset = [](const T* p) { return reinterpret_cast<std::uintptr_t>(p) % kLine; };
  if (offset(out) % sizeof(T) != 0 || (out2 != nullptr && offset(out2) != offset(out))) {
    return Compute(call, in, grad, out, out2, n, /*stream=*/false, /*narrow=*/false);
  }
  const std::size_t head = std::min(n, (kLine - offset(out)) % kLine / sizeof(T));
  if (head != 0) Compute(call, in, grad, out, out2, head, /*stream=*/false, /*narrow=*/false);
  if (head == n) return;
  Compute(call, in + head, grad != nullptr ? grad + head : nullptr, out + head,
          out2 != nullptr ? out2 + head : nullptr, n - head, /*stream=*/true, /*narrow=*/false);
  // Non-temporal stores are weakly ordered: fence them before the caller
  // (or another thread, after TBB's release) reads the results.
  hwy::FlushStream();
}

// --- Line-wise kernels: the Lines objects they run over.

// A tail vector: `count` < N elements loaded, the other lanes `pad`.
template <class DC, typename T>
HWY_INLINE V<DC> LoadPartial(const Io<DC, T>& io, const T* p, std::size_t count, V<DC> pad) {
  constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(hn::TFromD<DC>);
  T buf[kMax] = {};
  std::memcpy(buf, p, count * sizeof(T));
  return hn::IfThenElse(hn::FirstN(io.dc, count), io.Load(buf), pad);
}
template <class DC, typename T>
HWY_INLINE void StorePartial(const Io<DC, T>& io, V<DC> v, T* p, std::size_t count) {
  constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(hn::TFromD<DC>);
  T buf[kMax];
  io.Store(v, buf);
  std::memcpy(p, buf, count * sizeof(T));
}

// One contiguous line of n elements, a vector at a time; reductions run
// across the lanes.
template <class DC, typename T>
struct RowLines {
  Io<DC, T> io;
  const T* x;
  const T* g;
  T* out;
  std::size_t n;

  std::size_t N() const { return hn::Lanes(io.dc); }
  std::size_t Steps() const { return (n + N() - 1) / N(); }
  V<DC> Load(const T* p, std::size_t k, V<DC> pad) const {
    const std::size_t i = k * N();
    return i + N() <= n ? io.Load(p + i) : LoadPartial(io, p + i, n - i, pad);
  }
  V<DC> X(std::size_t k) const {
    return Load(x, k, hn::Set(io.dc, -std::numeric_limits<hn::TFromD<DC>>::infinity()));
  }
  V<DC> G(std::size_t k) const { return Load(g, k, hn::Zero(io.dc)); }
  V<DC> Y(std::size_t k) const { return Load(x, k, hn::Zero(io.dc)); }
  void Store(std::size_t k, V<DC> v) const {
    const std::size_t i = k * N();
    if (i + N() <= n) return io.Store(v, out + i);
    StorePartial(io, v, out + i, n - i);
  }
  V<DC> AllMax(V<DC> v) const { return hn::MaxOfLanes(io.dc, v); }
  // The lanes of hi + lo, added one by one with TwoSum (a few lanes per
  // line: cheap next to the line's exponentials).
  void AllSum(V<DC>* hi, V<DC>* lo) const {
    using TC = hn::TFromD<DC>;
    HWY_ALIGN TC h[hn::MaxLanes(DC())], l[hn::MaxLanes(DC())];
    hn::Store(*hi, io.dc, h);
    hn::Store(*lo, io.dc, l);
    TC s = 0, c = 0;
    for (std::size_t i = 0; i < hn::Lanes(io.dc); ++i) {
      const TC t = s + h[i];
      const TC bb = t - s;
      const TC e = (s - (t - bb)) + (h[i] - bb);
      c += (std::isfinite(e) ? e : TC(0)) + l[i];
      s = t;
    }
    *hi = hn::Set(io.dc, s);
    *lo = hn::Set(io.dc, c);
  }
};

// `cols` <= N neighbouring columns, one per lane, walked down the n
// positions of the dim (stride apart); each lane is its own line.
template <class DC, typename T>
struct ColumnLines {
  Io<DC, T> io;
  const T* x;
  const T* g;
  T* out;
  std::size_t n, stride, cols;

  std::size_t Steps() const { return n; }
  V<DC> Load(const T* p, std::size_t k, V<DC> pad) const {
    return cols == hn::Lanes(io.dc) ? io.Load(p + k * stride)
                                    : LoadPartial(io, p + k * stride, cols, pad);
  }
  V<DC> X(std::size_t k) const {
    return Load(x, k, hn::Set(io.dc, -std::numeric_limits<hn::TFromD<DC>>::infinity()));
  }
  V<DC> G(std::size_t k) const { return Load(g, k, hn::Zero(io.dc)); }
  V<DC> Y(std::size_t k) const { return Load(x, k, hn::Zero(io.dc)); }
  void Store(std::size_t k, V<DC> v) const {
    if (cols == hn::Lanes(io.dc)) return io.Store(v, out + k * stride);
    StorePartial(io, v, out + k * stride, cols);
  }
  V<DC> AllMax(V<DC> v) const { return v; }
  void AllSum(V<DC>*, V<DC>*) const {}
};

using internal::kLineColumns;
using internal::LineLayout;

template <class A, typename T>
HWY_INLINE void RunLines(const Call& call, const LineLayout& layout, const T* in, const T* grad,
                         T* out, std::size_t unit_begin, std::size_t unit_end) {
  // float32 lines run in float64 and are rounded once.
  using DC = hn::ScalableTag<double>;
  const DC dc;
  const typename A::template Kernel<DC> kernel{dc};
  const Io<DC, T> io{dc, {}};
  const bool backward = call.mode == Mode::kBackward;
  const bool from_output = call.input_kind == InputKind::kOutput;
  auto run = [&](const auto& lines) HWY_ATTR {
    if (backward) {
      kernel.Backward(lines, from_output);
    } else {
      kernel.Forward(lines);
    }
  };
  const std::size_t n = layout.n, inner = layout.inner;
  for (std::size_t u = unit_begin; u < unit_end; ++u) {
    if (inner == 1) {
      const std::size_t at = u * n;
      run(RowLines<DC, T>{io, in + at, grad ? grad + at : nullptr, out + at, n});
      continue;
    }
    const std::size_t blocks = (inner + kLineColumns - 1) / kLineColumns;
    const std::size_t o = u / blocks;
    const std::size_t c_end = std::min(inner, (u % blocks + 1) * kLineColumns);
    for (std::size_t c = (u % blocks) * kLineColumns; c < c_end; c += hn::Lanes(dc)) {
      const std::size_t at = o * n * inner + c;
      run(ColumnLines<DC, T>{io, in + at, grad ? grad + at : nullptr, out + at, n, inner,
                             std::min(hn::Lanes(dc), c_end - c)});
    }
  }
}

template <typename T>
HWY_INLINE void ComputeLinesIn(const Call& call, const LineLayout& layout, const T* in,
                               const T* grad, T* out, std::size_t unit_begin,
                               std::size_t unit_end) {
  switch (call.id) {
#define ACTIVATIONS_LINES_CASE(Name)                                               \
  case ActivationId::k##Name:                                                      \
    if constexpr (LineWise<Name>) {                                                \
      return RunLines<Name>(call, layout, in, grad, out, unit_begin, unit_end);    \
    }                                                                              \
    return;
    ACTIVATION_LIST(ACTIVATIONS_LINES_CASE)
#undef ACTIVATIONS_LINES_CASE
  }
}

void ComputeLinesF32(const Call& call, const LineLayout& layout, const float* in,
                     const float* grad, float* out, std::size_t unit_begin, std::size_t unit_end) {
  ComputeLinesIn(call, layout, in, grad, out, unit_begin, unit_end);
}
void ComputeLinesF64(const Call& call, const LineLayout& layout, const double* in,
                     const double* grad, double* out, std::size_t unit_begin,
                     std::size_t unit_end) {
  ComputeLinesIn(call, layout, in, grad, out, unit_begin, unit_end);
}

// --- bfloat16 and float16: exact widening to float32 and narrowing with
// one rounding to nearest even, the rules of half_float.h in vector form.
// Highway 1.0's DemoteTo to bfloat16 truncates, and to float16 truncates on
// targets without F16C: written out in integer ops there, F16C elsewhere.

template <class DF>
HWY_INLINE V<DF> WidenBF16(DF df, hn::Vec<hn::Rebind<uint16_t, DF>> h) {
  const hn::RebindToUnsigned<DF> du;
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, h)));
}

// Rebias the exponent; inf/NaN get the full float32 exponent, and
// subnormals (exponent 0) are (2^-14 + m 2^-24) - 2^-14 in float arithmetic,
// exact.
template <class DF>
HWY_INLINE V<DF> WidenF16(DF df, hn::Vec<hn::Rebind<uint16_t, DF>> h16) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // F16C's vcvtph2ps: exact.
  return hn::PromoteTo(df, hn::BitCast(hn::Rebind<hwy::float16_t, DF>(), h16));
#else
  const hn::RebindToUnsigned<DF> du;
  const auto h = hn::PromoteTo(du, h16);
  const auto kExpMask = hn::Set(du, 0x7C00u << 13);
  auto o = hn::ShiftLeft<13>(hn::And(h, hn::Set(du, 0x7FFFu)));
  const auto exp = hn::And(o, kExpMask);
  o = hn::Add(o, hn::Set(du, (127u - 15u) << 23));
  o = hn::IfThenElse(hn::Eq(exp, kExpMask), hn::Add(o, hn::Set(du, (128u - 16u) << 23)), o);
  const auto sub = hn::BitCast(
      du, hn::Sub(hn::BitCast(df, hn::Add(o, hn::Set(du, 1u << 23))), hn::Set(df, 0x1p-14f)));
  o = hn::IfThenElse(hn::Eq(exp, hn::Zero(du)), sub, o);
  return hn::BitCast(df, hn::Or(o, hn::ShiftLeft<16>(hn::And(h, hn::Set(du, 0x8000u)))));
#endif
}

template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, DF>> NarrowBF16(DF /*df*/, V<DF> v) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint16_t, DF> du16;
  const auto u = hn::BitCast(du, v);
  const auto lsb = hn::And(hn::ShiftRight<16>(u), hn::Set(du, 1));
  const auto rounded = hn::ShiftRight<16>(hn::Add(u, hn::Add(hn::Set(du, 0x7FFFu), lsb)));
  const auto nan = hn::Or(hn::ShiftRight<16>(u), hn::Set(du, 0x40u));  // quiet NaN
  const auto r = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(v)), nan, rounded);
  return hn::DemoteTo(du16, hn::BitCast(di, r));
}

template <class DF>
HWY_INLINE hn::Vec<hn::Rebind<uint16_t, DF>> NarrowF16(DF df, V<DF> v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // F16C's vcvtps2ph with rounding mode 0, to nearest even (Highway passes
  // _MM_FROUND_NO_EXC, whose rounding bits are 0).
  (void)df;
  const hn::Rebind<uint16_t, DF> du16;
  return hn::BitCast(du16, hn::DemoteTo(hn::Rebind<hwy::float16_t, DF>(), v));
#else
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint16_t, DF> du16;
  const auto u = hn::BitCast(du, v);
  const auto a = hn::BitCast(di, hn::And(u, hn::Set(du, 0x7FFFFFFFu)));  // |v|, as int
  // |v| < 2^-14: a subnormal float16. Adding 0.5f puts 2^-24 in the last
  // place of the float32 sum, so the FPU's own round-to-nearest-even does
  // the rounding; the low bits of the sum are the subnormal's mantissa.
  const auto sub = hn::Sub(hn::BitCast(du, hn::Add(hn::BitCast(df, a), hn::Set(df, 0.5f))),
                           hn::BitCast(du, hn::Set(df, 0.5f)));
  // Normal: rebias, then add 0xFFF and the lowest kept bit (ties to even);
  // a carry past the largest finite value gives the inf pattern 0x7C00.
  const auto rebiased = hn::Sub(hn::BitCast(du, a), hn::Set(du, (127u - 15u) << 23));
  const auto lsb = hn::And(hn::ShiftRight<13>(rebiased), hn::Set(du, 1));
  const auto normal = hn::ShiftRight<13>(hn::Add(rebiased, hn::Add(hn::Set(du, 0xFFFu), lsb)));
  // >= 65536 (and inf): inf; NaN: a quiet NaN.
  const auto big = hn::IfThenElse(hn::RebindMask(du, hn::Gt(a, hn::Set(di, 0x7F800000))),
                                  hn::Set(du, 0x7E00u), hn::Set(du, 0x7C00u));
  auto r = hn::IfThenElse(hn::RebindMask(du, hn::Lt(a, hn::Set(di, 0x38800000))), sub, normal);
  // (Highway 1.0 has no integer Ge: a > 65536 - 1 bit pattern.)
  r = hn::IfThenElse(hn::RebindMask(du, hn::Gt(a, hn::Set(di, 0x47800000 - 1))), big, r);
  r = hn::Or(r, hn::And(hn::ShiftRight<16>(u), hn::Set(du, 0x8000u)));
  return hn::DemoteTo(du16, hn::BitCast(di, r));
#endif
}

// One vector at a time, the tail through a padded vector (as Loop).
template <class Op>
HWY_INLINE void ConvertLoop(std::size_t n, std::size_t lanes, Op op) {
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) op(i, lanes);
  if (i < n) op(i, n - i);
}

void WidenToF32(bool bfloat16, const uint16_t* in, float* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<uint16_t, decltype(df)> du16;
  const std::size_t N = hn::Lanes(df);
  ConvertLoop(n, N, [&](std::size_t i, std::size_t count) HWY_ATTR {
    uint16_t buf[HWY_MAX_BYTES / sizeof(float)] = {};
    const uint16_t* p = in + i;
    if (count < N) p = static_cast<const uint16_t*>(std::memcpy(buf, p, count * 2));
    const auto h = hn::LoadU(du16, p);
    const V<decltype(df)> v = bfloat16 ? WidenBF16(df, h) : WidenF16(df, h);
    if (count == N) return hn::StoreU(v, df, out + i);
    HWY_ALIGN float o[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(v, df, o);
    std::memcpy(out + i, o, count * sizeof(float));
  });
}

void NarrowFromF32(bool bfloat16, const float* in, uint16_t* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<uint16_t, decltype(df)> du16;
  const std::size_t N = hn::Lanes(df);
  ConvertLoop(n, N, [&](std::size_t i, std::size_t count) HWY_ATTR {
    float buf[HWY_MAX_BYTES / sizeof(float)] = {};
    const float* p = in + i;
    if (count < N) p = static_cast<const float*>(std::memcpy(buf, p, count * sizeof(float)));
    const auto v = hn::LoadU(df, p);
    const auto h = bfloat16 ? NarrowBF16(df, v) : NarrowF16(df, v);
    if (count == N) return hn::StoreU(h, du16, out + i);
    HWY_ALIGN uint16_t o[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(h, du16, o);
    std::memcpy(out + i, o, count * 2);
  });
}

// `footprint` (the whole job's, internal::Footprint): kPastL3, the results
// leave through non-temporal stores (ComputeStreaming); kPastL2, float64
// forwards of the kernels that say kNarrowPastL2 run in 256-bit vectors on
// 512-bit targets (NarrowsPastL2). The same bits either way.
using internal::Footprint;
void ComputeF32(const Call& call, const float* in, const float* grad,
                float* out, float* out2, std::size_t n, Footprint footprint) {
  if (footprint == Footprint::kPastL3) return ComputeStreaming(call, in, grad, out, out2, n);
  Compute(call, in, grad, out, out2, n, /*stream=*/false, footprint == Footprint::kPastL2);
}
void ComputeF64(const Call& call, const double* in, const double* grad,
                double* out, double* out2, std::size_t n, Footprint footprint) {
  if (footprint == Footprint::kPastL3) return ComputeStreaming(call, in, grad, out, out2, n);
  Compute(call, in, grad, out, out2, n, /*stream=*/false, footprint == Footprint::kPastL2);
}
const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace activations {
HWY_EXPORT(ComputeF32);
HWY_EXPORT(ComputeF64);
HWY_EXPORT(ComputeLinesF32);
HWY_EXPORT(ComputeLinesF64);
HWY_EXPORT(WidenToF32);
HWY_EXPORT(NarrowFromF32);
HWY_EXPORT(TargetName);

namespace internal {

namespace {
template <typename T>
const T* At(const void* p, std::size_t i) {
  return p ? static_cast<const T*>(p) + i : nullptr;
}
template <typename T>
T* At(void* p, std::size_t i) {
  return p ? static_cast<T*>(p) + i : nullptr;
}
}  // namespace

void WidenToFloat(DType dtype, const uint16_t* in, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(WidenToF32)(dtype == DType::kBFloat16, in, out, n);
}

void NarrowFromFloat(DType dtype, const float* in, uint16_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(NarrowFromF32)(dtype == DType::kBFloat16, in, out, n);
}

namespace {

// A 16-bit job, in blocks through float32 buffers on the stack: widen the
// input (and gradient), run the float32 kernels, round each result once.
// Blocks are whole multiples of every vector width, so a range's results do
// not depend on where it starts; in place is fine (a block is read before
// it is written).
void ComputeRange16(const Job& job, std::size_t begin, std::size_t end) {
  constexpr std::size_t kBlock = 512;
  HWY_ALIGN float x[kBlock], g[kBlock], o1[kBlock], o2[kBlock];
  const bool backward = job.call.mode == Mode::kBackward;
  const bool both = job.call.mode == Mode::kForwardAndDerivative;
  for (std::size_t i = begin; i < end; i += kBlock) {
    const std::size_t n = std::min(kBlock, end - i);
    WidenToFloat(job.dtype, At<uint16_t>(job.input, i), x, n);
    if (backward) WidenToFloat(job.dtype, At<uint16_t>(job.grad, i), g, n);
    HWY_DYNAMIC_DISPATCH(ComputeF32)(job.call, x, backward ? g : nullptr, o1,
                                     both ? o2 : nullptr, n, Footprint::kSmall);
    NarrowFromFloat(job.dtype, o1, At<uint16_t>(job.output, i), n);
    if (both) NarrowFromFloat(job.dtype, o2, At<uint16_t>(job.derivative, i), n);
  }
}

}  // namespace

void ComputeRange(const Job& job, std::size_t begin, std::size_t end) {
  const bool backward = job.call.mode == Mode::kBackward;
  const bool both = job.call.mode == Mode::kForwardAndDerivative;
  const std::size_t n = end - begin;
  if (job.dtype == DType::kBFloat16 || job.dtype == DType::kFloat16) {
    return ComputeRange16(job, begin, end);
  }
  // Decided on the whole job, so every range of a parallel run agrees; one
  // compare for the jobs that no element size or mode would take past L2.
  Footprint footprint = Footprint::kSmall;
  if (job.size > kNarrowFootprint / (3 * sizeof(double))) {
    const std::size_t arrays = backward || both ? 3 : 2;
    const std::size_t element = job.dtype == DType::kFloat32 ? sizeof(float) : sizeof(double);
    const std::size_t bytes = job.size * element * arrays;
    footprint = bytes > kStreamFootprint    ? Footprint::kPastL3
                : bytes > kNarrowFootprint ? Footprint::kPastL2
                                           : Footprint::kSmall;
  }
  if (job.dtype == DType::kFloat32) {
    HWY_DYNAMIC_DISPATCH(ComputeF32)(
        job.call, At<float>(job.input, begin),
        backward ? At<float>(job.grad, begin) : nullptr,
        At<float>(job.output, begin), both ? At<float>(job.derivative, begin) : nullptr, n,
        footprint);
  } else {
    HWY_DYNAMIC_DISPATCH(ComputeF64)(
        job.call, At<double>(job.input, begin),
        backward ? At<double>(job.grad, begin) : nullptr,
        At<double>(job.output, begin), both ? At<double>(job.derivative, begin) : nullptr, n,
        footprint);
  }
}

namespace {

// The dims of a line-wise job around its dim: outer x n x inner.
LineLayout LayoutOf(const Job& job) {
  if (job.shape.empty()) return {1, job.size, 1};
  const auto rank = static_cast<std::int64_t>(job.shape.size());
  std::int64_t dim = static_cast<std::int64_t>(job.call.params[0]);
  if (dim < 0) dim += rank;
  LineLayout layout{1, static_cast<std::size_t>(job.shape[dim]), 1};
  for (std::int64_t i = 0; i < dim; ++i) layout.outer *= static_cast<std::size_t>(job.shape[i]);
  for (std::int64_t i = dim + 1; i < rank; ++i) {
    layout.inner *= static_cast<std::size_t>(job.shape[i]);
  }
  return layout;
}

std::size_t UnitsOf(const LineLayout& layout) {
  if (layout.n == 0) return 0;
  if (layout.inner == 1) return layout.outer;
  return layout.outer * ((layout.inner + kLineColumns - 1) / kLineColumns);
}

// A 16-bit line-wise job, unit by unit: the unit's elements gathered into
// float32 (compact: n x cols), the float32 lines run there, and each result
// rounded once on the way back.
void ComputeLines16(const Job& job, const LineLayout& layout, std::size_t unit_begin,
                    std::size_t unit_end) {
  const bool backward = job.call.mode == Mode::kBackward;
  const std::size_t n = layout.n, inner = layout.inner;
  const std::size_t blocks = inner == 1 ? 1 : (inner + kLineColumns - 1) / kLineColumns;
  thread_local std::vector<float> x, g;
  thread_local std::vector<uint16_t> h;
  for (std::size_t u = unit_begin; u < unit_end; ++u) {
    const std::size_t o = inner == 1 ? u : u / blocks;
    const std::size_t c0 = inner == 1 ? 0 : (u % blocks) * kLineColumns;
    const std::size_t cols = inner == 1 ? 1 : std::min(kLineColumns, inner - c0);
    // Element (k, c) of the unit sits at base + k * inner + c.
    const std::size_t base = o * n * inner + c0;
    x.resize(n * cols);
    g.resize(backward ? n * cols : 0);
    h.resize(n * cols);
    auto gather = [&](const void* src, std::vector<float>* dst) {
      const auto* p = static_cast<const uint16_t*>(src) + base;
      for (std::size_t k = 0; k < n; ++k) std::memcpy(&h[k * cols], p + k * inner, cols * 2);
      WidenToFloat(job.dtype, h.data(), dst->data(), n * cols);
    };
    gather(job.input, &x);
    if (backward) gather(job.grad, &g);
    const LineLayout compact{1, n, cols};
    HWY_DYNAMIC_DISPATCH(ComputeLinesF32)(job.call, compact, x.data(),
                                          backward ? g.data() : nullptr, x.data(), 0,
                                          UnitsOf(compact));
    NarrowFromFloat(job.dtype, x.data(), h.data(), n * cols);
    auto* out = static_cast<uint16_t*>(job.output) + base;
    for (std::size_t k = 0; k < n; ++k) std::memcpy(out + k * inner, &h[k * cols], cols * 2);
  }
}

}  // namespace

std::size_t LineUnits(const Job& job) { return UnitsOf(LayoutOf(job)); }

void ComputeLines(const Job& job, std::size_t unit_begin, std::size_t unit_end) {
  const LineLayout layout = LayoutOf(job);
  switch (job.dtype) {
    case DType::kFloat32:
      return HWY_DYNAMIC_DISPATCH(ComputeLinesF32)(
          job.call, layout, static_cast<const float*>(job.input),
          static_cast<const float*>(job.grad), static_cast<float*>(job.output), unit_begin,
          unit_end);
    case DType::kFloat64:
      return HWY_DYNAMIC_DISPATCH(ComputeLinesF64)(
          job.call, layout, static_cast<const double*>(job.input),
          static_cast<const double*>(job.grad), static_cast<double*>(job.output), unit_begin,
          unit_end);
    case DType::kBFloat16:
    case DType::kFloat16:
      return ComputeLines16(job, layout, unit_begin, unit_end);
  }
}

const char* DispatchedTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

}  // namespace internal
}  // namespace activations
#endif  // HWY_ONCE
