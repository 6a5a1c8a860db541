// Uses the installed client library the way an outside project would: builds
// a request from a span, decodes it back, and calls an address where nothing
// listens, expecting the deadline-bounded failure. Exit code 0 = all good.
#include <cstdio>
#include <span>
#include <vector>

#include "client/activation_client.h"

int main() {
  namespace ac = activation::client;
  const std::vector<float> x = {-1.0f, 0.0f, 2.5f};
  const activation::v1::ComputeRequest request = ac::MakeRequest<float>(
      {.function = "sigmoid", .encoding = ac::Encoding::kRaw},
      std::span<const float>(x));
  auto back = ac::TensorValues<float>(request.input());
  if (!back.ok() || *back != x) {
    std::fprintf(stderr, "round trip through the raw encoding failed\n");
    return 1;
  }
  // Port 1 on loopback: nothing listens there, so the call must fail fast
  // with UNAVAILABLE (or hit its deadline), never hang.
  auto client = ac::ActivationClient::Create(
      {.target = "127.0.0.1:1", .timeout = absl::Milliseconds(500)});
  if (!client.ok()) {
    std::fprintf(stderr, "Create failed: %s\n",
                 std::string(client.status().message()).c_str());
    return 1;
  }
  auto response = (*client)->Compute(request);
  if (response.ok() ||
      (response.status().code() != absl::StatusCode::kUnavailable &&
       response.status().code() != absl::StatusCode::kDeadlineExceeded)) {
    std::fprintf(stderr, "expected UNAVAILABLE, got %s\n",
                 response.status().ToString().c_str());
    return 1;
  }
  std::printf("consumer OK: %s\n", response.status().ToString().c_str());
  return 0;
}
