#include "server/job_planner.h"

#include <algorithm>
#include <cstring>

#include "activations/catalog.h"

namespace actserver {
namespace {

// Walks a chain's pieces in whole values.
class ValueCursor {
 public:
  ValueCursor(const wire::Chain& chain, std::size_t value_size)
      : pieces_(chain.pieces()), value_size_(value_size) {}

  // Whole values left in the current piece (0 if the next value is split).
  std::size_t ContiguousValues() const {
    if (piece_ >= pieces_.size()) return 0;
    return (pieces_[piece_].size - offset_) / value_size_;
  }
  const char* position() const { return pieces_[piece_].data + offset_; }

  // Copies the next value, which may span pieces, to `out`, and moves past it.
  void CopyOne(char* out) {
    std::size_t n = value_size_;
    while (n > 0) {
      const wire::Piece& p = pieces_[piece_];
      const std::size_t take = std::min(n, p.size - offset_);
      std::memcpy(out, p.data + offset_, take);
      out += take;
      n -= take;
      Advance(take);
    }
  }
  void Skip(std::size_t values) { Advance(values * value_size_); }

 private:
  void Advance(std::size_t bytes) {
    offset_ += bytes;
    while (piece_ < pieces_.size() && offset_ >= pieces_[piece_].size) {
      offset_ -= pieces_[piece_].size;
      ++piece_;
    }
  }

  std::span<const wire::Piece> pieces_;
  std::size_t value_size_;
  std::size_t piece_ = 0;
  std::size_t offset_ = 0;
};

}  // namespace

char* Scratch::Allocate(std::size_t bytes) {
  const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  if (rounded > kBlockBytes / 4) {
    // Large (softmax's contiguous copies): a block of its own.
    blocks_.push_back(std::make_unique<char[]>(bytes));
    return blocks_.back().get();
  }
  if (rounded > left_) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    next_ = blocks_.back().get();
    left_ = kBlockBytes;
  }
  char* const out = next_;
  next_ += rounded;
  left_ -= rounded;
  return out;
}

void PlanJobs(const DecodedRequest& request, const OutputSlots& slots,
              Scratch* scratch, std::vector<activations::Job>* jobs) {
  const std::size_t n = request.input.size;
  if (n == 0) return;
  const std::size_t value_size = activations::DTypeSize(request.input.dtype);
  ValueCursor input(request.input.data, value_size);
  const bool has_grad = request.grad.has_value();
  std::optional<ValueCursor> grad;
  if (has_grad) grad.emplace(request.grad->data, value_size);

  activations::Job job;
  job.call = request.call;
  job.dtype = request.input.dtype;
  if (!activations::GetSpec(job.call.id).elementwise) {
    // softmax reduces along a dim: one job over the whole tensor with its
    // shape, read contiguously (copied where it spans slices).
    auto contiguous = [&](const wire::Chain& chain) -> const char* {
      const auto pieces = chain.pieces();
      if (pieces.size() == 1) return pieces[0].data;
      char* copy = scratch->Allocate(n * value_size);
      ValueCursor cursor(chain, value_size);
      for (std::size_t i = 0; i < n; ++i) cursor.CopyOne(copy + i * value_size);
      return copy;
    };
    job.input = contiguous(request.input.data);
    job.grad = has_grad ? contiguous(request.grad->data) : nullptr;
    job.size = n;
    job.output = slots.output;
    job.shape = request.input.shape;
    jobs->push_back(job);
    return;
  }
  // At most one job per piece boundary of the input or the gradient plus
  // one per run between them: reserved, so that the vector grows once.
  jobs->reserve(jobs->size() + 2 * request.input.data.pieces().size() +
                (has_grad ? 2 * request.grad->data.pieces().size() : 0) + 1);
  for (std::size_t done = 0; done < n;) {
    std::size_t run = input.ContiguousValues();
    if (has_grad) run = std::min(run, grad->ContiguousValues());
    run = std::min(run, n - done);
    if (run > 0) {
      job.input = input.position();
      job.grad = has_grad ? grad->position() : nullptr;
      input.Skip(run);
      if (has_grad) grad->Skip(run);
    } else {
      // A value split across slices (in the input, the gradient or both):
      // copy this one value of each and compute it alone.
      run = 1;
      char* copy = scratch->Allocate(2 * value_size);
      input.CopyOne(copy);
      job.input = copy;
      job.grad = nullptr;
      if (has_grad) {
        grad->CopyOne(copy + value_size);
        job.grad = copy + value_size;
      }
    }
    job.size = run;
    job.output = slots.output + done * value_size;
    job.derivative =
        slots.derivative != nullptr ? slots.derivative + done * value_size : nullptr;
    jobs->push_back(job);
    done += run;
  }
}

}  // namespace actserver
