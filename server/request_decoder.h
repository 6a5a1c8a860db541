// Reads activation.v1 requests straight from the slices they arrived in.
//
// The server registers its methods as raw (grpc::ByteBuffer) handlers and
// parses the protobuf wire format itself, so that
//   - a tensor's bytes are never copied: the kernels read them where gRPC
//     received them (TensorView::data points into the slices);
//   - a message that does not parse is INVALID_ARGUMENT with a message naming
//     what is wrong, where gRPC's own deserialization answers UNIMPLEMENTED
//     with no message, and ends a stream silently.
// It accepts exactly what protobuf's parser accepts (tested differentially):
// fields in any order, repeated scalars packed or not, a repeated message
// field's later occurrences merged into the earlier, unknown fields skipped,
// proto3 strings valid UTF-8.
//
// Every rule about functions, parameters and ranges stays in the library
// (activations::MakeCall); this file checks only what the wire format adds:
// enums, tensors, the gradient's presence, and this server's size limits.
#ifndef SERVER_REQUEST_DECODER_H_
#define SERVER_REQUEST_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "activations/evaluate.h"
#include "server/wire_format.h"

namespace actserver {

// Which member of Tensor's `data` oneof holds the values.
enum class Encoding { kFloat32, kFloat64, kRaw };

// A validated tensor. `data` holds size * DTypeSize(dtype) bytes of
// little-endian values; it points into the message's slices (or, for the
// rare unpacked encoding of a repeated float, into `owned`), which must
// outlive it.
struct TensorView {
  Encoding encoding = Encoding::kRaw;
  activations::DType dtype = activations::DType::kFloat32;
  std::int32_t raw_dtype = 0;  // RawArray.dtype as sent, echoed in responses
  std::size_t size = 0;        // elements
  absl::InlinedVector<std::int64_t, 4> shape;  // as sent; empty means 1-D
  wire::Chain data;
  std::shared_ptr<const std::string> owned;
};

// A ComputeRequest that passed validation.
struct DecodedRequest {
  std::string id;
  activations::Call call;
  TensorView input;
  std::optional<TensorView> grad;  // set exactly when the mode is kBackward
};

// Limits a request must respect beyond the wire format; the server's flags.
struct RequestLimits {
  // Most input values per call (a batch summed; a stream per message).
  // More is RESOURCE_EXHAUSTED.
  std::size_t max_elements = std::size_t{1} << 24;
  // Most items in one ComputeBatch; more is RESOURCE_EXHAUSTED.
  std::size_t max_batch_items = 1 << 16;
};

// Parses and validates one serialized activation.v1.ComputeRequest.
// INVALID_ARGUMENT, naming the field: a message that does not parse
// (truncated, malformed, a string that is not UTF-8); a mode unspecified or
// unknown; an unknown input_kind; whatever activations::MakeCall rejects
// (function, parameters, input_kind for this function); an input missing or
// malformed (raw dtype unspecified or unknown, raw length not a multiple of
// the element size, a negative dimension, a shape whose product overflows or
// differs from the number of values, more than kMaxDims dimensions); in
// MODE_BACKWARD a missing grad or one whose count or element type differs;
// grad set in any other mode. RESOURCE_EXHAUSTED: more than
// limits.max_elements values. Thread-compatible.
// `id`, if set, receives the request's id whenever the message parsed, even
// if validation then failed (a stream's error response echoes it).
absl::StatusOr<DecodedRequest> DecodeComputeRequest(
    const wire::Chain& message, const RequestLimits& limits,
    std::string* id = nullptr);

// The same for an activation.v1.ComputeBatchRequest: every item is checked
// (messages say "items[3]. ..."), the values summed against max_elements and
// the items counted against max_batch_items.
absl::StatusOr<std::vector<DecodedRequest>> DecodeBatchRequest(
    const wire::Chain& message, const RequestLimits& limits);

// Checks that `message` parses as a message with no fields we read (e.g.
// ListActivationsRequest): every field is skipped, but the encoding must be
// well formed. INVALID_ARGUMENT naming `type_name` otherwise.
absl::Status CheckEmptyRequest(const wire::Chain& message,
                               absl::string_view type_name);

// Most dimensions a tensor may have (PyTorch allows 64 too); guards the
// decoder's memory against a message of millions of dimensions.
inline constexpr std::size_t kMaxDims = 64;
// Most `params` entries a request may carry (a map: duplicates count).
inline constexpr std::size_t kMaxParamEntries = 64;

// "float32", "float64", "bfloat16" or "float16" (activations::DTypeName as an
// absl::string_view), for messages.
absl::string_view DTypeName(activations::DType dtype);

}  // namespace actserver

#endif  // SERVER_REQUEST_DECODER_H_
