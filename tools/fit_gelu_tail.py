#!/usr/bin/python3
"""Piecewise polynomials for the float32 GELU tail (activations/gelu-inl.h).

Q(a) = Phi(-a) = exp(-a^2/2) R(a) for a >= 0, with R(a) = erfcx(a/sqrt 2)/2
smooth and slowly varying (erfcx is entire). Around each of the 16 integers
i = 0..15, R(i + u) for |u| <= 1/2 (0 <= u for i = 0) is a polynomial
c0 + c1 u + ... + c_n u^n: a Chebyshev interpolant computed in 50-digit
arithmetic (mpmath's chebyfit). c0 and c1 are printed as float hi + lo (the
kernel's last two Horner steps are compensated), the others as floats. The
script then measures, in 50-digit arithmetic, the relative error of the
polynomial with the float coefficients (exact arithmetic otherwise) on 401
points per interval: the part of the kernel's error that the coefficients
carry.

Usage: /usr/bin/python3 tools/fit_gelu_tail.py [DEGREE]
(mpmath and numpy: Debian's python3-mpmath, python3-numpy).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
INTERVALS = 16


def r_of(a):
    return mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2) / 2


def f32(v):
    return mp.mpf(float(np.float32(float(v))))


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    rows = []  # rows[i] = [c0_hi, c0_lo, c1_hi, c1_lo, c2, ..., c_n]
    worst = mp.mpf(0)
    for i in range(INTERVALS):
        center = mp.mpf(i)
        lo = 0 if i == 0 else -0.5  # a >= 0
        poly, _ = mp.chebyfit(lambda u: r_of(center + u), [lo, 0.5], degree + 1, error=True)
        c = poly[::-1]  # lowest degree first
        c0_hi = f32(c[0])
        c1_hi = f32(c[1])
        row = [c0_hi, f32(c[0] - c0_hi), c1_hi, f32(c[1] - c1_hi)] + [f32(ck) for ck in c[2:]]
        rows.append(row)
        coeffs = [row[0] + row[1], row[2] + row[3]] + row[4:]
        for j in range(401):
            u = lo + (mp.mpf(1) / 2 - lo) * j / 400
            p = mp.mpf(0)
            for ck in reversed(coeffs):
                p = p * u + ck
            worst = max(worst, abs(p / r_of(center + u) - 1))
    names = ["kC0", "kC0Lo", "kC1", "kC1Lo"] + [f"kC{k}" for k in range(2, degree + 1)]
    print(f"// degree {degree} on [i - 1/2, i + 1/2], i = 0..{INTERVALS - 1}, in u = a - i;")
    print(f"// max relative error with float coefficients: {float(worst):.3g}")
    for k, name in enumerate(names):
        values = ", ".join(f"{float(row[k])!r}f" for row in rows)
        print(f"alignas(64) static constexpr float {name}[{INTERVALS}] = {{{values}}};")


if __name__ == "__main__":
    main()
