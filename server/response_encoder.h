// Lays out activation.v1 responses in the protobuf wire format, leaving room
// for the tensors' values so that the kernels write them in place: the
// response is one buffer, sized first, written once, sent as is.
//
// The bytes are exactly what protobuf's serializer produces for the same
// message (fields in number order, default values left out, packed repeated
// scalars), which the tests check.
#ifndef SERVER_RESPONSE_ENCODER_H_
#define SERVER_RESPONSE_ENCODER_H_

#include <cstddef>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "server/request_decoder.h"
#include "server/wire_format.h"

namespace actserver {

// Where the kernels write one request's results: `output` always,
// `derivative` only in forward-and-derivative mode (else null). Each holds
// request.input.size values of the input's element type.
struct OutputSlots {
  char* output = nullptr;
  char* derivative = nullptr;
};

// activation.v1.ComputeResponse for `request`: id, output (and derivative) of
// the input's shape, encoding and element type, max_ulp_error.
std::size_t ComputeResponseSize(const DecodedRequest& request);
OutputSlots WriteComputeResponse(const DecodedRequest& request,
                                 wire::Writer* writer);

// activation.v1.ComputeBatchResponse: one item per request, in order.
// `slots` receives one entry per request.
std::size_t BatchResponseSize(std::span<const DecodedRequest> requests);
void WriteBatchResponse(std::span<const DecodedRequest> requests,
                        wire::Writer* writer, std::span<OutputSlots> slots);

// activation.v1.ComputeStreamResponse holding `request`'s result.
std::size_t StreamResponseSize(const DecodedRequest& request);
OutputSlots WriteStreamResponse(const DecodedRequest& request,
                                wire::Writer* writer);

// activation.v1.ComputeStreamResponse holding an error (code and message)
// for the request with `id` ("" when it could not be read).
std::string StreamErrorResponse(const std::string& id,
                                const absl::Status& status);

}  // namespace actserver

#endif  // SERVER_RESPONSE_ENCODER_H_
