// actload: load generator for activation-service. Reads flags into a
// LoadConfig, runs it (client/actload.h) and writes the reports.
//
// Exit code: 0 all requests succeeded (and, with --verify, every answer was
// right); 1 some failed or were wrong, or the servers could not be reached;
// 2 bad flags.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/actload.h"
#include "client/actload_report.h"
#include "client/cli_parse.h"
#include "client/svg_plot.h"
#include "client/tls_flags.h"

ABSL_FLAG(std::vector<std::string>, target, {"127.0.0.1:50051"},
          "Servers (host:port or unix:/path), comma-separated; connections "
          "are spread over them round robin and requests over the "
          "connections");
ABSL_FLAG(int, connections, 1, "HTTP/2 connections (at least one per target)");
ABSL_FLAG(int, concurrency, 8,
          "Closed loop: requests in flight (stream: streams, one message in "
          "flight each). Open loop stream: streams to spread messages over");
ABSL_FLAG(int, threads, 0,
          "engine h2: event-loop threads (0 = 1). engine grpc, unary/batch: "
          "0 = gRPC's callback API; N = completion queues polled by N threads "
          "of actload's own (less CPU per call, but slow when its threads "
          "share a busy core)");
ABSL_FLAG(std::string, engine, "auto",
          "h2 = gRPC over HTTP/2 by nghttp2 (a third of gRPC's client CPU per "
          "call; unary/batch, closed loop, plaintext TCP or unix:), grpc = "
          "gRPC's C++ client (TLS, streams, --rps), auto = h2 where possible");
ABSL_FLAG(double, rps, 0,
          "Open loop: send at this fixed rate, latency measured from each "
          "request's intended send time; 0 = closed loop");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "Measured phase length (0 = until --total)");
ABSL_FLAG(uint64_t, total, 0, "Stop after this many measured requests (0 = no limit)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "Unmeasured load first");
ABSL_FLAG(std::string, rpc, "unary", "unary, batch or stream");
ABSL_FLAG(int, batch_items, 8, "batch: requests per ComputeBatch call");
ABSL_FLAG(std::string, size, "1024",
          "Elements per tensor: N, a list N,M (uniform mix) or N:W,M:V "
          "(weighted); Ki/Mi suffixes");
ABSL_FLAG(std::string, function, "sigmoid", "Activation to compute");
ABSL_FLAG(std::vector<std::string>, param, {}, "Parameters, e.g. beta=1.5");
ABSL_FLAG(std::string, mode, "forward", "forward, derivative, both, backward");
ABSL_FLAG(std::string, dtype, "f32", "f32 or f64");
ABSL_FLAG(std::string, encoding, "raw", "raw or packed tensors");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");
ABSL_FLAG(bool, verify, false,
          "Check every response against the reference implementation; wrong "
          "answers are counted and make the exit code 1");
ABSL_FLAG(double, input_range, 8, "Inputs uniform in [-R, R]");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the inputs");
ABSL_FLAG(int, unix_send_buffer, 1 << 20,
          "unix: targets (engines h2 and grpc): SO_SNDBUF of each connection "
          "in bytes "
          "(capped by net.core.wmem_max); 0 = the kernel's default");
ABSL_FLAG(int, h2_max_frame_size, 0,
          "Engine h2: the largest DATA frame the server may send "
          "(SETTINGS_MAX_FRAME_SIZE), 16384..16777215; 0 = not announced "
          "(HTTP/2's default, 16 KiB)");
ABSL_FLAG(int, max_in_flight, 20000, "Open loop: cap on requests in flight");
ABSL_FLAG(std::vector<std::string>, output, {"text"},
          "Reports: text, json or csv (to stdout), or FILE.json / FILE.csv / "
          "FILE.txt; comma-separated");
ABSL_FLAG(std::string, report, "",
          "Write the latency histogram as FILE.svg or FILE.html");
ABSL_FLAG(bool, quiet, false,
          "No progress on stderr (by default, when stderr is a terminal, a "
          "line per second: req/s, errors, p50/p99 of that second)");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(1),
          "Live progress every this long (0 = none)");

namespace {

using activation::client::LoadConfig;

int Usage(const absl::Status& status) {
  std::cerr << "actload: " << status.message() << "\n";
  return 2;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) std::cerr << "actload: cannot write " << path << "\n";
  return static_cast<bool>(file);
}

}  // namespace

int main(int argc, char** argv) {
  namespace ac = activation::client;
  absl::SetProgramUsageMessage(
      "load generator for activation-service\n"
      "  actload --target 127.0.0.1:50051 --concurrency 16 --duration 10s\n"
      "  actload --rps 5000 --size 1024,65536 --rpc stream --verify "
      "--output json");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex lock --
  // gRPC takes several per call -- also updates a deadlock-detection graph:
  // about 8k instructions of a 67k-instruction call (callgrind,
  // docs/client.md). A load generator wants its CPU for the load.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  LoadConfig config;
  config.targets = absl::GetFlag(FLAGS_target);
  config.connections = absl::GetFlag(FLAGS_connections);
  config.concurrency = absl::GetFlag(FLAGS_concurrency);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.rps = absl::GetFlag(FLAGS_rps);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.total = absl::GetFlag(FLAGS_total);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  config.batch_items = absl::GetFlag(FLAGS_batch_items);
  config.function = absl::GetFlag(FLAGS_function);
  config.timeout = absl::GetFlag(FLAGS_timeout);
  config.verify = absl::GetFlag(FLAGS_verify);
  config.input_range = absl::GetFlag(FLAGS_input_range);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  config.unix_send_buffer = absl::GetFlag(FLAGS_unix_send_buffer);
  config.h2_max_frame_size = absl::GetFlag(FLAGS_h2_max_frame_size);
  auto rpc = ac::ParseLoadRpc(absl::GetFlag(FLAGS_rpc));
  auto engine = ac::ParseLoadEngine(absl::GetFlag(FLAGS_engine));
  auto sizes = ac::ParseSizeMix(absl::GetFlag(FLAGS_size));
  auto params = ac::ParseParams(absl::GetFlag(FLAGS_param));
  auto mode = ac::ParseMode(absl::GetFlag(FLAGS_mode));
  auto dtype = ac::ParseDType(absl::GetFlag(FLAGS_dtype));
  auto encoding = ac::ParseEncoding(absl::GetFlag(FLAGS_encoding));
  for (const absl::Status& s : {rpc.status(), engine.status(),
                                sizes.status(), params.status(),
                                mode.status(), dtype.status(),
                                encoding.status()}) {
    if (!s.ok()) return Usage(s);
  }
  config.rpc = *rpc;
  config.engine = *engine;
  config.sizes = *sizes;
  config.params = *params;
  config.mode = *mode;
  config.dtype = *dtype;
  config.encoding = *encoding;
  absl::StatusOr<ac::TlsOptions> tls = ac::LoadTlsFiles(ac::TlsFlags());
  if (!tls.ok()) return Usage(tls.status());
  config.tls = *std::move(tls);
  const bool quiet = absl::GetFlag(FLAGS_quiet);
  if (!quiet && isatty(STDERR_FILENO)) {
    config.progress_interval = absl::GetFlag(FLAGS_progress_interval);
  }
  if (absl::Status s = ac::ValidateLoadConfig(config); !s.ok()) return Usage(s);

  absl::StatusOr<ac::LoadResult> result =
      ac::RunLoad(config, quiet ? nullptr : &std::cerr);
  if (!result.ok()) {
    std::cerr << "actload: " << absl::StatusCodeToString(result.status().code())
              << ": " << result.status().message() << "\n";
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  bool written = true;
  for (const std::string& out : absl::GetFlag(FLAGS_output)) {
    if (out == "text") {
      std::cout << ac::FormatText(config, *result);
    } else if (out == "json") {
      std::cout << ac::FormatJson(config, *result);
    } else if (out == "csv") {
      std::cout << ac::FormatCsv(config, *result);
    } else if (absl::EndsWith(out, ".json")) {
      written &= WriteFile(out, ac::FormatJson(config, *result));
    } else if (absl::EndsWith(out, ".csv")) {
      written &= WriteFile(out, ac::FormatCsv(config, *result));
    } else {
      written &= WriteFile(out, ac::FormatText(config, *result));
    }
  }
  if (const std::string report = absl::GetFlag(FLAGS_report); !report.empty()) {
    std::string svg = ac::RenderLatencySvg(config, *result);
    if (absl::EndsWith(report, ".html")) {
      svg = absl::StrCat(
          "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
          "<title>actload report</title></head><body>\n<pre>",
          ac::XmlEscape(ac::FormatText(config, *result)), "</pre>\n", svg,
          "</body></html>\n");
    }
    written &= WriteFile(report, svg);
  }
  const bool clean = result->errors == 0 && result->wrong == 0 &&
                     result->ok > 0;
  return clean && written ? 0 : 1;
}
