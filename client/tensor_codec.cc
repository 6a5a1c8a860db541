#include "client/tensor_codec.h"

#include <bit>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace activation::client {
namespace {

// Raw tensors are little-endian on the wire; copying them with memcpy is only
// right on a little-endian host (every platform Debian 12 builds gRPC for
// except s390x, which this service does not target).
static_assert(std::endian::native == std::endian::little,
              "raw tensor encoding assumes a little-endian host");

std::size_t DTypeBytes(v1::DType dtype) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32:
      return 4;
    case v1::DTYPE_FLOAT64:
      return 8;
    case v1::DTYPE_BFLOAT16:
    case v1::DTYPE_FLOAT16:
      return 2;
    default:
      return 0;
  }
}

}  // namespace

template <typename T>
void SetTensor(std::span<const T> values, Encoding encoding,
               std::span<const int64_t> shape, v1::Tensor* tensor) {
  tensor->Clear();
  tensor->mutable_shape()->Add(shape.begin(), shape.end());
  if (encoding == Encoding::kRaw) {
    v1::RawArray* raw = tensor->mutable_raw();
    raw->set_dtype(DTypeOf<T>());
    raw->mutable_data()->assign(reinterpret_cast<const char*>(values.data()),
                                values.size_bytes());
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    tensor->mutable_float32()->mutable_values()->Add(values.begin(),
                                                     values.end());
  } else {
    tensor->mutable_float64()->mutable_values()->Add(values.begin(),
                                                     values.end());
  }
}

absl::StatusOr<v1::DType> TensorDType(const v1::Tensor& tensor) {
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      return v1::DTYPE_FLOAT32;
    case v1::Tensor::kFloat64:
      return v1::DTYPE_FLOAT64;
    case v1::Tensor::kRaw: {
      const std::size_t bytes = DTypeBytes(tensor.raw().dtype());
      if (bytes == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "raw.dtype=", v1::DType_Name(tensor.raw().dtype()),
            " is not one of DTYPE_FLOAT32, DTYPE_FLOAT64, DTYPE_BFLOAT16, "
            "DTYPE_FLOAT16"));
      }
      if (tensor.raw().data().size() % bytes != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("raw.data has ", tensor.raw().data().size(),
                         " bytes, not a multiple of ", bytes));
      }
      return tensor.raw().dtype();
    }
    case v1::Tensor::DATA_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("tensor has no data");
}

std::size_t TensorSize(const v1::Tensor& tensor) {
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      return tensor.float32().values_size();
    case v1::Tensor::kFloat64:
      return tensor.float64().values_size();
    case v1::Tensor::kRaw: {
      const std::size_t bytes = DTypeBytes(tensor.raw().dtype());
      return bytes == 0 ? 0 : tensor.raw().data().size() / bytes;
    }
    case v1::Tensor::DATA_NOT_SET:
      break;
  }
  return 0;
}

template <typename T>
absl::StatusOr<std::vector<T>> TensorValues(const v1::Tensor& tensor) {
  absl::StatusOr<v1::DType> dtype = TensorDType(tensor);
  if (!dtype.ok()) return dtype.status();
  if (*dtype != DTypeOf<T>()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor holds ", v1::DType_Name(*dtype), ", expected ",
                     v1::DType_Name(DTypeOf<T>())));
  }
  if (tensor.data_case() == v1::Tensor::kRaw) {
    std::vector<T> out(tensor.raw().data().size() / sizeof(T));
    // An empty vector's data() may be null, and memcpy to null is undefined
    // even for 0 bytes (UBSan, found by tests/fuzz/tensor_codec_fuzz).
    if (!out.empty()) {
      std::memcpy(out.data(), tensor.raw().data().data(), out.size() * sizeof(T));
    }
    return out;
  }
  if constexpr (std::is_same_v<T, float>) {
    return std::vector<T>(tensor.float32().values().begin(),
                          tensor.float32().values().end());
  } else {
    return std::vector<T>(tensor.float64().values().begin(),
                          tensor.float64().values().end());
  }
}

template <typename T>
v1::ComputeRequest MakeRequest(const ComputeSpec& spec,
                               std::span<const T> input,
                               std::span<const T> grad) {
  v1::ComputeRequest request;
  request.set_function(spec.function);
  for (const auto& [name, value] : spec.params) {
    (*request.mutable_params())[name] = value;
  }
  request.set_mode(spec.mode);
  request.set_input_kind(spec.input_kind);
  SetTensor<T>(input, spec.encoding, spec.shape, request.mutable_input());
  if (!grad.empty()) {
    SetTensor<T>(grad, spec.encoding, spec.shape, request.mutable_grad());
  }
  return request;
}

#define ACTSVC_CLIENT_INSTANTIATE(T)                                      \
  template void SetTensor<T>(std::span<const T>, Encoding,                \
                             std::span<const int64_t>, v1::Tensor*);      \
  template absl::StatusOr<std::vector<T>> TensorValues<T>(                \
      const v1::Tensor&);                                                 \
  template v1::ComputeRequest MakeRequest<T>(                             \
      const ComputeSpec&, std::span<const T>, std::span<const T>);
ACTSVC_CLIENT_INSTANTIATE(float)
ACTSVC_CLIENT_INSTANTIATE(double)
#undef ACTSVC_CLIENT_INSTANTIATE

}  // namespace activation::client
