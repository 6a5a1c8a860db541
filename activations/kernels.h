// Internal: the runtime-dispatched SIMD kernels behind Engine (kernels.cc).
#ifndef ACTIVATIONS_KERNELS_H_
#define ACTIVATIONS_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "activations/evaluate.h"

namespace activations::internal {

// Computes elements [begin, end) of `job` on the best SIMD target of this CPU
// (HWY_DYNAMIC_DISPATCH). Elementwise and lane-independent, so any split of
// a job into ranges gives bit-identical results.
void ComputeRange(const Job& job, std::size_t begin, std::size_t end);

// A float32/float64 elementwise job whose arrays (inputs and outputs, the
// whole job, whatever the range) take more bytes than this stores its
// results non-temporally: they cannot all stay in the last-level cache (32
// MiB on the Zen 4 machine of docs/benchmarks.md, shared with the other
// cores), and an ordinary store would first fetch each output line from
// DRAM. Smaller jobs keep their outputs cached for whoever reads them next
// (the server's response). The same bits either way. See docs/benchmarks.md,
// "Session 23: the driver for large arrays and the two-output modes".
inline constexpr std::size_t kStreamFootprint = std::size_t{24} << 20;

// A float64 forward whose arrays take more bytes than this, and not more
// than kStreamFootprint, runs in 256-bit vectors on the 512-bit targets
// when its kernel says kNarrowPastL2 (a few selects per element): past the
// 1 MiB L2 of the Zen 4, such loops moved 8 MiB float64 arrays from L3
// 10-30% faster in 256-bit vectors than in 512-bit ones (equal at 1-2 MiB
// of arrays; in L1 512-bit loops are twice as fast). The same bits: these
// kernels work lane by lane. See kernels.cc NarrowsPastL2 and
// docs/benchmarks.md, "Session 24: float64 forwards at 1 Mi in 256-bit
// vectors (branch kernels35)".
inline constexpr std::size_t kNarrowFootprint = std::size_t{4} << 20;

// Where a float32/float64 elementwise job's arrays live, from its whole
// size and mode (so every range of a parallel run agrees): kSmall within
// kNarrowFootprint, kPastL2 beyond it, kPastL3 beyond kStreamFootprint.
enum class Footprint : std::uint8_t { kSmall, kPastL2, kPastL3 };

// The dims of a line-wise job around its dim, row-major: `outer` blocks of
// `n` positions along the dim, each position `inner` elements apart.
struct LineLayout {
  std::size_t outer = 1, n = 0, inner = 1;
};

// Columns per unit where the dim is not the last: a multiple of every
// target's vector width, so units do not depend on the target.
inline constexpr std::size_t kLineColumns = 64;

// A job of a function that is not elementwise (softmax), as independent
// units: a unit is one line along the call's dim where that dim is the last
// (contiguous), else one block of up to 64 neighbouring columns of one
// outer index. Units are the same on every target, so any split into unit
// ranges gives bit-identical results. The job's shape must have passed
// CheckShape.
std::size_t LineUnits(const Job& job);
void ComputeLines(const Job& job, std::size_t unit_begin, std::size_t unit_end);

// The 16-bit element types (kBFloat16, kFloat16) to and from float32 on the
// best SIMD target: exact widening, and narrowing rounded once to nearest
// even with half_float.h's rules (inf on overflow, NaN stays NaN).
void WidenToFloat(DType dtype, const uint16_t* in, float* out, std::size_t n);
void NarrowFromFloat(DType dtype, const float* in, uint16_t* out, std::size_t n);

// Name of the target ComputeRange dispatches to, e.g. "AVX2".
const char* DispatchedTargetName();

}  // namespace activations::internal

#endif  // ACTIVATIONS_KERNELS_H_
