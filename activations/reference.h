// High-precision scalar reference: the oracle the tests and `actload --verify`
// compare the SIMD kernels against. It shares no code with the kernels: plain
// long double with the numerically stable formula of each function. Not for
// production use (slow).
#ifndef ACTIVATIONS_REFERENCE_H_
#define ACTIVATIONS_REFERENCE_H_

#include <cstdint>

#include "activations/evaluate.h"

namespace activations::reference {

// f(x), with the call's parameters taken exactly (as doubles).
long double Forward(const Call& call, long double x);
// f'(x), PyTorch's convention at non-differentiable points.
long double Derivative(const Call& call, long double x);
// f' expressed through y = f(x); only for derivative_from_output functions.
long double DerivativeFromOutput(const Call& call, long double y);

// What Job computes for one element in `call.mode`: `output` (and, for
// kForwardAndDerivative, `derivative`). `grad` is used in kBackward only.
// Honours call.input_kind.
struct Element {
  long double output;
  long double derivative;  // kForwardAndDerivative only
};
Element Evaluate(const Call& call, long double input, long double grad = 1.0L);

// Distance from `got` to the exact `want` in units in the last place of T at
// `want` (the spacing of T there; denorm_min below the normal range). 0 when
// both are NaN or both are the same infinity; +inf when exactly one is NaN or
// an infinity differs.
template <typename T>
double UlpError(T got, long double want);

}  // namespace activations::reference

#endif  // ACTIVATIONS_REFERENCE_H_
