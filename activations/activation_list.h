// The one list that names every activation once.
//
// ACTIVATION_LIST(X) expands X(Name) for every activation, in catalogue
// order. `Name` is the struct in `<name>-inl.h` that holds the kernels; the
// spec beside it is `k<Name>Spec`, the bench's textbook formula
// `<Name>Naive`. The id enum, the catalogue (and through it the API's
// ListActivations, `actctl list` and every error message that lists the
// valid names), the kernel dispatch, the accuracy, behaviour and property
// tests, the benchmarks and the float32 certificate (tools/certify)
// all expand this list; nothing else names an activation or counts them.
//
// Adding an activation is one file and one line (two lines of this file):
//  1. Write activations/<name>-inl.h. Copy the shape of a relative:
//     sigmoid-inl.h (no parameters), leaky_relu-inl.h (one), hardtanh-inl.h
//     (two, tied by check_params), softmax-inl.h (not elementwise). It
//     includes only spec.h and the math headers (math-inl.h,
//     piecewise-inl.h) and holds, in this order:
//       - the long-double reference <Name>Reference, <Name>ReferenceDerivative
//         (and ...FromOutput): plain, stable formulas sharing nothing with
//         the kernels; the tests check the derivative against a finite
//         difference of the value;
//       - the spec k<Name>Spec: wire name as torch.nn.functional spells it
//         (else `pytorch` says how PyTorch does), formulas, parameters with
//         PyTorch's defaults and closed/open ranges, properties (the tests
//         verify them numerically), ULP bounds, notes on the conventions;
//       - <Name>Naive: the textbook <cmath> formula, the bench's baseline
//         (required: bench/naive_formulas.h does not compile without it);
//       - struct <Name> with a Highway `Kernel<D>` (the interface of
//         kernels.cc; sigmoid-inl.h shows it): State Prepare(x), the work f
//         and f' share; Value(state, x) = f; Slope(state, x, g) = g f' for
//         g a vector or Unit (g = 1), g multiplied in before any final
//         scaling; SlopeFromOutput(y, g) exactly when the spec says
//         derivative_from_output (a static_assert checks); and the
//         kFloat*ViaDouble flags (shared pieces: a kernel whose f' is 0
//         or 1 by a mask takes Slope from FlatOrUnitSlope, and Prepare and
//         SlopeFromOutput for |x| <= lambd from ShrinkSlope, both in
//         piecewise-inl.h; an ELU-like State, x > 0 and e^min(x, 0), is
//         math-inl.h's PositiveAndExpParts). Every mode is built from these, so
//         forward_and_derivative equals forward and derivative bit for bit;
//         the driver handles NaN and infinite g (a select for 0 needs no
//         special case). Not elementwise: kElementwise = false and a line
//         kernel, as softmax-inl.h.
//  2. Add X(<Name>) below and `#include "activations/<name>-inl.h"` at the
//     end of this file.
//  3. Build and run the tests (`ctest -R 'Accuracy|Evaluate|Catalog'`);
//     ACTIVATIONS_PRINT_ULP=1 prints the measured worst ULP per mode. Set
//     the float32 bounds from tools/certify, which checks every
//     float32 input and writes docs/accuracy.md's exhaustive table.
//  4. Add the MPFR formulas of f, f' (and f' from y) from the definition to
//     kFormulas in tools/mpfr_check.cc: its test fails for a function without.
// proto/, server/, client/ and tests/ need no edit.
#ifndef ACTIVATIONS_ACTIVATION_LIST_H_
#define ACTIVATIONS_ACTIVATION_LIST_H_

#define ACTIVATION_LIST(X) \
  X(Sigmoid)               \
  X(Tanh)                  \
  X(Relu)                  \
  X(LeakyRelu)             \
  X(Elu)                   \
  X(Softplus)              \
  X(Silu)                  \
  X(Swish)                 \
  X(Mish)                  \
  X(Gelu)                  \
  X(GeluTanh)              \
  X(Selu)                  \
  X(Celu)                  \
  X(Relu6)                 \
  X(Hardtanh)              \
  X(Hardsigmoid)           \
  X(Hardswish)             \
  X(Softsign)              \
  X(Logsigmoid)            \
  X(Tanhshrink)            \
  X(Softshrink)            \
  X(Hardshrink)            \
  X(Threshold)             \
  X(Rrelu)                 \
  X(Softmax)               \
  X(LogSoftmax)

#endif  // ACTIVATIONS_ACTIVATION_LIST_H_

// The definitions, for the translation units that expand them (the catalogue
// and the per-target kernels). Outside the include guard on purpose: Highway's
// foreach_target re-includes the per-target half of each file once per target.
#ifdef ACTIVATIONS_WANT_DEFINITIONS
#include "activations/sigmoid-inl.h"
#include "activations/tanh-inl.h"
#include "activations/relu-inl.h"
#include "activations/leaky_relu-inl.h"
#include "activations/elu-inl.h"
#include "activations/softplus-inl.h"
#include "activations/silu-inl.h"
#include "activations/swish-inl.h"
#include "activations/mish-inl.h"
#include "activations/gelu-inl.h"
#include "activations/gelu_tanh-inl.h"
#include "activations/selu-inl.h"
#include "activations/celu-inl.h"
#include "activations/relu6-inl.h"
#include "activations/hardtanh-inl.h"
#include "activations/hardsigmoid-inl.h"
#include "activations/hardswish-inl.h"
#include "activations/softsign-inl.h"
#include "activations/logsigmoid-inl.h"
#include "activations/tanhshrink-inl.h"
#include "activations/softshrink-inl.h"
#include "activations/hardshrink-inl.h"
#include "activations/threshold-inl.h"
#include "activations/rrelu-inl.h"
#include "activations/softmax-inl.h"
#endif
