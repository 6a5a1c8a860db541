#include "server/catalog_response.h"

#include "absl/strings/str_cat.h"

#include <string>

#include "activations/catalog.h"
#include "activations/evaluate.h"
#include "activations/spec.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;

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
      out->set_integer(param.integer);
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
    info->set_elementwise(spec.elementwise);
    info->set_pytorch(spec.pytorch.empty()
                          ? absl::StrCat("torch.nn.functional.", std::string(spec.name))
                          : std::string(spec.pytorch));
    *info->mutable_ulp_bounds_float32() = ToProto(spec.ulp_float32);
    *info->mutable_ulp_bounds_float64() = ToProto(spec.ulp_float64);
  }
  response->set_simd_target(std::string(activations::SimdTarget()));
}

}  // namespace actserver
