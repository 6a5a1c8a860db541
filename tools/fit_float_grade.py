#!/usr/bin/python3
"""Generates the float64 polynomials of the float-grade helpers in
activations/math-inl.h (ExpNonPositiveForFloat, Log1pForFloat).

Those helpers compute float32 results in float64 lanes, where 2^-36 of
relative error before the final rounding to float32 is as good as exact
(0.5 + 2^-12 ULP), so they use shorter polynomials than the float64 kernels:
  e^r - 1 = r + r^2 P(r),        |r| <= ln2 / 2,
  log1p(f) = 2 atanh(z) = 2z + z^3 R(z^2),  |z| <= 3 - 2 sqrt(2),
P and R Chebyshev fits in 40-digit arithmetic with mpmath (Debian package
python3-mpmath), rounded to double.

Usage: /usr/bin/python3 tools/fit_float_grade.py [P_DEGREE] [R_DEGREE]
Prints both coefficient lists (highest degree first) and the measured maximum
relative error of e^r - 1 and of log1p evaluated in double with them.
"""
import sys

import mpmath as mp

mp.mp.dps = 40


def horner(coeffs, t):
    acc = 0.0
    for c in coeffs:
        acc = acc * t + c
    return acc


def main():
    p_degree = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    r_degree = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    a = mp.log(2) / 2 + mp.mpf("1e-9")
    p_fn = lambda r: (mp.expm1(r) - r) / (r * r) if r != 0 else mp.mpf(1) / 2
    p = [float(c) for c in mp.chebyfit(p_fn, [-a, a], p_degree + 1)]
    worst_p = 0.0
    for i in range(4001):
        r = float(-a + 2 * a * i / 4000)
        if r == 0:
            continue
        got = mp.mpf(r) + mp.mpf(r) * r * horner(p, r)
        worst_p = max(worst_p, float(abs(got / mp.expm1(r) - 1)))
    b = 3 - 2 * mp.sqrt(2) + mp.mpf("1e-9")
    r_fn = lambda w: (2 * mp.atanh(mp.sqrt(w)) - 2 * mp.sqrt(w)) / mp.sqrt(w) ** 3 if w != 0 else mp.mpf(2) / 3
    r_poly = [float(c) for c in mp.chebyfit(r_fn, [0, b * b], r_degree + 1)]
    worst_r = 0.0
    for i in range(-4000, 4001):
        z = float(b * i / 4000)
        if z == 0:
            continue
        got = 2 * mp.mpf(z) + mp.mpf(z) ** 3 * horner(r_poly, z * z)
        worst_r = max(worst_r, float(abs(got / (2 * mp.atanh(z)) - 1)))
    print(f"// e^r - 1 = r + r^2 P(r): degree {p_degree}, max relative error {worst_p:.3g}")
    print("static constexpr double kExpm1Poly[] = {" + ", ".join(repr(c) for c in p) + "};")
    print(f"// 2 atanh(z) = 2z + z^3 R(z^2): degree {r_degree}, max relative error {worst_r:.3g}")
    print("static constexpr double kAtanhPoly[] = {" + ", ".join(repr(c) for c in r_poly) + "};")


if __name__ == "__main__":
    main()
