#include "client/cli_parse.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace activation::client {
namespace {

// Debian's Abseil has its own string_view type, distinct from std's.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(Absl(s)); }

absl::Status Invalid(absl::string_view what, std::string_view text,
                     absl::string_view choices) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " '", Absl(text), "' is not one of ", choices));
}

// Parses "65536", "64Ki", "1Mi".
bool ParseSize(absl::string_view text, std::size_t* out) {
  uint64_t multiplier = 1;
  if (absl::ConsumeSuffix(&text, "Ki")) {
    multiplier = 1024;
  } else if (absl::ConsumeSuffix(&text, "Mi")) {
    multiplier = 1024 * 1024;
  }
  uint64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n == 0) return false;
  // A product that does not fit is refused, not wrapped ("4099276460824344800Mi" was taken as
  // a small size: found by tests/fuzz/cli_parse_fuzz).
  if (n > SIZE_MAX / multiplier) return false;
  *out = static_cast<std::size_t>(n * multiplier);
  return true;
}

}  // namespace

absl::StatusOr<v1::Mode> ParseMode(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "forward") return v1::MODE_FORWARD;
  if (t == "derivative") return v1::MODE_DERIVATIVE;
  if (t == "both" || t == "forward_and_derivative") {
    return v1::MODE_FORWARD_AND_DERIVATIVE;
  }
  if (t == "backward") return v1::MODE_BACKWARD;
  return Invalid("mode", text, "forward, derivative, both, backward");
}

std::string ModeFlagName(v1::Mode mode) {
  switch (mode) {
    case v1::MODE_FORWARD:
      return "forward";
    case v1::MODE_DERIVATIVE:
      return "derivative";
    case v1::MODE_FORWARD_AND_DERIVATIVE:
      return "both";
    case v1::MODE_BACKWARD:
      return "backward";
    default:
      return "unspecified";
  }
}

absl::StatusOr<v1::DType> ParseDType(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "f32" || t == "float32" || t == "float") return v1::DTYPE_FLOAT32;
  if (t == "f64" || t == "float64" || t == "double") return v1::DTYPE_FLOAT64;
  return Invalid("dtype", text, "f32, f64");
}

absl::StatusOr<v1::InputKind> ParseInputKind(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "x") return v1::INPUT_KIND_X;
  if (t == "output" || t == "y") return v1::INPUT_KIND_OUTPUT;
  return Invalid("input kind", text, "x, output");
}

absl::StatusOr<Encoding> ParseEncoding(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "raw") return Encoding::kRaw;
  if (t == "packed") return Encoding::kPacked;
  return Invalid("encoding", text, "raw, packed");
}

absl::StatusOr<std::vector<double>> ParseNumbers(std::string_view text) {
  std::vector<double> out;
  for (absl::string_view token :
       absl::StrSplit(Absl(text), absl::ByAnyChar(", \t\r\n"),
                      absl::SkipEmpty())) {
    double v = 0;
    // SimpleAtod accepts "nan", "inf" and "-inf" (strtod syntax).
    if (!absl::SimpleAtod(token, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value '", token, "' is not a number"));
    }
    out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::map<std::string, double>> ParseParams(
    const std::vector<std::string>& items) {
  std::map<std::string, double> params;
  for (const std::string& item : items) {
    for (absl::string_view part :
         absl::StrSplit(item, ',', absl::SkipWhitespace())) {
      part = absl::StripAsciiWhitespace(part);
      const std::size_t eq = part.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter '", part, "' is not NAME=VALUE"));
      }
      const std::string name(absl::StripAsciiWhitespace(part.substr(0, eq)));
      double value = 0;
      if (!absl::SimpleAtod(absl::StripAsciiWhitespace(part.substr(eq + 1)),
                            &value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter ", name, ": '", part.substr(eq + 1),
            "' is not a number"));
      }
      if (!params.emplace(name, value).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter ", name, " is given twice"));
      }
    }
  }
  return params;
}

absl::StatusOr<SizeMix> ParseSizeMix(std::string_view text) {
  SizeMix mix;
  for (absl::string_view item :
       absl::StrSplit(Absl(text), ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(item, absl::MaxSplits(':', 1));
    std::size_t size = 0;
    int weight = 1;
    if (!ParseSize(parts.first, &size) ||
        (!parts.second.empty() &&
         (!absl::SimpleAtoi(parts.second, &weight) || weight < 1))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "size '", item,
          "' is not SIZE or SIZE:WEIGHT with SIZE >= 1 (suffix Ki or Mi "
          "allowed) and WEIGHT >= 1"));
    }
    mix.sizes.push_back(size);
    mix.weights.push_back(weight);
  }
  if (mix.sizes.empty()) {
    return absl::InvalidArgumentError("size list is empty");
  }
  return mix;
}

}  // namespace activation::client
