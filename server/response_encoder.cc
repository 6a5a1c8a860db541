#include "server/response_encoder.h"

#include <cstdint>
#include <cstring>

#include "activations/evaluate.h"

namespace actserver {
namespace {

using wire::LengthDelimitedSize;
using wire::TagSize;
using wire::VarintSize;

// Field numbers, from activation.proto.
constexpr std::uint32_t kResponseId = 1, kResponseOutput = 2,
                        kResponseDerivative = 3, kResponseMaxUlp = 4;
constexpr std::uint32_t kTensorShape = 1, kTensorFloat32 = 2,
                        kTensorFloat64 = 3, kTensorRaw = 4;
constexpr std::uint32_t kArrayValues = 1;
constexpr std::uint32_t kRawDType = 1, kRawData = 2;
constexpr std::uint32_t kBatchItems = 1;
constexpr std::uint32_t kStreamId = 1, kStreamResponse = 2, kStreamError = 3;
constexpr std::uint32_t kErrorCode = 1, kErrorMessage = 2;

// protobuf writes an int32 (an enum too) as the varint of its 64-bit sign
// extension: a negative value takes ten bytes.
std::uint64_t Int32Bits(std::int32_t v) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
}

std::size_t ShapeBodySize(const TensorView& view) {
  std::size_t n = 0;
  for (std::int64_t dim : view.shape) n += VarintSize(static_cast<std::uint64_t>(dim));
  return n;
}

// The body of the oneof member holding `bytes` bytes of values.
std::size_t MemberBodySize(const TensorView& view, std::size_t bytes) {
  if (view.encoding == Encoding::kRaw) {
    std::size_t n = 0;
    if (view.raw_dtype != 0) n += TagSize(kRawDType) + VarintSize(Int32Bits(view.raw_dtype));
    if (bytes > 0) n += LengthDelimitedSize(kRawData, bytes);
    return n;
  }
  return bytes > 0 ? LengthDelimitedSize(kArrayValues, bytes) : 0;
}

std::uint32_t MemberField(Encoding encoding) {
  switch (encoding) {
    case Encoding::kFloat32: return kTensorFloat32;
    case Encoding::kFloat64: return kTensorFloat64;
    case Encoding::kRaw: return kTensorRaw;
  }
  return kTensorRaw;
}

std::size_t ValueBytes(const TensorView& view) {
  return view.size * activations::DTypeSize(view.dtype);
}

// A Tensor like `view` (shape, encoding, element type) holding its count of
// values; the member is always written, even empty, as a set oneof is.
std::size_t TensorBodySize(const TensorView& view) {
  std::size_t n = 0;
  if (!view.shape.empty()) n += LengthDelimitedSize(kTensorShape, ShapeBodySize(view));
  n += LengthDelimitedSize(MemberField(view.encoding),
                           MemberBodySize(view, ValueBytes(view)));
  return n;
}

// Writes the Tensor body and returns where its values go.
char* WriteTensorBody(const TensorView& view, wire::Writer* w) {
  if (!view.shape.empty()) {
    w->LengthDelimitedHeader(kTensorShape, ShapeBodySize(view));
    for (std::int64_t dim : view.shape) w->Varint(static_cast<std::uint64_t>(dim));
  }
  const std::size_t bytes = ValueBytes(view);
  w->LengthDelimitedHeader(MemberField(view.encoding), MemberBodySize(view, bytes));
  if (view.encoding == Encoding::kRaw) {
    if (view.raw_dtype != 0) {
      w->Tag(kRawDType, wire::kVarint);
      w->Varint(Int32Bits(view.raw_dtype));
    }
    if (bytes > 0) w->LengthDelimitedHeader(kRawData, bytes);
  } else if (bytes > 0) {
    w->LengthDelimitedHeader(kArrayValues, bytes);
  }
  return w->Reserve(bytes);
}

double MaxUlp(const DecodedRequest& request) {
  return activations::MaxUlpError(request.call, request.input.dtype);
}

bool HasDerivative(const DecodedRequest& request) {
  return request.call.mode == activations::Mode::kForwardAndDerivative;
}

std::size_t StringFieldSize(std::uint32_t field, const std::string& s) {
  return s.empty() ? 0 : LengthDelimitedSize(field, s.size());
}

void WriteStringField(std::uint32_t field, const std::string& s, wire::Writer* w) {
  if (s.empty()) return;
  w->LengthDelimitedHeader(field, s.size());
  w->Bytes(s);
}

}  // namespace

std::size_t ComputeResponseSize(const DecodedRequest& request) {
  const std::size_t tensor = TensorBodySize(request.input);
  std::size_t n = StringFieldSize(kResponseId, request.id);
  n += LengthDelimitedSize(kResponseOutput, tensor);
  if (HasDerivative(request)) n += LengthDelimitedSize(kResponseDerivative, tensor);
  if (MaxUlp(request) != 0) n += TagSize(kResponseMaxUlp) + 8;
  return n;
}

OutputSlots WriteComputeResponse(const DecodedRequest& request, wire::Writer* w) {
  OutputSlots slots;
  const std::size_t tensor = TensorBodySize(request.input);
  WriteStringField(kResponseId, request.id, w);
  w->LengthDelimitedHeader(kResponseOutput, tensor);
  slots.output = WriteTensorBody(request.input, w);
  if (HasDerivative(request)) {
    w->LengthDelimitedHeader(kResponseDerivative, tensor);
    slots.derivative = WriteTensorBody(request.input, w);
  }
  if (const double ulp = MaxUlp(request); ulp != 0) {
    std::uint64_t bits;
    std::memcpy(&bits, &ulp, sizeof bits);
    w->Tag(kResponseMaxUlp, wire::kFixed64);
    w->Fixed64(bits);
  }
  return slots;
}

std::size_t BatchResponseSize(std::span<const DecodedRequest> requests) {
  std::size_t n = 0;
  for (const DecodedRequest& r : requests) {
    n += LengthDelimitedSize(kBatchItems, ComputeResponseSize(r));
  }
  return n;
}

void WriteBatchResponse(std::span<const DecodedRequest> requests, wire::Writer* w,
                        std::span<OutputSlots> slots) {
  for (std::size_t i = 0; i < requests.size(); ++i) {
    w->LengthDelimitedHeader(kBatchItems, ComputeResponseSize(requests[i]));
    slots[i] = WriteComputeResponse(requests[i], w);
  }
}

std::size_t StreamResponseSize(const DecodedRequest& request) {
  return StringFieldSize(kStreamId, request.id) +
         LengthDelimitedSize(kStreamResponse, ComputeResponseSize(request));
}

OutputSlots WriteStreamResponse(const DecodedRequest& request, wire::Writer* w) {
  WriteStringField(kStreamId, request.id, w);
  w->LengthDelimitedHeader(kStreamResponse, ComputeResponseSize(request));
  return WriteComputeResponse(request, w);
}

std::string StreamErrorResponse(const std::string& id, const absl::Status& status) {
  const std::string message(status.message());
  const std::int32_t code = static_cast<std::int32_t>(status.code());
  std::size_t error = 0;
  if (code != 0) error += TagSize(kErrorCode) + VarintSize(Int32Bits(code));
  error += StringFieldSize(kErrorMessage, message);
  std::string out(StringFieldSize(kStreamId, id) + LengthDelimitedSize(kStreamError, error),
                  '\0');
  wire::Writer w(out.data(), out.size());
  WriteStringField(kStreamId, id, &w);
  w.LengthDelimitedHeader(kStreamError, error);
  if (code != 0) {
    w.Tag(kErrorCode, wire::kVarint);
    w.Varint(Int32Bits(code));
  }
  WriteStringField(kErrorMessage, message, &w);
  return out;
}

}  // namespace actserver
