// Prints the library's f(x) or f'(x) at the points read from stdin, so that
// bench/torch_compare.py can put our tail values beside PyTorch's and an
// mpmath reference. A tool, not a benchmark: it runs the same Engine path
// the server uses, on the calling thread.
//
// Usage: activation_points <function> <forward|derivative> <f32|f64> < points
//   points: decimal numbers separated by white space (for f32, values that
//   are exactly representable as float, e.g. Python's repr of a float32).
// Output: one line per point, the result with 17 significant digits (exact
// for both types). Exit 2 on bad usage or an unknown function.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "activations/evaluate.h"

namespace {

int Usage(const char* why) {
  std::fprintf(stderr,
               "activation_points: %s\n"
               "usage: activation_points <function> <forward|derivative> <f32|f64> < points\n",
               why);
  return 2;
}

template <typename T>
void Print(const activations::Call& call, activations::DType dtype,
           const std::vector<double>& points) {
  std::vector<T> in(points.begin(), points.end()), out(points.size());
  activations::RunSerial({.call = call, .dtype = dtype, .size = in.size(),
                          .input = in.data(), .output = out.data()});
  for (const T v : out) std::printf("%.17g\n", static_cast<double>(v));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return Usage("expected 3 arguments");
  const std::string_view mode_name = argv[2], dtype_name = argv[3];
  activations::Mode mode;
  if (mode_name == "forward") {
    mode = activations::Mode::kForward;
  } else if (mode_name == "derivative") {
    mode = activations::Mode::kDerivative;
  } else {
    return Usage("mode must be forward or derivative");
  }
  if (dtype_name != "f32" && dtype_name != "f64") return Usage("dtype must be f32 or f64");
  const absl::StatusOr<activations::Call> call = activations::MakeCall(argv[1], {}, mode);
  if (!call.ok()) return Usage(std::string(call.status().message()).c_str());

  std::vector<double> points;
  for (double v; std::scanf("%lf", &v) == 1;) points.push_back(v);
  if (dtype_name == "f32") {
    Print<float>(*call, activations::DType::kFloat32, points);
  } else {
    Print<double>(*call, activations::DType::kFloat64, points);
  }
  return 0;
}
