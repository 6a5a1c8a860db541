// The responses we lay out by hand are byte for byte what protobuf's
// serializer writes for the same message, in every encoding, mode and shape.
#include "server/response_encoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/server/server_test_util.h"
#include "tests/server/wire_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::Sliced;
using ::actserver::testing::WireType;

constexpr RequestLimits kNoLimit{~std::size_t{0}, ~std::size_t{0}};

struct Decoded {
  std::string bytes;
  std::unique_ptr<Sliced> sliced;
  DecodedRequest request;
};

Decoded Decode(const v1::ComputeRequest& request) {
  Decoded out;
  out.bytes = request.SerializeAsString();
  out.sliced = std::make_unique<Sliced>(out.bytes, 0);
  absl::StatusOr<DecodedRequest> decoded =
      DecodeComputeRequest(out.sliced->chain(), kNoLimit);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  if (decoded.ok()) out.request = *std::move(decoded);
  return out;
}

// Fills the slots the way the kernels would: with a recognisable pattern.
void FillSlots(const DecodedRequest& request, const OutputSlots& slots,
               int seed) {
  const std::size_t bytes =
      request.input.size * activations::DTypeSize(request.input.dtype);
  for (std::size_t i = 0; i < bytes; ++i) {
    slots.output[i] = static_cast<char>(seed + 3 * i);
    if (slots.derivative != nullptr) {
      slots.derivative[i] = static_cast<char>(seed + 7 * i + 1);
    }
  }
}

// The same response built with protobuf: a Tensor shaped like the input,
// whose value bytes are the ones FillSlots wrote.
v1::Tensor ExpectedTensor(const v1::Tensor& input, const char* values,
                          std::size_t count) {
  v1::Tensor out;
  *out.mutable_shape() = input.shape();
  switch (input.data_case()) {
    case v1::Tensor::kFloat32: {
      auto* v = out.mutable_float32()->mutable_values();
      v->Resize(static_cast<int>(count), 0);
      std::memcpy(v->mutable_data(), values, 4 * count);
      break;
    }
    case v1::Tensor::kFloat64: {
      auto* v = out.mutable_float64()->mutable_values();
      v->Resize(static_cast<int>(count), 0);
      std::memcpy(v->mutable_data(), values, 8 * count);
      break;
    }
    default: {
      out.mutable_raw()->set_dtype(input.raw().dtype());
      const std::size_t size = input.raw().dtype() == v1::DTYPE_FLOAT32 ? 4 : 8;
      out.mutable_raw()->set_data(std::string(values, size * count));
      break;
    }
  }
  return out;
}

v1::ComputeResponse ExpectedResponse(const v1::ComputeRequest& request,
                                     const DecodedRequest& decoded,
                                     const OutputSlots& slots) {
  v1::ComputeResponse response;
  response.set_id(request.id());
  *response.mutable_output() =
      ExpectedTensor(request.input(), slots.output, decoded.input.size);
  if (slots.derivative != nullptr) {
    *response.mutable_derivative() =
        ExpectedTensor(request.input(), slots.derivative, decoded.input.size);
  }
  response.set_max_ulp_error(
      activations::MaxUlpError(decoded.call, decoded.input.dtype));
  return response;
}

std::vector<v1::ComputeRequest> Requests() {
  std::vector<v1::ComputeRequest> requests;
  std::mt19937 rng(3);
  for (WireType type : testing::kAllWireTypes) {
    for (v1::Mode mode : testing::kAllModes) {
      for (int n : {0, 1, 5, 200}) {
        std::vector<double> values(n);
        for (double& v : values) v = std::uniform_real_distribution<>(-5, 5)(rng);
        std::vector<std::int64_t> shape;
        if (n == 200) shape = {10, 20};
        if (n == 0) shape = {3, 0};
        v1::ComputeRequest request = MakeRequest("gelu", mode, type, values, shape);
        if (n == 5) request.set_id(std::string(300, 'i'));  // a 2-byte length
        requests.push_back(request);
      }
    }
  }
  return requests;
}

TEST(ResponseEncoderTest, ComputeResponseIsWhatProtobufWrites) {
  int seed = 0;
  for (const v1::ComputeRequest& request : Requests()) {
    Decoded d = Decode(request);
    std::string buffer(ComputeResponseSize(d.request), '\0');
    wire::Writer writer(buffer.data(), buffer.size());
    const OutputSlots slots = WriteComputeResponse(d.request, &writer);
    EXPECT_EQ(writer.left(), 0u);
    FillSlots(d.request, slots, ++seed);
    const v1::ComputeResponse expected = ExpectedResponse(request, d.request, slots);
    EXPECT_EQ(buffer, expected.SerializeAsString())
        << v1::Mode_Name(request.mode()) << " " << request.input().ShortDebugString();
    EXPECT_EQ(slots.derivative != nullptr,
              request.mode() == v1::MODE_FORWARD_AND_DERIVATIVE);
  }
}

TEST(ResponseEncoderTest, BatchAndStreamResponses) {
  const std::vector<v1::ComputeRequest> requests = Requests();
  std::vector<Decoded> decoded;
  std::vector<DecodedRequest> items;
  for (const auto& r : requests) {
    decoded.push_back(Decode(r));
  }
  for (Decoded& d : decoded) items.push_back(std::move(d.request));
  std::string buffer(BatchResponseSize(items), '\0');
  wire::Writer writer(buffer.data(), buffer.size());
  std::vector<OutputSlots> slots(items.size());
  WriteBatchResponse(items, &writer, slots);
  EXPECT_EQ(writer.left(), 0u);
  v1::ComputeBatchResponse expected;
  for (std::size_t i = 0; i < items.size(); ++i) {
    FillSlots(items[i], slots[i], static_cast<int>(i));
    *expected.add_items() = ExpectedResponse(requests[i], items[i], slots[i]);
  }
  EXPECT_EQ(buffer, expected.SerializeAsString());

  for (std::size_t i = 0; i < items.size(); i += 7) {
    std::string one(StreamResponseSize(items[i]), '\0');
    wire::Writer w(one.data(), one.size());
    const OutputSlots s = WriteStreamResponse(items[i], &w);
    EXPECT_EQ(w.left(), 0u);
    FillSlots(items[i], s, 9);
    v1::ComputeStreamResponse stream;
    stream.set_id(requests[i].id());
    *stream.mutable_response() = ExpectedResponse(requests[i], items[i], s);
    EXPECT_EQ(one, stream.SerializeAsString());
  }
}

TEST(ResponseEncoderTest, StreamErrorResponse) {
  v1::ComputeStreamResponse expected;
  expected.set_id("x-1");
  expected.mutable_error()->set_code(3);
  expected.mutable_error()->set_message("mode: bad");
  EXPECT_EQ(StreamErrorResponse("x-1", absl::InvalidArgumentError("mode: bad")),
            expected.SerializeAsString());
  expected.clear_id();
  expected.mutable_error()->set_code(8);
  expected.mutable_error()->set_message(std::string(500, 'm'));
  EXPECT_EQ(StreamErrorResponse("", absl::ResourceExhaustedError(std::string(500, 'm'))),
            expected.SerializeAsString());
}

}  // namespace
}  // namespace actserver
