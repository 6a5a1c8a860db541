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

// The 16-bit element types (kBFloat16, kFloat16) to and from float32 on the
// best SIMD target: exact widening, and narrowing rounded once to nearest
// even with half_float.h's rules (inf on overflow, NaN stays NaN).
void WidenToFloat(DType dtype, const uint16_t* in, float* out, std::size_t n);
void NarrowFromFloat(DType dtype, const float* in, uint16_t* out, std::size_t n);

// Name of the target ComputeRange dispatches to, e.g. "AVX2".
const char* DispatchedTargetName();

}  // namespace activations::internal

#endif  // ACTIVATIONS_KERNELS_H_
