#include "server/tensor_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tests/server/server_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::kAllWireTypes;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::TensorValues;
using ::actserver::testing::WireType;

// Expects DecodeTensor(tensor, "input") to fail with INVALID_ARGUMENT and
// exactly `message`.
void ExpectInvalid(const v1::Tensor& tensor, const std::string& message) {
  absl::StatusOr<TensorView> view = DecodeTensor(tensor, "input");
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(view.status().message(), message);
}

TEST(DecodeTensorTest, MissingData) {
  ExpectInvalid(v1::Tensor(),
                "input: missing, set one of float32, float64, raw");
}

TEST(DecodeTensorTest, FieldNameIsUsedAsGiven) {
  absl::StatusOr<TensorView> view = DecodeTensor(v1::Tensor(), "items[3].grad");
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().message(),
            "items[3].grad: missing, set one of float32, float64, raw");
}

TEST(DecodeTensorTest, RawWithoutDType) {
  v1::Tensor tensor;
  tensor.mutable_raw()->set_data(std::string(8, '\0'));
  ExpectInvalid(tensor,
                "input.raw.dtype: DTYPE_UNSPECIFIED is not allowed; set "
                "DTYPE_FLOAT32 or DTYPE_FLOAT64");
}

TEST(DecodeTensorTest, RawWithUnknownDType) {
  v1::Tensor tensor;
  tensor.mutable_raw()->set_dtype(static_cast<v1::DType>(7));
  ExpectInvalid(tensor,
                "input.raw.dtype: unknown value 7; set DTYPE_FLOAT32 or "
                "DTYPE_FLOAT64");
}

TEST(DecodeTensorTest, RawLengthNotAMultipleOfTheElementSize) {
  v1::Tensor tensor;
  tensor.mutable_raw()->set_dtype(v1::DTYPE_FLOAT32);
  tensor.mutable_raw()->set_data(std::string(10, '\0'));
  ExpectInvalid(tensor,
                "input.raw.data: 10 bytes is not a multiple of 4, the size of "
                "one float32 value");
  tensor.mutable_raw()->set_dtype(v1::DTYPE_FLOAT64);
  tensor.mutable_raw()->set_data(std::string(12, '\0'));
  ExpectInvalid(tensor,
                "input.raw.data: 12 bytes is not a multiple of 8, the size of "
                "one float64 value");
}

TEST(DecodeTensorTest, NegativeDimension) {
  for (WireType type : kAllWireTypes) {
    ExpectInvalid(MakeTensor(type, {1, 2, 3, 4, 5, 6}, {2, -3}),
                  "input.shape[1]: -3 is negative; dimensions must be >= 0");
  }
}

TEST(DecodeTensorTest, ShapeProductDiffersFromCount) {
  for (WireType type : kAllWireTypes) {
    SCOPED_TRACE(testing::WireTypeName(type));
    ExpectInvalid(MakeTensor(type, {1, 2, 3, 4, 5}, {2, 3}),
                  "input.shape: product 6 of [2, 3] differs from 5 values");
    ExpectInvalid(MakeTensor(type, {1}, {0}),
                  "input.shape: product 0 of [0] differs from 1 values");
  }
}

TEST(DecodeTensorTest, ShapeProductOverflow) {
  const std::int64_t big = std::int64_t{1} << 40;
  ExpectInvalid(MakeTensor(WireType::kFloat32, {1, 2}, {big, big}),
                "input.shape: product of [1099511627776, 1099511627776] "
                "overflows 64 bits; it must equal the 2 values");
  // A zero dimension after the overflow makes the true product 0 again.
  absl::StatusOr<TensorView> view =
      DecodeTensor(MakeTensor(WireType::kFloat32, {}, {big, big, 0}), "input");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->size, 0u);
}

TEST(DecodeTensorTest, EmptyTensorsAreValid) {
  for (WireType type : kAllWireTypes) {
    for (const std::vector<std::int64_t>& shape :
         std::vector<std::vector<std::int64_t>>{{}, {0}, {3, 0, 2}}) {
      absl::StatusOr<TensorView> view =
          DecodeTensor(MakeTensor(type, {}, shape), "input");
      ASSERT_TRUE(view.ok()) << view.status();
      EXPECT_EQ(view->size, 0u);
    }
  }
}

struct Expected {
  WireType type;
  Encoding encoding;
  activations::DType dtype;
};

constexpr Expected kExpected[] = {
    {WireType::kFloat32, Encoding::kFloat32, activations::DType::kFloat32},
    {WireType::kFloat64, Encoding::kFloat64, activations::DType::kFloat64},
    {WireType::kRawFloat32, Encoding::kRaw, activations::DType::kFloat32},
    {WireType::kRawFloat64, Encoding::kRaw, activations::DType::kFloat64},
};

const void* DataOf(const v1::Tensor& tensor) {
  switch (tensor.data_case()) {
    case v1::Tensor::kFloat32:
      return tensor.float32().values().data();
    case v1::Tensor::kFloat64:
      return tensor.float64().values().data();
    default:
      return tensor.raw().data().data();
  }
}

TEST(DecodeTensorTest, ViewPointsIntoTheMessage) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(testing::WireTypeName(e.type));
    const v1::Tensor tensor =
        MakeTensor(e.type, {-1.5, 0, 2.25, 3, 4, 1e10}, {3, 2});
    absl::StatusOr<TensorView> view = DecodeTensor(tensor, "input");
    ASSERT_TRUE(view.ok()) << view.status();
    EXPECT_EQ(view->encoding, e.encoding);
    EXPECT_EQ(view->dtype, e.dtype);
    EXPECT_EQ(view->size, 6u);
    // No copy: the kernels read the request's own bytes.
    EXPECT_EQ(view->data, DataOf(tensor));
  }
}

TEST(AllocateTensorLikeTest, RoundTripInEveryEncoding) {
  const std::vector<double> values = {-1.5, 0, 2.25, 3, -4, 1e10};
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(testing::WireTypeName(e.type));
    const v1::Tensor in = MakeTensor(e.type, values, {2, 3});
    absl::StatusOr<TensorView> view = DecodeTensor(in, "input");
    ASSERT_TRUE(view.ok()) << view.status();

    v1::Tensor out;
    void* data = AllocateTensorLike(in, *view, &out);
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data, DataOf(out));  // written in place, not copied in later
    // Write the input's bytes through the pointer, as a kernel would.
    std::memcpy(data, view->data,
                view->size * activations::DTypeSize(view->dtype));

    EXPECT_EQ(out.data_case(), in.data_case());
    if (in.has_raw()) {
      EXPECT_EQ(out.raw().dtype(), in.raw().dtype());
    }
    EXPECT_EQ(std::vector<std::int64_t>(out.shape().begin(), out.shape().end()),
              (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(TensorValues(out), TensorValues(in));
    absl::StatusOr<TensorView> again = DecodeTensor(out, "output");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->size, view->size);
    EXPECT_EQ(again->dtype, view->dtype);
  }
}

TEST(AllocateTensorLikeTest, EmptyInputGivesEmptyOutputOfTheSameKind) {
  for (WireType type : kAllWireTypes) {
    const v1::Tensor in = MakeTensor(type, {}, {0, 4});
    absl::StatusOr<TensorView> view = DecodeTensor(in, "input");
    ASSERT_TRUE(view.ok());
    v1::Tensor out;
    AllocateTensorLike(in, *view, &out);
    EXPECT_EQ(out.data_case(), in.data_case());
    EXPECT_EQ(out.shape_size(), 2);
    EXPECT_TRUE(TensorValues(out).empty());
  }
}

}  // namespace
}  // namespace actserver
