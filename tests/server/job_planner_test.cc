// Jobs planned over a message cut at random places compute exactly what one
// contiguous job computes, bit for bit.
#include "server/job_planner.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/server/server_test_util.h"
#include "tests/server/wire_test_util.h"

namespace actserver {
namespace {

namespace v1 = ::activation::v1;
using ::actserver::testing::MakeRequest;
using ::actserver::testing::MakeTensor;
using ::actserver::testing::Sliced;
using ::actserver::testing::WireType;

constexpr RequestLimits kNoLimit{~std::size_t{0}, ~std::size_t{0}};

TEST(JobPlannerTest, AnySlicingGivesTheContiguousResult) {
  std::mt19937 rng(99);
  for (WireType type : testing::kAllWireTypes) {
    for (v1::Mode mode : testing::kAllModes) {
      const int n = 1 + static_cast<int>(rng() % 300);
      std::vector<double> x(n), g(n);
      for (double& v : x) v = std::uniform_real_distribution<>(-8, 8)(rng);
      for (double& v : g) v = std::uniform_real_distribution<>(-2, 2)(rng);
      v1::ComputeRequest request = MakeRequest("silu", mode, type, x);
      if (mode == v1::MODE_BACKWARD) *request.mutable_grad() = MakeTensor(type, g);
      const std::string bytes = request.SerializeAsString();

      // The reference: one slice, which gives one job.
      Sliced whole(bytes, 0);
      absl::StatusOr<DecodedRequest> one = DecodeComputeRequest(whole.chain(), kNoLimit);
      ASSERT_TRUE(one.ok()) << one.status();
      const std::size_t value_bytes = n * activations::DTypeSize(one->input.dtype);
      std::string want(value_bytes, '\0'), want2(value_bytes, '\0');
      {
        Scratch scratch;
        std::vector<activations::Job> jobs;
        PlanJobs(*one, {want.data(), want2.data()}, &scratch, &jobs);
        ASSERT_EQ(jobs.size(), 1u);
        for (const auto& job : jobs) activations::RunSerial(job);
      }
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = 1 + rng() % 9; at < bytes.size(); at += 1 + rng() % 13) {
          cuts.push_back(at);
        }
        Sliced cut(bytes, cuts);
        absl::StatusOr<DecodedRequest> d = DecodeComputeRequest(cut.chain(), kNoLimit);
        ASSERT_TRUE(d.ok()) << d.status();
        std::string got(value_bytes, '\x55'), got2(value_bytes, '\x55');
        const bool both = mode == v1::MODE_FORWARD_AND_DERIVATIVE;
        Scratch scratch;
        std::vector<activations::Job> jobs;
        PlanJobs(*d, {got.data(), both ? got2.data() : nullptr}, &scratch, &jobs);
        std::size_t covered = 0;
        for (const auto& job : jobs) {
          covered += job.size;
          activations::RunSerial(job);
        }
        EXPECT_EQ(covered, static_cast<std::size_t>(n));
        if (n > 8) {
          EXPECT_GT(jobs.size(), 1u);  // cut every 13 bytes at most
        }
        EXPECT_EQ(got, want) << v1::Mode_Name(mode) << " trial " << trial;
        if (both) {
          EXPECT_EQ(got2, want2);
        }
      }
    }
  }
}

TEST(JobPlannerTest, EmptyTensorPlansNothing) {
  const v1::ComputeRequest request =
      MakeRequest("relu", v1::MODE_FORWARD, WireType::kRawFloat32, {});
  const std::string bytes = request.SerializeAsString();
  Sliced whole(bytes, 0);
  absl::StatusOr<DecodedRequest> d = DecodeComputeRequest(whole.chain(), kNoLimit);
  ASSERT_TRUE(d.ok());
  Scratch scratch;
  std::vector<activations::Job> jobs;
  PlanJobs(*d, {nullptr, nullptr}, &scratch, &jobs);
  EXPECT_TRUE(jobs.empty());
}

}  // namespace
}  // namespace actserver
