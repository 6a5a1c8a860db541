// actload's runner: the run loop (closed and open, warm-up, the measured
// phase, CPU time, live progress) and the engines' glue -- gRPC's generic
// stub on its callback API or on completion queues, nghttp2 loops
// (actload_h2.h), the streams (actload_stream.h) -- down to each
// completion's verification and its Tally. Left to other files: the options
// (actload_config.cc), the prebuilt requests and the size schedule
// (actload_payload.cc), what the completions add up to (actload_tally.cc),
// what an answer must be (actload_verify.h), how the result reads
// (actload_report.h).
//
// Where its CPU goes (docs/client.md, "Its own cost"): gRPC's per-call work
// dominates, so channels leave out gRPC's optional client filters
// (ClientOptions::minimal_stack) and a closed-loop worker reuses one call
// slot. Unary and batch calls run on gRPC's callback API, or with
// `threads` > 0 on completion queues polled by that many threads of
// actload's own, each recording into a Tally of its own (merged at the end).
// Streams use the callback API (one reactor per stream). With the h2 engine
// unary and batch calls skip gRPC's client altogether: each of
// max(1, threads) threads runs an nghttp2 event loop over its share of the
// connections, and a closed-loop worker is a call slot on one of them.
#include "client/actload.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "client/activation_client.h"
#include "client/actload_h2.h"
#include "client/actload_internal.h"
#include "client/actload_report.h"
#include "client/actload_stream.h"
#include "client/actload_verify.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/async_unary_call.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace activation::client {
namespace actload_internal {
namespace {

// A send later than this behind its intended time counts as late: the
// generator, not the server, was the bottleneck at that moment.
constexpr auto kLateSend = std::chrono::milliseconds(1);

// One generic unary (or batch) call on a completion queue: its tag. A
// closed-loop worker owns one and reuses it call after call (`worker` >= 0);
// an open-loop call is allocated when sent and freed when answered.
struct UnaryCall {
  // The reader lives in the call's arena, which the context owns: declared
  // after it, so destroyed before it.
  std::optional<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
  grpc::ByteBuffer response;
  grpc::Status status;
  const Payload* payload = nullptr;
  Clock::time_point intended;
  int client = 0;
  int queue = 0;    // completion queue (and Tally) it runs on
  int worker = -1;  // closed loop: the worker; open loop: -1
};

absl::Duration CpuTime(const timeval& tv) {
  return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
}

class Runner;

// The h2 engine: one closed-loop worker's call slot.
struct H2Slot {
  H2Call call;
  const Payload* payload = nullptr;
  Clock::time_point intended;
  int client = 0;  // the connection (index into client_target_)
};

// The h2 engine: one thread's event loop, and the Tally it records into.
class H2Driver final : public H2Handler {
 public:
  H2Driver(Runner* runner, Tally* tally)
      : loop(this), tally(tally), runner_(runner) {}
  void Answered(H2Call* call) override;

  H2Loop loop;
  Tally* const tally;
  // Connection (client) index -> its index in `loop`.
  std::map<int, int> local;

 private:
  Runner* const runner_;
};

// One run of RunLoad: its connections (gRPC clients or h2 loops), payloads,
// workers and tallies. final, so that the calls it makes on itself through
// CompletionSink are direct calls.
class Runner final : public CompletionSink {
 public:
  // `clients` for the gRPC engine; `h2_targets` (one per config target) for
  // the h2 engine, whose connections ConnectH2 opens.
  Runner(const LoadConfig& config,
         std::vector<std::unique_ptr<ActivationClient>> clients,
         std::vector<int> client_target, std::vector<Payload> payloads,
         const Verifier* verifier, std::vector<H2Address> h2_targets)
      : config_(config),
        h2_targets_(std::move(h2_targets)),
        clients_(std::move(clients)),
        client_target_(std::move(client_target)),
        payloads_(std::move(payloads)),
        schedule_(SizeSchedule(config.sizes)),
        verifier_(verifier),
        timeout_(absl::ToChronoNanoseconds(config.timeout)) {
    for (const auto& client : clients_) {
      generic_.push_back(std::make_unique<grpc::GenericStub>(client->channel()));
    }
    for (int t = 0; t < std::max(1, config.threads); ++t) {
      tallies_.push_back(std::make_unique<Tally>(config.targets.size()));
    }
  }

  // The h2 engine: opens the connections (client_target_ says to which
  // target each goes) and asks each one ListActivations, so that a wrong
  // target fails now, naming it, as the gRPC engine's probe does.
  absl::Status ConnectH2();

  LoadResult Run(std::ostream* progress);

  // The h2 engine: `slot`'s call is answered (on its driver's thread):
  // recorded, then the slot's next call.
  void H2Answered(H2Driver& driver, H2Slot* slot);

  // CompletionSink (documented there); the unary and h2 paths call them too.
  void Complete(Tally& tally, const Payload& payload, int client,
                Clock::time_point intended, const absl::Status& status,
                const v1::ComputeResponse* const* responses, int n) override;
  void NextOnStream(int worker) override;
  void Release() override;
  void StreamFinished(StreamWorker* worker) override;

 private:
  // The payload of the next request, and whether one may be sent now.
  const Payload* Take(Clock::time_point now);
  // Sends `payload` on `call` (its queue, client and worker already set).
  void StartUnary(UnaryCall* call, const Payload* payload,
                  Clock::time_point intended);
  // A polling thread: every answer on completion queue `q`.
  void Poll(int q);
  // A unary or batch call answered (on a polling thread, or on gRPC's
  // callback thread): recorded, then the worker's next call, then Release.
  void Finished(UnaryCall* call);
  // A unary or batch call answered: parses the response when it is to be
  // verified, then Complete.
  void Answered(Tally& tally, const UnaryCall& call);
  // Both engines' answer: `parse(message*)` fills in the response message
  // (only called when the answer is verified) and says if it parsed.
  template <typename Parse>
  void Answer(Tally& tally, const Payload& payload, int client,
              Clock::time_point intended, const absl::Status& status,
              Parse parse);
  // The h2 engine: `slot` sends `payload` now.
  void StartH2(H2Slot* slot, const Payload* payload, Clock::time_point now);
  bool Drained() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return in_flight_.load(std::memory_order_acquire) == 0 && live_streams_ == 0;
  }
  bool BelowCap() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return in_flight_.load(std::memory_order_acquire) < config_.max_in_flight;
  }
  // Live progress: a sample every config_.progress_interval until `stop`.
  void ReportProgress(std::ostream* out, const absl::Notification* stop);

  const LoadConfig& config_;
  const std::vector<H2Address> h2_targets_;  // empty: the gRPC engine
  std::vector<std::unique_ptr<H2Driver>> h2_drivers_;  // one per thread
  std::vector<std::unique_ptr<H2Slot>> h2_slots_;      // one per worker
  std::vector<std::unique_ptr<ActivationClient>> clients_;
  std::vector<std::unique_ptr<grpc::GenericStub>> generic_;  // per client
  std::vector<int> client_target_;
  std::vector<Payload> payloads_;
  std::vector<int> schedule_;
  const Verifier* const verifier_;  // null: no --verify
  const std::chrono::nanoseconds timeout_;
  bool live_progress_ = false;  // interval figures wanted
  uint64_t late_sends_ = 0;     // open loop; written by Run's thread only

  Clock::time_point start_, measure_start_, end_;
  std::atomic<uint64_t> sequence_{0};
  std::atomic<uint64_t> measured_issued_{0};
  // One per thread (config_.threads); a stream records into
  // tallies_[worker % threads].
  std::vector<std::unique_ptr<Tally>> tallies_;
  // Unary and batch: a completion queue per polling thread, and the closed
  // loop's call slots (one per worker).
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::unique_ptr<UnaryCall>> slots_;
  std::vector<std::unique_ptr<StreamWorker>> streams_;

  mutable absl::Mutex mu_;
  // Requests issued and not yet released; changed without mu_ (see Release).
  std::atomic<int64_t> in_flight_{0};
  int live_streams_ ABSL_GUARDED_BY(mu_) = 0;
};

const Payload* Runner::Take(Clock::time_point now) {
  if (now >= end_) return nullptr;
  if (config_.total > 0 && now >= measure_start_ &&
      measured_issued_.fetch_add(1) >= config_.total) {
    return nullptr;
  }
  const uint64_t k = sequence_.fetch_add(1);
  return &payloads_[schedule_[k % schedule_.size()]];
}

void Runner::StartUnary(UnaryCall* call, const Payload* payload,
                        Clock::time_point intended) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  call->payload = payload;
  call->intended = intended;
  call->reader.reset();
  call->context.emplace();  // a ClientContext serves one call only
  call->context->set_deadline(std::chrono::system_clock::now() + timeout_);
  if (queues_.empty()) {  // --threads=0: gRPC's callback API
    generic_[call->client]->UnaryCall(
        &*call->context, payload->method, grpc::StubOptions(), &payload->bytes,
        &call->response, [this, call](grpc::Status status) {
          call->status = std::move(status);
          Finished(call);
        });
    return;
  }
  call->reader = generic_[call->client]->PrepareUnaryCall(
      &*call->context, payload->method, payload->bytes,
      queues_[call->queue].get());
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
}

void Runner::Finished(UnaryCall* call) {
  Answered(*tallies_[call->queue], *call);
  call->response.Clear();
  // The context goes now, on this thread, before Release can let Run return:
  // it holds a reference to the channel, and the channel's last reference
  // must be dropped by Run's thread (which then waits for gRPC's callback
  // threads), never by a callback thread while the process exits.
  call->reader.reset();
  call->context.reset();
  if (call->worker < 0) {
    delete call;  // open loop
  } else {
    const Clock::time_point now = Clock::now();
    if (const Payload* payload = Take(now); payload != nullptr) {
      StartUnary(call, payload, now);
    }
  }
  Release();
}

void Runner::Poll(int q) {
  grpc::CompletionQueue& queue = *queues_[q];
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
    // Finish always completes with ok; the status says how the call went.
    Finished(static_cast<UnaryCall*>(tag));
  }
}

void Runner::Answered(Tally& tally, const UnaryCall& call) {
  Answer(tally, *call.payload, call.client, call.intended,
         ToAbsl(call.status), [&call](auto* message) {
           // Deserialize takes the buffer it reads; parse a copy (slices
           // shared).
           grpc::ByteBuffer response = call.response;
           return grpc::SerializationTraits<std::remove_pointer_t<
               decltype(message)>>::Deserialize(&response, message)
               .ok();
         });
}

template <typename Parse>
void Runner::Answer(Tally& tally, const Payload& payload, int client,
                    Clock::time_point intended, const absl::Status& status,
                    Parse parse) {
  if (!status.ok()) {
    Complete(tally, payload, client, intended, status, nullptr, 0);
    return;
  }
  if (verifier_ == nullptr || intended < measure_start_) {
    // Like h2load, an answered call counts without being parsed; the
    // response is parsed only when it is to be verified.
    Complete(tally, payload, client, intended, absl::OkStatus(), nullptr, 0);
    return;
  }
  const auto malformed = [&] {
    Complete(tally, payload, client, intended,
             absl::InternalError("response does not parse"), nullptr, 0);
  };
  if (config_.rpc == LoadRpc::kBatch) {
    v1::ComputeBatchResponse batch;
    if (!parse(&batch)) return malformed();
    std::vector<const v1::ComputeResponse*> items;
    for (const v1::ComputeResponse& item : batch.items()) items.push_back(&item);
    Complete(tally, payload, client, intended, absl::OkStatus(), items.data(),
             static_cast<int>(items.size()));
  } else {
    v1::ComputeResponse one;
    if (!parse(&one)) return malformed();
    const v1::ComputeResponse* item = &one;
    Complete(tally, payload, client, intended, absl::OkStatus(), &item, 1);
  }
}

void H2Driver::Answered(H2Call* call) {
  runner_->H2Answered(*this, static_cast<H2Slot*>(call->user));
}

void Runner::StartH2(H2Slot* slot, const Payload* payload,
                     Clock::time_point now) {
  slot->payload = payload;
  slot->intended = now;
  slot->call.request = payload->h2[client_target_[slot->client]].get();
  H2Driver& driver = *h2_drivers_[slot->client % h2_drivers_.size()];
  driver.loop.Start(driver.local.at(slot->client), &slot->call);
}

void Runner::H2Answered(H2Driver& driver, H2Slot* slot) {
  const H2Call& call = slot->call;
  Answer(*driver.tally, *slot->payload, slot->client, slot->intended,
         call.status, [&call](google::protobuf::MessageLite* message) {
           const std::string_view bytes = call.message();
           return message->ParseFromArray(bytes.data(),
                                          static_cast<int>(bytes.size()));
         });
  const Clock::time_point now = Clock::now();
  if (const Payload* payload = Take(now); payload != nullptr) {
    StartH2(slot, payload, now);
  }
}

absl::Status Runner::ConnectH2() {
  const int loops = std::max(1, config_.threads);
  for (int t = 0; t < loops; ++t) {
    h2_drivers_.push_back(
        std::make_unique<H2Driver>(this, tallies_[t].get()));
  }
  // The probe: ListActivations, an empty request, on every connection.
  struct Probe final : H2Handler {
    void Answered(H2Call* /*call*/) override {}
  } probe;
  const auto connect_timeout = absl::ToChronoNanoseconds(
      std::min(config_.timeout, absl::Seconds(5)));
  for (std::size_t c = 0; c < client_target_.size(); ++c) {
    const H2Address& address = h2_targets_[client_target_[c]];
    const std::string& target = config_.targets[client_target_[c]];
    {
      H2Loop check(&probe);
      absl::StatusOr<int> index = check.AddConnection(address, connect_timeout);
      if (!index.ok()) {
        return WithTarget(target, index.status());
      }
      const H2Request list(kListMethod, address.authority, "",
                           connect_timeout);
      H2Call call;
      call.request = &list;
      check.Start(*index, &call);
      check.Run();
      if (!call.status.ok()) {
        return WithTarget(target, call.status);
      }
    }
    H2Driver& driver = *h2_drivers_[c % h2_drivers_.size()];
    absl::StatusOr<int> index =
        driver.loop.AddConnection(address, connect_timeout);
    if (!index.ok()) {
      return WithTarget(target, index.status());
    }
    driver.local[static_cast<int>(c)] = *index;
  }
  return absl::OkStatus();
}

void Runner::Release() {
  // Lock-free but for the two moments a waiter in Run cares about: the last
  // request out (Drained) and the open loop's cap freed (BelowCap). Those
  // decrements happen under mu_, so that Await re-checks its condition and
  // Run cannot see zero (and destroy this object) before this call is done
  // with it.
  int64_t now = in_flight_.load(std::memory_order_relaxed);
  while (now != 1 && now != config_.max_in_flight) {
    if (in_flight_.compare_exchange_weak(now, now - 1,
                                         std::memory_order_acq_rel)) {
      return;
    }
  }
  absl::MutexLock lock(&mu_);
  in_flight_.fetch_sub(1, std::memory_order_acq_rel);
}

void Runner::NextOnStream(int worker) {
  if (config_.rps > 0) return;  // open loop: the scheduler sends
  const Clock::time_point now = Clock::now();
  const Payload* payload = Take(now);
  if (payload == nullptr) {
    streams_[worker]->Close();
    return;
  }
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  streams_[worker]->Send(payload, now);
}

void Runner::Complete(Tally& tally, const Payload& payload, int client,
                      Clock::time_point intended, const absl::Status& status,
                      const v1::ComputeResponse* const* responses, int n) {
  const Clock::time_point now = Clock::now();
  const bool measured = intended >= measure_start_;
  Verdict verdict;
  if (measured && status.ok() && verifier_ != nullptr) {
    // Outside the lock: the comparison is the expensive part.
    for (int i = 0; i < n; ++i) {
      Verdict one = verifier_->Check(*responses[i], payload.expected);
      verdict.values += one.values;
      KeepWorst(one.worst_ulp, &verdict.worst_ulp);
      if (verdict.problem.empty()) verdict.problem = std::move(one.problem);
    }
  }
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - intended)
          .count();
  tally.Record(now, nanos, live_progress_, measured, client_target_[client],
               status, payload,
               verifier_ != nullptr && status.ok() ? &verdict : nullptr);
}

void Runner::ReportProgress(std::ostream* out,
                            const absl::Notification* stop) {
  const absl::Duration every = config_.progress_interval;
  Clock::time_point last = start_;
  for (int k = 1;; ++k) {
    const Clock::time_point due = start_ + absl::ToChronoNanoseconds(every * k);
    if (stop->WaitForNotificationWithTimeout(
            absl::FromChrono(due - Clock::now()))) {
      return;
    }
    const Clock::time_point now = Clock::now();
    ProgressSample sample;
    sample.elapsed = absl::FromChrono(now - start_);
    sample.interval = absl::FromChrono(now - last);
    sample.warmup = last + (now - last) / 2 < measure_start_;  // mostly
    last = now;
    for (const auto& tally : tallies_) tally->TakeInterval(&sample);
    *out << FormatProgress(sample) << std::endl;
  }
}

void Runner::StreamFinished(StreamWorker* /*worker*/) {
  absl::MutexLock lock(&mu_);
  --live_streams_;
}

LoadResult Runner::Run(std::ostream* progress) {
  start_ = Clock::now();
  measure_start_ = start_ + absl::ToChronoNanoseconds(config_.warmup);
  end_ = config_.duration > absl::ZeroDuration()
             ? measure_start_ + absl::ToChronoNanoseconds(config_.duration)
             : Clock::time_point::max();
  for (const auto& tally : tallies_) tally->StartMeasuring(measure_start_);
  live_progress_ =
      progress != nullptr && config_.progress_interval > absl::ZeroDuration();
  absl::Notification stop_progress;
  std::thread progress_thread;
  if (live_progress_) {
    progress_thread =
        std::thread([&] { ReportProgress(progress, &stop_progress); });
  }
  const bool open_loop = config_.rps > 0;
  const bool stream = config_.rpc == LoadRpc::kStream;
  const int workers = config_.concurrency;
  const int threads = config_.threads;
  const int tallies = static_cast<int>(tallies_.size());
  const bool h2 = !h2_targets_.empty();
  const int clients = static_cast<int>(h2 ? client_target_.size()
                                          : clients_.size());
  std::vector<std::thread> pollers;
  if (h2) {
    // The loops start below, once every worker's first call is queued.
  } else if (stream) {
    // The stream's deadline covers the whole run.
    const absl::Duration life =
        config_.warmup +
        (config_.duration > absl::ZeroDuration() ? config_.duration
                                                 : absl::Hours(24)) +
        config_.timeout;
    for (int w = 0; w < workers; ++w) {
      const int client = w % clients;
      auto worker = std::make_unique<StreamWorker>(
          this, tallies_[w % tallies].get(), client, w);
      worker->context()->set_deadline(absl::ToChronoTime(absl::Now() + life));
      clients_[client]->stub().async()->ComputeStream(worker->context(),
                                                      worker.get());
      worker->Begin();
      streams_.push_back(std::move(worker));
    }
    absl::MutexLock lock(&mu_);
    live_streams_ = workers;
  } else {
    for (int q = 0; q < threads; ++q) {
      queues_.push_back(std::make_unique<grpc::CompletionQueue>());
    }
    for (int q = 0; q < threads; ++q) {
      pollers.emplace_back([this, q] { Poll(q); });
    }
  }
  if (progress != nullptr && config_.warmup > absl::ZeroDuration()) {
    *progress << "actload: warming up for " << config_.warmup << "\n";
  }
  rusage usage_start{};
  bool usage_taken = false;
  const auto take_usage = [&] {
    if (!usage_taken && Clock::now() >= measure_start_) {
      getrusage(RUSAGE_SELF, &usage_start);
      usage_taken = true;
      if (progress != nullptr) *progress << "actload: measuring\n";
    }
  };
  if (!open_loop) {
    for (int w = 0; w < workers; ++w) {
      const Payload* payload = Take(Clock::now());
      if (payload == nullptr) {
        if (stream) streams_[w]->Close();
        continue;
      }
      if (h2) {
        auto slot = std::make_unique<H2Slot>();
        slot->client = w % clients;
        slot->call.user = slot.get();
        StartH2(slot.get(), payload, Clock::now());
        h2_slots_.push_back(std::move(slot));
      } else if (stream) {
        in_flight_.fetch_add(1, std::memory_order_relaxed);
        streams_[w]->Send(payload, Clock::now());
      } else {
        auto call = std::make_unique<UnaryCall>();
        call->client = w % clients;
        call->queue = w % tallies;
        call->worker = w;
        StartUnary(call.get(), payload, Clock::now());
        slots_.push_back(std::move(call));
      }
    }
    // The h2 engine: each loop runs until its workers find nothing to take.
    for (auto& driver : h2_drivers_) {
      pollers.emplace_back([d = driver.get()] { d->loop.Run(); });
    }
    // The workers drive themselves from their completions; this thread only
    // notes when the measured phase begins (for the CPU figure).
    std::this_thread::sleep_until(measure_start_);
    take_usage();
  } else {
    const auto interval = std::chrono::duration<double>(1.0 / config_.rps);
    uint64_t late = 0;
    for (uint64_t k = 0;; ++k) {
      const Clock::time_point intended =
          start_ + std::chrono::duration_cast<Clock::duration>(interval * k);
      if (Clock::now() < intended) std::this_thread::sleep_until(intended);
      take_usage();
      const Clock::time_point now = Clock::now();
      const Payload* payload = Take(intended);
      if (payload == nullptr) break;
      if (intended >= measure_start_ && now - intended > kLateSend) ++late;
      {
        // Bound the memory in flight; the wait shows up in the latency.
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Runner::BelowCap));
      }
      if (stream) {
        in_flight_.fetch_add(1, std::memory_order_relaxed);
        streams_[k % workers]->Send(payload, intended);
      } else {
        auto* call = new UnaryCall;  // freed by its poller once answered
        call->client = static_cast<int>(k % clients);
        call->queue = static_cast<int>(k % tallies);
        StartUnary(call, payload, intended);
      }
    }
    for (auto& s : streams_) s->Close();
    late_sends_ = late;
  }
  if (!usage_taken) {
    getrusage(RUSAGE_SELF, &usage_start);
    usage_taken = true;
  }
  if (h2) {
    for (std::thread& loop : pollers) loop.join();
    pollers.clear();
  }
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Runner::Drained));
  }
  rusage usage_end{};
  getrusage(RUSAGE_SELF, &usage_end);
  // Every call is answered: the queues drain at once and their threads end.
  for (auto& queue : queues_) queue->Shutdown();
  for (std::thread& poller : pollers) poller.join();
  slots_.clear();
  if (progress_thread.joinable()) {
    stop_progress.Notify();
    progress_thread.join();
  }
  LoadResult result =
      Tally::Merge(tallies_, config_.targets.size(), measure_start_);
  result.engine = h2 ? LoadEngine::kH2 : LoadEngine::kGrpc;
  result.late_sends = late_sends_;
  result.cpu_user = CpuTime(usage_end.ru_utime) - CpuTime(usage_start.ru_utime);
  result.cpu_system =
      CpuTime(usage_end.ru_stime) - CpuTime(usage_start.ru_stime);
  return result;
}

}  // namespace
}  // namespace actload_internal

absl::StatusOr<LoadResult> RunLoad(const LoadConfig& config,
                                   std::ostream* progress) {
  if (absl::Status s = ValidateLoadConfig(config); !s.ok()) return s;

  // The local catalogue checks the call only when it is needed to verify;
  // otherwise the server is the judge (actload can load a newer server).
  std::optional<Verifier> verifier;
  if (config.verify) {
    absl::StatusOr<Verifier> made = Verifier::Create(config);
    if (!made.ok()) return made.status();
    verifier = *std::move(made);
  }

  absl::StatusOr<LoadEngine> engine = ResolveLoadEngine(config);
  if (!engine.ok()) return engine.status();
  std::vector<H2Address> h2_targets;
  if (*engine == LoadEngine::kH2) {
    for (const std::string& target : config.targets) {
      h2_targets.push_back(*ParseH2Target(target));  // checked by Resolve
      h2_targets.back().send_buffer = config.unix_send_buffer;
      h2_targets.back().max_frame_size = config.h2_max_frame_size;
    }
  }

  std::vector<std::unique_ptr<ActivationClient>> clients;
  std::vector<int> client_target;
  const int connections =
      std::max<int>(config.connections, static_cast<int>(config.targets.size()));
  for (int i = 0; i < connections; ++i) {
    const int t = i % static_cast<int>(config.targets.size());
    if (!h2_targets.empty()) {  // the h2 engine connects in ConnectH2
      client_target.push_back(t);
      continue;
    }
    ClientOptions options{.target = config.targets[t],
                          .timeout = config.timeout,
                          .max_attempts = 1,  // a load test counts failures
                          .tls = config.tls,
                          .own_connections = true,
                          .minimal_stack = true,
                          .unix_send_buffer = config.unix_send_buffer};
    absl::StatusOr<std::unique_ptr<ActivationClient>> client =
        ActivationClient::Create(options);
    if (!client.ok()) return client.status();
    // Connect now and fail fast: a typo in --target should not run a long
    // test of nothing.
    absl::StatusOr<v1::ListActivationsResponse> probe =
        (*client)->ListActivations({.timeout = std::min(config.timeout,
                                                        absl::Seconds(5))});
    if (!probe.ok()) {
      return actload_internal::WithTarget(config.targets[t], probe.status());
    }
    clients.push_back(*std::move(client));
    client_target.push_back(t);
  }

  const Verifier* const v = verifier ? &*verifier : nullptr;
  std::vector<actload_internal::Payload> payloads =
      actload_internal::BuildPayloads(config, v, h2_targets);
  const bool h2 = !h2_targets.empty();
  actload_internal::Runner runner(config, std::move(clients),
                                 std::move(client_target), std::move(payloads),
                                 v, std::move(h2_targets));
  if (h2) {
    if (absl::Status s = runner.ConnectH2(); !s.ok()) return s;
  }
  return runner.Run(progress);
}

}  // namespace activation::client
