// The accuracy certificate: every elementwise activation of the catalogue,
// in every mode, against the long-double reference, over every input of a
// dtype (all 2^32 float32 bit patterns, all 2^16 of bfloat16 and float16)
// or a sample of them (float64; float32 with a stride, for CI). Runs on the
// SIMD target this CPU dispatches to, in parallel with oneTBB.
//
// The reference is long double (64-bit significand): 40 bits beyond
// float32's, so the measured float32 ULP errors are exact to about 1e-12
// ULP wherever the reference formula itself does not cancel, which the
// references avoid by construction (series near 0, log1p, expm1, stable
// forms). Near a zero of f' (gelu, silu, ...) the reference's absolute error
// 2^-64 is still below 1e-4 ULP of any float32 result there.
#ifndef TOOLS_CERTIFY_H_
#define TOOLS_CERTIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "activations/evaluate.h"

namespace activations::certify {

// What to check.
struct Plan {
  DType dtype = DType::kFloat32;
  // float32: every stride-th bit pattern (1 = all 2^32); bfloat16/float16:
  // always all 2^16; float64: `samples` random bit patterns plus as many
  // uniform values in [-50, 50].
  std::uint64_t stride = 1;
  std::uint64_t samples = 1 << 20;
  // Also one call per parametrised function with its parameters moved off
  // the defaults (the first that the spec accepts, rounded to float32).
  bool non_default = true;
  int threads = 0;  // 0: all cores
  // The functions to check, by wire name; empty: every elementwise entry.
  std::vector<std::string> functions;
  // The bound each tensor is checked against (Row::bound, over_bound): the
  // catalogue's unless replaced (a test's tighter bound, or a bound being
  // proposed).
  double (*bound)(const Call&, DType, ResultTensor) = &MaxUlpError;
};

// One checked tensor: a function, its parameters, a mode (and input kind).
struct Row {
  std::string function;
  std::string params;  // "" at the defaults, else "alpha=0.5"
  // "forward", "derivative", "forward_and_derivative: f" and ": f'" (each
  // tensor against its own bound), "backward", "derivative (from y)",
  // "backward (from y)".
  std::string mode;
  double max_ulp = 0;  // the contract's error (reference.h), worst over inputs
  double worst_input = 0;
  double worst_got = 0;
  long double worst_want = 0;
  double bound = 0;    // Plan::bound for the row's call, dtype and tensor
  std::uint64_t checked = 0;
  std::uint64_t over_bound = 0;  // inputs whose error exceeds the bound
};

// Runs the plan; rows in catalogue order, the same whatever the thread count
// (ties between inputs go to the first). INVALID_ARGUMENT naming an unknown
// or line-wise function in Plan::functions. Thread-compatible.
absl::StatusOr<std::vector<Row>> Run(const Plan& plan);

}  // namespace activations::certify

#endif  // TOOLS_CERTIFY_H_
