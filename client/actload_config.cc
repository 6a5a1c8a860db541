// actload's options: parsing and naming the --rpc and --engine choices,
// validating a LoadConfig, choosing the engine a run goes on, and
// LoadResult's derived rates -- the value types of actload.h, with no
// connection, thread or clock. Running the load is actload_runner.cc's job;
// which targets the h2 engine can reach, actload_h2's (ParseH2Target).
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/actload.h"
#include "client/actload_h2.h"

namespace activation::client {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// Each choice's flag spelling, the first being the default's (and the name
// of a value outside the enum).
template <typename E>
struct Choice {
  E value;
  std::string_view name;
};
constexpr Choice<LoadRpc> kRpcs[] = {{LoadRpc::kUnary, "unary"},
                                     {LoadRpc::kBatch, "batch"},
                                     {LoadRpc::kStream, "stream"}};
constexpr Choice<LoadEngine> kEngines[] = {{LoadEngine::kAuto, "auto"},
                                           {LoadEngine::kH2, "h2"},
                                           {LoadEngine::kGrpc, "grpc"}};

// `text` (any case) as one of `choices`; INVALID_ARGUMENT naming `what`, the
// text and the valid choices otherwise.
template <typename E, std::size_t N>
absl::StatusOr<E> ParseChoice(const Choice<E> (&choices)[N],
                              std::string_view what, std::string_view text) {
  const std::string t = absl::AsciiStrToLower(Absl(text));
  std::vector<absl::string_view> names;
  for (const Choice<E>& c : choices) {
    if (t == c.name) return c.value;
    names.push_back(Absl(c.name));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Absl(what), " '", Absl(text), "' is not one of ",
                   absl::StrJoin(names, ", ")));
}

template <typename E, std::size_t N>
std::string ChoiceName(const Choice<E> (&choices)[N], E value) {
  for (const Choice<E>& c : choices) {
    if (c.value == value) return std::string(c.name);
  }
  return std::string(choices[0].name);
}

}  // namespace

absl::StatusOr<LoadRpc> ParseLoadRpc(std::string_view text) {
  return ParseChoice(kRpcs, "rpc", text);
}

std::string LoadRpcName(LoadRpc rpc) { return ChoiceName(kRpcs, rpc); }

absl::StatusOr<LoadEngine> ParseLoadEngine(std::string_view text) {
  return ParseChoice(kEngines, "engine", text);
}

std::string LoadEngineName(LoadEngine engine) {
  return ChoiceName(kEngines, engine);
}

absl::StatusOr<LoadEngine> ResolveLoadEngine(const LoadConfig& c) {
  if (c.engine == LoadEngine::kGrpc) return LoadEngine::kGrpc;
  std::string needs_grpc;
  if (c.rpc == LoadRpc::kStream) {
    needs_grpc = "--rpc=stream needs --engine=grpc";
  } else if (c.rps > 0) {
    needs_grpc = "--rps (the open loop) needs --engine=grpc";
  } else if (c.tls.enabled) {
    needs_grpc = "TLS needs --engine=grpc";
  } else {
    for (const std::string& target : c.targets) {
      if (absl::StatusOr<H2Address> a = ParseH2Target(target); !a.ok()) {
        needs_grpc = std::string(a.status().message());
        break;
      }
    }
  }
  if (needs_grpc.empty()) return LoadEngine::kH2;
  if (c.engine == LoadEngine::kAuto) return LoadEngine::kGrpc;
  return absl::InvalidArgumentError(absl::StrCat(
      "--engine=h2: ", needs_grpc,
      " (valid engines: auto, h2 for unary/batch closed-loop plaintext "
      "calls, grpc for everything)"));
}

double LoadResult::RequestsPerSecond() const {
  const double s = Seconds();
  return s > 0 ? static_cast<double>(ok + errors) / s : 0;
}

double LoadResult::CpuMicrosPerRequest() const {
  const uint64_t n = ok + errors;
  return n > 0 ? absl::ToDoubleMicroseconds(cpu_user + cpu_system) / n : 0;
}

absl::Status ValidateLoadConfig(const LoadConfig& c) {
  const auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(parts...));
  };
  if (c.targets.empty()) return bad("--target: at least one server needed");
  if (c.connections < 1 || c.connections > 1024) {
    return bad("--connections=", c.connections, " is outside [1, 1024]");
  }
  if (c.concurrency < 1 || c.concurrency > 100000) {
    return bad("--concurrency=", c.concurrency, " is outside [1, 100000]");
  }
  if (c.threads < 0 || c.threads > 64) {
    return bad("--threads=", c.threads, " is outside [0, 64]");
  }
  if (c.rps < 0 || !std::isfinite(c.rps) || c.rps > 1e7) {
    return bad("--rps=", c.rps, " is outside [0, 1e7]");
  }
  if (c.duration < absl::ZeroDuration() ||
      (c.duration == absl::ZeroDuration() && c.total == 0)) {
    return bad("--duration=", absl::FormatDuration(c.duration), " --total=",
               c.total, ": give a positive duration or total (bounded runs only)");
  }
  if (c.warmup < absl::ZeroDuration()) return bad("--warmup must be >= 0");
  if (c.batch_items < 1) return bad("--batch_items=", c.batch_items, " < 1");
  if (c.sizes.sizes.empty()) return bad("--size: empty");
  if (c.timeout <= absl::ZeroDuration()) return bad("--timeout must be > 0");
  if (c.function.empty()) return bad("--function: empty");
  if (c.max_in_flight < 1) return bad("--max_in_flight must be >= 1");
  if (c.unix_send_buffer < 0 || c.unix_send_buffer > (64 << 20)) {
    return bad("--unix_send_buffer must be in [0, 64 MiB]");
  }
  if (c.h2_max_frame_size != 0 &&
      (c.h2_max_frame_size < (1 << 14) || c.h2_max_frame_size > (1 << 24) - 1)) {
    return bad("--h2_max_frame_size must be 0 or in [16384, 16777215]");
  }
  if (c.mode == v1::MODE_UNSPECIFIED) return bad("--mode: unspecified");
  return absl::OkStatus();
}

}  // namespace activation::client
