#include "server/request_codec.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "activations/catalog.h"
#include "activations/spec.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;

constexpr absl::string_view kValidModes =
    "MODE_FORWARD, MODE_DERIVATIVE, MODE_FORWARD_AND_DERIVATIVE, MODE_BACKWARD";

absl::StatusOr<activations::Mode> DecodeMode(v1::Mode mode,
                                             absl::string_view prefix) {
  switch (mode) {
    case v1::MODE_FORWARD:
      return activations::Mode::kForward;
    case v1::MODE_DERIVATIVE:
      return activations::Mode::kDerivative;
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      return activations::Mode::kForwardAndDerivative;
    case v1::MODE_BACKWARD:
      return activations::Mode::kBackward;
    case v1::MODE_UNSPECIFIED:
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "mode: MODE_UNSPECIFIED is not allowed; set one of ",
          kValidModes));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "mode: unknown value ", static_cast<int>(mode),
                       "; set one of ", kValidModes));
  }
}

absl::StatusOr<activations::InputKind> DecodeInputKind(
    v1::InputKind kind, absl::string_view prefix) {
  switch (kind) {
    case v1::INPUT_KIND_UNSPECIFIED:
    case v1::INPUT_KIND_X:
      return activations::InputKind::kX;
    case v1::INPUT_KIND_OUTPUT:
      return activations::InputKind::kOutput;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "input_kind: unknown value ", static_cast<int>(kind),
          "; set INPUT_KIND_X or INPUT_KIND_OUTPUT"));
  }
}

absl::Status WithPrefix(const absl::Status& status, absl::string_view prefix) {
  if (prefix.empty()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

absl::StatusOr<activations::Call> DecodeCall(const v1::ComputeRequest& request,
                                             absl::string_view prefix) {
  absl::StatusOr<activations::Mode> mode = DecodeMode(request.mode(), prefix);
  if (!mode.ok()) return mode.status();
  absl::StatusOr<activations::InputKind> kind =
      DecodeInputKind(request.input_kind(), prefix);
  if (!kind.ok()) return kind.status();
  // Sorted by name: a map's iteration order is unspecified, and with two bad
  // parameters the same request should always get the same message.
  std::vector<std::pair<std::string_view, double>> params(
      request.params().begin(), request.params().end());
  std::sort(params.begin(), params.end());
  absl::StatusOr<activations::Call> call =
      activations::MakeCall(request.function(), params, *mode, *kind);
  if (!call.ok()) return WithPrefix(call.status(), prefix);
  return call;
}

v1::Range ToProto(const activations::Range& range) {
  v1::Range out;
  out.set_min(range.min);
  out.set_max(range.max);
  out.set_min_inclusive(range.min_inclusive);
  out.set_max_inclusive(range.max_inclusive);
  return out;
}

// The region rules are the library's constants, the same for every
// activation; published beside each bound so a client reads the whole
// contract from one message.
v1::UlpBounds ToProto(const activations::UlpBounds& bounds) {
  v1::UlpBounds out;
  out.set_forward(bounds.forward);
  out.set_derivative(bounds.derivative);
  out.set_backward(bounds.backward);
  out.set_derivative_from_output(bounds.derivative_from_output);
  out.set_backward_from_output(bounds.backward_from_output);
  out.set_derivative_near_zero_ulp_of_one(bounds.derivative_near_zero_ulp_of_one);
  out.set_derivative_near_zero_max_abs_input(activations::kNearZeroMaxAbsInput);
  out.set_derivative_near_zero_max_abs_value(activations::kNearZeroMaxAbsDerivative);
  out.set_subnormal_extra_ulp(activations::kSubnormalExtraUlp);
  return out;
}

}  // namespace

absl::StatusOr<DecodedRequest> DecodeRequest(const v1::ComputeRequest& request,
                                             absl::string_view prefix) {
  DecodedRequest decoded;
  absl::StatusOr<activations::Call> call = DecodeCall(request, prefix);
  if (!call.ok()) return call.status();
  decoded.call = *call;

  // An unset input reads as an empty Tensor, which DecodeTensor reports as
  // missing.
  const std::string input_field = absl::StrCat(prefix, "input");
  absl::StatusOr<TensorView> input = DecodeTensor(request.input(), input_field);
  if (!input.ok()) return input.status();
  decoded.input = *input;

  const std::string grad_field = absl::StrCat(prefix, "grad");
  const bool backward = decoded.call.mode == activations::Mode::kBackward;
  if (!backward) {
    if (request.has_grad()) {
      return absl::InvalidArgumentError(absl::StrCat(
          grad_field, ": set, but only MODE_BACKWARD reads it (mode is ",
          v1::Mode_Name(request.mode()), "); leave it unset"));
    }
    return decoded;
  }
  if (!request.has_grad()) {
    return absl::InvalidArgumentError(absl::StrCat(
        grad_field, ": missing; MODE_BACKWARD needs the upstream gradient ",
        "with the same number of values and element type as ", input_field));
  }
  absl::StatusOr<TensorView> grad = DecodeTensor(request.grad(), grad_field);
  if (!grad.ok()) return grad.status();
  if (grad->size != decoded.input.size) {
    return absl::InvalidArgumentError(
        absl::StrCat(grad_field, ": ", grad->size, " values, but ", input_field,
                     " has ", decoded.input.size, "; they must be equal"));
  }
  if (grad->dtype != decoded.input.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat(grad_field, ": ", DTypeName(grad->dtype), " values, but ",
                     input_field, " is ", DTypeName(decoded.input.dtype),
                     "; they must be the same type"));
  }
  decoded.grad = *grad;
  return decoded;
}

activations::Job AllocateResponse(const v1::ComputeRequest& request,
                                  const DecodedRequest& decoded,
                                  v1::ComputeResponse* response) {
  activations::Job job;
  job.call = decoded.call;
  job.dtype = decoded.input.dtype;
  job.size = decoded.input.size;
  job.input = decoded.input.data;
  if (decoded.grad.has_value()) job.grad = decoded.grad->data;

  response->set_id(request.id());
  response->set_max_ulp_error(activations::MaxUlpError(job.call, job.dtype));
  job.output = AllocateTensorLike(request.input(), decoded.input,
                                  response->mutable_output());
  if (job.call.mode == activations::Mode::kForwardAndDerivative) {
    job.derivative = AllocateTensorLike(request.input(), decoded.input,
                                        response->mutable_derivative());
  }
  return job;
}

absl::StatusOr<activations::Job> PrepareCompute(
    const v1::ComputeRequest& request, std::size_t max_elements,
    v1::ComputeResponse* response) {
  absl::StatusOr<DecodedRequest> decoded = DecodeRequest(request, "");
  if (!decoded.ok()) return decoded.status();
  if (decoded->input.size > max_elements) {
    return absl::ResourceExhaustedError(
        absl::StrCat("input: ", decoded->input.size,
                     " values exceed this server's limit of ", max_elements,
                     " values per call (max_elements)"));
  }
  return AllocateResponse(request, *decoded, response);
}

absl::StatusOr<std::vector<activations::Job>> PrepareBatch(
    const v1::ComputeBatchRequest& request, std::size_t max_elements,
    v1::ComputeBatchResponse* response) {
  std::vector<DecodedRequest> decoded;
  decoded.reserve(request.items_size());
  std::size_t total = 0;
  for (int i = 0; i < request.items_size(); ++i) {
    absl::StatusOr<DecodedRequest> item =
        DecodeRequest(request.items(i), absl::StrCat("items[", i, "]."));
    if (!item.ok()) return item.status();
    total += item->input.size;
    decoded.push_back(*std::move(item));
  }
  if (total > max_elements) {
    return absl::ResourceExhaustedError(
        absl::StrCat("items: ", request.items_size(), " items hold ", total,
                     " values in all, above this server's limit of ",
                     max_elements, " values per call (max_elements)"));
  }
  std::vector<activations::Job> jobs;
  jobs.reserve(decoded.size());
  response->mutable_items()->Reserve(request.items_size());
  for (int i = 0; i < request.items_size(); ++i) {
    jobs.push_back(
        AllocateResponse(request.items(i), decoded[i], response->add_items()));
  }
  return jobs;
}

void FillCatalog(v1::ListActivationsResponse* response) {
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    v1::ActivationInfo* info = response->add_activations();
    info->set_name(std::string(spec.name));
    info->set_formula(std::string(spec.formula));
    info->set_derivative_formula(std::string(spec.derivative_formula));
    for (const activations::ParamSpec& param : spec.params) {
      v1::Parameter* out = info->add_parameters();
      out->set_name(std::string(param.name));
      out->set_default_value(param.default_value);
      *out->mutable_valid_range() = ToProto(param.valid_range);
      out->set_description(std::string(param.description));
    }
    *info->mutable_output_range() = ToProto(spec.output_range);
    v1::Properties* properties = info->mutable_properties();
    properties->set_bounded_below(spec.properties.bounded_below);
    properties->set_bounded_above(spec.properties.bounded_above);
    properties->set_smooth(spec.properties.smooth);
    properties->set_monotonic(spec.properties.monotonic);
    properties->set_zero_centered(spec.properties.zero_centered);
    properties->set_saturating(spec.properties.saturating);
    info->set_derivative_from_output(spec.derivative_from_output);
    info->set_max_ulp_error_float32(spec.ulp_float32.Max());
    info->set_max_ulp_error_float64(spec.ulp_float64.Max());
    info->set_notes(std::string(spec.notes));
    *info->mutable_ulp_bounds_float32() = ToProto(spec.ulp_float32);
    *info->mutable_ulp_bounds_float64() = ToProto(spec.ulp_float64);
  }
  response->set_simd_target(std::string(activations::SimdTarget()));
}

}  // namespace actserver
