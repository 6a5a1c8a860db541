// actctl: command-line client of activation-service. Reads flags and hands
// them to RunActctl (client/actctl.h), which does the work.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "client/actctl.h"
#include "client/tls_flags.h"

ABSL_FLAG(std::string, target, "localhost:50051",
          "Server address: host:port, unix:/path.sock, a list ip:port,ip:port "
          "or unix:/a,unix:/b (round robin), or a gRPC URI such as "
          "dns:///name:port");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call");
ABSL_FLAG(int, unix_send_buffer, 1 << 20,
          "unix: targets: SO_SNDBUF of the connection in bytes (capped by "
          "net.core.wmem_max); 0 = the kernel's default");
ABSL_FLAG(bool, json, false, "list, compute: print JSON");
ABSL_FLAG(std::string, values, "", "compute: input values, e.g. 1,2,3");
ABSL_FLAG(std::string, values_file, "",
          "compute: file of values (commas or whitespace); - for stdin. "
          "Read from stdin when neither --values nor this is given");
ABSL_FLAG(std::string, grad, "", "compute --mode backward: upstream gradient");
ABSL_FLAG(std::string, mode, "forward",
          "compute: forward, derivative, both or backward");
ABSL_FLAG(std::string, dtype, "f32", "compute: f32 or f64");
ABSL_FLAG(std::string, input_kind, "x",
          "compute: x, or output when the values are y = f(x) "
          "(derivative/backward of sigmoid, tanh, relu, leaky_relu, elu)");
ABSL_FLAG(std::string, encoding, "raw", "compute: raw or packed tensors");
ABSL_FLAG(std::vector<std::string>, param, {},
          "compute, plot: parameters, e.g. beta=1.5,threshold=10");
ABSL_FLAG(std::string, service, "", "health: service name (empty = server)");
ABSL_FLAG(double, from, -5, "plot: left end of x");
ABSL_FLAG(double, to, 5, "plot: right end of x");
ABSL_FLAG(int, points, 401, "plot: points per curve");
ABSL_FLAG(bool, derivative, true, "plot: also draw f' (dashed)");
ABSL_FLAG(std::string, out, "plot.svg", "plot: output SVG file");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(),
          "stats: scrape twice this far apart and show rates over the "
          "interval (0: totals since the server started)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "client of activation-service\n"
      "  actctl list [--json]\n"
      "  actctl compute FUNCTION --values 1,2,3 [--mode both] [--param "
      "beta=1.5] [--dtype f64]\n"
      "  actctl health\n"
      "  actctl plot FUNCTION[:name=value,...]... [--from -5 --to 5] "
      "[--out plot.svg]\n"
      "  actctl stats METRICS_HOST:PORT [--interval 5s]");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  activation::client::ActctlArgs args;
  if (positional.size() < 2) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return activation::client::kExitUsage;
  }
  args.command = positional[1];
  args.operands.assign(positional.begin() + 2, positional.end());
  args.target = absl::GetFlag(FLAGS_target);
  args.timeout = absl::GetFlag(FLAGS_timeout);
  args.unix_send_buffer = absl::GetFlag(FLAGS_unix_send_buffer);
  args.tls = activation::client::TlsFlags();
  args.json = absl::GetFlag(FLAGS_json);
  args.values = absl::GetFlag(FLAGS_values);
  args.values_file = absl::GetFlag(FLAGS_values_file);
  args.grad = absl::GetFlag(FLAGS_grad);
  args.mode = absl::GetFlag(FLAGS_mode);
  args.dtype = absl::GetFlag(FLAGS_dtype);
  args.input_kind = absl::GetFlag(FLAGS_input_kind);
  args.encoding = absl::GetFlag(FLAGS_encoding);
  args.params = absl::GetFlag(FLAGS_param);
  args.service = absl::GetFlag(FLAGS_service);
  args.from = absl::GetFlag(FLAGS_from);
  args.to = absl::GetFlag(FLAGS_to);
  args.points = absl::GetFlag(FLAGS_points);
  args.derivative = absl::GetFlag(FLAGS_derivative);
  args.out = absl::GetFlag(FLAGS_out);
  args.interval = absl::GetFlag(FLAGS_interval);
  return activation::client::RunActctl(args, std::cin, std::cout, std::cerr);
}
