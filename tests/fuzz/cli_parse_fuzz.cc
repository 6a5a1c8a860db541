// libFuzzer target: the command-line value parsers actctl and actload share
// (client/cli_parse.h).
//
// Input: one selector byte, then the text (for ParseParams, items separated
// by newlines). What a parser accepts must survive a round trip through its
// own canonical form, and ParseSizeMix's sizes must be the exact numbers the
// text denotes (checked against a 128-bit reading of the same text); what it
// refuses must be INVALID_ARGUMENT with a message.
//
//   build/asan/tests/fuzz/cli_parse_fuzz tests/fuzz/cli_parse_corpus
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli_parse.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace client = ::activation::client;

template <typename T>
void CheckRefusal(const absl::StatusOr<T>& result) {
  FUZZ_CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  FUZZ_CHECK(!result.status().message().empty());
}

std::string Exact(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

bool SameNumber(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

void FuzzMode(std::string_view text) {
  absl::StatusOr<activation::v1::Mode> mode = client::ParseMode(text);
  if (!mode.ok()) return CheckRefusal(mode);
  absl::StatusOr<activation::v1::Mode> again =
      client::ParseMode(client::ModeFlagName(*mode));
  FUZZ_CHECK(again.ok() && *again == *mode);
}

void FuzzEnums(std::string_view text) {
  if (auto dtype = client::ParseDType(text); !dtype.ok()) CheckRefusal(dtype);
  if (auto kind = client::ParseInputKind(text); !kind.ok()) CheckRefusal(kind);
  if (auto encoding = client::ParseEncoding(text); !encoding.ok()) {
    CheckRefusal(encoding);
  }
}

void FuzzNumbers(std::string_view text) {
  absl::StatusOr<std::vector<double>> numbers = client::ParseNumbers(text);
  if (!numbers.ok()) return CheckRefusal(numbers);
  std::string canonical;
  for (double value : *numbers) canonical += Exact(value) + ",";
  absl::StatusOr<std::vector<double>> again = client::ParseNumbers(canonical);
  FUZZ_CHECK(again.ok() && again->size() == numbers->size());
  for (std::size_t i = 0; i < numbers->size(); ++i) {
    FUZZ_CHECK(SameNumber((*again)[i], (*numbers)[i]));
  }
}

void FuzzParams(std::string_view text) {
  std::vector<std::string> items = absl::StrSplit(
      absl::string_view(text.data(), text.size()), '\n');
  absl::StatusOr<std::map<std::string, double>> params =
      client::ParseParams(items);
  if (!params.ok()) return CheckRefusal(params);
  std::vector<std::string> canonical;
  for (const auto& [name, value] : *params) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find_first_of(",=") == std::string::npos);
    canonical.push_back(name + "=" + Exact(value));
  }
  absl::StatusOr<std::map<std::string, double>> again =
      client::ParseParams(canonical);
  FUZZ_CHECK(again.ok() && again->size() == params->size());
  for (const auto& [name, value] : *params) {
    FUZZ_CHECK(again->count(name) == 1 && SameNumber(again->at(name), value));
  }
}

// The size an item of a size mix denotes, read independently of the parser
// in 128 bits: 0 when it is not a size, or too large for std::size_t.
unsigned __int128 ExpectedSize(absl::string_view item) {
  item = absl::StripAsciiWhitespace(item);
  item = item.substr(0, item.find(':'));
  unsigned __int128 multiplier = 1;
  if (absl::ConsumeSuffix(&item, "Ki")) {
    multiplier = 1024;
  } else if (absl::ConsumeSuffix(&item, "Mi")) {
    multiplier = 1024 * 1024;
  }
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(item, &n)) return 0;
  const unsigned __int128 size = n * multiplier;
  return size > SIZE_MAX ? 0 : size;
}

void FuzzSizeMix(std::string_view text) {
  absl::StatusOr<client::SizeMix> mix = client::ParseSizeMix(text);
  if (!mix.ok()) return CheckRefusal(mix);
  FUZZ_CHECK(!mix->sizes.empty());
  FUZZ_CHECK(mix->sizes.size() == mix->weights.size());
  std::vector<absl::string_view> items =
      absl::StrSplit(absl::string_view(text.data(), text.size()), ',',
                     absl::SkipWhitespace());
  FUZZ_CHECK(items.size() == mix->sizes.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    FUZZ_CHECK(mix->sizes[i] >= 1);
    FUZZ_CHECK(mix->weights[i] >= 1);
    FUZZ_CHECK(ExpectedSize(items[i]) == mix->sizes[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (data[0] % 5) {
    case 0:
      FuzzMode(text);
      break;
    case 1:
      FuzzEnums(text);
      break;
    case 2:
      FuzzNumbers(text);
      break;
    case 3:
      FuzzParams(text);
      break;
    case 4:
      FuzzSizeMix(text);
      break;
  }
  return 0;
}
