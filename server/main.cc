// actserver: serves activation.v1.ActivationService over gRPC.
//
// Parses flags, starts the server through ActivationServer::Start (the same
// function the integration tests use), and waits for SIGTERM or SIGINT; then
// drains -- health NOT_SERVING for --drain_delay while still serving, then
// new RPCs refused and those in flight given --shutdown_grace to finish --
// prints what it served, and exits 0.
#include <pthread.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "activations/evaluate.h"
#include "server/byte_size.h"
#include "server/malloc_policy.h"
#include "server/server_builder.h"
#include "server/system_memory.h"

// A flag holding a size in bytes: "1073741824", "512MiB", "1GiB".
struct ByteSizeFlag {
  std::size_t bytes = 0;
};
bool AbslParseFlag(absl::string_view text, ByteSizeFlag* flag,
                   std::string* error) {
  absl::StatusOr<std::size_t> bytes = actserver::ParseByteSize(text);
  if (!bytes.ok()) {
    *error = std::string(bytes.status().message());
    return false;
  }
  flag->bytes = *bytes;
  return true;
}
std::string AbslUnparseFlag(ByteSizeFlag flag) {
  return actserver::FormatByteSize(flag.bytes);
}

ABSL_FLAG(int, port, 50051,
          "TCP port to listen on; 0 lets the kernel choose (the start-up line "
          "prints the port chosen)");
ABSL_FLAG(std::string, address, "0.0.0.0",
          "Address to bind: 0.0.0.0 (all IPv4), :: (all), 127.0.0.1, ...");
ABSL_FLAG(int, threads, 0, "Compute threads; 0 means all cores");
ABSL_FLAG(int, compute_nice, 5,
          "Compute threads run this much nicer than the process (0..19): "
          "under a saturated CPU, health checks and refusals go first");
ABSL_FLAG(std::uint64_t, parallel_threshold, std::uint64_t{1} << 18,
          "A call with fewer input values than this is computed on the gRPC "
          "thread that received it; larger ones go to the compute threads "
          "(split across them as --split_busy_calls says)");
ABSL_FLAG(bool, split_busy_calls, false,
          "Split a call at or above --parallel_threshold across the compute "
          "threads even while other calls are being received, computed or "
          "sent; false: only a call alone is split (one call in flight "
          "finishes sooner), others run whole on one compute thread (fewer "
          "hand-offs under load)");
ABSL_FLAG(int, max_message_bytes, 64 << 20,
          "Largest request accepted, in bytes (RESOURCE_EXHAUSTED above)");
ABSL_FLAG(std::uint64_t, max_elements, std::uint64_t{1} << 24,
          "Most input values per call, summed over a batch "
          "(RESOURCE_EXHAUSTED above)");
ABSL_FLAG(std::uint64_t, max_batch_items, 1 << 16,
          "Most items in one ComputeBatch (RESOURCE_EXHAUSTED above)");
ABSL_FLAG(std::string, unix_socket, "",
          "Also listen on this Unix domain socket path (clients use "
          "unix:PATH); empty for none");
ABSL_FLAG(ByteSizeFlag, unix_send_buffer, ByteSizeFlag{1 << 20},
          "SO_SNDBUF of the --unix_socket listener's connections, e.g. 4MiB "
          "(capped by net.core.wmem_max); 0 keeps the kernel's default "
          "(net.core.wmem_default). TCP keeps its autotuning");
ABSL_FLAG(std::vector<std::string>, grpc_arg, {},
          "Integer gRPC channel arguments set over the server's own, "
          "NAME=VALUE,... (e.g. grpc.http2.lookahead_bytes=4194304): for "
          "experiments with gRPC's transport");
ABSL_FLAG(ByteSizeFlag, memory_budget, ByteSizeFlag{},
          "Bytes of requests and responses held at once, e.g. 768MiB; a call "
          "that does not fit is refused at once with RESOURCE_EXHAUSTED. 0: "
          "half the container's memory limit (cgroup), or of the machine's "
          "memory");
ABSL_FLAG(std::uint64_t, max_queued_elements, std::uint64_t{1} << 25,
          "Input values admitted and not yet computed, at most "
          "(RESOURCE_EXHAUSTED above): bounds the wait of an admitted call");
ABSL_FLAG(absl::Duration, idle_release_after, absl::Seconds(5),
          "After this long without a call, idle response buffers and "
          "malloc's free memory go back to the system; 0 to keep them");
ABSL_FLAG(bool, read_gate, true,
          "Read a Compute request only once the memory budget has room for "
          "it, so that a call the server cannot take is refused before its "
          "payload arrives. false: gRPC receives every request first (5-10% "
          "less server CPU per small call; requests being received are then "
          "bounded only by gRPC's resource quota, half the budget)");
ABSL_FLAG(absl::Duration, drain_delay, absl::Seconds(1),
          "On SIGTERM/SIGINT, how long to go on serving with health "
          "NOT_SERVING before refusing new RPCs, so that balancers and "
          "clients watching health move away first (a second signal cuts it "
          "short); 0 to skip");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long RPCs in flight may run before they are "
          "cancelled; keep it below the orchestrator's termination grace "
          "period");
ABSL_FLAG(std::string, metrics_address, "",
          "host:port of the Prometheus /metrics HTTP endpoint, e.g. "
          "0.0.0.0:9464 (port 0: the kernel chooses; the start-up line "
          "prints it), which also answers the probes /healthz (liveness) and "
          "/readyz (readiness: 503 while draining) off gRPC's threads; "
          "empty: none of them");
ABSL_FLAG(std::string, access_log, "",
          "JSON access log, one line per request: a file to append to, or - "
          "for stderr; empty: off");
ABSL_FLAG(bool, channelz, false,
          "Serve gRPC's channelz service (grpc.channelz.v1.Channelz) on the "
          "gRPC port: live channel, server and socket statistics");

ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's certificate chain (leaf first); with "
          "--tls_key, the port serves TLS only. Re-read every "
          "--tls_reload_interval, so rotated certificates need no restart");
ABSL_FLAG(std::string, tls_key, "",
          "PEM file of the private key of --tls_cert (unencrypted)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CAs that sign client certificates: mutual TLS, "
          "clients without a certificate that chains to one are refused");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "How often the TLS files are checked for rotated certificates");
ABSL_FLAG(int, health_port, -1,
          "Also serve grpc.health.v1, and nothing else, in plaintext on this "
          "port: for probes that cannot speak TLS (Kubernetes gRPC probes, "
          "Docker HEALTHCHECK); -1 for none, 0 lets the kernel choose");
ABSL_FLAG(std::string, health_address, "127.0.0.1",
          "Address of --health_port: loopback for probes run inside the "
          "container; 0.0.0.0 for a kubelet probing the pod IP");

// HTTP/2 connection limits (server/transport_limits.h; docs/reliability.md
// measures what each does against which abuse).
ABSL_FLAG(int, max_concurrent_streams, 256,
          "Calls one connection may have open at once (HTTP/2 "
          "SETTINGS_MAX_CONCURRENT_STREAMS); gRPC clients queue the excess");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::InfiniteDuration(),
          "Close a connection that has had no call for this long (GOAWAY; "
          "clients reconnect on their next call); inf for never. A finite "
          "value costs every call ~6% more server CPU (gRPC's max-age "
          "filter)");
ABSL_FLAG(absl::Duration, max_connection_age, absl::InfiniteDuration(),
          "Close every connection after this long (calls in flight get "
          "--max_connection_age_grace), so clients re-resolve and rebalance; "
          "inf for never");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Minutes(5),
          "How long calls in flight may run on a connection closed for age");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(1),
          "Ping a connection that has been silent this long, to find dead "
          "peers; inf for never");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "Close a connection whose keepalive ping is not answered in this");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Minutes(5),
          "Clients may ping at most this often without calls; the third ping "
          "sooner closes the connection (GOAWAY too_many_pings)");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "Close a connection that has not finished its HTTP/2 (and TLS) "
          "handshake in this");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves activation functions over gRPC (activation.v1).\n"
      "Usage: actserver [--port=50051] [--address=0.0.0.0] [--threads=0] ...");
  // --help lists the flags defined in this file (Abseil's default looks for
  // a file named after the program, "actserver.cc", and finds none).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);

  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: every lock -- gRPC's own included, which are absl::Mutex
  // in 1.51 -- walks a lock graph. It is a debugging aid; measured, it cost
  // a fifth of the server's instructions per small call (callgrind).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Before any thread exists (see malloc_policy.h for why and what).
  if (absl::Status malloc = actserver::ApplyMallocPolicy({}); !malloc.ok()) {
    std::fprintf(stderr, "actserver: %s; going on with malloc's defaults\n",
                 malloc.ToString().c_str());
  }

  // Blocked before any thread exists, so every gRPC and oneTBB thread
  // inherits the mask and the signals reach only the sigwait below: the
  // shutdown then runs on an ordinary thread, not in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  actserver::ServerOptions options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = absl::GetFlag(FLAGS_port);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.compute_nice = absl::GetFlag(FLAGS_compute_nice);
  options.parallel_threshold = absl::GetFlag(FLAGS_parallel_threshold);
  options.split_busy_calls = absl::GetFlag(FLAGS_split_busy_calls);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_elements = absl::GetFlag(FLAGS_max_elements);
  options.max_batch_items = absl::GetFlag(FLAGS_max_batch_items);
  options.unix_socket = absl::GetFlag(FLAGS_unix_socket);
  const std::size_t unix_send_buffer =
      absl::GetFlag(FLAGS_unix_send_buffer).bytes;
  // Past INT_MAX it is out of range anyway: Start refuses it by name.
  options.unix_send_buffer = static_cast<int>(
      std::min<std::size_t>(unix_send_buffer, INT_MAX));
  for (const std::string& arg : absl::GetFlag(FLAGS_grpc_arg)) {
    absl::StatusOr<std::pair<std::string, int>> parsed =
        actserver::ParseGrpcIntArg(arg);
    if (!parsed.ok()) {
      std::fprintf(stderr, "actserver: %s\n", parsed.status().ToString().c_str());
      return 2;
    }
    options.grpc_int_args.push_back(*std::move(parsed));
  }
  options.memory_budget = absl::GetFlag(FLAGS_memory_budget).bytes;
  options.max_queued_elements = absl::GetFlag(FLAGS_max_queued_elements);
  options.idle_release_after = absl::GetFlag(FLAGS_idle_release_after);
  options.read_gate = absl::GetFlag(FLAGS_read_gate);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  options.health_port = absl::GetFlag(FLAGS_health_port);
  options.transport.max_concurrent_streams =
      absl::GetFlag(FLAGS_max_concurrent_streams);
  options.transport.max_connection_idle =
      absl::GetFlag(FLAGS_max_connection_idle);
  options.transport.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  options.transport.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace);
  options.transport.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  options.transport.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  options.transport.min_client_ping_interval =
      absl::GetFlag(FLAGS_min_client_ping_interval);
  options.transport.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  options.health_address = absl::GetFlag(FLAGS_health_address);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  options.channelz = absl::GetFlag(FLAGS_channelz);
  absl::StatusOr<std::unique_ptr<actserver::ActivationServer>> server =
      actserver::ActivationServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "actserver: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string unix_note =
      options.unix_socket.empty() ? "" : ", unix:" + options.unix_socket;
  const actserver::MemoryLimit limit = actserver::ProcessMemoryLimit();
  const std::string budget_source =
      options.memory_budget > 0
          ? "--memory_budget"
          : "half of " + limit.source + " " + actserver::HumanBytes(limit.bytes);
  std::fprintf(
      stderr,
      "actserver: listening on %s%s, %d compute threads, SIMD %s, "
      "max_message_bytes %d, max_elements %llu, memory budget %s (%s)\n",
      actserver::JoinHostPort(options.address, (*server)->port()).c_str(),
      unix_note.c_str(), (*server)->threads(),
      std::string(activations::SimdTarget()).c_str(),
      options.max_message_bytes,
      static_cast<unsigned long long>(options.max_elements),
      actserver::HumanBytes((*server)->memory_budget()).c_str(),
      budget_source.c_str());
  // Transport security and the probe port, on a line of their own.
  std::fprintf(stderr, "actserver: %s%s\n",
               !options.tls.enabled() ? "plaintext"
               : options.tls.client_ca_file.empty()
                   ? "TLS"
                   : "mutual TLS (client certificates required)",
               (*server)->health_port() == 0
                   ? ""
                   : (", health-only plaintext port " +
                      actserver::JoinHostPort(options.health_address,
                                              (*server)->health_port()))
                         .c_str());
  if ((*server)->metrics_port() != 0) {
    std::fprintf(stderr,
                 "actserver: metrics on http://%s/metrics (and /healthz, "
                 "/readyz)\n",
                 actserver::JoinHostPort(
                     options.metrics_address.substr(
                         0, options.metrics_address.rfind(':')),
                     (*server)->metrics_port())
                     .c_str());
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  const absl::Duration delay = absl::GetFlag(FLAGS_drain_delay);
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  (*server)->StartDraining();
  std::fprintf(stderr,
               "actserver: %s received, health NOT_SERVING; refusing new RPCs "
               "in %s, in-flight ones get up to %s more\n",
               signal == SIGTERM ? "SIGTERM" : "SIGINT",
               absl::FormatDuration(delay).c_str(),
               absl::FormatDuration(grace).c_str());
  // Without this pause, calls that clients send while the NOT_SERVING news
  // travels reach a server that has begun to shut down, and gRPC cancels
  // them (CANCELLED, which clients do not retry).
  if (delay > absl::ZeroDuration()) {
    const timespec timeout = absl::ToTimespec(delay);
    sigtimedwait(&stop_signals, nullptr, &timeout);
  }
  (*server)->Shutdown(grace);
  std::fprintf(stderr, "actserver: stopped after serving %s\n",
               (*server)->counters().ToString().c_str());
  return 0;
}
