#include "server/catalog_response.h"

#include <gtest/gtest.h>

#include <utility>

#include "activations/catalog.h"
#include "activations/evaluate.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;

TEST(FillCatalogTest, EveryActivationInCatalogueOrder) {
  v1::ListActivationsResponse response;
  FillCatalog(&response);
  const auto catalog = activations::Catalog();
  ASSERT_EQ(response.activations_size(), static_cast<int>(catalog.size()));
  for (int i = 0; i < response.activations_size(); ++i) {
    const v1::ActivationInfo& info = response.activations(i);
    const activations::ActivationSpec& spec = catalog[i];
    EXPECT_EQ(info.name(), spec.name);
    EXPECT_EQ(info.formula(), spec.formula);
    EXPECT_EQ(info.parameters_size(), static_cast<int>(spec.params.size()));
    for (int p = 0; p < info.parameters_size(); ++p) {
      EXPECT_EQ(info.parameters(p).name(), spec.params[p].name);
      EXPECT_EQ(info.parameters(p).default_value(),
                spec.params[p].default_value);
      EXPECT_EQ(info.parameters(p).valid_range().min(),
                spec.params[p].valid_range.min);
    }
    EXPECT_EQ(info.properties().monotonic(), spec.properties.monotonic);
    EXPECT_EQ(info.derivative_from_output(), spec.derivative_from_output);
    EXPECT_EQ(info.max_ulp_error_float32(), spec.ulp_float32.Max());
    EXPECT_EQ(info.max_ulp_error_float64(), spec.ulp_float64.Max());
    for (const auto& [bounds, want] :
         {std::pair{&info.ulp_bounds_float32(), &spec.ulp_float32},
          std::pair{&info.ulp_bounds_float64(), &spec.ulp_float64}}) {
      EXPECT_EQ(bounds->forward(), want->forward);
      EXPECT_EQ(bounds->derivative(), want->derivative);
      EXPECT_EQ(bounds->backward(), want->backward);
      EXPECT_EQ(bounds->derivative_from_output(), want->derivative_from_output);
      EXPECT_EQ(bounds->backward_from_output(), want->backward_from_output);
      EXPECT_EQ(bounds->derivative_near_zero_ulp_of_one(),
                want->derivative_near_zero_ulp_of_one);
      EXPECT_EQ(bounds->derivative_near_zero_max_abs_input(),
                activations::kNearZeroMaxAbsInput);
      EXPECT_EQ(bounds->derivative_near_zero_max_abs_value(),
                activations::kNearZeroMaxAbsDerivative);
      EXPECT_EQ(bounds->subnormal_extra_ulp(), activations::kSubnormalExtraUlp);
    }
  }
  EXPECT_EQ(response.simd_target(), activations::SimdTarget());
  EXPECT_FALSE(response.simd_target().empty());
}

}  // namespace
}  // namespace actserver
