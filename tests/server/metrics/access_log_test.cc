#include "server/metrics/access_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace actserver::metrics {
namespace {

AccessLogEntry SampleEntry() {
  AccessLogEntry e;
  e.time = absl::FromUnixMicros(1'790'000'000'123'456);
  e.peer = "ipv4:127.0.0.1:40312";
  e.rpc = "Compute";
  e.function = "tanh";
  e.mode = "forward";
  e.dtype = "float32";
  e.items = 1;
  e.elements = 1024;
  e.code = "OK";
  e.latency = absl::Microseconds(87);
  e.request_id = "r-17";
  return e;
}

TEST(AccessLogTest, FormatIsOneJsonObjectPerLine) {
  EXPECT_EQ(AccessLog::Format(SampleEntry()),
            "{\"time\":\"2026-09-21T14:13:20.123456Z\","
            "\"peer\":\"ipv4:127.0.0.1:40312\",\"rpc\":\"Compute\","
            "\"function\":\"tanh\",\"mode\":\"forward\",\"dtype\":\"float32\","
            "\"items\":1,\"elements\":1024,\"code\":\"OK\",\"latency_us\":87,"
            "\"request_id\":\"r-17\"}\n");
}

TEST(AccessLogTest, TimesAreRfc3339UtcWithMicroseconds) {
  // Against absl::FormatTime, across leap days, centuries and the epoch.
  AccessLogEntry e = SampleEntry();
  for (const absl::Time t :
       {absl::FromUnixMicros(0), absl::FromUnixMicros(-1),
        absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59),
                        absl::UTCTimeZone()) +
            absl::Microseconds(999'999),
        absl::FromCivil(absl::CivilSecond(2000, 3, 1, 0, 0, 0),
                        absl::UTCTimeZone()),
        absl::FromCivil(absl::CivilSecond(2100, 12, 31, 12, 30, 5),
                        absl::UTCTimeZone()) +
            absl::Microseconds(42),
        absl::FromCivil(absl::CivilSecond(1900, 1, 1, 0, 0, 0),
                        absl::UTCTimeZone())}) {
    e.time = t;
    const std::string expected = absl::StrCat(
        "{\"time\":\"",
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()), "\"");
    EXPECT_EQ(AccessLog::Format(e).substr(0, expected.size()), expected);
  }
}

TEST(AccessLogTest, StringsAreEscaped) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  AccessLogEntry e = SampleEntry();
  e.request_id = "evil\"}\n{\"x\":1";
  const std::string line = AccessLog::Format(e);
  // Still one line, and the id cannot end the object early.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_THAT(line, ::testing::HasSubstr(
                        "\"request_id\":\"evil\\\"}\\n{\\\"x\\\":1\"}"));
}

TEST(AccessLogTest, AppendsWholeLinesFromManyThreads) {
  const std::string path = ::testing::TempDir() + "/access_log_test.jsonl";
  std::remove(path.c_str());
  {
    absl::StatusOr<std::unique_ptr<AccessLog>> log = AccessLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log] {
        for (int i = 0; i < 2000; ++i) (*log)->Write(SampleEntry());
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ((*log)->dropped(), 0u);
  }
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  const std::vector<std::string> lines =
      absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8000u);
  const std::string expected = AccessLog::Format(SampleEntry());
  for (const std::string& line : lines) {
    ASSERT_EQ(line + "\n", expected);
  }
  // Opening again appends.
  {
    auto log = AccessLog::Open(path);
    ASSERT_TRUE(log.ok());
    (*log)->Write(SampleEntry());
  }
  std::ifstream again(path);
  std::stringstream all;
  all << again.rdbuf();
  EXPECT_EQ(all.str().size(), 8001 * expected.size());
}

TEST(AccessLogTest, UnopenablePathIsUnavailable) {
  auto log = AccessLog::Open("/nonexistent-dir/access.log");
  EXPECT_EQ(log.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(log.status().message()),
              ::testing::HasSubstr("/nonexistent-dir/access.log"));
}

}  // namespace
}  // namespace actserver::metrics
