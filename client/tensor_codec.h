// Conversions between C++ spans and activation.v1.Tensor messages.
//
// A tensor travels either packed (FloatArray / DoubleArray: easy from any
// language) or raw (little-endian bytes with a dtype: one memcpy each way, the
// fast path). These helpers hide the difference from callers. All functions
// are pure and thread-safe.
#ifndef CLIENT_TENSOR_CODEC_H_
#define CLIENT_TENSOR_CODEC_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "activation/v1/activation.pb.h"

namespace activation::client {

// How a tensor's values are put on the wire.
enum class Encoding {
  kPacked,  // Tensor.float32 / Tensor.float64
  kRaw,     // Tensor.raw: little-endian bytes plus dtype
};

// The DType of T: DTYPE_FLOAT32 for float, DTYPE_FLOAT64 for double.
template <typename T>
constexpr v1::DType DTypeOf();
template <>
constexpr v1::DType DTypeOf<float>() { return v1::DTYPE_FLOAT32; }
template <>
constexpr v1::DType DTypeOf<double>() { return v1::DTYPE_FLOAT64; }

// Writes `values` into `tensor` (replacing what it held) with the given
// encoding and shape (empty shape = 1-D). T is float or double.
template <typename T>
void SetTensor(std::span<const T> values, Encoding encoding,
               std::span<const int64_t> shape, v1::Tensor* tensor);

// The element type of `tensor` (raw bfloat16 and float16 included: their values
// stay in tensor.raw().data(), 2 bytes each). INVALID_ARGUMENT if no data is
// set, or raw data has an unknown dtype or a length that is not a multiple of
// its size.
absl::StatusOr<v1::DType> TensorDType(const v1::Tensor& tensor);

// Number of elements in `tensor` (0 if it holds no data).
std::size_t TensorSize(const v1::Tensor& tensor);

// Copies the values of `tensor` out. INVALID_ARGUMENT if its element type is
// not T (the message names both types) or it is malformed as above.
template <typename T>
absl::StatusOr<std::vector<T>> TensorValues(const v1::Tensor& tensor);

// What to compute, independent of the data: the typed half of a request.
struct ComputeSpec {
  // Catalogue name, e.g. "sigmoid".
  std::string function;
  // Parameters by name; left-out ones take the server's (PyTorch's) default.
  std::map<std::string, double> params;
  v1::Mode mode = v1::MODE_FORWARD;
  // INPUT_KIND_OUTPUT: `input` holds y = f(x) (derivative/backward only).
  v1::InputKind input_kind = v1::INPUT_KIND_X;
  Encoding encoding = Encoding::kRaw;
  // Dimensions of input (and grad); empty = 1-D.
  std::vector<int64_t> shape;
};

// Builds a ComputeRequest. `grad` is attached only when non-empty (required
// by the server for MODE_BACKWARD). No validation: the server owns the rules.
template <typename T>
v1::ComputeRequest MakeRequest(const ComputeSpec& spec,
                               std::span<const T> input,
                               std::span<const T> grad = {});

}  // namespace activation::client

#endif  // CLIENT_TENSOR_CODEC_H_
