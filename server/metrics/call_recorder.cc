#include "server/metrics/call_recorder.h"

#include <string>

namespace actserver::metrics {
namespace {

constexpr char kRequestIdHeader[] = "x-request-id";

absl::string_view Slot(const std::vector<std::string>& names, int index) {
  return index > 0 && index <= static_cast<int>(names.size())
             ? absl::string_view(names[index - 1])
             : absl::string_view("unknown");
}

}  // namespace

CallRecorder::CallRecorder(const Observability& observability, Rpc rpc,
                           const grpc::CallbackServerContext* context,
                           std::uint64_t received_bytes,
                           absl::string_view message_id)
    : observability_(observability),
      rpc_(rpc),
      context_(context),
      start_(absl::Now()),
      received_bytes_(received_bytes),
      message_id_(message_id) {
  observability_.metrics->RpcStarted(rpc_);
}

void CallRecorder::AddRequest(const RequestLabels& labels,
                              std::uint64_t elements) {
  items_.push_back(Item{labels, elements});
}

void CallRecorder::Finish(const absl::Status& status,
                          std::uint64_t sent_bytes) {
  ServerMetrics& m = *observability_.metrics;
  const int code = static_cast<int>(status.code());
  for (const Item& item : items_) {
    m.RequestDone(rpc_, item.labels, code, item.elements);
  }
  m.ObserveLatency(rpc_, absl::Now() - start_);
  m.AddBytes(rpc_, received_bytes_, sent_bytes);
  m.RpcFinished(rpc_, code);
  if (observability_.access_log != nullptr) {
    Log(start_, status, items_.data(), items_.size(), message_id_);
  }
}

void CallRecorder::MessageDone(const RequestLabels& labels,
                               std::uint64_t elements,
                               const absl::Status& status, absl::Time started,
                               std::uint64_t received_bytes,
                               std::uint64_t sent_bytes, absl::string_view id) {
  ServerMetrics& m = *observability_.metrics;
  m.RequestDone(rpc_, labels, static_cast<int>(status.code()), elements);
  m.ObserveLatency(rpc_, absl::Now() - started);
  m.AddBytes(rpc_, received_bytes, sent_bytes);
  if (observability_.access_log != nullptr) {
    const Item item{labels, elements};
    Log(started, status, &item, 1, id);
  }
}

void CallRecorder::FinishStream(const absl::Status& status) {
  observability_.metrics->RpcFinished(rpc_, static_cast<int>(status.code()));
}

void CallRecorder::Log(absl::Time started, const absl::Status& status,
                       const Item* items, std::size_t count,
                       absl::string_view id) const {
  const ServerMetrics::LabelValues& names =
      observability_.metrics->label_values();
  // A batch's items usually agree; when they do not the line says "mixed".
  absl::string_view function = "unknown", mode = "unknown", dtype = "unknown";
  std::uint64_t elements = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto pick = [&](absl::string_view* field, absl::string_view value) {
      if (i == 0) {
        *field = value;
      } else if (*field != value) {
        *field = "mixed";
      }
    };
    pick(&function, Slot(names.functions, items[i].labels.function));
    pick(&mode, Slot(names.modes, items[i].labels.mode));
    pick(&dtype, Slot(names.dtypes, items[i].labels.dtype));
    elements += items[i].elements;
  }
  std::string request_id(id);
  const auto& metadata = context_->client_metadata();
  if (const auto it = metadata.find(kRequestIdHeader); it != metadata.end()) {
    request_id.assign(it->second.data(), it->second.size());
  }
  const std::string peer = context_->peer();
  const std::string code = absl::StatusCodeToString(status.code());
  const absl::string_view rpc = RpcName(rpc_);
  AccessLogEntry entry;
  entry.time = started;
  entry.peer = peer;
  entry.rpc = rpc;
  entry.function = function;
  entry.mode = mode;
  entry.dtype = dtype;
  entry.items = count;
  entry.elements = elements;
  entry.code = code;
  entry.latency = absl::Now() - started;
  entry.request_id = request_id;
  observability_.access_log->Write(entry);
}

}  // namespace actserver::metrics
