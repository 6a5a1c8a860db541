// The conversions between the API's messages and the compute library's plain
// structs: a ComputeRequest becomes an activations::Job whose pointers aim
// into the request's input and the response's output, and the catalogue
// becomes a ListActivationsResponse. Every rule about functions, parameters
// and ranges stays in the library (activations::MakeCall); this file only
// checks what the wire format adds: enums, tensors, the gradient's presence
// and this server's size limit.
#ifndef SERVER_REQUEST_CODEC_H_
#define SERVER_REQUEST_CODEC_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"
#include "server/tensor_codec.h"

namespace actserver {

// A request that passed validation, still pointing into its message.
struct DecodedRequest {
  activations::Call call;
  TensorView input;
  std::optional<TensorView> grad;  // set exactly when mode is kBackward
};

// Validates `request`. `prefix` is prepended to every field name in messages
// ("" or "items[3]."). INVALID_ARGUMENT, naming the field, the value and the
// valid choices: mode unspecified or unknown; input_kind unknown; whatever
// activations::MakeCall rejects (function, parameters, input_kind for this
// function); input missing or malformed (see DecodeTensor); in
// MODE_BACKWARD a missing grad or one whose count or element type differs
// from the input; grad set in any other mode. Thread-compatible.
absl::StatusOr<DecodedRequest> DecodeRequest(
    const activation::v1::ComputeRequest& request, absl::string_view prefix);

// Fills `response`'s id, max_ulp_error and output tensors (shape, encoding
// and element type of the input; `derivative` only for forward-and-
// derivative) and returns the job that computes into them. `decoded` must
// come from DecodeRequest(request).
activations::Job AllocateResponse(const activation::v1::ComputeRequest& request,
                                  const DecodedRequest& decoded,
                                  activation::v1::ComputeResponse* response);

// DecodeRequest + a size check + AllocateResponse for one request.
// RESOURCE_EXHAUSTED when the input holds more than `max_elements` values.
absl::StatusOr<activations::Job> PrepareCompute(
    const activation::v1::ComputeRequest& request, std::size_t max_elements,
    activation::v1::ComputeResponse* response);

// The same for a batch: every item is validated before any output is
// allocated, so an invalid item (INVALID_ARGUMENT "items[i]. ...") or a batch
// above `max_elements` values in all (RESOURCE_EXHAUSTED) costs no memory.
// On success `response` holds one item per request, in order.
absl::StatusOr<std::vector<activations::Job>> PrepareBatch(
    const activation::v1::ComputeBatchRequest& request,
    std::size_t max_elements, activation::v1::ComputeBatchResponse* response);

// The catalogue as the API publishes it, with `simd_target`.
void FillCatalog(activation::v1::ListActivationsResponse* response);

}  // namespace actserver

#endif  // SERVER_REQUEST_CODEC_H_
