// libFuzzer target: the tensor codecs of both sides of the contract.
//
// Input: the bytes of an activation.v1.Tensor. They become the `input` of a
// sigmoid forward request, which the server decodes with its own wire-format
// reader (DecodeComputeRequest, over slices cut where the input's first byte
// says); the client library decodes the same bytes with protobuf
// (TensorDType/TensorSize/TensorValues). Checked:
//   - what the server accepts, protobuf parses, and the client reads the same
//     element type and the same values, byte for byte;
//   - what protobuf cannot parse, the server refuses with INVALID_ARGUMENT;
//   - every refusal names the field ("input...");
//   - the response laid out for an accepted tensor (WriteComputeResponse)
//     fills its buffer exactly and parses, with protobuf, as a response whose
//     output has the input's element type, shape, encoding and length.
//
//   build/asan/tests/fuzz/tensor_codec_fuzz tests/fuzz/tensor_codec_corpus
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"
#include "client/tensor_codec.h"
#include "server/request_decoder.h"
#include "server/response_encoder.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/server/wire_test_util.h"

namespace {

namespace v1 = ::activation::v1;
using ::actserver::DecodedRequest;
using ::actserver::TensorView;

std::string Varint(std::uint64_t v) {
  std::string out;
  do {
    out.push_back(static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
    v >>= 7;
  } while (v != 0);
  return out;
}

// ComputeRequest{function: "sigmoid", mode: MODE_FORWARD, input: <tensor>}.
std::string RequestAround(const std::string& tensor) {
  return std::string("\x12\x07sigmoid\x20\x01", 11) + "\x2a" +
         Varint(tensor.size()) + tensor;
}

template <typename T>
void CheckClientValues(const v1::Tensor& tensor, const TensorView& view) {
  absl::StatusOr<std::vector<T>> values =
      activation::client::TensorValues<T>(tensor);
  FUZZ_CHECK(values.ok());
  FUZZ_CHECK(values->size() == view.size);
  std::string bytes(view.data.size(), '\0');
  view.data.CopyTo(bytes.data());
  FUZZ_CHECK(bytes.size() == view.size * sizeof(T));
  FUZZ_CHECK(view.size == 0 ||
             std::memcmp(values->data(), bytes.data(), bytes.size()) == 0);
}

void CheckResponse(const DecodedRequest& request) {
  const std::size_t size = actserver::ComputeResponseSize(request);
  std::string buffer(size, '\0');
  actserver::wire::Writer writer(buffer.data(), buffer.size());
  const actserver::OutputSlots slots =
      actserver::WriteComputeResponse(request, &writer);
  FUZZ_CHECK(writer.left() == 0);
  const std::size_t value_bytes =
      request.input.size * activations::DTypeSize(request.input.dtype);
  FUZZ_CHECK(value_bytes == 0 || slots.output != nullptr);
  FUZZ_CHECK(slots.derivative == nullptr);  // forward mode
  if (value_bytes > 0) std::memset(slots.output, 0, value_bytes);
  v1::ComputeResponse response;
  FUZZ_CHECK(response.ParseFromString(buffer));
  FUZZ_CHECK(activation::client::TensorSize(response.output()) ==
             request.input.size);
  FUZZ_CHECK(static_cast<std::size_t>(response.output().shape_size()) ==
             request.input.shape.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string tensor_bytes(reinterpret_cast<const char*>(data), size);
  const std::string message = RequestAround(tensor_bytes);
  // Slices of 1..16 bytes, or one piece, as gRPC may hand a message over.
  const std::size_t piece = size == 0 ? 0 : data[0] % 17;
  actserver::testing::Sliced sliced(message, piece);
  const actserver::RequestLimits limits{.max_elements = 1 << 20,
                                        .max_batch_items = 1};
  absl::StatusOr<DecodedRequest> decoded =
      actserver::DecodeComputeRequest(sliced.chain(), limits);

  v1::Tensor tensor;
  const bool parses = tensor.ParseFromString(tensor_bytes);
  if (!decoded.ok()) {
    const absl::StatusCode code = decoded.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
               code == absl::StatusCode::kResourceExhausted);
    FUZZ_CHECK(!decoded.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(parses);  // the server accepts nothing protobuf refuses
  const TensorView& view = decoded->input;
  FUZZ_CHECK(view.data.size() ==
             view.size * activations::DTypeSize(view.dtype));
  const absl::StatusOr<v1::DType> dtype =
      activation::client::TensorDType(tensor);
  FUZZ_CHECK(dtype.ok());
  FUZZ_CHECK(activation::client::TensorSize(tensor) == view.size);
  switch (view.dtype) {
    case activations::DType::kFloat32:
      FUZZ_CHECK(*dtype == v1::DTYPE_FLOAT32);
      CheckClientValues<float>(tensor, view);
      break;
    case activations::DType::kFloat64:
      FUZZ_CHECK(*dtype == v1::DTYPE_FLOAT64);
      CheckClientValues<double>(tensor, view);
      break;
    case activations::DType::kBFloat16:
    case activations::DType::kFloat16: {
      // Raw only: the client library keeps the 2-byte values as the bytes.
      FUZZ_CHECK(*dtype == (view.dtype == activations::DType::kBFloat16
                                ? v1::DTYPE_BFLOAT16
                                : v1::DTYPE_FLOAT16));
      FUZZ_CHECK(tensor.data_case() == v1::Tensor::kRaw);
      std::string bytes(view.data.size(), '\0');
      view.data.CopyTo(bytes.data());
      FUZZ_CHECK(bytes == tensor.raw().data());
      FUZZ_CHECK(!activation::client::TensorValues<float>(tensor).ok());
      break;
    }
  }
  CheckResponse(*decoded);
  return 0;
}
