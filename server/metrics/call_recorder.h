// What one RPC records, in one place for every RPC: the handler makes a
// CallRecorder when the call starts, adds the computations it carried as it
// learns them, and calls Finish (or, for a stream, MessageDone per message
// and Finish at the end) just before it finishes the gRPC call. The recorder
// turns that into the registry's counters and histograms and, when enabled,
// the access-log line, so no handler knows the metric names.
//
// Example (a unary handler):
//   CallRecorder call(observability, Rpc::kCompute, context,
//                     request->ByteSizeLong(), request->id());
//   ... on completion:
//   call.AddRequest(LabelsOf(*request), job.size);
//   call.Finish(status, response->ByteSizeLong());
//   reactor->Finish(ToGrpcStatus(status));
#ifndef SERVER_METRICS_CALL_RECORDER_H_
#define SERVER_METRICS_CALL_RECORDER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/metrics/access_log.h"
#include "server/metrics/server_metrics.h"

namespace actserver::metrics {

// Where the request path records: the registry (required) and the access
// log (null when off). Both must outlive the server.
struct Observability {
  ServerMetrics* metrics = nullptr;
  AccessLog* access_log = nullptr;
};

// Copyable (it rides in the compute engine's completion callback); one per
// RPC. AddRequest and Finish are called from one thread at a time;
// MessageDone may be called concurrently (a stream's messages finish on
// several compute threads): it changes nothing in the recorder. `context`
// must stay valid until Finish/FinishStream, which come before the RPC's own
// Finish.
class CallRecorder {
 public:
  // Counts the RPC in flight and notes its start time. `received_bytes`: the
  // request message's size (0 for a stream: each message adds its own);
  // `message_id`: the request's `id`, which the access log shows when the
  // client sent no x-request-id metadata (must outlive Finish).
  CallRecorder(const Observability& observability, Rpc rpc,
               const grpc::CallbackServerContext* context,
               std::uint64_t received_bytes = 0,
               absl::string_view message_id = {});

  // The request's `id` for the access log, once decoded (must outlive
  // Finish).
  void SetMessageId(absl::string_view id) { message_id_ = id; }

  // The request message's size, once it has been read (if it was not known
  // at construction).
  void SetReceivedBytes(std::uint64_t bytes) { received_bytes_ = bytes; }

  // One computation of a unary RPC (a Compute call, each batch item), with
  // its labels and its input values (0 if it was not decoded). All count
  // with the status Finish is given.
  void AddRequest(const RequestLabels& labels, std::uint64_t elements);

  // A unary RPC ends with `status`, `sent_bytes` being the response's size
  // (0 on error): latency, counters, in flight, access log.
  void Finish(const absl::Status& status, std::uint64_t sent_bytes);

  // One ComputeStream message answered: `started` is when it was read,
  // `status` its result, `received_bytes`/`sent_bytes` the two messages'
  // sizes, `id` the message's id.
  void MessageDone(const RequestLabels& labels, std::uint64_t elements,
                   const absl::Status& status, absl::Time started,
                   std::uint64_t received_bytes, std::uint64_t sent_bytes,
                   absl::string_view id);

  // The stream ends with `status` (no latency: its messages have theirs).
  void FinishStream(const absl::Status& status);

 private:
  struct Item {
    RequestLabels labels;
    std::uint64_t elements;
  };

  void Log(absl::Time started, const absl::Status& status,
           const Item* items, std::size_t count, absl::string_view id) const;

  Observability observability_;
  Rpc rpc_;
  const grpc::CallbackServerContext* context_;
  absl::Time start_;
  std::uint64_t received_bytes_;
  absl::string_view message_id_;
  absl::InlinedVector<Item, 1> items_;
};

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_CALL_RECORDER_H_
