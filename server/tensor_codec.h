// Reads the proto Tensor of a request as a typed view over its own bytes, and
// lays out the response Tensor the compute writes into: the data never passes
// through a buffer of ours.
#ifndef SERVER_TENSOR_CODEC_H_
#define SERVER_TENSOR_CODEC_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"

namespace actserver {

// Which member of Tensor's `data` oneof holds the values.
enum class Encoding { kFloat32, kFloat64, kRaw };

// A decoded tensor: `size` elements of `dtype` at `data`, which points into
// the proto it came from and lives as long as that proto is unchanged. `data`
// may be unaligned (raw bytes) and is null when size is 0 and nothing backs it.
struct TensorView {
  Encoding encoding = Encoding::kFloat32;
  activations::DType dtype = activations::DType::kFloat32;
  std::size_t size = 0;
  const void* data = nullptr;
};

// Validates `tensor` and returns its view. `field` names it in messages
// ("input", "items[3].grad"). INVALID_ARGUMENT, naming the field and value:
// no member of the oneof set; raw dtype unspecified or unknown; raw data
// length not a multiple of the element size; a negative dimension; a shape
// whose product overflows or differs from the number of values. An empty
// shape means a 1-D tensor of all the values. Thread-compatible.
absl::StatusOr<TensorView> DecodeTensor(const activation::v1::Tensor& tensor,
                                        absl::string_view field);

// Makes `out` a tensor of `like`'s shape, encoding and element type holding
// `like_view.size` elements (zeroed by protobuf's resize), and returns where
// to write them. `like_view` must be DecodeTensor(like). The pointer stays
// valid until `out` is next modified.
void* AllocateTensorLike(const activation::v1::Tensor& like,
                         const TensorView& like_view,
                         activation::v1::Tensor* out);

// "float32" or "float64", for messages.
absl::string_view DTypeName(activations::DType dtype);

}  // namespace actserver

#endif  // SERVER_TENSOR_CODEC_H_
