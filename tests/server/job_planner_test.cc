// Jobs planned over a message cut at random places compute exactly what one
// contiguous job computes, bit for bit.
#include "server/job_planner.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>
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

// softmax along a dim: one job with the request's shape and dim, over a
// message cut anywhere, gives what the library gives on the contiguous
// tensor; the dim is checked against the shape with the field named.
TEST(JobPlannerTest, SoftmaxAlongADimReadsTheShape) {
  std::mt19937 rng(7);
  const std::vector<std::int64_t> shape = {3, 5, 7};
  std::vector<double> x(3 * 5 * 7), g(x.size());
  for (double& v : x) v = std::uniform_real_distribution<>(-8, 8)(rng);
  for (double& v : g) v = std::uniform_real_distribution<>(-2, 2)(rng);
  for (const char* fn : {"softmax", "log_softmax"}) {
    for (v1::Mode mode : {v1::MODE_FORWARD, v1::MODE_BACKWARD}) {
      for (double dim : {0.0, -2.0, 2.0}) {
        v1::ComputeRequest request = MakeRequest(fn, mode, WireType::kRawFloat64, x, shape);
        (*request.mutable_params())["dim"] = dim;
        if (mode == v1::MODE_BACKWARD) *request.mutable_grad() = MakeTensor(WireType::kRawFloat64, g);
        const std::string bytes = request.SerializeAsString();
        std::vector<std::size_t> cuts;
        for (std::size_t at = 5; at < bytes.size(); at += 37) cuts.push_back(at);
        Sliced cut(bytes, cuts);
        absl::StatusOr<DecodedRequest> d = DecodeComputeRequest(cut.chain(), kNoLimit);
        ASSERT_TRUE(d.ok()) << d.status();
        std::vector<double> got(x.size()), want(x.size());
        Scratch scratch;
        std::vector<activations::Job> jobs;
        PlanJobs(*d, {reinterpret_cast<char*>(got.data()), nullptr}, &scratch, &jobs);
        ASSERT_EQ(jobs.size(), 1u);
        activations::RunSerial(jobs[0]);
        activations::Job job{d->call, activations::DType::kFloat64, x.size(), x.data(),
                             g.data(), want.data()};
        job.shape = shape;
        activations::RunSerial(job);
        EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)), 0)
            << fn << " " << v1::Mode_Name(mode) << " dim=" << dim;
      }
    }
  }
  v1::ComputeRequest bad = MakeRequest("softmax", v1::MODE_FORWARD, WireType::kRawFloat32, x, shape);
  (*bad.mutable_params())["dim"] = 3;
  const std::string bytes = bad.SerializeAsString();
  Sliced whole(bytes, 0);
  absl::StatusOr<DecodedRequest> d = DecodeComputeRequest(whole.chain(), kNoLimit);
  ASSERT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            "params.dim: softmax: dim=3 is outside [-3, 2] for a tensor of rank 3");
}

// bfloat16 and float16 raw tensors decode and compute as the library does.
TEST(JobPlannerTest, SixteenBitRawTensors) {
  for (auto [wire, dtype] : {std::pair{v1::DTYPE_BFLOAT16, activations::DType::kBFloat16},
                             std::pair{v1::DTYPE_FLOAT16, activations::DType::kFloat16}}) {
    const std::uint16_t x[4] = {0x3C00, 0xBC00, 0x4000, 0x0000};  // raw bits
    v1::ComputeRequest request;
    request.set_function("sigmoid");
    request.set_mode(v1::MODE_FORWARD);
    request.mutable_input()->mutable_raw()->set_dtype(wire);
    request.mutable_input()->mutable_raw()->set_data(std::string(reinterpret_cast<const char*>(x), sizeof(x)));
    const std::string bytes = request.SerializeAsString();
    Sliced whole(bytes, 0);
    absl::StatusOr<DecodedRequest> d = DecodeComputeRequest(whole.chain(), kNoLimit);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->input.dtype, dtype);
    EXPECT_EQ(d->input.size, 4u);
    std::uint16_t got[4], want[4];
    Scratch scratch;
    std::vector<activations::Job> jobs;
    PlanJobs(*d, {reinterpret_cast<char*>(got), nullptr}, &scratch, &jobs);
    for (const auto& job : jobs) activations::RunSerial(job);
    activations::RunSerial(activations::Job{d->call, dtype, 4, x, nullptr, want});
    EXPECT_EQ(std::memcmp(got, want, sizeof(got)), 0);
  }
}

// Scratch hands out small pieces from shared blocks: each aligned, none
// overlapping, every one keeping its bytes while later ones are handed out
// (through several blocks), and large ones in blocks of their own.
TEST(JobPlannerTest, ScratchKeepsEveryAllocation) {
  Scratch scratch;
  std::vector<std::pair<char*, std::size_t>> given;
  const std::size_t sizes[] = {1, 2, 4, 8, 16, 17, 200, 5000, 3};
  for (int round = 0; round < 60; ++round) {
    for (const std::size_t size : sizes) {
      char* p = scratch.Allocate(size);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
      std::memset(p, static_cast<int>(given.size() & 0xff), size);
      given.emplace_back(p, size);
    }
  }
  for (std::size_t i = 0; i < given.size(); ++i) {
    const auto [p, size] = given[i];
    for (std::size_t b = 0; b < size; ++b) {
      ASSERT_EQ(static_cast<unsigned char>(p[b]), i & 0xff) << i << " " << b;
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
