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
// Flags: --dtype=all|float32|float64|bfloat16|float16, --stride=N (float32),
// --samples=N (float64, times 2), --threads=N, --no-non-default, --check,
// --write=PATH. Run the full certificate with `nice -n 19`: it keeps every
// core busy for hours (docs/accuracy.md says how long the last run took).
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

namespace {

using activations::DType;
namespace certify = activations::certify;

std::string Table(const certify::Plan& plan, const std::vector<certify::Row>& rows,
                  double seconds, const std::string& command) {
  std::ostringstream out;
  const std::string name(activations::DTypeName(plan.dtype));
  std::string what;
  switch (plan.dtype) {
    case DType::kFloat32:
      // (Appended piece by piece throughout: operator+ chains trip GCC 12's
      // -Wrestrict false positive, PR 105329.)
      if (plan.stride == 1) {
        what = "every one of the 2^32 inputs (exhaustive)";
      } else {
        what.append("every ").append(std::to_string(plan.stride)).append("th bit pattern");
      }
      break;
    case DType::kBFloat16:
    case DType::kFloat16: what = "every one of the 2^16 inputs (exhaustive)"; break;
    case DType::kFloat64:
      what.append(std::to_string(plan.samples)).append(" random bit patterns and ");
      what.append(std::to_string(plan.samples)).append(" uniform values in [-50, 50] (sampled)");
      break;
  }
  char head[512];
  std::snprintf(head, sizeof(head),
                "**%s: %s**, on %s, in %.0f s (%s). Backward uses g = +-[0.5, 2) per input; "
                "\"from y\" rows take y = f(x) rounded, for every input x. Errors as the contract "
                "counts them (reference.h: ULP of the element type at the exact value).\n\n",
                name.c_str(), what.c_str(), std::string(activations::SimdTarget()).c_str(),
                seconds, command.c_str());
  out << head;
  out << "| function | parameters | mode | max ULP | worst input | bound | over bound |\n"
      << "|---|---|---|---|---|---|---|\n";
  for (const certify::Row& r : rows) {
    char line[512];
    std::snprintf(line, sizeof(line), "| %s | %s | %s | %.4g | %.9g | %.4g | %llu |\n",
                  r.function.c_str(), r.params.empty() ? "defaults" : r.params.c_str(),
                  r.mode.c_str(), r.max_ulp, r.worst_input, r.bound,
                  static_cast<unsigned long long>(r.over_bound));
    out << line;
  }
  return out.str();
}

// Replaces the text between "<!-- certify:NAME:begin -->" and
// "<!-- certify:NAME:end -->" in `path`, or appends the section.
bool WriteSection(const std::string& path, const std::string& name, const std::string& body) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  std::string begin = "<!-- certify:", end = "<!-- certify:";
  begin.append(name).append(":begin -->\n");
  end.append(name).append(":end -->\n");
  const auto b = text.find(begin), e = text.find(end);
  if (b != std::string::npos && e != std::string::npos && e > b) {
    text.replace(b + begin.size(), e - b - begin.size(), body);
  } else {
    text.append("\n").append(begin).append(body).append(end);
  }
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
    const std::vector<certify::Row> rows = certify::Run(plan);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string table = Table(plan, rows, seconds, command);
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
