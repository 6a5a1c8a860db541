// Turns a decoded request into compute jobs without copying its tensors.
//
// A received message arrives as a chain of slices with arbitrary boundaries,
// so a tensor's values (and in backward mode its gradient's, whose boundaries
// fall elsewhere) are contiguous only in runs. Each run where both are
// contiguous becomes one activations::Job reading the slices in place and
// writing its part of the contiguous output; a value split across two slices
// is copied into `scratch` and computed as a job of one. Elementwise kernels
// give the same bits whatever the split (tested), so the result is exactly
// that of one contiguous job. A function that is not elementwise (softmax)
// gets one job over the whole tensor, with its shape, copied into `scratch`
// only where it spans slices.
#ifndef SERVER_JOB_PLANNER_H_
#define SERVER_JOB_PLANNER_H_

#include <memory>
#include <vector>

#include "activations/evaluate.h"
#include "server/request_decoder.h"
#include "server/response_encoder.h"

namespace actserver {

// Storage for values split across slices; keeps its addresses as it grows.
// A bump allocator: the values split across slices of one request (one per
// slice boundary, ~17 for 256 KiB over gRPC's 16 KiB frames) share its first
// block, instead of a heap allocation each. Blocks are 16-byte aligned.
class Scratch {
 public:
  char* Allocate(std::size_t bytes);

 private:
  static constexpr std::size_t kBlockBytes = 1024;
  static constexpr std::size_t kAlign = 16;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;      // free space in the last small block
  std::size_t left_ = 0;      // bytes free from next_
};

// Appends to `jobs` the jobs that compute `request` into `slots`. The
// request's slices, `slots` and `scratch` must outlive the jobs.
void PlanJobs(const DecodedRequest& request, const OutputSlots& slots,
              Scratch* scratch, std::vector<activations::Job>* jobs);

}  // namespace actserver

#endif  // SERVER_JOB_PLANNER_H_
