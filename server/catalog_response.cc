#include "server/catalog_response.h"

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
    info->set_max_ulp_error_float32(spec.max_ulp_float32);
    info->set_max_ulp_error_float64(spec.max_ulp_float64);
    info->set_notes(std::string(spec.notes));
  }
  response->set_simd_target(std::string(activations::SimdTarget()));
}

}  // namespace actserver
