#!/usr/bin/python3
"""e^r - 1 = r + r^2 P(r) for the native float32 gelu (activations/gelu-inl.h,
GeluTailNative16).

The kernel reduces exp(-a^2/2) to 2^k e^r with k = round(-a^2/2 log2 e), so
|r| <= ln2/2 (plus the low parts it carries: -k ln2_lo - sq_lo/2, at most
3e-4). P is the Chebyshev interpolant (mpmath's chebyfit at 40 digits) of
(e^r - 1 - r)/r^2 on |r| <= ln2/2 + 3e-4; its coefficients are
rounded to float, and the relative error of 1 + r + r^2 P(r) against e^r is
measured on 2001 points with those float coefficients (exact arithmetic
otherwise): the part of the kernel's error that the fit carries.

Usage: /usr/bin/python3 tools/fit_gelu_exp.py [DEGREE]   (default 5)
(mpmath and numpy: Debian's python3-mpmath, python3-numpy).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    hi = mp.log(2) / 2 + mp.mpf("3e-4")
    lo = -hi

    def g(r):
        return (mp.exp(r) - 1 - r) / (r * r) if r != 0 else mp.mpf(1) / 2

    poly = mp.chebyfit(g, [lo, hi], degree + 1)
    c = [float(np.float32(float(x))) for x in poly]  # highest degree first
    worst = mp.mpf(0)
    for j in range(2001):
        r = lo + (hi - lo) * j / 2000
        p = mp.mpf(0)
        for ck in c:
            p = p * r + ck
        worst = max(worst, abs((1 + r + r * r * p) / mp.exp(r) - 1))
    print(f"// P of degree {degree}, lowest degree first; max relative error {float(worst):.2g}")
    print("{" + ", ".join(f"{x!r}f" for x in reversed(c)) + "}")


if __name__ == "__main__":
    main()
