// The two 16-bit element types, as bit patterns in uint16_t: bfloat16 (the
// upper half of a float32: 8 exponent bits, 7 mantissa bits) and IEEE 754
// binary16 "float16" (5 exponent bits, 10 mantissa bits, subnormals below
// 2^-14, largest finite 65504).
//
// The library computes them in float32 and rounds once, to nearest with ties
// to even (evaluate.h). These scalar conversions are the plain reference for
// that rounding, for tests, tools and clients; the kernels use SIMD versions
// of the same rules (kernels.cc). Widening is exact. Narrowing rounds to
// nearest even, overflows to +-inf as IEEE does, and keeps NaN a NaN (quiet,
// same sign). Thread-safe (pure functions).
//
// Example:
//   const uint16_t h = FloatToFloat16(0.1f);  // 0x2E66
//   const float back = Float16ToFloat(h);     // 0.0999755859375f
#ifndef ACTIVATIONS_HALF_FLOAT_H_
#define ACTIVATIONS_HALF_FLOAT_H_

#include <cstdint>
#include <cstring>

namespace activations {

inline std::uint32_t FloatBits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
inline float FloatFromBits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline float BFloat16ToFloat(std::uint16_t h) { return FloatFromBits(std::uint32_t{h} << 16); }

inline std::uint16_t FloatToBFloat16(float f) {
  const std::uint32_t u = FloatBits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // NaN
  // Adding 0x7FFF plus the lowest kept bit carries into the kept bits exactly
  // when the dropped half is above the midpoint, or at it with an odd kept
  // part; a carry out of the mantissa bumps the exponent (up to inf).
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
}

inline float Float16ToFloat(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
  const std::uint32_t exp = (h >> 10) & 0x1F;
  const std::uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return FloatFromBits(sign | 0x7F800000u | (mant << 13));  // inf, NaN
  if (exp != 0) return FloatFromBits(sign | ((exp + 127 - 15) << 23) | (mant << 13));
  // Zero or subnormal: mant * 2^-24, exact in float32.
  const float magnitude = static_cast<float>(mant) * 5.9604644775390625e-08f;  // 2^-24
  return sign ? -magnitude : magnitude;
}

inline std::uint16_t FloatToFloat16(float f) {
  const std::uint32_t u = FloatBits(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u;   // NaN
  if (a >= 0x47800000u) return sign | 0x7C00u;  // >= 65536: inf (65520 too, below)
  if (a < 0x38800000u) {
    // Below 2^-14: a subnormal float16, |f| / 2^-24 rounded to an integer
    // (to nearest even; 1024 is the smallest normal, which the encoding
    // below produces by itself).
    const float scaled = FloatFromBits(a) * 16777216.0f;  // * 2^24, exact
    std::uint32_t q = static_cast<std::uint32_t>(scaled);
    const float rest = scaled - static_cast<float>(q);
    if (rest > 0.5f || (rest == 0.5f && (q & 1))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  // Normal: rebias the exponent, then round away the low 13 mantissa bits
  // as in FloatToBFloat16; a carry may reach 0x7C00 (inf) from 65520 up.
  const std::uint32_t rebiased = a - ((127u - 15u) << 23);
  return static_cast<std::uint16_t>(sign |
                                    ((rebiased + 0xFFFu + ((rebiased >> 13) & 1)) >> 13));
}

}  // namespace activations

#endif  // ACTIVATIONS_HALF_FLOAT_H_
