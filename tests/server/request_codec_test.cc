#include "server/request_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "activations/catalog.h"
#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::WireType;

constexpr std::size_t kNoLimit = ~std::size_t{0};

// Expects `status` to have `code` and a message containing every part.
void ExpectError(const absl::Status& status, absl::StatusCode code,
                 const std::vector<std::string>& parts) {
  EXPECT_EQ(status.code(), code) << status;
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), absl::string_view::npos)
        << "\"" << status.message() << "\" lacks \"" << part << "\"";
  }
}

absl::Status DecodeError(const v1::ComputeRequest& request,
                         absl::string_view prefix = "") {
  absl::StatusOr<DecodedRequest> decoded = DecodeRequest(request, prefix);
  return decoded.ok() ? absl::OkStatus() : decoded.status();
}

TEST(DecodeRequestTest, ModeUnspecifiedNamesTheValidModes) {
  v1::ComputeRequest request =
      MakeRequest("sigmoid", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  request.set_mode(v1::MODE_UNSPECIFIED);
  EXPECT_EQ(DecodeError(request).message(),
            "mode: MODE_UNSPECIFIED is not allowed; set one of MODE_FORWARD, "
            "MODE_DERIVATIVE, MODE_FORWARD_AND_DERIVATIVE, MODE_BACKWARD");
  request.set_mode(static_cast<v1::Mode>(9));
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"mode: unknown value 9", "MODE_BACKWARD"});
}

TEST(DecodeRequestTest, UnknownInputKind) {
  v1::ComputeRequest request =
      MakeRequest("sigmoid", v1::MODE_DERIVATIVE, WireType::kFloat32, {1});
  request.set_input_kind(static_cast<v1::InputKind>(5));
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"input_kind: unknown value 5", "INPUT_KIND_OUTPUT"});
}

TEST(DecodeRequestTest, LibraryErrorsPassThroughWithThePrefix) {
  v1::ComputeRequest request =
      MakeRequest("sigmod", v1::MODE_FORWARD, WireType::kFloat32, {1});
  const absl::Status plain = DecodeError(request);
  ExpectError(plain, absl::StatusCode::kInvalidArgument, {"sigmod", "sigmoid"});
  const absl::Status prefixed = DecodeError(request, "items[4].");
  EXPECT_EQ(prefixed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prefixed.message(), "items[4]." + std::string(plain.message()));
}

TEST(DecodeRequestTest, MissingInput) {
  v1::ComputeRequest request;
  request.set_function("relu");
  request.set_mode(v1::MODE_FORWARD);
  EXPECT_EQ(DecodeError(request).message(),
            "input: missing, set one of float32, float64, raw");
  EXPECT_EQ(DecodeError(request, "items[0].").message(),
            "items[0].input: missing, set one of float32, float64, raw");
}

TEST(DecodeRequestTest, BackwardWithoutGrad) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat64, {1, 2});
  request.clear_grad();
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"grad: missing", "MODE_BACKWARD"});
}

TEST(DecodeRequestTest, GradOfAnotherLength) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat32, {1, 2, 3});
  *request.mutable_grad() = MakeTensor(WireType::kFloat32, {1, 2});
  EXPECT_EQ(DecodeError(request).message(),
            "grad: 2 values, but input has 3; they must be equal");
}

TEST(DecodeRequestTest, GradOfAnotherType) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat32, {1, 2});
  *request.mutable_grad() = MakeTensor(WireType::kRawFloat64, {1, 2});
  EXPECT_EQ(DecodeError(request).message(),
            "grad: float64 values, but input is float32; they must be the "
            "same type");
}

TEST(DecodeRequestTest, GradMayUseAnotherEncodingOfTheSameType) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat32, {1, 2});
  *request.mutable_grad() = MakeTensor(WireType::kRawFloat32, {1, 2});
  absl::StatusOr<DecodedRequest> decoded = DecodeRequest(request, "");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(decoded->grad.has_value());
  EXPECT_EQ(decoded->grad->data, request.grad().raw().data().data());
}

TEST(DecodeRequestTest, MalformedGradIsNamed) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat32, {1, 2});
  request.mutable_grad()->add_shape(-1);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"grad.shape[0]: -1 is negative"});
}

TEST(DecodeRequestTest, GradInAnotherMode) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  *request.mutable_grad() = MakeTensor(WireType::kFloat32, {1, 2});
  EXPECT_EQ(DecodeError(request).message(),
            "grad: set, but only MODE_BACKWARD reads it (mode is "
            "MODE_FORWARD); leave it unset");
}

TEST(PrepareComputeTest, FillsTheResponseAndPointsTheJobIntoIt) {
  const v1::ComputeRequest request =
      MakeRequest("gelu", v1::MODE_FORWARD_AND_DERIVATIVE,
                  WireType::kRawFloat64, {-1, 0, 1, 2}, {2, 2});
  v1::ComputeResponse response;
  absl::StatusOr<activations::Job> job =
      PrepareCompute(request, kNoLimit, &response);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(response.id(), request.id());
  EXPECT_EQ(job->size, 4u);
  EXPECT_EQ(job->dtype, activations::DType::kFloat64);
  EXPECT_EQ(job->input, request.input().raw().data().data());
  EXPECT_EQ(job->output, response.output().raw().data().data());
  EXPECT_EQ(job->derivative, response.derivative().raw().data().data());
  EXPECT_EQ(response.output().shape_size(), 2);
  EXPECT_EQ(response.max_ulp_error(),
            activations::MaxUlpError(job->call, activations::DType::kFloat64));
}

TEST(PrepareComputeTest, DerivativeOnlyForForwardAndDerivative) {
  for (v1::Mode mode :
       {v1::MODE_FORWARD, v1::MODE_DERIVATIVE, v1::MODE_BACKWARD}) {
    const v1::ComputeRequest request =
        MakeRequest("silu", mode, WireType::kFloat32, {1, 2});
    v1::ComputeResponse response;
    absl::StatusOr<activations::Job> job =
        PrepareCompute(request, kNoLimit, &response);
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_FALSE(response.has_derivative()) << v1::Mode_Name(mode);
    EXPECT_EQ(job->derivative, nullptr);
    EXPECT_EQ(job->grad != nullptr, mode == v1::MODE_BACKWARD);
  }
}

TEST(PrepareComputeTest, TooManyElementsIsResourceExhausted) {
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2, 3});
  v1::ComputeResponse response;
  EXPECT_TRUE(PrepareCompute(request, 3, &response).ok());
  response.Clear();
  absl::StatusOr<activations::Job> job = PrepareCompute(request, 2, &response);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().message(),
            "input: 3 values exceed this server's limit of 2 values per call "
            "(max_elements)");
  EXPECT_EQ(job.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(response.has_output());  // rejected before allocating
}

TEST(PrepareBatchTest, InvalidItemNamesItsIndexAndAllocatesNothing) {
  v1::ComputeBatchRequest request;
  for (int i = 0; i < 5; ++i) {
    *request.add_items() =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  }
  request.mutable_items(3)->mutable_input()->add_shape(3);
  v1::ComputeBatchResponse response;
  absl::StatusOr<std::vector<activations::Job>> jobs =
      PrepareBatch(request, kNoLimit, &response);
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(jobs.status().message(),
            "items[3].input.shape: product 3 of [3] differs from 2 values");
  EXPECT_EQ(response.items_size(), 0);
}

TEST(PrepareBatchTest, LimitIsOnTheSumOfTheItems) {
  v1::ComputeBatchRequest request;
  for (int i = 0; i < 3; ++i) {
    *request.add_items() =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat64, {1, 2});
  }
  v1::ComputeBatchResponse response;
  EXPECT_TRUE(PrepareBatch(request, 6, &response).ok());
  response.Clear();
  absl::StatusOr<std::vector<activations::Job>> jobs =
      PrepareBatch(request, 5, &response);
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(jobs.status().message(),
            "items: 3 items hold 6 values in all, above this server's limit "
            "of 5 values per call (max_elements)");
  EXPECT_EQ(response.items_size(), 0);
}

TEST(PrepareBatchTest, OneJobPerItemInOrder) {
  v1::ComputeBatchRequest request;
  const std::vector<std::string> names = {"relu", "tanh", "mish"};
  for (int i = 0; i < 3; ++i) {
    *request.add_items() =
        MakeRequest(names[i], v1::MODE_FORWARD, WireType::kFloat32,
                    std::vector<double>(i + 1, 0.5));
    request.mutable_items(i)->set_id(absl::StrCat("item", i));
  }
  v1::ComputeBatchResponse response;
  absl::StatusOr<std::vector<activations::Job>> jobs =
      PrepareBatch(request, kNoLimit, &response);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 3u);
  ASSERT_EQ(response.items_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.items(i).id(), absl::StrCat("item", i));
    EXPECT_EQ((*jobs)[i].size, static_cast<std::size_t>(i + 1));
    EXPECT_EQ((*jobs)[i].output,
              response.items(i).output().float32().values().data());
  }
}

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
