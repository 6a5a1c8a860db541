#include "tools/certify_report.h"

#include <cstdio>
#include <sstream>

namespace activations::certify {

std::string MarkdownTable(const Plan& plan, const std::vector<Row>& rows, double seconds,
                          std::string_view command, std::string_view target) {
  std::ostringstream out;
  const std::string name(DTypeName(plan.dtype));
  std::string what;
  switch (plan.dtype) {
    case DType::kFloat32:
      // (Appended piece by piece throughout: operator+ chains trip GCC 12's
      // -Wrestrict false positive, PR 105329.)
      if (plan.stride == 1) {
        // (A subset, below, says which of them.)
        what = plan.subset.empty() ? "every one of the 2^32 inputs (exhaustive)"
                                   : "of the 2^32 inputs";
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
  if (plan.shards > 1) {
    const auto [first, last] = ShardRange(plan);
    what.append(", shard ").append(std::to_string(plan.shard)).append(" of ");
    what.append(std::to_string(plan.shards)).append(" (inputs ").append(std::to_string(first));
    what.append(" up to ").append(std::to_string(last)).append(")");
  }
  if ((plan.rows & kAllRows) != kAllRows) {
    what.append("; only the rows ");
    for (unsigned bit = 1; bit < kAllRows; bit <<= 1) {
      if (plan.rows & bit) what.append(RowSetName(bit)).append(", ");
    }
    what.resize(what.size() - 2);
  }
  if (!plan.subset.empty()) what.append("; ").append(plan.subset);
  if (!plan.non_default) what.append("; default parameters only");
  if (!plan.functions.empty()) {
    what.append("; only ");
    for (const std::string& f : plan.functions) what.append(f).append(", ");
    what.resize(what.size() - 2);
  }
  // (Streamed: the command of a merge names every piece's directory, longer
  // than any fixed buffer.)
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof(seconds_text), "%.0f", seconds);
  out << "**" << name << ": " << what << "**, on " << target << ", in " << seconds_text << " s ("
      << command << "). Backward uses g = +-[0.5, 2) per input; \"from y\" rows take y = f(x) "
      << "rounded, for every input x. Errors as the contract counts them (reference.h: ULP of "
      << "the element type at the exact value).\n\n";
  out << "| function | parameters | mode | max ULP | worst input | bound | over bound |\n"
      << "|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    char line[512];
    std::snprintf(line, sizeof(line), "| %s | %s | %s | %.4g | %.9g | %.4g | %llu |\n",
                  r.function.c_str(), r.params.empty() ? "defaults" : r.params.c_str(),
                  r.mode.c_str(), r.max_ulp, r.worst_input, r.bound,
                  static_cast<unsigned long long>(r.over_bound));
    out << line;
  }
  return out.str();
}

std::string ReplaceSection(std::string text, std::string_view name, std::string_view body) {
  std::string begin = "<!-- certify:", end = "<!-- certify:";
  begin.append(name).append(":begin -->\n");
  end.append(name).append(":end -->\n");
  const auto b = text.find(begin);
  const auto e = b == std::string::npos ? b : text.find(end, b + begin.size());
  if (e != std::string::npos) {
    text.replace(b + begin.size(), e - b - begin.size(), body);
  } else {
    if (!text.empty() && text.back() != '\n') text.append("\n");
    text.append("\n").append(begin).append(body).append(end);
  }
  return text;
}

}  // namespace activations::certify
