// libFuzzer target: the tensor codecs of both sides of the contract.
//
// Input: the bytes of an activation.v1.Tensor. Whatever parses is decoded by
// the server (actserver::DecodeTensor) and by the client library
// (activation::client::TensorDType/TensorSize/TensorValues), and the two
// must agree; a valid tensor is then laid out again as a response would be
// (AllocateTensorLike) and must decode to the same view. Every value is read,
// so ASan sees any view that overruns its bytes.
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
#include "server/tensor_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace v1 = ::activation::v1;

// The client library's copy of the values must be the server view's bytes.
template <typename T>
void CheckClientAgrees(const v1::Tensor& tensor,
                       const actserver::TensorView& view) {
  absl::StatusOr<std::vector<T>> values =
      activation::client::TensorValues<T>(tensor);
  FUZZ_CHECK(values.ok());
  FUZZ_CHECK(values->size() == view.size);
  FUZZ_CHECK(view.size == 0 ||
             std::memcmp(values->data(), view.data, view.size * sizeof(T)) == 0);
}

void CheckValid(const v1::Tensor& tensor, const actserver::TensorView& view) {
  const std::size_t bytes = view.size * activations::DTypeSize(view.dtype);
  FUZZ_CHECK(view.size == 0 || view.data != nullptr);
  // Touch every byte of the view.
  const auto* data = static_cast<const unsigned char*>(view.data);
  unsigned sum = 0;
  for (std::size_t i = 0; i < bytes; ++i) sum += data[i];
  (void)sum;

  const absl::StatusOr<v1::DType> dtype =
      activation::client::TensorDType(tensor);
  FUZZ_CHECK(dtype.ok());
  FUZZ_CHECK(activation::client::TensorSize(tensor) == view.size);
  if (view.dtype == activations::DType::kFloat32) {
    FUZZ_CHECK(*dtype == v1::DTYPE_FLOAT32);
    CheckClientAgrees<float>(tensor, view);
  } else {
    FUZZ_CHECK(*dtype == v1::DTYPE_FLOAT64);
    CheckClientAgrees<double>(tensor, view);
  }

  // A response of the same layout: writable over its whole length, and it
  // decodes to the same size, type and encoding.
  v1::Tensor out;
  void* target = actserver::AllocateTensorLike(tensor, view, &out);
  FUZZ_CHECK(view.size == 0 || target != nullptr);
  if (bytes > 0) std::memset(target, 0x5a, bytes);
  absl::StatusOr<actserver::TensorView> again =
      actserver::DecodeTensor(out, "output");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size == view.size);
  FUZZ_CHECK(again->dtype == view.dtype);
  FUZZ_CHECK(again->encoding == view.encoding);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  v1::Tensor tensor;
  if (!tensor.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<actserver::TensorView> view =
      actserver::DecodeTensor(tensor, "input");
  if (!view.ok()) {
    // Every refusal is INVALID_ARGUMENT and names the field.
    FUZZ_CHECK(view.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(view.status().message().substr(0, 5) == "input");
    return 0;
  }
  CheckValid(tensor, *view);
  return 0;
}
