// actload's payloads: the requests of a run, built once before it starts
// (random inputs from the seed, the request serialised once for the gRPC
// engine's generic stub and framed once per target for the h2 engine, the
// reference results when verifying), and the size schedule that interleaves
// the sizes of a mix. Sending them is the runner's job (actload_runner.cc);
// what the reference results are, actload_verify's.
#include <random>
#include <span>
#include <utility>

#include "absl/time/time.h"
#include "client/actload_internal.h"
#include "client/tensor_codec.h"
#include "grpcpp/support/slice.h"

namespace activation::client::actload_internal {
namespace {

template <typename T>
std::vector<T> RandomValues(std::size_t n, double range, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(-range, range);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <typename T>
Payload BuildPayload(const LoadConfig& config, std::size_t size,
                     const Verifier* verifier,
                     const std::vector<H2Address>& h2_targets) {
  Payload p;
  p.size = size;
  const std::vector<T> input = RandomValues<T>(size, config.input_range,
                                               config.seed + size);
  std::vector<T> grad;
  if (config.mode == v1::MODE_BACKWARD) {
    grad = RandomValues<T>(size, 1.0, config.seed + size + 1);
  }
  const ComputeSpec spec{.function = config.function,
                         .params = config.params,
                         .mode = config.mode,
                         .encoding = config.encoding};
  v1::ComputeRequest request =
      MakeRequest<T>(spec, std::span<const T>(input), std::span<const T>(grad));
  const int tensors_in = grad.empty() ? 1 : 2;
  const int tensors_out = config.mode == v1::MODE_FORWARD_AND_DERIVATIVE ? 2 : 1;
  const int items = config.rpc == LoadRpc::kBatch ? config.batch_items : 1;
  p.elements = uint64_t{size} * items;
  p.payload_bytes = p.elements * sizeof(T) * (tensors_in + tensors_out);
  std::string serialized;
  if (config.rpc == LoadRpc::kBatch) {
    v1::ComputeBatchRequest batch;
    for (int i = 0; i < items; ++i) *batch.add_items() = request;
    serialized = batch.SerializeAsString();
    p.method = kBatchMethod;
  } else {
    serialized = request.SerializeAsString();
    p.method = kComputeMethod;
  }
  for (const H2Address& target : h2_targets) {
    p.h2.push_back(std::make_shared<const H2Request>(
        p.method, target.authority, serialized,
        absl::ToChronoNanoseconds(config.timeout)));
  }
  grpc::Slice slice(serialized);
  p.bytes = grpc::ByteBuffer(&slice, 1);
  p.request = std::make_shared<const v1::ComputeRequest>(std::move(request));
  if (verifier != nullptr) {
    p.expected = verifier->Expect<T>(input, grad);
  }
  return p;
}

}  // namespace

std::vector<Payload> BuildPayloads(const LoadConfig& config,
                                   const Verifier* verifier,
                                   const std::vector<H2Address>& h2_targets) {
  std::vector<Payload> payloads;
  for (std::size_t size : config.sizes.sizes) {
    payloads.push_back(
        config.dtype == v1::DTYPE_FLOAT64
            ? BuildPayload<double>(config, size, verifier, h2_targets)
            : BuildPayload<float>(config, size, verifier, h2_targets));
  }
  return payloads;
}

std::vector<int> SizeSchedule(const SizeMix& mix) {
  int total = 0;
  for (int w : mix.weights) total += w;
  std::vector<int> current(mix.weights.size(), 0);
  std::vector<int> schedule;
  for (int n = 0; n < total; ++n) {
    int best = 0;
    for (std::size_t i = 0; i < current.size(); ++i) {
      current[i] += mix.weights[i];
      if (current[i] > current[best]) best = static_cast<int>(i);
    }
    current[best] -= total;
    schedule.push_back(best);
  }
  return schedule;
}

}  // namespace activation::client::actload_internal
