#include "server/wire_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/server/wire_test_util.h"

namespace actserver::wire {
namespace {

using ::actserver::testing::Sliced;

std::string Encode(std::uint64_t v) {
  std::string s(VarintSize(v), '\0');
  Writer w(s.data(), s.size());
  w.Varint(v);
  EXPECT_EQ(w.left(), 0u);
  return s;
}

TEST(WireFormatTest, VarintsRoundTripAcrossPieces) {
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{127},
                          std::uint64_t{128}, std::uint64_t{300},
                          std::uint64_t{1} << 35, ~std::uint64_t{0}}) {
    const std::string bytes = Encode(v);
    for (std::size_t piece : {0, 1, 2}) {
      Sliced sliced(bytes, piece);
      Reader reader(sliced.chain());
      std::uint64_t got = 0;
      ASSERT_TRUE(reader.ReadVarint(&got));
      EXPECT_EQ(got, v);
      EXPECT_TRUE(reader.AtEnd());
    }
  }
  EXPECT_EQ(VarintSize(~std::uint64_t{0}), 10u);
}

TEST(WireFormatTest, TruncatedOrOverlongVarintsFail) {
  Sliced truncated(std::string("\x80\x80", 2), 1);
  Reader r1(truncated.chain());
  std::uint64_t v;
  EXPECT_FALSE(r1.ReadVarint(&v));
  Sliced overlong(std::string(11, '\x80'), 3);
  Reader r2(overlong.chain());
  EXPECT_FALSE(r2.ReadVarint(&v));
}

// Varints followed by more bytes in the same piece take ReadVarint's
// in-place paths (one byte inline, longer ones read from the piece); cut at
// every offset they take the byte-at-a-time path. Both must agree.
TEST(WireFormatTest, VarintsInPlaceAndCutAtEveryByte) {
  for (std::uint64_t v :
       {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128},
        std::uint64_t{4096}, std::uint64_t{1} << 21, std::uint64_t{1} << 35,
        std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    const std::string bytes = Encode(v) + Encode(5) + std::string(12, '\x01');
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      Sliced sliced(bytes, std::vector<std::size_t>{cut});
      Reader reader(sliced.chain());
      std::uint64_t got = 0;
      ASSERT_TRUE(reader.ReadVarint(&got)) << v << " cut at " << cut;
      EXPECT_EQ(got, v) << "cut at " << cut;
      ASSERT_TRUE(reader.ReadVarint(&got)) << v << " cut at " << cut;
      EXPECT_EQ(got, 5u) << v << " cut at " << cut;
    }
  }
  // Too long, in place and cut: 11 bytes for a value, 6 for a tag or length.
  for (std::size_t cut : {0, 1, 4, 5, 6, 9, 10}) {
    std::uint64_t v;
    Sliced value(std::string(10, '\x80') + std::string(12, '\x01'),
                 std::vector<std::size_t>{cut});
    EXPECT_FALSE(Reader(value.chain()).ReadVarint(&v)) << "cut at " << cut;
    Sliced length(std::string(5, '\x80') + std::string(12, '\x01'),
                  std::vector<std::size_t>{cut});
    Chain out;
    EXPECT_FALSE(Reader(length.chain()).ReadLengthDelimited(&out))
        << "cut at " << cut;
    std::uint32_t field;
    WireType type;
    EXPECT_FALSE(Reader(length.chain()).ReadTag(&field, &type))
        << "cut at " << cut;
  }
}

TEST(WireFormatTest, LengthDelimitedPointsIntoThePieces) {
  const std::string bytes = std::string("\x0a\x06", 2) + "abcdef" + "\x10\x05";
  Sliced sliced(bytes, 3);  // "\x0a\x06a" "bcd" "ef\x10" "\x05"
  Reader reader(sliced.chain());
  std::uint32_t field;
  WireType type;
  ASSERT_TRUE(reader.ReadTag(&field, &type));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(type, kLengthDelimited);
  Chain body;
  ASSERT_TRUE(reader.ReadLengthDelimited(&body));
  EXPECT_EQ(body.size(), 6u);
  EXPECT_EQ(body.pieces().size(), 3u);
  EXPECT_EQ(body.Prefix(100), "abcdef");
  EXPECT_EQ(body.Prefix(4), "abcd");
  EXPECT_EQ(body.pieces()[0].data, sliced.chain().pieces()[0].data + 2);
  ASSERT_TRUE(reader.ReadTag(&field, &type));
  EXPECT_EQ(field, 2u);
  EXPECT_EQ(type, kVarint);
  std::uint64_t v;
  ASSERT_TRUE(reader.ReadVarint(&v));
  EXPECT_EQ(v, 5u);
  EXPECT_TRUE(reader.AtEnd());
  EXPECT_FALSE(reader.ReadTag(&field, &type));
}

TEST(WireFormatTest, FixedValuesAcrossPieces) {
  std::string bytes(12, '\0');
  const std::uint64_t a = 0x0102030405060708;
  const std::uint32_t b = 0xdeadbeef;
  std::memcpy(bytes.data(), &a, 8);
  std::memcpy(bytes.data() + 8, &b, 4);
  Sliced sliced(bytes, 5);
  Reader reader(sliced.chain());
  std::uint64_t got_a;
  std::uint32_t got_b;
  ASSERT_TRUE(reader.ReadFixed64(&got_a));
  ASSERT_TRUE(reader.ReadFixed32(&got_b));
  EXPECT_EQ(got_a, a);
  EXPECT_EQ(got_b, b);
  EXPECT_FALSE(reader.ReadFixed32(&got_b));
}

TEST(WireFormatTest, SkipsEveryWireTypeAndNestedGroups) {
  // varint, fixed64, LEN, fixed32, group{ group{ varint } }, then field 9.
  const std::string bytes =
      std::string("\x08\x96\x01", 3) + "\x11" + std::string(8, 'x') +
      std::string("\x1a\x02hi", 4) + "\x25" + std::string(4, 'y') +
      std::string("\x2b\x33\x38\x01\x34\x2c", 6) + std::string("\x48\x07", 2);
  Sliced sliced(bytes, 2);
  Reader reader(sliced.chain());
  std::uint32_t field;
  WireType type;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader.ReadTag(&field, &type)) << i;
    ASSERT_TRUE(reader.Skip(field, type)) << i;
  }
  ASSERT_TRUE(reader.ReadTag(&field, &type));
  EXPECT_EQ(field, 9u);
}

TEST(WireFormatTest, MalformedTagsAndGroupsFail) {
  std::uint32_t field;
  WireType type;
  for (const std::string& bad : {std::string("\x00", 1), std::string("\x0e", 1),
                                 std::string("\x0f", 1)}) {
    Sliced sliced(bad, 0);
    Reader reader(sliced.chain());
    EXPECT_FALSE(reader.ReadTag(&field, &type)) << static_cast<int>(bad[0]);
  }
  Sliced unterminated(std::string("\x0b\x08\x01", 3), 0);  // group never ends
  Reader r(unterminated.chain());
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_FALSE(r.Skip(field, type));
  Sliced mismatched(std::string("\x0b\x14", 2), 0);  // ends group 2, not 1
  Reader m(mismatched.chain());
  ASSERT_TRUE(m.ReadTag(&field, &type));
  EXPECT_FALSE(m.Skip(field, type));
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "\x0b";
  Sliced nested(deep, 0);
  Reader n(nested.chain());
  ASSERT_TRUE(n.ReadTag(&field, &type));
  EXPECT_FALSE(n.Skip(field, type));  // recursion is bounded
}

TEST(WireFormatTest, WriterSizesMatch) {
  EXPECT_EQ(TagSize(1), 1u);
  EXPECT_EQ(TagSize(16), 2u);
  EXPECT_EQ(LengthDelimitedSize(2, 300), 1u + 2u + 300u);
  std::string out(LengthDelimitedSize(3, 5), '\0');
  Writer w(out.data(), out.size());
  w.LengthDelimitedHeader(3, 5);
  w.Bytes("hello");
  EXPECT_EQ(w.left(), 0u);
  EXPECT_EQ(out, std::string("\x1a\x05hello", 7));
}

TEST(WireFormatTest, Utf8IsProtobufs) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xc3\x28"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
}

}  // namespace
}  // namespace actserver::wire
