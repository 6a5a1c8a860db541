// The request decoder against protobuf itself: messages are built and
// serialized with the generated classes, cut into slices at every kind of
// boundary, and decoded; malformed bytes must be rejected exactly when
// protobuf's parser rejects them.
#include "server/request_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "activations/catalog.h"
#include "tests/server/server_test_util.h"
#include "tests/server/wire_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::Sliced;
using ::actserver::testing::TensorValues;
using ::actserver::testing::WireType;

constexpr RequestLimits kNoLimit{~std::size_t{0}, ~std::size_t{0}};

// Decodes `request` whole and cut into slices in several ways; every way must
// give the same status. Returns the one-slice result, whose tensors point into
// the slices: a caller that reads them keeps the slices in `*whole_out` (ASan
// found the read after they were freed).
absl::StatusOr<DecodedRequest> Decode(
    const v1::ComputeRequest& request, const RequestLimits& limits = kNoLimit,
    std::unique_ptr<Sliced>* whole_out = nullptr) {
  const std::string bytes = request.SerializeAsString();
  auto whole = std::make_unique<Sliced>(bytes, 0);
  absl::StatusOr<DecodedRequest> result =
      DecodeComputeRequest(whole->chain(), limits);
  for (std::size_t piece : {1, 3, 7}) {
    Sliced cut(bytes, piece);
    absl::StatusOr<DecodedRequest> other =
        DecodeComputeRequest(cut.chain(), limits);
    EXPECT_EQ(other.status(), result.status()) << "pieces of " << piece;
  }
  if (whole_out != nullptr) *whole_out = std::move(whole);
  return result;
}

absl::Status DecodeError(const v1::ComputeRequest& request,
                         const RequestLimits& limits = kNoLimit) {
  return Decode(request, limits).status();
}

absl::Status DecodeBytes(const std::string& bytes) {
  Sliced whole(bytes, 0);
  return DecodeComputeRequest(whole.chain(), kNoLimit).status();
}

void ExpectError(const absl::Status& status, absl::StatusCode code,
                 const std::vector<std::string>& parts) {
  EXPECT_EQ(status.code(), code) << status;
  for (const std::string& part : parts) {
    EXPECT_NE(status.message().find(part), absl::string_view::npos)
        << "\"" << status.message() << "\" lacks \"" << part << "\"";
  }
}

// The values of a decoded tensor, widened to double.
std::vector<double> Values(const TensorView& view) {
  std::string bytes(view.data.size(), '\0');
  view.data.CopyTo(bytes.data());
  std::vector<double> out(view.size);
  for (std::size_t i = 0; i < view.size; ++i) {
    if (view.dtype == activations::DType::kFloat32) {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      out[i] = f;
    } else {
      std::memcpy(&out[i], bytes.data() + 8 * i, 8);
    }
  }
  return out;
}

TEST(DecodeRequestTest, EveryEncodingShapeAndSlicing) {
  const std::vector<double> values = {-3, -0.5, 0, 1.25, 7, 100};
  for (WireType type : testing::kAllWireTypes) {
    v1::ComputeRequest request =
        MakeRequest("tanh", v1::MODE_BACKWARD, type, values, {2, 3});
    *request.mutable_grad() = MakeTensor(type, {1, 2, 3, 4, 5, 6});
    request.set_id("req-7");
    std::unique_ptr<Sliced> slices;
    absl::StatusOr<DecodedRequest> decoded = Decode(request, kNoLimit, &slices);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->id, "req-7");
    EXPECT_EQ(decoded->input.size, 6u);
    EXPECT_EQ(std::vector<std::int64_t>(decoded->input.shape.begin(),
                                        decoded->input.shape.end()),
              (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(Values(decoded->input), TensorValues(request.input()));
    ASSERT_TRUE(decoded->grad.has_value());
    EXPECT_EQ(Values(*decoded->grad), TensorValues(request.grad()));
    EXPECT_EQ(decoded->call.mode, activations::Mode::kBackward);
  }
}

TEST(DecodeRequestTest, TensorBytesAreNotCopied) {
  const v1::ComputeRequest request = MakeRequest(
      "relu", v1::MODE_FORWARD, WireType::kRawFloat32, {1, 2, 3, 4});
  const std::string bytes = request.SerializeAsString();
  Sliced whole(bytes, 0);
  absl::StatusOr<DecodedRequest> decoded =
      DecodeComputeRequest(whole.chain(), kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->input.data.pieces().size(), 1u);
  const char* data = decoded->input.data.pieces()[0].data;
  EXPECT_GE(data, whole.chain().pieces()[0].data);
  EXPECT_LT(data, whole.chain().pieces()[0].data + bytes.size());
  EXPECT_EQ(decoded->input.owned, nullptr);
}

TEST(DecodeRequestTest, UnpackedFloatsAreAccepted) {
  // proto3 writes repeated floats packed, but a parser must accept them
  // unpacked too, and both mixed, in order.
  // gcc 12 warns falsely (-Wrestrict) on chains of string operator+; append.
  auto append_float = [](std::string* s, float f) {
    char bytes[4];
    std::memcpy(bytes, &f, 4);
    s->append(bytes, 4);
  };
  auto append_length_delimited = [](std::string* s, char tag,
                                    const std::string& body) {
    s->push_back(tag);
    s->push_back(static_cast<char>(body.size()));  // < 128 here
    s->append(body);
  };
  std::string float_array;
  float_array.push_back('\x0d');  // field 1, fixed32: one value unpacked
  append_float(&float_array, 1.5f);
  std::string packed;
  append_float(&packed, 2.5f);
  append_float(&packed, -3.f);
  append_length_delimited(&float_array, '\x0a', packed);  // field 1, packed
  float_array.push_back('\x0d');
  append_float(&float_array, 4.f);
  v1::FloatArray parsed;
  ASSERT_TRUE(parsed.ParseFromString(float_array));
  ASSERT_EQ(parsed.values_size(), 4);
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {});
  request.clear_input();
  std::string bytes = request.SerializeAsString();
  // input (field 5) { float32 (field 2) { float_array } }
  std::string tensor;
  append_length_delimited(&tensor, '\x12', float_array);
  append_length_delimited(&bytes, '\x2a', tensor);
  v1::ComputeRequest check;
  ASSERT_TRUE(check.ParseFromString(bytes));
  for (std::size_t piece : {0, 1, 2, 5}) {
    Sliced cut(bytes, piece);
    absl::StatusOr<DecodedRequest> decoded =
        DecodeComputeRequest(cut.chain(), kNoLimit);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(Values(decoded->input), (std::vector<double>{1.5, 2.5, -3, 4}));
    EXPECT_EQ(Values(decoded->input), TensorValues(check.input()));
  }
}

TEST(DecodeRequestTest, RepeatedMessageFieldsMergeAsProtobufDoes) {
  // Two occurrences of `input`: shapes concatenate, the float32 values of the
  // same oneof member concatenate. Then a `raw` member replaces them.
  v1::ComputeRequest a =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2}, {2});
  v1::ComputeRequest b;
  *b.mutable_input() = MakeTensor(WireType::kFloat32, {3, 4}, {2});
  std::string bytes = a.SerializeAsString() + b.SerializeAsString();
  v1::ComputeRequest merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  ASSERT_EQ(merged.input().float32().values_size(), 4);
  Sliced whole(bytes, 0);
  absl::StatusOr<DecodedRequest> decoded =
      DecodeComputeRequest(whole.chain(), kNoLimit);
  // Shape [2, 2] now holds the four values.
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(Values(decoded->input), TensorValues(merged.input()));
  EXPECT_EQ(decoded->input.shape.size(), 2u);

  v1::ComputeRequest c;
  *c.mutable_input() = MakeTensor(WireType::kRawFloat64, {9, 8, 7, 6});
  bytes += c.SerializeAsString();
  ASSERT_TRUE(merged.ParseFromString(bytes));
  Sliced again(bytes, 3);
  decoded = DecodeComputeRequest(again.chain(), kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->input.encoding, Encoding::kRaw);
  EXPECT_EQ(Values(decoded->input), TensorValues(merged.input()));
}

TEST(DecodeRequestTest, ParamsMapLastEntryWins) {
  v1::ComputeRequest a =
      MakeRequest("leaky_relu", v1::MODE_FORWARD, WireType::kFloat32, {-1});
  (*a.mutable_params())["negative_slope"] = 0.5;
  v1::ComputeRequest b;
  (*b.mutable_params())["negative_slope"] = 0.25;
  const std::string bytes = a.SerializeAsString() + b.SerializeAsString();
  v1::ComputeRequest merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  ASSERT_EQ(merged.params().at("negative_slope"), 0.25);
  Sliced whole(bytes, 2);
  absl::StatusOr<DecodedRequest> decoded =
      DecodeComputeRequest(whole.chain(), kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->call.params[0], 0.25);
}

TEST(DecodeRequestTest, UnknownFieldsAreSkipped) {
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2});
  std::string bytes = request.SerializeAsString();
  // Field 99 varint, field 100 length-delimited, field 101 fixed32, field 102
  // fixed64, field 103 a group holding a varint; and field 4 (mode) with the
  // wrong wire type, which protobuf keeps as an unknown field.
  bytes += std::string("\x98\x06\x2a", 3);
  bytes += std::string("\xa2\x06\x03xyz", 6);
  bytes += std::string("\xad\x06\x01\x02\x03\x04", 6);
  bytes += std::string("\xb1\x06", 2) + std::string(8, '\x07');
  bytes += std::string("\xbb\x06\x08\x01\xbc\x06", 6);
  bytes += std::string("\x22\x01z", 3);
  v1::ComputeRequest check;
  ASSERT_TRUE(check.ParseFromString(bytes));
  EXPECT_EQ(DecodeBytes(bytes), absl::OkStatus());
}

TEST(DecodeRequestTest, MalformedMessagesAreInvalidArgument) {
  const std::string good =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32, {1, 2})
          .SerializeAsString();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated", good.substr(0, good.size() - 3)},
      {"garbage", std::string(16, '\xff')},
      {"field zero", std::string("\x00\x01", 2)},
      {"wire type 7", std::string("\x0f\x01", 2)},
      {"end group alone", std::string("\x0c", 1)},
      {"length past the end", std::string("\x12\x7f" "abc", 5)},
      {"eleven-byte varint", std::string("\x20") + std::string(10, '\x80') + "\x01"},
  };
  for (const auto& [name, bytes] : cases) {
    v1::ComputeRequest check;
    EXPECT_FALSE(check.ParseFromString(bytes)) << name;
    ExpectError(DecodeBytes(bytes), absl::StatusCode::kInvalidArgument,
                {"request: not a valid activation.v1.ComputeRequest"});
  }
}

TEST(DecodeRequestTest, StringsMustBeUtf8) {
  const std::string bad = "sig\xc3\x28moid";  // a broken two-byte sequence
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1});
  request.set_function(bad);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"not a valid activation.v1.ComputeRequest", "function: not valid UTF-8"});
  request.set_function("relu");
  request.set_id(bad);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"id: not valid UTF-8"});
  request.set_id("");
  (*request.mutable_params())[bad] = 1;
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"params.key: not valid UTF-8"});
}

TEST(DecodeRequestTest, PackedLengthMustHoldWholeValues) {
  // float32 { values: 5 bytes packed }
  const std::string bytes = std::string("\x2a\x09\x12\x07\x0a\x05", 6) + "abcde";
  v1::ComputeRequest check;
  EXPECT_FALSE(check.ParseFromString(bytes));
  ExpectError(DecodeBytes(bytes), absl::StatusCode::kInvalidArgument,
              {"input.float32.values: packed length 5 is not a multiple of 4"});
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
  request.set_mode(static_cast<v1::Mode>(-2));
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"mode: unknown value -2"});
}

TEST(DecodeRequestTest, UnknownInputKind) {
  v1::ComputeRequest request =
      MakeRequest("sigmoid", v1::MODE_DERIVATIVE, WireType::kFloat32, {1});
  request.set_input_kind(static_cast<v1::InputKind>(5));
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"input_kind: unknown value 5", "INPUT_KIND_OUTPUT"});
}

TEST(DecodeRequestTest, LibraryErrorsPassThrough) {
  v1::ComputeRequest request =
      MakeRequest("sigmod", v1::MODE_FORWARD, WireType::kFloat32, {1});
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"sigmod", "sigmoid"});
}

TEST(DecodeRequestTest, HugeNamesAreQuotedShort) {
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1});
  request.set_function(std::string(1 << 20, 'f'));
  const absl::Status function = DecodeError(request);
  ExpectError(function, absl::StatusCode::kInvalidArgument,
              {"function: unknown activation \"ffff", "(1048576 bytes)"});
  EXPECT_LT(function.message().size(), 1000u);
  request.set_function("elu");
  (*request.mutable_params())[std::string(1 << 20, 'p')] = 1;
  const absl::Status param = DecodeError(request);
  ExpectError(param, absl::StatusCode::kInvalidArgument,
              {"params: unknown parameter \"pppp", "(1048576 bytes)", "alpha"});
  EXPECT_LT(param.message().size(), 1000u);
}

TEST(DecodeRequestTest, TooManyParamEntriesOrDimensions) {
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1});
  for (int i = 0; i < 100; ++i) (*request.mutable_params())[absl::StrCat("p", i)] = 1;
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"params: 100 entries; at most 64"});
  request.clear_params();
  for (int i = 0; i < 70; ++i) request.mutable_input()->add_shape(1);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"input.shape: 70 dimensions; at most 64"});
}

TEST(DecodeRequestTest, MissingInput) {
  v1::ComputeRequest request;
  request.set_mode(v1::MODE_FORWARD);
  request.set_function("relu");
  EXPECT_EQ(DecodeError(request).message(),
            "input: missing, set one of float32, float64, raw");
}

TEST(DecodeRequestTest, RawDTypes) {
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32, {1, 2});
  request.mutable_input()->mutable_raw()->set_dtype(v1::DTYPE_UNSPECIFIED);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"input.raw.dtype: DTYPE_UNSPECIFIED is not allowed; set DTYPE_FLOAT32"});
  request.mutable_input()->mutable_raw()->set_dtype(static_cast<v1::DType>(77));
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"input.raw.dtype: unknown value 77; set DTYPE_FLOAT32"});
  request.mutable_input()->mutable_raw()->set_dtype(v1::DTYPE_FLOAT64);
  request.mutable_input()->mutable_raw()->set_data(std::string(12, '\0'));
  EXPECT_EQ(DecodeError(request).message(),
            "input.raw.data: 12 bytes is not a multiple of 8, the size of one "
            "float64 value");
}

TEST(DecodeRequestTest, Shapes) {
  v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2, 3, 4});
  request.mutable_input()->add_shape(2);
  request.mutable_input()->add_shape(-2);
  EXPECT_EQ(DecodeError(request).message(),
            "input.shape[1]: -2 is negative; dimensions must be >= 0");
  request.mutable_input()->set_shape(1, 3);
  EXPECT_EQ(DecodeError(request).message(),
            "input.shape: product 6 of [2, 3] differs from 4 values");
  request.mutable_input()->set_shape(0, std::int64_t{1} << 40);
  request.mutable_input()->set_shape(1, std::int64_t{1} << 40);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"overflows 64 bits"});
  request.mutable_input()->set_shape(1, 0);
  request.mutable_input()->clear_float32();
  request.mutable_input()->mutable_float32();
  EXPECT_EQ(DecodeError(request), absl::OkStatus());  // [2^40, 0] holds 0
}

TEST(DecodeRequestTest, Grad) {
  v1::ComputeRequest request =
      MakeRequest("tanh", v1::MODE_BACKWARD, WireType::kFloat64, {1, 2});
  request.clear_grad();
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"grad: missing", "MODE_BACKWARD"});
  *request.mutable_grad() = MakeTensor(WireType::kFloat64, {1, 2, 3});
  EXPECT_EQ(DecodeError(request).message(),
            "grad: 3 values, but input has 2; they must be equal");
  *request.mutable_grad() = MakeTensor(WireType::kRawFloat32, {1, 2});
  EXPECT_EQ(DecodeError(request).message(),
            "grad: float32 values, but input is float64; they must be the "
            "same type");
  *request.mutable_grad() = MakeTensor(WireType::kRawFloat64, {1, 2});
  EXPECT_EQ(DecodeError(request), absl::OkStatus());  // another encoding
  request.mutable_grad()->add_shape(-1);
  ExpectError(DecodeError(request), absl::StatusCode::kInvalidArgument,
              {"grad.shape[0]: -1 is negative"});
  request.set_mode(v1::MODE_FORWARD);
  request.mutable_grad()->clear_shape();
  EXPECT_EQ(DecodeError(request).message(),
            "grad: set, but only MODE_BACKWARD reads it (mode is "
            "MODE_FORWARD); leave it unset");
}

TEST(DecodeRequestTest, TooManyElementsIsResourceExhausted) {
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1, 2, 3});
  EXPECT_EQ(DecodeError(request, {3, 1}), absl::OkStatus());
  const absl::Status status = DecodeError(request, {2, 1});
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "input: 3 values exceed this server's limit of 2 values per call "
            "(max_elements)");
}

TEST(DecodeRequestTest, IdIsReportedEvenWhenValidationFails) {
  v1::ComputeRequest request =
      MakeRequest("nope", v1::MODE_FORWARD, WireType::kFloat32, {1});
  request.set_id("abc");
  const std::string bytes = request.SerializeAsString();
  Sliced whole(bytes, 0);
  std::string id;
  EXPECT_FALSE(DecodeComputeRequest(whole.chain(), kNoLimit, &id).ok());
  EXPECT_EQ(id, "abc");
}

absl::StatusOr<std::vector<DecodedRequest>> DecodeBatch(
    const v1::ComputeBatchRequest& request, const RequestLimits& limits) {
  const std::string bytes = request.SerializeAsString();
  Sliced cut(bytes, 5);
  return DecodeBatchRequest(cut.chain(), limits);
}

TEST(DecodeBatchTest, ItemsInOrderWithTheirIndexInMessages) {
  v1::ComputeBatchRequest request;
  const std::vector<std::string> names = {"relu", "tanh", "mish"};
  for (int i = 0; i < 3; ++i) {
    *request.add_items() = MakeRequest(names[i], v1::MODE_FORWARD,
                                       WireType::kFloat32,
                                       std::vector<double>(i + 1, 0.5));
    request.mutable_items(i)->set_id(absl::StrCat("item", i));
  }
  absl::StatusOr<std::vector<DecodedRequest>> decoded =
      DecodeBatch(request, kNoLimit);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*decoded)[i].id, absl::StrCat("item", i));
    EXPECT_EQ((*decoded)[i].input.size, static_cast<std::size_t>(i + 1));
  }
  request.mutable_items(2)->mutable_input()->add_shape(7);
  EXPECT_EQ(DecodeBatch(request, kNoLimit).status().message(),
            "items[2].input.shape: product 7 of [7] differs from 3 values");
  request.mutable_items(1)->set_function("sigmod");
  ExpectError(DecodeBatch(request, kNoLimit).status(),
              absl::StatusCode::kInvalidArgument,
              {"items[1].function: unknown activation \"sigmod\""});
}

TEST(DecodeBatchTest, Limits) {
  v1::ComputeBatchRequest request;
  for (int i = 0; i < 3; ++i) {
    *request.add_items() =
        MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat64, {1, 2});
  }
  EXPECT_TRUE(DecodeBatch(request, {6, 3}).ok());
  absl::Status status = DecodeBatch(request, {5, 3}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "items: 3 items hold 6 values in all, above this server's limit "
            "of 5 values per call (max_elements)");
  status = DecodeBatch(request, {6, 2}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "items: 3 items exceed this server's limit of 2 items per batch "
            "(max_batch_items)");
}

TEST(DecodeBatchTest, MalformedItemIsNamed) {
  v1::ComputeBatchRequest request;
  *request.add_items() =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kFloat32, {1});
  std::string bytes = request.SerializeAsString();
  bytes += std::string("\x0a\x03\x12\x01\xff", 5);  // items[1].function: bad UTF-8
  Sliced whole(bytes, 0);
  ExpectError(DecodeBatchRequest(whole.chain(), kNoLimit).status(),
              absl::StatusCode::kInvalidArgument,
              {"not a valid activation.v1.ComputeBatchRequest",
               "items[1].function: not valid UTF-8"});
}

TEST(CheckEmptyRequestTest, SkipsFieldsButRejectsGarbage) {
  Sliced empty("", 0);
  EXPECT_EQ(CheckEmptyRequest(empty.chain(), "X"), absl::OkStatus());
  Sliced unknown(std::string("\x08\x01", 2), 0);
  EXPECT_EQ(CheckEmptyRequest(unknown.chain(), "X"), absl::OkStatus());
  Sliced garbage(std::string(4, '\xff'), 0);
  ExpectError(CheckEmptyRequest(garbage.chain(), "activation.v1.X"),
              absl::StatusCode::kInvalidArgument,
              {"not a valid activation.v1.X"});
}

// Random damage to valid messages: our parser rejects a message exactly when
// protobuf's does, and when both accept, reads the same values.
// protobuf reads a tag and a length in at most 5 bytes, zero padding included: a 6-byte one
// fails its parse. The decoder took any varint of up to 10 bytes there, so it accepted
// messages protobuf refuses (found by tests/fuzz/request_fuzz).
TEST(DecodeRequestTest, TagsAndLengthsOfMoreThanFiveBytesAreRefusedAsByProtobuf) {
  const auto padded = [](std::uint8_t low, int bytes) {
    std::string out(1, static_cast<char>(low | 0x80));
    for (int i = 1; i < bytes - 1; ++i) out += '\x80';
    out += '\0';
    return out;
  };
  const std::string id = "abc";
  for (int bytes = 2; bytes <= 7; ++bytes) {
    // Field 1 (id), length-delimited: its tag padded to `bytes`, then its length padded.
    std::string tag_padded = padded(0x0a, bytes);
    tag_padded.append("\x03").append(id);
    std::string length_padded(1, '\x0a');
    length_padded.append(padded(0x03, bytes)).append(id);
    for (const std::string& message : {tag_padded, length_padded}) {
      v1::ComputeRequest reference;
      const bool protobuf_ok = reference.ParseFromString(message);
      EXPECT_EQ(protobuf_ok, bytes <= 5) << bytes << " bytes";
      const absl::Status ours = DecodeBytes(message);
      const bool parse_failed =
          !ours.ok() && absl::StartsWith(ours.message(), "request: not a valid");
      EXPECT_EQ(parse_failed, !protobuf_ok) << bytes << " bytes: " << ours;
    }
  }
}

TEST(DecodeRequestTest, AgreesWithProtobufOnDamagedMessages) {
  std::mt19937 rng(12345);
  std::vector<std::string> seeds;
  for (WireType type : testing::kAllWireTypes) {
    v1::ComputeRequest request =
        MakeRequest("elu", v1::MODE_BACKWARD, type, {1, -2, 3}, {3});
    *request.mutable_grad() = MakeTensor(type, {4, 5, 6});
    (*request.mutable_params())["alpha"] = 0.5;
    request.set_id("id-\xc3\xa9");
    seeds.push_back(request.SerializeAsString());
  }
  int both_ok = 0, both_failed = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string bytes = seeds[iteration % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] = static_cast<char>(rng()); break;
        case 1: bytes.resize(at); break;
        case 2: bytes.insert(at, 1, static_cast<char>(rng())); break;
        case 3: bytes[at] ^= static_cast<char>(1u << (rng() % 8)); break;
      }
    }
    v1::ComputeRequest reference;
    const bool protobuf_ok = reference.ParseFromString(bytes);
    Sliced cut(bytes, 1 + rng() % 6);
    const absl::StatusOr<DecodedRequest> ours =
        DecodeComputeRequest(cut.chain(), kNoLimit);
    const bool parse_failed =
        !ours.ok() && absl::StartsWith(ours.status().message(), "request: not a valid");
    ASSERT_EQ(protobuf_ok, !parse_failed)
        << "iteration " << iteration << ": " << ours.status();
    if (protobuf_ok) {
      ++both_ok;
      if (ours.ok()) {
        EXPECT_EQ(ours->id, reference.id());
        EXPECT_EQ(Values(ours->input), TensorValues(reference.input()));
      }
    } else {
      ++both_failed;
    }
  }
  // The damage must exercise both outcomes.
  EXPECT_GT(both_ok, 1000);
  EXPECT_GT(both_failed, 1000);
}

}  // namespace
}  // namespace actserver
