// Helpers shared by the server's unit tests and the integration tests: build
// request tensors in every encoding, read response tensors back, and check a
// response against the long-double reference (activations/reference.h).
#ifndef TESTS_SERVER_SERVER_TEST_UTIL_H_
#define TESTS_SERVER_SERVER_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "activation/v1/activation.grpc.pb.h"
#include "activation/v1/activation.pb.h"

namespace actserver::testing {

// How a test tensor is sent: the three oneof members, raw in both dtypes.
enum class WireType { kFloat32, kFloat64, kRawFloat32, kRawFloat64 };
inline constexpr WireType kAllWireTypes[] = {
    WireType::kFloat32, WireType::kFloat64, WireType::kRawFloat32,
    WireType::kRawFloat64};
inline constexpr activation::v1::Mode kAllModes[] = {
    activation::v1::MODE_FORWARD, activation::v1::MODE_DERIVATIVE,
    activation::v1::MODE_FORWARD_AND_DERIVATIVE, activation::v1::MODE_BACKWARD};
std::string WireTypeName(WireType type);
bool IsFloat32(WireType type);

// `mode` where it applies to `function`, else MODE_BACKWARD: a function that
// is not elementwise (softmax) has only forward and backward, its f' being a
// Jacobian.
activation::v1::Mode ApplicableMode(const std::string& function, activation::v1::Mode mode);

// `values` (rounded to float when the type is float32) in `type`, with
// `shape` (empty: none).
activation::v1::Tensor MakeTensor(WireType type,
                                  const std::vector<double>& values,
                                  const std::vector<std::int64_t>& shape = {});

// The values of any valid tensor, widened to double. Fails the test (and
// returns {}) for an invalid one.
std::vector<double> TensorValues(const activation::v1::Tensor& tensor);

// `n` points evenly spaced over [lo, hi].
std::vector<double> Grid(double lo, double hi, int n);

activation::v1::ComputeRequest MakeRequest(
    const std::string& function, activation::v1::Mode mode, WireType type,
    const std::vector<double>& input,
    const std::vector<std::int64_t>& shape = {});

// Every activation in every wire type, the modes in turn (those that apply),
// of sizes from 1 to about a thousand (about 80 000 values in all), with ids
// "item-<index>".
activation::v1::ComputeBatchRequest MixedBatch();

// Checks `response` against `request`: id echoed; output (and derivative
// exactly when the mode is forward-and-derivative) of the input's encoding,
// element type and shape; every value within response.max_ulp_error() ULP of
// the long-double reference as the library's accuracy contract counts them
// (reference::ContractUlpError), and that bound equal to the catalogue's.
::testing::AssertionResult MatchesReference(
    const activation::v1::ComputeRequest& request,
    const activation::v1::ComputeResponse& response);

// `status` has `code` and its message contains every one of `parts`.
::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code,
                                    const std::vector<std::string>& parts = {});

// A ClientContext deadline this far from now; every test call sets one.
inline constexpr std::chrono::seconds kCallTimeout{30};
void SetDeadline(grpc::ClientContext* context,
                 std::chrono::milliseconds timeout = kCallTimeout);

// stub.Compute(request) with a deadline kCallTimeout from now: the response
// in *response, the call's status returned.
grpc::Status ComputeWithDeadline(
    activation::v1::ActivationService::StubInterface& stub,
    const activation::v1::ComputeRequest& request,
    activation::v1::ComputeResponse* response);

}  // namespace actserver::testing

#endif  // TESTS_SERVER_SERVER_TEST_UTIL_H_
