#include "server/tensor_codec.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;

// Raw tensors are little-endian on the wire and are handed to the kernels
// without byte swapping.
static_assert(std::endian::native == std::endian::little,
              "raw tensor decoding assumes a little-endian host");

absl::StatusOr<activations::DType> DecodeDType(v1::DType dtype,
                                               absl::string_view field) {
  switch (dtype) {
    case v1::DTYPE_FLOAT32:
      return activations::DType::kFloat32;
    case v1::DTYPE_FLOAT64:
      return activations::DType::kFloat64;
    case v1::DTYPE_UNSPECIFIED:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".raw.dtype: DTYPE_UNSPECIFIED is not allowed; ",
                       "set DTYPE_FLOAT32 or DTYPE_FLOAT64"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".raw.dtype: unknown value ", static_cast<int>(dtype),
          "; set DTYPE_FLOAT32 or DTYPE_FLOAT64"));
  }
}

// Checks the dimensions against the number of values.
absl::Status CheckShape(const v1::Tensor& tensor, std::size_t size,
                        absl::string_view field) {
  if (tensor.shape().empty()) return absl::OkStatus();
  std::uint64_t product = 1;
  bool overflow = false;
  bool zero = false;  // a zero dimension makes the product 0, overflow or not
  for (int i = 0; i < tensor.shape_size(); ++i) {
    const std::int64_t dim = tensor.shape(i);
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".shape[", i, "]: ", dim,
                       " is negative; dimensions must be >= 0"));
    }
    // Keep scanning after an overflow: a later negative dimension is the
    // better message, and a later zero cancels it.
    zero |= dim == 0;
    overflow |= __builtin_mul_overflow(product, static_cast<std::uint64_t>(dim),
                                       &product);
  }
  if (zero) product = 0;
  const std::string dims = absl::StrJoin(tensor.shape(), ", ");
  if (overflow && !zero) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".shape: product of [", dims,
        "] overflows 64 bits; it must equal the ", size, " values"));
  }
  if (product != size) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: product ", product, " of [", dims,
                     "] differs from ", size, " values"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view DTypeName(activations::DType dtype) {
  return dtype == activations::DType::kFloat32 ? "float32" : "float64";
}

absl::StatusOr<TensorView> DecodeTensor(const v1::Tensor& tensor,
                                        absl::string_view field) {
  TensorView view;
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      view.encoding = Encoding::kFloat32;
      view.dtype = activations::DType::kFloat32;
      view.size = tensor.float32().values_size();
      view.data = tensor.float32().values().data();
      break;
    case v1::Tensor::kFloat64:
      view.encoding = Encoding::kFloat64;
      view.dtype = activations::DType::kFloat64;
      view.size = tensor.float64().values_size();
      view.data = tensor.float64().values().data();
      break;
    case v1::Tensor::kRaw: {
      absl::StatusOr<activations::DType> dtype =
          DecodeDType(tensor.raw().dtype(), field);
      if (!dtype.ok()) return dtype.status();
      const std::size_t element = activations::DTypeSize(*dtype);
      const std::string& bytes = tensor.raw().data();
      if (bytes.size() % element != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".raw.data: ", bytes.size(), " bytes is not a multiple of ",
            element, ", the size of one ", DTypeName(*dtype), " value"));
      }
      view.encoding = Encoding::kRaw;
      view.dtype = *dtype;
      view.size = bytes.size() / element;
      view.data = bytes.data();
      break;
    }
    case v1::Tensor::DATA_NOT_SET:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": missing, set one of float32, float64, raw"));
  }
  if (absl::Status shape = CheckShape(tensor, view.size, field); !shape.ok()) {
    return shape;
  }
  return view;
}

void* AllocateTensorLike(const v1::Tensor& like, const TensorView& like_view,
                         v1::Tensor* out) {
  *out->mutable_shape() = like.shape();
  switch (like_view.encoding) {
    case Encoding::kFloat32: {
      auto* values = out->mutable_float32()->mutable_values();
      values->Resize(static_cast<int>(like_view.size), 0.0f);
      return values->mutable_data();
    }
    case Encoding::kFloat64: {
      auto* values = out->mutable_float64()->mutable_values();
      values->Resize(static_cast<int>(like_view.size), 0.0);
      return values->mutable_data();
    }
    case Encoding::kRaw: {
      v1::RawArray* raw = out->mutable_raw();
      raw->set_dtype(like.raw().dtype());
      std::string* bytes = raw->mutable_data();
      bytes->resize(like_view.size * activations::DTypeSize(like_view.dtype));
      return bytes->data();
    }
  }
  return nullptr;
}

}  // namespace actserver
