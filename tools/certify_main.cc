// certify: the accuracy certificate of the activation library (certify.h).
//
//   certify                        float32, every one of the 2^32 inputs,
//                                  then bfloat16 and float16 (every input)
//                                  and float64 (2^21 samples); prints the
//                                  markdown tables
//   certify --write=docs/accuracy.md
//                                  ...and replaces each table's section of
//                                  that file (between its markers)
//   certify --dtype=float32 --stride=65537 --check
//                                  CI's sampled run: every 65537th bit
//                                  pattern; exit 1 if an error exceeds the
//                                  catalogue's bound
//   certify --dtype=bfloat16 --functions=celu,selu
//                                  only those functions (iterating on a
//                                  kernel)
// Flags: --dtype=all|float32|float64|bfloat16|float16, --stride=N (float32),
// --samples=N (float64, times 2), --functions=NAME[,NAME...], --threads=N,
// --no-non-default, --check, --write=PATH. Exit status: 0, or 1 with --check
// when an input exceeds its bound, 2 for a bad flag, an unknown function or
// an unwritable file. Run the full certificate with `nice -n 19`: it keeps
// every core busy for hours (about 16 on two cores; docs/accuracy.md).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "activations/evaluate.h"
#include "tools/certify.h"
#include "tools/certify_report.h"

namespace {

using activations::DType;
namespace certify = activations::certify;

// Replaces the dtype's section of the file at `path` (certify_report.h).
bool WriteSection(const std::string& path, const std::string& name, const std::string& body) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = certify::ReplaceSection(buf.str(), name, body);
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dtype = "all", write;
  certify::Plan base;
  bool check = false;
  std::string command = "certify";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    command.append(" ").append(a);
    auto value = [&](std::string_view flag) -> const char* {
      return a.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--dtype=")) {
      dtype = v;
    } else if (const char* v = value("--stride=")) {
      base.stride = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--samples=")) {
      base.samples = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--functions=")) {
      for (std::string_view rest = v; !rest.empty();) {
        const std::size_t comma = rest.find(',');
        base.functions.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      }
    } else if (const char* v = value("--threads=")) {
      base.threads = std::atoi(v);
    } else if (const char* v = value("--write=")) {
      write = v;
    } else if (a == "--no-non-default") {
      base.non_default = false;
    } else if (a == "--check") {
      check = true;
    } else {
      std::fprintf(stderr, "certify: unknown flag %s (see the comment at the top of "
                   "tools/certify_main.cc)\n", argv[i]);
      return 2;
    }
  }
  if (base.stride == 0) base.stride = 1;
  std::vector<std::pair<std::string, DType>> dtypes;
  for (auto [n, t] : {std::pair{"float32", DType::kFloat32}, std::pair{"bfloat16", DType::kBFloat16},
                      std::pair{"float16", DType::kFloat16}, std::pair{"float64", DType::kFloat64}}) {
    if (dtype == "all" || dtype == n) dtypes.emplace_back(n, t);
  }
  if (dtypes.empty()) {
    std::fprintf(stderr, "certify: --dtype=%s; valid: all, float32, float64, bfloat16, float16\n",
                 dtype.c_str());
    return 2;
  }
  std::uint64_t over = 0;
  for (const auto& [name, t] : dtypes) {
    certify::Plan plan = base;
    plan.dtype = t;
    const auto start = std::chrono::steady_clock::now();
    const absl::StatusOr<std::vector<certify::Row>> run = certify::Run(plan);
    if (!run.ok()) {
      std::fprintf(stderr, "%s\n", std::string(run.status().message()).c_str());
      return 2;
    }
    const std::vector<certify::Row>& rows = *run;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string table = certify::MarkdownTable(plan, rows, seconds, command,
                                                     activations::SimdTarget());
    std::fputs(table.c_str(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    for (const certify::Row& r : rows) {
      over += r.over_bound;
      if (r.over_bound > 0) {
        std::fprintf(stderr, "certify: %s %s %s %s: %llu inputs over the bound %g, worst %g ULP "
                     "at x = %.9g (got %.9g, want %.9Lg)\n", name.c_str(), r.function.c_str(),
                     r.params.c_str(), r.mode.c_str(),
                     static_cast<unsigned long long>(r.over_bound), r.bound, r.max_ulp,
                     r.worst_input, r.worst_got, r.worst_want);
      }
    }
    if (!write.empty() && !WriteSection(write, name, table)) {
      std::fprintf(stderr, "certify: cannot write %s\n", write.c_str());
      return 2;
    }
  }
  return check && over > 0 ? 1 : 0;
}
