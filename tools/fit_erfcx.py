#!/usr/bin/python3
"""Generates the erfcx polynomial used by the GELU kernels (activations/math-inl.h).

erfcx(z) = exp(z^2) erfc(z) is smooth and bounded on [0, inf). With the
substitution t = (z - K) / (z + K), which maps [0, inf) onto [-1, 1), it is
an analytic function of t that a single polynomial approximates uniformly
(the idea of J.A.C. Weideman, "Computation of the complex error function",
SIAM J. Numer. Anal. 31 (1994)). The polynomial is a Chebyshev fit computed
in 50-digit arithmetic with mpmath (Debian package python3-mpmath) and
rounded to double; its coefficients are below 0.33 in magnitude, so Horner's
rule on |t| <= 1 is well conditioned.

Usage: /usr/bin/python3 tools/fit_erfcx.py [K] [DEGREE]
Prints the C++ coefficient list (highest degree first) and the measured
maximum relative error of the double evaluation on z in [0, 27].
"""
import sys

import mpmath as mp

mp.mp.dps = 50


def erfcx(z):
    return mp.exp(z * z) * mp.erfc(z)


def main():
    k = mp.mpf(sys.argv[1]) if len(sys.argv) > 1 else mp.mpf(3)
    degree = int(sys.argv[2]) if len(sys.argv) > 2 else 24
    g = lambda t: erfcx(k * (1 + t) / (1 - t)) if t < 1 else mp.mpf(0)
    poly, fit_error = mp.chebyfit(g, [-1, 1], degree, error=True)
    coeffs = [float(c) for c in poly]
    worst = 0.0
    for i in range(4001):
        z = 27.0 * i / 4000
        t = (z - float(k)) / (z + float(k))
        acc = 0.0
        for c in coeffs:
            acc = acc * t + c
        exact = erfcx(mp.mpf(z))
        worst = max(worst, float(abs((mp.mpf(acc) - exact) / exact)))
    print(f"// K = {float(k)}, degree {degree}; fit error {float(fit_error):.3g},")
    print(f"// measured max relative error of the double evaluation {worst:.3g}.")
    print("static constexpr double kErfcxPoly[] = {")
    for c in coeffs:
        print(f"    {c!r},")
    print("};")


if __name__ == "__main__":
    main()
