// actload --verify: every response compared, element by element, with the
// long-double reference (activations::reference) against the catalogue's ULP
// bound for the function, mode and element type -- the library's accuracy
// contract with its stated exceptions (ContractUlpError). Used by the runner
// (actload_runner.cc) and the payloads (actload_payload.cc); knows nothing
// of RPCs or timing.
#ifndef CLIENT_ACTLOAD_VERIFY_H_
#define CLIENT_ACTLOAD_VERIFY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"
#include "client/actload.h"

namespace activation::client {

// What one payload's answers must be, computed once before the run.
struct Expected {
  std::vector<long double> input, grad;   // what was sent (grad: backward)
  std::vector<long double> output;        // per element
  std::vector<long double> derivative;    // MODE_FORWARD_AND_DERIVATIVE only
};

// The verdict on one response.
struct Verdict {
  uint64_t values = 0;   // values compared
  double worst_ulp = 0;  // largest error seen (NaN if a NaN was wrong)
  std::string problem;   // the first value outside the bound; empty if right
};

class Verifier {
 public:
  // The call `config` describes, as the local catalogue sees it.
  // INVALID_ARGUMENT for a function, parameter or mode it rejects.
  static absl::StatusOr<Verifier> Create(const LoadConfig& config);

  // The reference results for these inputs (T is float or double).
  template <typename T>
  Expected Expect(std::span<const T> input, std::span<const T> grad) const;

  // Checks a response against `expected`. Thread-safe (const).
  Verdict Check(const v1::ComputeResponse& response,
                const Expected& expected) const;

  double bound() const { return bound_; }

 private:
  Verifier(activations::Call call, v1::Mode mode, v1::DType dtype,
           double bound)
      : call_(call), mode_(mode), dtype_(dtype), bound_(bound) {}
  template <typename T>
  void CheckTensor(const v1::Tensor& tensor, const std::vector<long double>& want,
                   const Expected& expected, bool is_derivative,
                   const char* what, Verdict* verdict) const;

  activations::Call call_;
  v1::Mode mode_;
  v1::DType dtype_;
  double bound_;
};

}  // namespace activation::client

#endif  // CLIENT_ACTLOAD_VERIFY_H_
