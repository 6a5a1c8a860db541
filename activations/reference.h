// High-precision scalar reference: the oracle the tests and `actload --verify`
// compare the SIMD kernels against. It shares no code with the kernels: plain
// long double with the numerically stable formula of each function. Not for
// production use (slow).
#ifndef ACTIVATIONS_REFERENCE_H_
#define ACTIVATIONS_REFERENCE_H_

#include <cstddef>
#include <cstdint>

#include "activations/evaluate.h"

namespace activations::reference {

// f(x), with the call's parameters taken exactly (as doubles).
long double Forward(const Call& call, long double x);
// f'(x), PyTorch's convention at non-differentiable points.
long double Derivative(const Call& call, long double x);
// f' expressed through y = f(x); only for derivative_from_output functions.
long double DerivativeFromOutput(const Call& call, long double y);

// For a function that is not elementwise (softmax): one line of n values
// along its dim, in kForward (out = f) or kBackward (out = the
// Jacobian-vector product with `grad`), honouring call.input_kind. The
// elementwise functions above return NaN for such a call.
void EvaluateLine(const Call& call, const long double* input, const long double* grad,
                  std::size_t n, long double* out);

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
// The same in any element type; `got` is the element's value (a 16-bit one
// widened, exactly).
double UlpError(DType dtype, double got, long double want);

// The contract's error for a 16-bit element (kBFloat16, kFloat16): the ULP
// error, except that a subnormal `want` may miss by 2 steps of denorm_min
// more than the bound. Compare with MaxUlpError(call, dtype).
double ContractUlpError(DType dtype, const Call& call, double got, long double want);

// The error of one computed element as the library's accuracy contract
// counts it (spec.h's UlpBounds): the ULP error, except that
//  * near a zero of f' -- where the bounds have a non-zero
//    derivative_near_zero_ulp_of_one, |input| < kNearZeroMaxAbsInput and
//    |want| < kNearZeroMaxAbsDerivative * |g| -- an absolute error within
//    derivative_near_zero_ulp_of_one ULP of 1 (times |g| in backward) counts
//    as 0: there f' is a difference of O(1) terms and no relative bound is
//    possible;
//  * a subnormal `want` may miss by kSubnormalExtraUlp steps of denorm_min
//    more than the bound (which is stated for normal results).
// `is_derivative`: the element is f' or g f' (not f). `grad` is g in
// kBackward, else 1. Compare the result with MaxUlpError(call, dtype, tensor)
// for the tensor the element is from (MaxUlpError(call, dtype) is the larger
// of the two bounds of kForwardAndDerivative).
template <typename T>
double ContractUlpError(const Call& call, T got, long double want, long double input,
                        long double grad, bool is_derivative);

// ContractUlpError<T> for many elements of one call's tensor, with the
// catalogue's bounds looked up once (what the exhaustive certificate spends
// most of its time on): ContractUlp<T>(call, is_derivative)(got, want, input,
// grad) equals ContractUlpError<T>(call, got, want, input, grad,
// is_derivative), bit for bit. Holds copies of the bounds, not the call.
// Thread-compatible.
template <typename T>
class ContractUlp {
 public:
  ContractUlp(const Call& call, bool is_derivative);
  double operator()(T got, long double want, long double input, long double grad) const;

 private:
  bool is_derivative_;
  bool backward_;               // the near-zero slack scales with |g|
  long double near_zero_slack_;  // UlpBounds::derivative_near_zero_ulp_of_one
  double bound_;                 // MaxUlpError of the element's tensor
};

// The contract's error of each element of one line (n values along its dim)
// of a function that is not elementwise: `got` the computed line (values of
// `dtype`, widened), `input` and `grad` (kBackward; else null) the line's
// inputs as the call read them. The ULP error; in kBackward, where the
// result cancels, no more than the error in ULP of the size of its terms
// (ReferenceFunctions::line_backward_magnitude); a subnormal want may miss
// by 2 steps of denorm_min more than the bound. Compare with
// MaxUlpError(call, dtype).
void LineContractUlpError(const Call& call, DType dtype, const long double* input,
                          const long double* grad, const long double* got, std::size_t n,
                          double* err);

}  // namespace activations::reference

#endif  // ACTIVATIONS_REFERENCE_H_
