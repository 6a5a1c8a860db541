#include "client/actctl.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli_parse.h"
#include "client/metrics_scrape.h"
#include "client/stats_table.h"
#include "google/protobuf/util/json_util.h"

namespace activation::client {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, std::istream& in) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  return std::string(std::istreambuf_iterator<char>(file), {});
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

// Enough digits to read the same value back: 9 for float32, 17 for float64.
std::string FormatNumber(double v, bool f64) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Two calls, not one with a chosen format: absl::StrFormat checks its format
  // at compile time, and clang rejects a format that is not a constant.
  return f64 ? absl::StrFormat("%.17g", v) : absl::StrFormat("%.9g", v);
}

// JSON has no NaN or infinities: write them as protobuf's JSON mapping does.
std::string JsonNumber(double v, bool f64) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  return FormatNumber(v, f64);
}

std::string JsonArray(const std::vector<double>& values, bool f64) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "", JsonNumber(values[i], f64));
  }
  return out + "]";
}

std::string RangeText(const v1::Range& r) {
  const auto end = [](double v) {
    return std::isinf(v) ? std::string(v > 0 ? "inf" : "-inf")
                         : absl::StrFormat("%g", v);
  };
  return absl::StrCat(r.min_inclusive() ? "[" : "(", end(r.min()), ", ",
                      end(r.max()), r.max_inclusive() ? "]" : ")");
}

absl::StatusOr<std::unique_ptr<ActivationClient>> Connect(
    const ActctlArgs& args) {
  ClientOptions options;
  options.target = args.target;
  options.timeout = args.timeout;
  options.unix_send_buffer = args.unix_send_buffer;
  absl::StatusOr<TlsOptions> tls = LoadTlsFiles(args.tls);
  if (!tls.ok()) return tls.status();
  options.tls = *std::move(tls);
  return ActivationClient::Create(options);
}

absl::Status List(const ActivationClient& client, bool json,
                  std::ostream& out) {
  absl::StatusOr<v1::ListActivationsResponse> catalog =
      client.ListActivations();
  if (!catalog.ok()) return catalog.status();
  if (json) {
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    if (!google::protobuf::util::MessageToJsonString(*catalog, &text, options)
             .ok()) {
      return absl::InternalError("cannot convert the catalogue to JSON");
    }
    out << text;
    return absl::OkStatus();
  }
  out << FormatCatalogTable(*catalog);
  return absl::OkStatus();
}

template <typename T>
absl::Status ComputeTyped(const ActivationClient& client,
                          const ComputeSpec& spec,
                          const std::vector<double>& values,
                          const std::vector<double>& grad, bool json,
                          std::ostream& out) {
  const std::vector<T> input(values.begin(), values.end());
  const std::vector<T> g(grad.begin(), grad.end());
  absl::StatusOr<Values<T>> result =
      client.Compute<T>(spec, std::span<const T>(input), std::span<const T>(g));
  if (!result.ok()) return result.status();
  constexpr bool kF64 = std::is_same_v<T, double>;
  const std::vector<double> output(result->output.begin(),
                                   result->output.end());
  const std::vector<double> derivative(result->derivative.begin(),
                                       result->derivative.end());
  if (json) {
    out << absl::StrCat(
        "{\"function\":\"", spec.function, "\",\"mode\":\"",
        ModeFlagName(spec.mode), "\",\"dtype\":\"", kF64 ? "f64" : "f32",
        "\",\"input\":", JsonArray(values, kF64),
        grad.empty() ? "" : ",\"grad\":", grad.empty() ? "" : JsonArray(grad, kF64),
        ",\"output\":", JsonArray(output, kF64),
        derivative.empty() ? "" : ",\"derivative\":",
        derivative.empty() ? "" : JsonArray(derivative, kF64),
        ",\"max_ulp_error\":", result->max_ulp_error, "}\n");
    return absl::OkStatus();
  }
  // Column titles say what each column holds in this mode.
  std::vector<std::string> titles = {
      spec.input_kind == v1::INPUT_KIND_OUTPUT ? "y" : "x"};
  if (!grad.empty()) titles.push_back("grad");
  switch (spec.mode) {
    case v1::MODE_DERIVATIVE:
      titles.push_back("f'(x)");
      break;
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      titles.push_back("f(x)");
      titles.push_back("f'(x)");
      break;
    case v1::MODE_BACKWARD:
      titles.push_back("grad*f'(x)");
      break;
    default:
      titles.push_back("f(x)");
  }
  constexpr int kWidth = kF64 ? 25 : 17;
  std::string text;
  for (const std::string& t : titles) absl::StrAppendFormat(&text, "%-*s", kWidth, t);
  text = std::string(absl::StripTrailingAsciiWhitespace(text)) + "\n";
  for (std::size_t i = 0; i < output.size(); ++i) {
    std::string row = absl::StrFormat("%-*s", kWidth, FormatNumber(values[i], kF64));
    if (!grad.empty()) {
      absl::StrAppendFormat(&row, "%-*s", kWidth, FormatNumber(grad[i], kF64));
    }
    absl::StrAppendFormat(&row, "%-*s", kWidth, FormatNumber(output[i], kF64));
    if (i < derivative.size()) {
      absl::StrAppend(&row, FormatNumber(derivative[i], kF64));
    }
    absl::StrAppend(&text, absl::StripTrailingAsciiWhitespace(row), "\n");
  }
  absl::StrAppend(&text, "# ", spec.function, " ", ModeFlagName(spec.mode), " ",
                  kF64 ? "f64" : "f32", ", error bound ",
                  result->max_ulp_error, " ULP\n");
  out << text;
  return absl::OkStatus();
}

absl::StatusOr<int> Compute(const ActctlArgs& args,
                            const ActivationClient& client, std::istream& in,
                            std::ostream& out) {
  ComputeSpec spec;
  spec.function = args.operands[0];
  absl::StatusOr<v1::Mode> mode = ParseMode(args.mode);
  absl::StatusOr<v1::DType> dtype = ParseDType(args.dtype);
  absl::StatusOr<v1::InputKind> kind = ParseInputKind(args.input_kind);
  absl::StatusOr<Encoding> encoding = ParseEncoding(args.encoding);
  absl::StatusOr<std::map<std::string, double>> params =
      ParseParams(args.params);
  for (const absl::Status& s : {mode.status(), dtype.status(), kind.status(),
                                encoding.status(), params.status()}) {
    if (!s.ok()) return s;
  }
  spec.mode = *mode;
  spec.input_kind = *kind;
  spec.encoding = *encoding;
  spec.params = *std::move(params);

  std::string text = args.values;
  if (text.empty()) {
    absl::StatusOr<std::string> file =
        ReadFile(args.values_file.empty() ? "-" : args.values_file, in);
    if (!file.ok()) return file.status();
    text = *std::move(file);
  }
  absl::StatusOr<std::vector<double>> values = ParseNumbers(text);
  if (!values.ok()) return values.status();
  absl::StatusOr<std::vector<double>> grad = ParseNumbers(args.grad);
  if (!grad.ok()) return grad.status();
  absl::Status status =
      *dtype == v1::DTYPE_FLOAT64
          ? ComputeTyped<double>(client, spec, *values, *grad, args.json, out)
          : ComputeTyped<float>(client, spec, *values, *grad, args.json, out);
  if (!status.ok()) return status;
  return kExitOk;
}

absl::Status Plot(const ActctlArgs& args, const ActivationClient& client,
                  std::ostream& out) {
  absl::StatusOr<std::map<std::string, double>> common =
      ParseParams(args.params);
  if (!common.ok()) return common.status();
  std::vector<PlotCurve> curves;
  for (const std::string& operand : args.operands) {
    absl::StatusOr<PlotCurve> curve = ParsePlotOperand(operand);
    if (!curve.ok()) return curve.status();
    for (const auto& [name, value] : *common) curve->params.emplace(name, value);
    curves.push_back(*std::move(curve));
  }
  std::vector<double> x(args.points);
  for (int i = 0; i < args.points; ++i) {
    x[i] = args.from + (args.to - args.from) * i / (args.points - 1);
  }
  absl::StatusOr<std::vector<PlotSeries>> series =
      ComputeCurves(client, curves, x, args.derivative);
  if (!series.ok()) return series.status();
  // Initialised, not assigned: assigning short literals to std::string trips
  // GCC 12's false -Wrestrict positive (GCC bug 105329).
  const PlotOptions options{
      .title = absl::StrCat("Activations f(x)",
                            args.derivative ? " (solid) and f'(x) (dashed)" : ""),
      .x_label = "x",
      .y_label = absl::StrCat("f(x)", args.derivative ? ", f'(x)" : "")};
  absl::Status written = WriteFile(args.out, RenderSvg(options, *series));
  if (!written.ok()) return written;
  out << "wrote " << args.out << " (" << curves.size() << " function"
      << (curves.size() == 1 ? "" : "s") << ", " << args.points
      << " points from " << args.from << " to " << args.to << ")\n";
  return absl::OkStatus();
}

absl::StatusOr<int> Health(const ActctlArgs& args,
                           const ActivationClient& client, std::ostream& out) {
  absl::StatusOr<HealthStatus> health = client.Health(args.service);
  if (!health.ok()) return health.status();
  out << HealthStatusName(*health) << "\n";
  return *health == HealthStatus::kServing ? kExitOk : kExitFailure;
}

// Checks what can be checked before connecting, so a typo gets exit code 2.
// Scrapes the metrics endpoint (twice, --interval apart, for rates) and
// prints the table.
absl::Status Stats(const ActctlArgs& args, std::ostream& out) {
  const std::string& target = args.operands[0];
  const auto scrape = [&]() -> absl::StatusOr<std::vector<MetricSample>> {
    absl::StatusOr<std::string> text = FetchMetrics(target, args.timeout);
    if (!text.ok()) return text.status();
    return ParseMetricsText(*text);
  };
  std::optional<std::vector<MetricSample>> before;
  if (args.interval > absl::ZeroDuration()) {
    absl::StatusOr<std::vector<MetricSample>> first = scrape();
    if (!first.ok()) return first.status();
    before = *std::move(first);
    absl::SleepFor(args.interval);
  }
  absl::StatusOr<std::vector<MetricSample>> now = scrape();
  if (!now.ok()) return now.status();
  out << FormatStats(target, *now, before ? &*before : nullptr, args.interval);
  return absl::OkStatus();
}

absl::Status ValidateArgs(const ActctlArgs& args) {
  const std::string& c = args.command;
  if (c != "list" && c != "compute" && c != "health" && c != "plot" &&
      c != "stats") {
    return absl::InvalidArgumentError(absl::StrCat(
        "command '", c, "' is not one of list, compute, health, plot, stats"));
  }
  if (c == "stats" && (args.operands.size() != 1 ||
                       args.interval < absl::ZeroDuration())) {
    return absl::InvalidArgumentError(
        "stats takes the server's metrics address, e.g. actctl stats "
        "127.0.0.1:9464 [--interval 5s]");
  }
  if (c == "compute" && args.operands.size() != 1) {
    return absl::InvalidArgumentError(
        "compute takes one FUNCTION, e.g. actctl compute sigmoid --values 1,2");
  }
  if (c == "plot") {
    if (args.operands.empty()) {
      return absl::InvalidArgumentError(
          "plot takes at least one FUNCTION, e.g. actctl plot sigmoid tanh");
    }
    if (!(args.from < args.to) || !std::isfinite(args.from) ||
        !std::isfinite(args.to)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--from=", args.from, " --to=", args.to,
          ": need finite values with from < to"));
    }
    if (args.points < 2 || args.points > 100000) {
      return absl::InvalidArgumentError(
          absl::StrCat("--points=", args.points, " is outside [2, 100000]"));
    }
  }
  if (c == "compute" || c == "plot") {
    // Malformed option text is a usage error too (exit 2), caught here.
    for (const absl::Status& s :
         {ParseMode(args.mode).status(), ParseDType(args.dtype).status(),
          ParseInputKind(args.input_kind).status(),
          ParseEncoding(args.encoding).status(),
          ParseParams(args.params).status(), ParseNumbers(args.values).status(),
          ParseNumbers(args.grad).status()}) {
      if (!s.ok()) return s;
    }
  }
  if ((c == "list" || c == "health") && !args.operands.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(c, " takes no operands, got '", args.operands[0], "'"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatCatalogTable(const v1::ListActivationsResponse& catalog) {
  // Short property flags keep one activation on one line.
  struct Row {
    std::string name, params, formula, range, props, ulp;
  };
  std::vector<Row> rows = {{"NAME", "PARAMETERS (default, range)", "f(x)",
                            "RANGE OF f", "PROPERTIES", "ULP f32/f64"}};
  for (const v1::ActivationInfo& a : catalog.activations()) {
    Row row;
    row.name = a.name();
    std::vector<std::string> params;
    for (const v1::Parameter& p : a.parameters()) {
      params.push_back(absl::StrFormat("%s=%g %s", p.name(), p.default_value(),
                                       RangeText(p.valid_range())));
    }
    row.params = params.empty() ? "-" : absl::StrJoin(params, "; ");
    row.formula = a.formula();
    row.range = RangeText(a.output_range());
    std::vector<std::string> props;
    const v1::Properties& p = a.properties();
    if (p.bounded_below()) props.push_back("bounded-below");
    if (p.bounded_above()) props.push_back("bounded-above");
    if (p.smooth()) props.push_back("smooth");
    if (p.monotonic()) props.push_back("monotonic");
    if (p.zero_centered()) props.push_back("zero-centred");
    if (p.saturating()) props.push_back("saturating");
    if (a.derivative_from_output()) props.push_back("f'(y)");
    row.props = props.empty() ? "-" : absl::StrJoin(props, ",");
    row.ulp = absl::StrFormat("%g/%g", a.max_ulp_error_float32(),
                              a.max_ulp_error_float64());
    rows.push_back(std::move(row));
  }
  std::size_t w[5] = {0, 0, 0, 0, 0};
  for (const Row& r : rows) {
    w[0] = std::max(w[0], r.name.size());
    w[1] = std::max(w[1], r.params.size());
    w[2] = std::max(w[2], r.formula.size());
    w[3] = std::max(w[3], r.range.size());
    w[4] = std::max(w[4], r.props.size());
  }
  std::string out;
  for (const Row& r : rows) {
    absl::StrAppendFormat(&out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0],
                          r.name, w[1], r.params, w[2], r.formula, w[3],
                          r.range, w[4], r.props, r.ulp);
  }
  absl::StrAppend(&out, "SIMD target: ", catalog.simd_target(), "\n");
  return out;
}

absl::StatusOr<PlotCurve> ParsePlotOperand(const std::string& operand) {
  PlotCurve curve;
  const std::size_t colon = operand.find(':');
  curve.function = operand.substr(0, colon);
  if (curve.function.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", operand, "' names no function"));
  }
  if (colon != std::string::npos) {
    absl::StatusOr<std::map<std::string, double>> params =
        ParseParams({operand.substr(colon + 1)});
    if (!params.ok()) return params.status();
    curve.params = *std::move(params);
  }
  return curve;
}

absl::StatusOr<std::vector<PlotSeries>> ComputeCurves(
    const ActivationClient& client, const std::vector<PlotCurve>& curves,
    const std::vector<double>& x, bool derivative) {
  // One batch: every curve in one round trip, computed in parallel.
  v1::ComputeBatchRequest batch;
  for (const PlotCurve& curve : curves) {
    ComputeSpec spec{.function = curve.function,
                     .params = curve.params,
                     .mode = derivative ? v1::MODE_FORWARD_AND_DERIVATIVE
                                        : v1::MODE_FORWARD,
                     .encoding = Encoding::kRaw};
    *batch.add_items() = MakeRequest<double>(spec, x);
  }
  absl::StatusOr<v1::ComputeBatchResponse> response = client.ComputeBatch(batch);
  if (!response.ok()) return response.status();
  if (response->items_size() != static_cast<int>(curves.size())) {
    return absl::InternalError("batch response has the wrong number of items");
  }
  std::vector<PlotSeries> series;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    std::string label = curves[i].function;
    if (!curves[i].params.empty()) {
      std::vector<std::string> parts;
      for (const auto& [name, value] : curves[i].params) {
        parts.push_back(absl::StrFormat("%s=%g", name, value));
      }
      absl::StrAppend(&label, "(", absl::StrJoin(parts, ","), ")");
    }
    const std::string color = PaletteColor(i);
    absl::StatusOr<std::vector<double>> f =
        TensorValues<double>(response->items(i).output());
    if (!f.ok()) return f.status();
    series.push_back({.label = label, .x = x, .y = *std::move(f),
                      .color = color});
    if (derivative) {
      absl::StatusOr<std::vector<double>> df =
          TensorValues<double>(response->items(i).derivative());
      if (!df.ok()) return df.status();
      series.push_back({.label = label + "'",
                        .x = x,
                        .y = *std::move(df),
                        .color = color,
                        .style = PlotSeries::Style::kDashed});
    }
  }
  return series;
}

int RunActctl(const ActctlArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  if (absl::Status valid = ValidateArgs(args); !valid.ok()) {
    err << "actctl: " << valid.message() << "\n";
    return kExitUsage;
  }
  if (args.command == "stats") {
    absl::Status s = Stats(args, out);
    if (!s.ok()) {
      err << "actctl: " << s.message() << "\n";
      return kExitFailure;
    }
    return kExitOk;
  }
  absl::StatusOr<std::unique_ptr<ActivationClient>> client = Connect(args);
  if (!client.ok()) {
    err << "actctl: " << client.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<int> code = kExitOk;
  if (args.command == "list") {
    absl::Status s = List(**client, args.json, out);
    if (!s.ok()) code = s;
  } else if (args.command == "compute") {
    code = Compute(args, **client, in, out);
  } else if (args.command == "health") {
    code = Health(args, **client, out);
  } else {
    absl::Status s = Plot(args, **client, out);
    if (!s.ok()) code = s;
  }
  if (!code.ok()) {
    // The server's own message (it names the field, value and valid range),
    // prefixed with its status code so scripts can tell errors apart.
    err << "actctl: " << absl::StatusCodeToString(code.status().code()) << ": "
        << code.status().message() << "\n";
    return kExitFailure;
  }
  return *code;
}

}  // namespace activation::client
