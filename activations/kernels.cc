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

// Optional kernel members, detected rather than declared: a function whose
// derivative is a function of its output defines DerivativeFromOutput, one
// whose backward is a select rather than a product defines Backward.
template <class K, class VC>
concept HasDerivativeFromOutput = requires(const K& k, VC v) { k.DerivativeFromOutput(v); };
template <class K, class VC>
concept HasBackward = requires(const K& k, VC v) { k.Backward(v, v); };
// A kernel whose value and derivative share all their work may define Both
// only; Forward and Derivative then come from it (the compiler drops the
// half that is not stored).
template <class K, class VC>
concept HasForward = requires(const K& k, VC v) { k.Forward(v); };
template <class K, class VC>
concept HasDerivative = requires(const K& k, VC v) { k.Derivative(v); };

// And one whose value and derivative share nothing may leave Both out.
template <class K, class VC>
concept HasBoth = requires(const K& k, VC v) { k.Both(v, &v, &v); };
template <class K, class VC>
HWY_INLINE void BothOf(const K& k, VC x, VC* y, VC* dy) {
  if constexpr (HasBoth<K, VC>) {
    k.Both(x, y, dy);
  } else {
    *y = k.Forward(x);
    *dy = k.Derivative(x);
  }
}

template <class K, class VC>
HWY_INLINE VC ForwardOf(const K& k, VC x) {
  if constexpr (HasForward<K, VC>) {
    return k.Forward(x);
  } else {
    VC y, dy;
    k.Both(x, &y, &dy);
    return y;
  }
}
template <class K, class VC>
HWY_INLINE VC DerivativeOf(const K& k, VC x) {
  if constexpr (HasDerivative<K, VC>) {
    return k.Derivative(x);
  } else {
    VC y, dy;
    k.Both(x, &y, &dy);
    return dy;
  }
}
template <class K, class VC>
concept HasBackwardFromOutput = requires(const K& k, VC v) { k.BackwardFromOutput(v, v); };

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
// NaN inputs are restored into o1/o2: NaN in gives NaN out, whatever the
// kernel's clamps did with them.
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
    const auto nan = hn::IsNaN(x);
    io.Store(hn::IfThenElse(nan, x, o1), o1_p);
    if (o2_p) io.Store(hn::IfThenElse(nan, x, o2), o2_p);
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

template <class A, class DC, typename T>
HWY_INLINE void RunInType(DC dc, const Call& call, const T* in, const T* grad,
                          T* out, T* out2, std::size_t n) {
  using K = typename A::template Kernel<DC>;
  using VC = V<DC>;
  const K k(dc, call.params);
  const bool from_output = call.input_kind == InputKind::kOutput;
  switch (call.mode) {
    case Mode::kForward:
      return Loop<DC, T>(dc, in, nullptr, out, nullptr, n,
                  [&](VC x, VC, VC* o1, VC*) HWY_ATTR { *o1 = ForwardOf(k, x); });
    case Mode::kForwardAndDerivative:
      return Loop<DC, T>(dc, in, nullptr, out, out2, n,
                  [&](VC x, VC, VC* o1, VC* o2) HWY_ATTR { BothOf(k, x, o1, o2); });
    case Mode::kDerivative:
      if constexpr (HasDerivativeFromOutput<K, VC>) {
        if (from_output) {
          return Loop<DC, T>(dc, in, nullptr, out, nullptr, n,
                      [&](VC y, VC, VC* o1, VC*) HWY_ATTR { *o1 = k.DerivativeFromOutput(y); });
        }
      }
      return Loop<DC, T>(dc, in, nullptr, out, nullptr, n,
                  [&](VC x, VC, VC* o1, VC*) HWY_ATTR { *o1 = DerivativeOf(k, x); });
    case Mode::kBackward:
      if constexpr (HasDerivativeFromOutput<K, VC>) {
        if (from_output) {
          return Loop<DC, T>(dc, in, grad, out, nullptr, n, [&](VC y, VC g, VC* o1, VC*) HWY_ATTR {
            if constexpr (HasBackwardFromOutput<K, VC>) {
              *o1 = k.BackwardFromOutput(y, g);
            } else {
              *o1 = hn::Mul(g, k.DerivativeFromOutput(y));
            }
          });
        }
      }
      return Loop<DC, T>(dc, in, grad, out, nullptr, n, [&](VC x, VC g, VC* o1, VC*) HWY_ATTR {
        if constexpr (HasBackward<K, VC>) {
          *o1 = k.Backward(x, g);
        } else {
          *o1 = hn::Mul(g, DerivativeOf(k, x));
        }
      });
  }
}

template <class A, typename T>
HWY_INLINE void RunActivation(const Call& call, const T* in, const T* grad,
                              T* out, T* out2, std::size_t n) {
  // Some activations compute float32 in float64 and round once at the end
  // (see their kFloat*ViaDouble comments); a float kernel is instantiated
  // only where some mode uses it.
  constexpr bool kIsFloat = std::is_same_v<T, float>;
  if constexpr (kIsFloat && A::kFloatForwardViaDouble && A::kFloatDerivativeViaDouble) {
    RunInType<A>(hn::ScalableTag<double>(), call, in, grad, out, out2, n);
  } else if constexpr (kIsFloat && (A::kFloatForwardViaDouble || A::kFloatDerivativeViaDouble)) {
    // Derivatives from the output (y (1 - y) and the like) are cheap and
    // accurate natively: the flag is about derivatives computed from x.
    const bool via_double = call.mode == Mode::kForward ? A::kFloatForwardViaDouble
                            : call.input_kind == InputKind::kOutput
                                ? false
                                : A::kFloatDerivativeViaDouble;
    if (via_double) {
      RunInType<A>(hn::ScalableTag<double>(), call, in, grad, out, out2, n);
    } else {
      RunInType<A>(hn::ScalableTag<T>(), call, in, grad, out, out2, n);
    }
  } else {
    RunInType<A>(hn::ScalableTag<T>(), call, in, grad, out, out2, n);
  }
}

// The spec's derivative_from_output flag and the kernel's members must agree.
#define ACTIVATIONS_CHECK_SPEC(Name)                                         \
  static_assert(k##Name##Spec.derivative_from_output ==                      \
                    HasDerivativeFromOutput<                                 \
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
