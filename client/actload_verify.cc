#include "client/actload_verify.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "activations/reference.h"
#include "client/tensor_codec.h"

namespace activation::client {
namespace {

activations::Mode ToLibMode(v1::Mode mode) {
  switch (mode) {
    case v1::MODE_DERIVATIVE:
      return activations::Mode::kDerivative;
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      return activations::Mode::kForwardAndDerivative;
    case v1::MODE_BACKWARD:
      return activations::Mode::kBackward;
    default:
      return activations::Mode::kForward;
  }
}

}  // namespace

absl::StatusOr<Verifier> Verifier::Create(const LoadConfig& config) {
  std::vector<std::pair<std::string_view, double>> named(config.params.begin(),
                                                         config.params.end());
  absl::StatusOr<activations::Call> call =
      activations::MakeCall(config.function, named, ToLibMode(config.mode));
  if (!call.ok()) return call.status();
  const double bound = activations::MaxUlpError(
      *call, config.dtype == v1::DTYPE_FLOAT64 ? activations::DType::kFloat64
                                               : activations::DType::kFloat32);
  return Verifier(*call, config.mode, config.dtype, bound);
}

template <typename T>
Expected Verifier::Expect(std::span<const T> input,
                          std::span<const T> grad) const {
  Expected e;
  e.input.assign(input.begin(), input.end());
  e.grad.assign(grad.begin(), grad.end());
  e.output.resize(input.size());
  if (mode_ == v1::MODE_FORWARD_AND_DERIVATIVE) {
    e.derivative.resize(input.size());
  }
  for (std::size_t i = 0; i < input.size(); ++i) {
    const activations::reference::Element r = activations::reference::Evaluate(
        call_, input[i], grad.empty() ? 1.0L : grad[i]);
    e.output[i] = r.output;
    if (!e.derivative.empty()) e.derivative[i] = r.derivative;
  }
  return e;
}

template Expected Verifier::Expect<float>(std::span<const float>,
                                          std::span<const float>) const;
template Expected Verifier::Expect<double>(std::span<const double>,
                                           std::span<const double>) const;

template <typename T>
void Verifier::CheckTensor(const v1::Tensor& tensor,
                           const std::vector<long double>& want,
                           const Expected& expected, bool is_derivative,
                           const char* what, Verdict* verdict) const {
  absl::StatusOr<std::vector<T>> got = TensorValues<T>(tensor);
  verdict->values += want.size();
  auto note = [&](std::string problem) {
    if (verdict->problem.empty()) verdict->problem = std::move(problem);
  };
  if (!got.ok()) {
    note(absl::StrCat(what, ": ", got.status().message()));
    return;
  }
  if (got->size() != want.size()) {
    note(absl::StrCat(what, " has ", got->size(), " values, sent ",
                      want.size()));
    return;
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    // The accuracy contract, with its stated exceptions (near a zero of f'
    // in float64, subnormal results).
    const double ulp = activations::reference::ContractUlpError<T>(
        call_, (*got)[i], want[i], expected.input[i],
        expected.grad.empty() ? 1.0L : expected.grad[i], is_derivative);
    if (ulp > verdict->worst_ulp || std::isnan(ulp)) verdict->worst_ulp = ulp;
    if (ulp > bound_) {
      note(absl::StrFormat("%s[%d] = %.17g, reference %.17g: %.3g ULP > %g",
                           what, i, static_cast<double>((*got)[i]),
                           static_cast<double>(want[i]), ulp, bound_));
    }
  }
}

Verdict Verifier::Check(const v1::ComputeResponse& response,
                        const Expected& expected) const {
  Verdict verdict;
  const bool output_is_derivative = mode_ != v1::MODE_FORWARD &&
                                    mode_ != v1::MODE_FORWARD_AND_DERIVATIVE;
  const auto check = dtype_ == v1::DTYPE_FLOAT64
                         ? &Verifier::CheckTensor<double>
                         : &Verifier::CheckTensor<float>;
  (this->*check)(response.output(), expected.output, expected,
                 output_is_derivative, "output", &verdict);
  if (!expected.derivative.empty()) {
    (this->*check)(response.derivative(), expected.derivative, expected,
                   /*is_derivative=*/true, "derivative", &verdict);
  }
  return verdict;
}

}  // namespace activation::client
