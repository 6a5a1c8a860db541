// The command-line value parsers shared by actctl and actload.
#include "client/cli_parse.h"

#include <cmath>

#include "gtest/gtest.h"

namespace activation::client {
namespace {

TEST(CliParseTest, Modes) {
  EXPECT_EQ(*ParseMode("forward"), v1::MODE_FORWARD);
  EXPECT_EQ(*ParseMode("Derivative"), v1::MODE_DERIVATIVE);
  EXPECT_EQ(*ParseMode("both"), v1::MODE_FORWARD_AND_DERIVATIVE);
  EXPECT_EQ(*ParseMode("forward_and_derivative"), v1::MODE_FORWARD_AND_DERIVATIVE);
  EXPECT_EQ(*ParseMode("backward"), v1::MODE_BACKWARD);
  const absl::Status bad = ParseMode("sideways").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("sideways"), absl::string_view::npos);
  EXPECT_NE(bad.message().find("backward"), absl::string_view::npos);
  for (v1::Mode m : {v1::MODE_FORWARD, v1::MODE_DERIVATIVE,
                     v1::MODE_FORWARD_AND_DERIVATIVE, v1::MODE_BACKWARD}) {
    EXPECT_EQ(*ParseMode(ModeFlagName(m)), m);
  }
}

TEST(CliParseTest, DTypesKindsEncodings) {
  EXPECT_EQ(*ParseDType("f32"), v1::DTYPE_FLOAT32);
  EXPECT_EQ(*ParseDType("float64"), v1::DTYPE_FLOAT64);
  EXPECT_FALSE(ParseDType("f16").ok());
  EXPECT_EQ(*ParseInputKind("x"), v1::INPUT_KIND_X);
  EXPECT_EQ(*ParseInputKind("output"), v1::INPUT_KIND_OUTPUT);
  EXPECT_EQ(*ParseInputKind("y"), v1::INPUT_KIND_OUTPUT);
  EXPECT_FALSE(ParseInputKind("z").ok());
  EXPECT_EQ(*ParseEncoding("raw"), Encoding::kRaw);
  EXPECT_EQ(*ParseEncoding("packed"), Encoding::kPacked);
  EXPECT_FALSE(ParseEncoding("json").ok());
}

TEST(CliParseTest, NumbersWithCommasWhitespaceAndSpecials) {
  auto v = ParseNumbers("1, -2.5\n3e2\tnan inf,-inf,,");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 6u);
  EXPECT_EQ((*v)[0], 1);
  EXPECT_EQ((*v)[1], -2.5);
  EXPECT_EQ((*v)[2], 300);
  EXPECT_TRUE(std::isnan((*v)[3]));
  EXPECT_EQ((*v)[4], INFINITY);
  EXPECT_EQ((*v)[5], -INFINITY);
  EXPECT_TRUE(ParseNumbers("").ok());
  EXPECT_TRUE(ParseNumbers("")->empty());
  const absl::Status bad = ParseNumbers("1,two,3").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("'two'"), absl::string_view::npos);
}

TEST(CliParseTest, Params) {
  auto p = ParseParams({"beta=1.5", "threshold = 10,alpha=-0.5"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->size(), 3u);
  EXPECT_EQ(p->at("beta"), 1.5);
  EXPECT_EQ(p->at("threshold"), 10);
  EXPECT_EQ(p->at("alpha"), -0.5);
  EXPECT_TRUE(ParseParams({})->empty());
  EXPECT_FALSE(ParseParams({"beta"}).ok());
  EXPECT_FALSE(ParseParams({"=1"}).ok());
  EXPECT_FALSE(ParseParams({"beta=x"}).ok());
  const absl::Status twice = ParseParams({"beta=1", "beta=2"}).status();
  EXPECT_NE(twice.message().find("twice"), absl::string_view::npos);
}

TEST(CliParseTest, SizeMixes) {
  auto one = ParseSizeMix("1024");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->sizes, std::vector<std::size_t>({1024}));
  EXPECT_EQ(one->weights, std::vector<int>({1}));
  auto mix = ParseSizeMix("16, 64Ki:9 ,1Mi:1");
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->sizes, std::vector<std::size_t>({16, 65536, 1048576}));
  EXPECT_EQ(mix->weights, std::vector<int>({1, 9, 1}));
  for (const char* bad : {"", "0", "-5", "12:0", "12:x", "abc", "1Gi"}) {
    EXPECT_FALSE(ParseSizeMix(bad).ok()) << bad;
  }
}

// Found by tests/fuzz/cli_parse_fuzz: a size whose product with its suffix overflows 64 bits
// was taken modulo 2^64 (a small, wrong size) instead of refused.
TEST(CliParseTest, SizeThatOverflowsIsRefusedNotWrapped) {
  EXPECT_FALSE(ParseSizeMix("4099276460824344800Mi").ok());
  EXPECT_FALSE(ParseSizeMix("1Mi,18014398509481984Ki").ok());  // 2^54 Ki = 2^64
  EXPECT_FALSE(ParseSizeMix("17592186044416Mi").ok());          // 2^44 Mi = 2^64
  auto largest = ParseSizeMix("17592186044415Mi");               // 2^64 - 2^20
  ASSERT_TRUE(largest.ok()) << largest.status();
  EXPECT_EQ(largest->sizes[0], std::size_t{17592186044415} << 20);
}

}  // namespace
}  // namespace activation::client
