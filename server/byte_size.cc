#include "server/byte_size.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace actserver {
namespace {

constexpr std::size_t kMaxQuoted = 40;

std::string Quoted(absl::string_view text) {
  if (text.size() <= kMaxQuoted) return absl::StrCat("\"", text, "\"");
  return absl::StrCat("\"", text.substr(0, kMaxQuoted), "...\" (",
                      text.size(), " characters)");
}

}  // namespace

absl::StatusOr<std::size_t> ParseByteSize(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  std::size_t digits = 0;
  while (digits < trimmed.size() &&
         (std::isdigit(static_cast<unsigned char>(trimmed[digits])) ||
          trimmed[digits] == '.')) {
    ++digits;
  }
  const absl::string_view number = trimmed.substr(0, digits);
  const std::string unit =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(trimmed.substr(digits)));
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quoted(text), " is not a size in bytes: ", why,
                     " (e.g. 1073741824, 512MiB, 1GiB)"));
  };
  if (number.empty()) return invalid("it must start with a number");
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib" || unit == "ki") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib" || unit == "mi") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib" || unit == "gi") shift = 30;
  if (unit == "t" || unit == "tb" || unit == "tib" || unit == "ti") shift = 40;
  if (shift < 0) {
    return invalid(absl::StrCat("unknown unit ", Quoted(unit),
                                "; use B, KiB, MiB, GiB or TiB"));
  }
  double value = 0;
  if (!absl::SimpleAtod(number, &value) || !std::isfinite(value)) {
    return invalid("the number does not parse");
  }
  const double bytes = std::ldexp(value, shift);
  if (bytes >= 18446744073709551616.0) return invalid("more than 2^64 - 1");
  if (bytes != std::floor(bytes)) return invalid("not a whole number of bytes");
  return static_cast<std::size_t>(bytes);
}

std::string FormatByteSize(std::size_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrCat(bytes, kUnits[unit]);
}

std::string HumanBytes(std::size_t bytes) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrCat(bytes, " B")
                   : absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace actserver
