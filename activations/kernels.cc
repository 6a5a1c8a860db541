// The per-target kernel driver: one loop over a span for every activation,
// mode and element type, expanded from ACTIVATION_LIST, behind one
// HWY_EXPORT per element type.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "activations/kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>
#include <cstring>

#include "activations/kernels.h"
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
};

// Runs `op(x, g, &o1, &o2)` over n elements, one vector at a time; the tail
// goes through a zero-padded vector so every element takes the same path.
// NaN in gives NaN out, whatever the kernel's clamps did: NaN lanes of x (and
// of g, when there is one) are restored into o1/o2.
template <class DC, typename T, class Op>
HWY_INLINE void Loop(DC dc, const T* in, const T* grad, T* out, T* out2,
                     std::size_t n, Op op) {
  const Io<DC, T> io{dc, {}};
  const std::size_t N = hn::Lanes(dc);
  auto step = [&](const T* x_p, const T* g_p, T* o1_p, T* o2_p) HWY_ATTR {
    const V<DC> x = io.Load(x_p);
    const V<DC> g = g_p ? io.Load(g_p) : hn::Zero(dc);
    V<DC> o1, o2 = hn::Zero(dc);
    op(x, g, &o1, &o2);
    if (g_p) {
      // (NaN lanes of g are the kernel's: WithSpecialGradient.)
      io.Store(hn::IfThenElse(hn::IsNaN(x), x, o1), o1_p);
    } else {
      const auto nan = hn::IsNaN(x);
      io.Store(hn::IfThenElse(nan, x, o1), o1_p);
      if (o2_p) io.Store(hn::IfThenElse(nan, x, o2), o2_p);
    }
  };
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    step(in + i, grad ? grad + i : nullptr, out + i, out2 ? out2 + i : nullptr);
  }
  if (i == n) return;
  const std::size_t rest = n - i;
  constexpr std::size_t kMax = HWY_MAX_BYTES / sizeof(hn::TFromD<DC>);
  T x_buf[kMax] = {}, g_buf[kMax] = {}, o1_buf[kMax], o2_buf[kMax];
  std::memcpy(x_buf, in + i, rest * sizeof(T));
  if (grad) std::memcpy(g_buf, grad + i, rest * sizeof(T));
  step(x_buf, grad ? g_buf : nullptr, o1_buf, out2 ? o2_buf : nullptr);
  std::memcpy(out + i, o1_buf, rest * sizeof(T));
  if (out2) std::memcpy(out2 + i, o2_buf, rest * sizeof(T));
}

// g * f' for a g that is not finite, on a rare path (one test per vector
// otherwise): NaN where g is NaN, also where f' is 0 (NaN in, NaN out); and
// where g = +-inf, +-inf wherever f' is non-zero and 0 where it is exactly 0
// (a zero derivative selects 0 whatever g is, as relu's backward and
// PyTorch's threshold_backward do). The kernels fold g into the terms of f'
// before its last scaling, for accuracy; with an infinite g those terms give
// inf - inf = NaN, so these lanes are recomputed from f' alone.
template <class DC, class SlopeOf>
HWY_INLINE V<DC> WithSpecialGradient(DC dc, V<DC> g, V<DC> product, SlopeOf slope_of) {
  if (HWY_LIKELY(hn::AllTrue(dc, hn::IsFinite(g)))) return product;
  const auto special = hn::Not(hn::IsFinite(g));
  const V<DC> dv = slope_of(Unit{});
  const V<DC> inf_product = hn::IfThenZeroElse(hn::Eq(dv, hn::Zero(dc)), hn::Mul(g, dv));
  return hn::IfThenElse(special, hn::IfThenElse(hn::IsNaN(g), g, inf_product), product);
}

template <class A, class DC, typename T>
HWY_INLINE void RunInType(DC dc, const Call& call, Mode mode, const T* in, const T* grad,
                          T* out, T* out2, std::size_t n) {
  using K = typename A::template Kernel<DC>;
  using VC = V<DC>;
  const K k(dc, call.params);
  const bool from_output = call.input_kind == InputKind::kOutput;
  switch (mode) {
    case Mode::kForward:
      return Loop<DC, T>(dc, in, nullptr, out, nullptr, n, [&](VC x, VC, VC* o1, VC*) HWY_ATTR {
        *o1 = k.Value(k.Prepare(x), x);
      });
    case Mode::kForwardAndDerivative:
      return Loop<DC, T>(dc, in, nullptr, out, out2, n, [&](VC x, VC, VC* o1, VC* o2) HWY_ATTR {
        const auto s = k.Prepare(x);
        *o1 = k.Value(s, x);
        *o2 = k.Slope(s, x, Unit{});
      });
    case Mode::kDerivative:
      if constexpr (HasSlopeFromOutput<K, VC>) {
        if (from_output) {
          return Loop<DC, T>(dc, in, nullptr, out, nullptr, n,
                             [&](VC y, VC, VC* o1, VC*) HWY_ATTR {
                               *o1 = k.SlopeFromOutput(y, Unit{});
                             });
        }
      }
      return Loop<DC, T>(dc, in, nullptr, out, nullptr, n, [&](VC x, VC, VC* o1, VC*) HWY_ATTR {
        *o1 = k.Slope(k.Prepare(x), x, Unit{});
      });
    case Mode::kBackward:
      if constexpr (HasSlopeFromOutput<K, VC>) {
        if (from_output) {
          return Loop<DC, T>(dc, in, grad, out, nullptr, n, [&](VC y, VC g, VC* o1, VC*) HWY_ATTR {
            *o1 = WithSpecialGradient(dc, g, k.SlopeFromOutput(y, g),
                                       [&](Unit u) HWY_ATTR { return k.SlopeFromOutput(y, u); });
          });
        }
      }
      return Loop<DC, T>(dc, in, grad, out, nullptr, n, [&](VC x, VC g, VC* o1, VC*) HWY_ATTR {
        // The rare path recomputes from x rather than keeping the state: a
        // state captured by reference would be stored to memory every time.
        *o1 = WithSpecialGradient(dc, g, k.Slope(k.Prepare(x), x, g),
                                  [&](Unit u) HWY_ATTR { return k.Slope(k.Prepare(x), x, u); });
      });
  }
}

template <class A, typename T>
HWY_INLINE void RunActivation(const Call& call, const T* in, const T* grad,
                              T* out, T* out2, std::size_t n) {
  // Some activations compute float32 in float64 and round once at the end
  // (see their kFloat*ViaDouble comments); a float kernel is instantiated
  // only where some mode uses it. Derivatives from the output y are cheap and
  // accurate natively: the flags are about the modes that take x.
  constexpr bool kIsFloat = std::is_same_v<T, float>;
  constexpr bool kForwardViaDouble = kIsFloat && A::kFloatForwardViaDouble;
  constexpr bool kDerivativeViaDouble = kIsFloat && A::kFloatDerivativeViaDouble;
  auto run = [&](auto via_double, Mode mode, T* o1, T* o2) HWY_ATTR {
    if constexpr (decltype(via_double)::value) {
      RunInType<A>(hn::ScalableTag<double>(), call, mode, in, grad, o1, o2, n);
    } else {
      RunInType<A>(hn::ScalableTag<T>(), call, mode, in, grad, o1, o2, n);
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
          return run(std::false_type(), call.mode, out, nullptr);
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

// The spec's derivative_from_output flag and the kernel's members must agree.
#define ACTIVATIONS_CHECK_SPEC(Name)                                         \
  static_assert(k##Name##Spec.derivative_from_output ==                      \
                    HasSlopeFromOutput<                                      \
                        Name::Kernel<hn::ScalableTag<double>>,               \
                        V<hn::ScalableTag<double>>>,                         \
                #Name ": spec.derivative_from_output disagrees with kernel");
ACTIVATION_LIST(ACTIVATIONS_CHECK_SPEC)
#undef ACTIVATIONS_CHECK_SPEC

template <typename T>
HWY_INLINE void Compute(const Call& call, const T* in, const T* grad, T* out,
                        T* out2, std::size_t n) {
  switch (call.id) {
#define ACTIVATIONS_CASE(Name) \
  case ActivationId::k##Name:  \
    return RunActivation<Name>(call, in, grad, out, out2, n);
    ACTIVATION_LIST(ACTIVATIONS_CASE)
#undef ACTIVATIONS_CASE
  }
}

void ComputeF32(const Call& call, const float* in, const float* grad,
                float* out, float* out2, std::size_t n) {
  Compute(call, in, grad, out, out2, n);
}
void ComputeF64(const Call& call, const double* in, const double* grad,
                double* out, double* out2, std::size_t n) {
  Compute(call, in, grad, out, out2, n);
}
const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace activations
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace activations {
HWY_EXPORT(ComputeF32);
HWY_EXPORT(ComputeF64);
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

void ComputeRange(const Job& job, std::size_t begin, std::size_t end) {
  const bool backward = job.call.mode == Mode::kBackward;
  const bool both = job.call.mode == Mode::kForwardAndDerivative;
  const std::size_t n = end - begin;
  if (job.dtype == DType::kFloat32) {
    HWY_DYNAMIC_DISPATCH(ComputeF32)(
        job.call, At<float>(job.input, begin),
        backward ? At<float>(job.grad, begin) : nullptr,
        At<float>(job.output, begin), both ? At<float>(job.derivative, begin) : nullptr, n);
  } else {
    HWY_DYNAMIC_DISPATCH(ComputeF64)(
        job.call, At<double>(job.input, begin),
        backward ? At<double>(job.grad, begin) : nullptr,
        At<double>(job.output, begin), both ? At<double>(job.derivative, begin) : nullptr, n);
  }
}

const char* DispatchedTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

}  // namespace internal
}  // namespace activations
#endif  // HWY_ONCE
