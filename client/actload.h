// actload: the load generator, as a library (actload_main.cc only reads
// flags). Modelled on ghz and wrk2:
//
// - Closed loop: `concurrency` requests in flight at all times (unary, batch),
//   or `concurrency` streams with one message in flight each (stream); a new
//   request leaves when one completes. Measures the server's capacity.
// - Open loop (`rps` > 0): requests leave at fixed intended times
//   start + k / rps whatever the server does, and latency is measured from
//   the *intended* send time, so a stalled server shows its queueing delay
//   instead of hiding it (wrk2's coordinated-omission correction).
//
// Asynchronous throughout, no thread per request, so a 2-core machine can
// drive the server rather than itself. Two engines (LoadEngine): h2, gRPC
// over HTTP/2 spoken with nghttp2 on one event loop per thread (unary and
// batch, closed loop, plaintext; the default where it applies), and gRPC's
// C++ client: its callback API, or for unary and batch calls with
// `threads` > 0, completion queues polled by that many threads of actload's
// own. The run is bounded by `duration` and/or `total`; every call has a
// deadline.
//
// This header is the API; the implementation is cut along its jobs, each
// file readable alone: the options (actload_config.cc), the payloads
// (actload_payload.cc), the run loop and the engines' glue
// (actload_runner.cc), the h2 engine (actload_h2.h), the streams
// (actload_stream.h), the tallies (actload_tally.cc), verification of the
// answers (actload_verify.h) and the reports (actload_report.h); the types
// they share, actload_internal.h.
#ifndef CLIENT_ACTLOAD_H_
#define CLIENT_ACTLOAD_H_

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "activation/v1/activation.pb.h"
#include "client/activation_client.h"
#include "client/cli_parse.h"
#include "client/histogram.h"
#include "client/tensor_codec.h"

namespace activation::client {

enum class LoadRpc { kUnary, kBatch, kStream };
absl::StatusOr<LoadRpc> ParseLoadRpc(std::string_view text);
std::string LoadRpcName(LoadRpc rpc);

// How calls are made.
// - kH2: gRPC spoken directly over HTTP/2 with nghttp2 (actload_h2.h), one
//   event loop per thread: a third of the gRPC C++ client's instructions per
//   call, which on a machine shared with the server go to the server.
//   Unary and batch, closed loop, plaintext TCP or unix: targets.
// - kGrpc: gRPC's C++ client (TLS, streams, open loop, any target syntax).
// - kAuto: kH2 where the run allows it, else kGrpc.
enum class LoadEngine { kAuto, kH2, kGrpc };
absl::StatusOr<LoadEngine> ParseLoadEngine(std::string_view text);
std::string LoadEngineName(LoadEngine engine);

struct LoadConfig {
  // Servers; each a ClientOptions::target (host:port, unix:/path, or a list
  // inside one entry, balanced by gRPC). Connections are spread over the
  // entries round robin.
  std::vector<std::string> targets = {"127.0.0.1:50051"};
  // Independent HTTP/2 connections (raised to targets.size() if smaller).
  int connections = 1;
  // Closed loop: requests (unary/batch) or streams (stream) in flight.
  // Open loop, stream: number of streams the messages are spread over.
  int concurrency = 8;
  // Engine grpc, unary and batch: 0 = gRPC's callback API (answers handled
  // on gRPC's own threads); N > 0 = completion queues polled by N threads of actload's own
  // (calls spread over them; streams record into as many shares). In [0, 64]
  // (--threads). The queues cost ~15% less CPU per call, but every answer is
  // a hand-off to the polling thread: when actload's threads share one busy
  // core they reach a third of the callback API's rate (docs/client.md), so
  // the callback API is the default.
  int threads = 0;
  // kH2: the event loops are max(1, threads) threads; connections are
  // spread over them, the `concurrency` calls over the connections.
  LoadEngine engine = LoadEngine::kAuto;
  // > 0: open loop at this many requests per second.
  double rps = 0;
  // Length of the measured phase; and/or the number of measured requests
  // (0 = no limit). At least one must be set.
  absl::Duration duration = absl::Seconds(10);
  uint64_t total = 0;
  // Load before measuring (not recorded): connections warm, caches hot.
  absl::Duration warmup = absl::ZeroDuration();
  LoadRpc rpc = LoadRpc::kUnary;
  int batch_items = 8;  // kBatch: requests per ComputeBatch
  SizeMix sizes = {{1024}, {1}};
  std::string function = "sigmoid";
  std::map<std::string, double> params;
  v1::Mode mode = v1::MODE_FORWARD;
  v1::DType dtype = v1::DTYPE_FLOAT32;
  Encoding encoding = Encoding::kRaw;
  // Deadline of each call (a stream's covers the whole run).
  absl::Duration timeout = absl::Seconds(10);
  // Compare every response with activations::reference, element by element,
  // against the catalogue's ULP bound.
  bool verify = false;
  // Inputs are uniform in [-input_range, input_range], from `seed`.
  double input_range = 8;
  uint64_t seed = 1;
  // Open loop: most requests in flight; beyond it sending waits (latency is
  // still measured from the intended time, so the wait shows).
  int max_in_flight = 20000;
  TlsOptions tls;
  // unix: targets (both engines): SO_SNDBUF of each connection's socket, bytes
  // (capped by the kernel at net.core.wmem_max); 0: the kernel's default
  // (208 KiB), which sends a 4 MiB request in ~70 KiB pieces, a server
  // wake-up each. 256 KiB to 1 MiB on both ends took 10-20 % less CPU per
  // call, client and server together, at 64 Ki and 1 Mi values
  // (docs/benchmarks.md, "Session 21: Unix socket send buffers"); 4 MiB did
  // not at 1 Mi. In [0, 64 MiB].
  int unix_send_buffer = 1 << 20;
  // Engine h2: SETTINGS_MAX_FRAME_SIZE announced to the server (the largest
  // DATA frame of a response), in [16384, 16777215]; 0: not announced
  // (HTTP/2's 16 KiB default, as h2load).
  int h2_max_frame_size = 0;
  // > 0: a ProgressSample every this long, for live progress; 0: none.
  absl::Duration progress_interval = absl::ZeroDuration();
};

// What happened during one progress interval (warm-up included).
struct ProgressSample {
  absl::Duration elapsed;   // since the run started
  absl::Duration interval;  // length of this sample
  bool warmup = false;      // most of the interval was warm-up
  uint64_t ok = 0;
  uint64_t errors = 0;
  LatencyHistogram latency;  // of the requests completed in the interval
};

// INVALID_ARGUMENT naming the bad field, or OK.
absl::Status ValidateLoadConfig(const LoadConfig& config);

// The engine `config` runs on: kAuto resolved. INVALID_ARGUMENT if kH2 was
// asked for with an option only kGrpc serves (naming the option and the
// valid choices).
absl::StatusOr<LoadEngine> ResolveLoadEngine(const LoadConfig& config);

struct LoadResult {
  // The engine that ran (kH2 or kGrpc; kAuto resolved).
  LoadEngine engine = LoadEngine::kGrpc;
  // Requests completed in the measured phase (a batch counts once; a stream
  // message counts once).
  uint64_t ok = 0;
  uint64_t errors = 0;
  std::map<std::string, uint64_t> errors_by_code;  // "UNAVAILABLE" -> n
  std::string first_error;                          // for the report
  // --verify: responses with at least one value outside the bound, and the
  // number of values checked.
  uint64_t wrong = 0;
  uint64_t verified_values = 0;
  double worst_ulp = 0;
  std::string first_wrong;
  // Elements computed (input values) and tensor payload bytes (input + grad
  // sent, output + derivative received) of the successful requests.
  uint64_t elements = 0;
  uint64_t payload_bytes = 0;
  // Measured-phase wall time: from its start to the last completion.
  absl::Duration elapsed = absl::ZeroDuration();
  // Every completed request, and the successful ones alone (under overload a
  // server refuses fast: the refusals would hide the accepted calls' wait).
  LatencyHistogram latency;
  LatencyHistogram ok_latency;
  // Requests sent per targets[i] (measured phase).
  std::vector<uint64_t> per_target;
  // This process's CPU time (getrusage: user + system, every thread) over
  // the measured phase.
  absl::Duration cpu_user = absl::ZeroDuration();
  absl::Duration cpu_system = absl::ZeroDuration();
  // Open loop: requests whose send was late by > 1 ms (the generator, not
  // the server, fell behind).
  uint64_t late_sends = 0;

  double Seconds() const { return absl::ToDoubleSeconds(elapsed); }
  double RequestsPerSecond() const;
  double CpuMicrosPerRequest() const;
};

// Runs the load. Errors: INVALID_ARGUMENT for a bad config (or a function,
// parameter or mode the local catalogue rejects when verifying);
// UNAVAILABLE or another server status if the first call to any target
// fails (the message says which target), so a typo does not run a long
// test of nothing. RPC errors during the run are counted, not returned.
// `progress`, if set, gets one line per phase, and with
// `progress_interval` > 0 one FormatProgress line per interval.
absl::StatusOr<LoadResult> RunLoad(const LoadConfig& config,
                                   std::ostream* progress = nullptr);

}  // namespace activation::client

#endif  // CLIENT_ACTLOAD_H_
