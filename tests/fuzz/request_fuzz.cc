// libFuzzer target: the server's request path, bytes to computed values,
// without gRPC: bytes -> DecodeComputeRequest / DecodeBatchRequest (over
// slices cut as the first input byte says) -> validated requests -> response
// layout -> PlanJobs -> RunSerial on tensors of at most 4096 values.
//
// Input: one selector byte (bit 7: a ComputeBatchRequest, else a
// ComputeRequest; bits 0-3: the slice size, 0 = one piece), then the message.
// Checked:
//   - a refusal is INVALID_ARGUMENT or RESOURCE_EXHAUSTED, with a message of
//     at most 1 KiB (issue 7: quoted values are cut short);
//   - what the server accepts, protobuf parses too (the server accepts
//     nothing protobuf refuses);
//   - the same message in one piece decodes the same way, and its jobs
//     compute the same bits (slicing never changes a result);
//   - the jobs cover every value exactly once and the response laid out for
//     them parses, with protobuf, as a response of the right shape.
//
//   build/asan/tests/fuzz/request_fuzz tests/fuzz/request_corpus
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"
#include "server/job_planner.h"
#include "server/request_decoder.h"
#include "server/response_encoder.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/server/wire_test_util.h"

namespace {

namespace v1 = ::activation::v1;
using ::actserver::DecodedRequest;

// Small tensors: the target explores the decoder, not the kernels' speed.
constexpr actserver::RequestLimits kLimits{.max_elements = 4096,
                                           .max_batch_items = 16};
constexpr std::size_t kMaxMessageChars = 1024;

void CheckRefusal(const absl::Status& status) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
             status.code() == absl::StatusCode::kResourceExhausted);
  FUZZ_CHECK(!status.message().empty());
  FUZZ_CHECK(status.message().size() <= kMaxMessageChars);
}

// Lays out a batch response for `requests`, plans and runs every job; returns
// the response bytes (values included).
std::string Compute(const std::vector<DecodedRequest>& requests) {
  std::string buffer(actserver::BatchResponseSize(requests), '\0');
  actserver::wire::Writer writer(buffer.data(), buffer.size());
  std::vector<actserver::OutputSlots> slots(requests.size());
  actserver::WriteBatchResponse(requests, &writer, slots);
  FUZZ_CHECK(writer.left() == 0);
  actserver::Scratch scratch;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const DecodedRequest& request = requests[i];
    std::vector<activations::Job> jobs;
    actserver::PlanJobs(request, slots[i], &scratch, &jobs);
    std::size_t covered = 0;
    for (const activations::Job& job : jobs) {
      FUZZ_CHECK(job.size > 0);
      covered += job.size;
      activations::RunSerial(job);
    }
    FUZZ_CHECK(covered == request.input.size);
  }
  v1::ComputeBatchResponse response;
  FUZZ_CHECK(response.ParseFromString(buffer));
  FUZZ_CHECK(static_cast<std::size_t>(response.items_size()) ==
             requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    FUZZ_CHECK(response.items(i).id() == requests[i].id);
  }
  return buffer;
}

absl::StatusOr<std::vector<DecodedRequest>> Decode(
    bool batch, const actserver::wire::Chain& chain) {
  if (batch) return actserver::DecodeBatchRequest(chain, kLimits);
  absl::StatusOr<DecodedRequest> one =
      actserver::DecodeComputeRequest(chain, kLimits);
  if (!one.ok()) return one.status();
  std::vector<DecodedRequest> requests;
  requests.push_back(*std::move(one));
  return requests;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  const bool batch = (data[0] & 0x80) != 0;
  const std::size_t piece = data[0] & 0x0f;
  const std::string message(reinterpret_cast<const char*>(data) + 1, size - 1);

  actserver::testing::Sliced sliced(message, piece);
  absl::StatusOr<std::vector<DecodedRequest>> decoded =
      Decode(batch, sliced.chain());
  actserver::testing::Sliced whole(message, 0);
  absl::StatusOr<std::vector<DecodedRequest>> contiguous =
      Decode(batch, whole.chain());
  FUZZ_CHECK(decoded.ok() == contiguous.ok());
  if (!decoded.ok()) {
    CheckRefusal(decoded.status());
    FUZZ_CHECK(decoded.status() == contiguous.status());
    return 0;
  }
  if (batch) {
    v1::ComputeBatchRequest parsed;
    FUZZ_CHECK(parsed.ParseFromString(message));
  } else {
    v1::ComputeRequest parsed;
    FUZZ_CHECK(parsed.ParseFromString(message));
  }
  FUZZ_CHECK(Compute(*decoded) == Compute(*contiguous));
  return 0;
}
