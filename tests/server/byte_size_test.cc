#include "server/byte_size.h"

#include <gtest/gtest.h>

#include "server/malloc_policy.h"
#include "server/system_memory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace actserver {
namespace {

TEST(ByteSizeTest, Parses) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("1073741824"), std::size_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("512MiB"), std::size_t{512} << 20);
  EXPECT_EQ(*ParseByteSize("1GiB"), std::size_t{1} << 30);
  EXPECT_EQ(*ParseByteSize("1gi"), std::size_t{1} << 30);
  EXPECT_EQ(*ParseByteSize(" 64 KiB "), std::size_t{64} << 10);
  EXPECT_EQ(*ParseByteSize("1.5G"), std::size_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("2T"), std::size_t{2} << 40);
  EXPECT_EQ(*ParseByteSize("100B"), 100u);
}

TEST(ByteSizeTest, RejectsWithAMessage) {
  for (const char* bad : {"", "MiB", "-1", "1.5", "12XB", "1e3", "99999999999999999999999",
                          "0.1KiB"}) {
    absl::StatusOr<std::size_t> v = ParseByteSize(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find("is not a size in bytes"), std::string::npos);
  }
  const absl::Status long_text = ParseByteSize(std::string(10000, 'x')).status();
  EXPECT_LT(long_text.message().size(), 200u);
}

TEST(ByteSizeTest, FormatsExactlyAndForHumans) {
  EXPECT_EQ(FormatByteSize(std::size_t{1} << 30), "1GiB");
  EXPECT_EQ(FormatByteSize(std::size_t{768} << 20), "768MiB");
  EXPECT_EQ(FormatByteSize(1000), "1000B");
  EXPECT_EQ(FormatByteSize(0), "0B");
  for (std::size_t v : {std::size_t{0}, std::size_t{1000}, std::size_t{3} << 29}) {
    EXPECT_EQ(*ParseByteSize(FormatByteSize(v)), v);
  }
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(std::size_t{3} << 19), "1.5 MiB");
}

TEST(SystemMemoryTest, ReadsCgroupLimits) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("cgroup_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(root / "memory");
  EXPECT_FALSE(CgroupMemoryLimit(root.string()).has_value());
  std::ofstream(root / "memory.max") << "max\n";
  EXPECT_FALSE(CgroupMemoryLimit(root.string()).has_value());
  std::ofstream(root / "memory.max") << "1073741824\n";
  std::optional<MemoryLimit> v2 = CgroupMemoryLimit(root.string());
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->bytes, std::size_t{1} << 30);
  EXPECT_EQ(v2->source, "cgroup v2 memory.max");
  std::filesystem::remove(root / "memory.max");
  std::ofstream(root / "memory" / "memory.limit_in_bytes") << "536870912\n";
  std::optional<MemoryLimit> v1 = CgroupMemoryLimit(root.string());
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->bytes, std::size_t{512} << 20);
  // v1's "unlimited" is a huge number: no limit.
  std::ofstream(root / "memory" / "memory.limit_in_bytes") << "9223372036854771712\n";
  EXPECT_FALSE(CgroupMemoryLimit(root.string()).has_value());
  std::filesystem::remove_all(root);
  EXPECT_GT(ProcessMemoryLimit().bytes, 0u);
  EXPECT_GT(DefaultMemoryBudget(), 0u);
}

TEST(MallocPolicyTest, GlibcTakesTheDefaultsAndRefusesTheImpossible) {
  EXPECT_EQ(ApplyMallocPolicy({}), absl::OkStatus());
  MallocPolicy too_big;
  too_big.mmap_threshold = std::size_t{1} << 40;  // past glibc's cap and INT_MAX
  const absl::Status refused = ApplyMallocPolicy(too_big);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInternal);
  EXPECT_NE(refused.message().find("M_MMAP_THRESHOLD"), std::string::npos);
}

}  // namespace
}  // namespace actserver
