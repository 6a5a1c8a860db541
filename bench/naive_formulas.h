// The baseline the SIMD kernels are measured against: each activation written
// the way a first version would be, one element at a time with <cmath>, the
// textbook formula and no care for the tails (tanh' as 1 - tanh^2, sigmoid as
// 1 / (1 + exp(-x)), mish through log1p(exp(x))). Benchmarks only: these lose
// precision or overflow in the tails, which is the other half of the point.
//
// Each activation's file defines its own as `<Name>Naive` beside its spec
// (with Value(x, p) and Derivative(x, p) templates over float and double;
// parameters in spec order, as Call::params holds them), so adding an
// activation stays one file and one list line: NaiveFormula<kId> below maps
// every ACTIVATION_LIST entry to it, and an entry without one does not
// compile.
#ifndef BENCH_NAIVE_FORMULAS_H_
#define BENCH_NAIVE_FORMULAS_H_

#include "activations/activation_id.h"
#define ACTIVATIONS_WANT_DEFINITIONS
#include "activations/activation_list.h"

namespace activations::bench {

template <ActivationId kId>
struct NaiveFormula;

#define BENCH_NAIVE_FORMULA(Name) \
  template <>                     \
  struct NaiveFormula<ActivationId::k##Name> : Name##Naive {};
ACTIVATION_LIST(BENCH_NAIVE_FORMULA)
#undef BENCH_NAIVE_FORMULA

}  // namespace activations::bench

#endif  // BENCH_NAIVE_FORMULAS_H_
