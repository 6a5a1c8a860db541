#include "tools/certify_partial.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "activations/evaluate.h"

namespace activations::certify {
namespace {

constexpr std::string_view kMagic = "certify-partial 1";

std::string Hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

std::string HexLong(long double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%La", v);
  return buf;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  while (true) {
    const std::size_t at = s.find(sep);
    parts.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// Whole-string numbers; false where the text is not one.
bool ToDouble(const std::string& s, double* v) {
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}
bool ToLongDouble(const std::string& s, long double* v) {
  char* end = nullptr;
  *v = std::strtold(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}
bool ToUint(const std::string& s, std::uint64_t* v) {
  char* end = nullptr;
  *v = std::strtoull(s.c_str(), &end, 10);
  return !s.empty() && s[0] != '-' && *end == '\0';
}

bool ParseDType(std::string_view name, DType* t) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kBFloat16, DType::kFloat16}) {
    if (DTypeName(d) == name) {
      *t = d;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string FormatPartial(const Partial& p) {
  std::ostringstream out;
  std::string functions;
  for (const std::string& f : p.plan.functions) functions.append(functions.empty() ? "" : ",") += f;
  out << kMagic << "\n"
      << "dtype " << DTypeName(p.plan.dtype) << "\n"
      << "stride " << p.plan.stride << "\n"
      << "samples " << p.plan.samples << "\n"
      << "non_default " << (p.plan.non_default ? 1 : 0) << "\n"
      << "functions " << (functions.empty() ? "-" : functions) << "\n"
      << "rows " << p.plan.rows << "\n"
      << "shard " << p.plan.shard << "\n"
      << "shards " << p.plan.shards << "\n"
      << "target " << p.target << "\n"
      << "seconds " << Hex(p.seconds) << "\n"
      << "command " << p.command << "\n";
  for (const Row& r : p.rows) {
    out << "row\t" << r.function << "\t" << r.params << "\t" << r.mode << "\t" << Hex(r.max_ulp)
        << "\t" << r.worst_index << "\t" << Hex(r.worst_input) << "\t" << Hex(r.worst_got) << "\t"
        << HexLong(r.worst_want) << "\t" << Hex(r.bound) << "\t" << r.checked << "\t"
        << r.over_bound << "\n";
  }
  out << "end\n";
  return out.str();
}

absl::StatusOr<Partial> ParsePartial(std::string_view text) {
  Partial p;
  const std::vector<std::string> lines = Split(text, '\n');
  auto bad = [&](std::size_t i, std::string_view why) {
    return absl::InvalidArgumentError(std::string("certify: partial result line ")
                                          .append(std::to_string(i + 1))
                                          .append(": ")
                                          .append(why)
                                          .append(i < lines.size() ? ": '" + lines[i] + "'" : ""));
  };
  if (lines.empty() || lines[0] != kMagic) {
    return bad(0, std::string("not a partial result (first line is not '").append(kMagic) + "')");
  }
  bool ended = false;
  for (std::size_t i = 1; i < lines.size() && !ended; ++i) {
    const std::string& line = lines[i];
    if (line == "end") {
      ended = true;
      continue;
    }
    if (line.rfind("row\t", 0) == 0) {
      const std::vector<std::string> f = Split(line, '\t');
      Row r;
      if (f.size() != 12 || !ToDouble(f[4], &r.max_ulp) || !ToUint(f[5], &r.worst_index) ||
          !ToDouble(f[6], &r.worst_input) || !ToDouble(f[7], &r.worst_got) ||
          !ToLongDouble(f[8], &r.worst_want) || !ToDouble(f[9], &r.bound) ||
          !ToUint(f[10], &r.checked) || !ToUint(f[11], &r.over_bound)) {
        return bad(i, "a row has 12 tab-separated fields: row, function, parameters, mode, "
                      "max ULP, worst index, input, got, want, bound, checked, over bound");
      }
      r.function = f[1];
      r.params = f[2];
      r.mode = f[3];
      p.rows.push_back(r);
      continue;
    }
    const std::size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    std::uint64_t n = 0;
    bool ok = true;
    if (key == "dtype") {
      ok = ParseDType(value, &p.plan.dtype);
    } else if (key == "stride") {
      ok = ToUint(value, &p.plan.stride);
    } else if (key == "samples") {
      ok = ToUint(value, &p.plan.samples);
    } else if (key == "non_default") {
      ok = ToUint(value, &n) && n <= 1;
      p.plan.non_default = n == 1;
    } else if (key == "functions") {
      p.plan.functions.clear();
      if (value != "-") p.plan.functions = Split(value, ',');
    } else if (key == "rows") {
      ok = ToUint(value, &n) && n > 0 && n <= kAllRows;
      p.plan.rows = static_cast<unsigned>(n);
    } else if (key == "shard") {
      ok = ToUint(value, &p.plan.shard);
    } else if (key == "shards") {
      ok = ToUint(value, &p.plan.shards) && p.plan.shards > 0;
    } else if (key == "target") {
      p.target = value;
    } else if (key == "seconds") {
      ok = ToDouble(value, &p.seconds);
    } else if (key == "command") {
      p.command = value;
    } else {
      ok = false;
    }
    if (!ok) return bad(i, "not a known 'key value' line");
  }
  if (!ended) return bad(lines.size() - 1, "no 'end' line: the file was cut short");
  if (p.plan.shard >= p.plan.shards) return bad(0, "shard is not below shards");
  return p;
}

bool SameRun(const Plan& a, const Plan& b) {
  return a.dtype == b.dtype && a.stride == b.stride && a.samples == b.samples &&
         a.non_default == b.non_default && a.functions == b.functions && a.rows == b.rows &&
         a.shards == b.shards;
}

std::string PartialFileName(const Plan& plan) {
  std::string name(DTypeName(plan.dtype));
  name.append("-").append(std::to_string(plan.shard)).append("-of-");
  name.append(std::to_string(plan.shards)).append(".partial");
  return name;
}

absl::StatusOr<Partial> MergePartials(const std::vector<Partial>& pieces) {
  if (pieces.empty()) return absl::InvalidArgumentError("certify: no partial results to merge");
  std::map<std::uint64_t, const Partial*> by_shard;
  for (const Partial& p : pieces) {
    if (!SameRun(p.plan, pieces[0].plan)) {
      return absl::InvalidArgumentError(
          std::string("certify: the partial results are of different runs: '")
              .append(p.command)
              .append("' against '")
              .append(pieces[0].command)
              .append("'"));
    }
    if (!by_shard.emplace(p.plan.shard, &p).second) {
      return absl::InvalidArgumentError(
          std::string("certify: shard ").append(std::to_string(p.plan.shard)).append(" twice"));
    }
  }
  const std::uint64_t shards = pieces[0].plan.shards;
  if (by_shard.size() != shards) {
    std::string missing;
    std::size_t listed = 0;
    for (std::uint64_t k = 0; k < shards && listed < 20; ++k) {
      if (by_shard.count(k) == 0) {
        missing.append(missing.empty() ? "" : ", ").append(std::to_string(k));
        ++listed;
      }
    }
    return absl::InvalidArgumentError(std::string("certify: ")
                                          .append(std::to_string(by_shard.size()))
                                          .append(" of ")
                                          .append(std::to_string(shards))
                                          .append(" shards present; missing: ")
                                          .append(missing)
                                          .append(listed == 20 ? ", ..." : ""));
  }
  Partial whole = *by_shard.begin()->second;
  std::vector<std::vector<Row>> rows;
  whole.seconds = 0;
  for (const auto& [k, p] : by_shard) {
    rows.push_back(p->rows);
    whole.seconds += p->seconds;
  }
  absl::StatusOr<std::vector<Row>> merged = MergeRows(rows);
  if (!merged.ok()) return merged.status();
  whole.rows = *std::move(merged);
  whole.plan.shard = 0;
  whole.plan.shards = 1;
  return whole;
}

}  // namespace activations::certify
