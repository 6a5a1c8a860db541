// actctl: the command-line client, as a library so tests can drive it.
//
//   actctl list [--json]
//   actctl compute FUNCTION (--values 1,2,3 | --values_file F | stdin)
//          [--mode forward|derivative|both|backward --grad ...]
//          [--param beta=1.5] [--dtype f32|f64] [--input_kind x|output] [--json]
//   actctl health [--service NAME]
//   actctl plot FUNCTION[:name=value,...]... --from -5 --to 5 --out plot.svg
//   actctl stats METRICS_HOST:PORT [--interval 5s]
//
// actctl_main.cc reads the flags into ActctlArgs and calls RunActctl. Nothing
// here reads flags.
#ifndef CLIENT_ACTCTL_H_
#define CLIENT_ACTCTL_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "activation/v1/activation.pb.h"
#include "client/activation_client.h"
#include "client/svg_plot.h"
#include "client/tls_files.h"

namespace activation::client {

// Exit codes: 0 success; 1 the server (or the connection) reported an error,
// or `health` found the server not serving; 2 bad command line.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ActctlArgs {
  std::string command;              // list | compute | health | plot | stats
  std::vector<std::string> operands;  // function names after the command

  std::string target = "localhost:50051";
  absl::Duration timeout = absl::Seconds(10);
  TlsFiles tls;  // --tls, --tls_roots, --tls_cert, --tls_key, --tls_server_name
  // unix: targets: SO_SNDBUF of the connection (ClientOptions).
  int unix_send_buffer = ClientOptions{}.unix_send_buffer;

  bool json = false;  // list, compute: JSON instead of a table

  // compute
  std::string values;       // "1,2,3"
  std::string values_file;  // "-" = stdin; used when `values` is empty
  std::string grad;         // backward: upstream gradient, same count
  std::string mode = "forward";
  std::string dtype = "f32";
  std::string input_kind = "x";
  std::string encoding = "raw";
  std::vector<std::string> params;  // "name=value" (also for plot: all curves)

  // health
  std::string service;

  // plot
  double from = -5;
  double to = 5;
  int points = 401;
  bool derivative = true;  // also draw f' (dashed)
  std::string out = "plot.svg";

  // stats: operands[0] is the server's metrics address (--metrics_address);
  // with an interval, two scrapes that far apart give rates.
  absl::Duration interval = absl::ZeroDuration();
};

// Runs one command. Results go to `out`, errors to `err` as "actctl: MESSAGE"
// (the server's message for server errors). `in` is read when compute has
// neither --values nor --values_file, or --values_file is "-".
int RunActctl(const ActctlArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err);

// --- Pieces of the commands, exposed for tests. ---

// The catalogue as an aligned text table, one activation per line.
std::string FormatCatalogTable(const v1::ListActivationsResponse& catalog);

// "name" or "name:p=v,q=w" -> the function and its parameters.
struct PlotCurve {
  std::string function;
  std::map<std::string, double> params;
};
absl::StatusOr<PlotCurve> ParsePlotOperand(const std::string& operand);

// The f (and f') curves of `curves` over `x` as computed by `client`, as plot
// series: f solid, f' dashed in the same colour.
absl::StatusOr<std::vector<PlotSeries>> ComputeCurves(
    const ActivationClient& client, const std::vector<PlotCurve>& curves,
    const std::vector<double>& x, bool derivative);

}  // namespace activation::client

#endif  // CLIENT_ACTCTL_H_
