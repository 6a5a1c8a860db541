#!/usr/bin/python3
"""Piecewise polynomials for the float32 GELU tail (activations/gelu-inl.h).

Q(a) = Phi(-a) = exp(-a^2/2) R(a) for a >= 0, with R(a) = erfcx(a/sqrt 2)/2
smooth and slowly varying (erfcx is entire). The half-line [0, 15.5] is cut
at the half-integers into 16 intervals; on interval i (the a that round to
i) R(c_i + u) is a polynomial c0 + c1 u + ... + c_n u^n in u = a - c_i: a
Chebyshev interpolant computed in 50-digit arithmetic (mpmath's chebyfit).
The centre c_i is i, except on interval 1, where it is a0 = 0.75179..., the
zero of m(a) = R(a) - a/sqrt(2 pi) (f'(-a) = exp(-a^2/2) m(a)), as a float
pair hi + lo: the kernel forms u = (a - hi) - lo, and
m(a) = m(c_i) + u (w(u) - 1/sqrt(2 pi)) with w = c1 + c2 u + ..., so m keeps
its relative precision up to its zero (no cancellation of R against a k),
and f' needs no separate series there.

Printed: c0 and c1 as float hi + lo (the kernel's last two Horner steps are
compensated), the others as floats; the centres' hi parts and the negated lo
parts; m(c_i) as float hi + lo. The script then measures, in 50-digit
arithmetic, the relative error of the polynomial with the float coefficients
(exact arithmetic otherwise) on 401 points per interval: the part of the
kernel's error that the coefficients carry.

Usage: /usr/bin/python3 tools/fit_gelu_tail.py [DEGREE]
(mpmath and numpy: Debian's python3-mpmath, python3-numpy).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
INTERVALS = 16
K = 1 / mp.sqrt(2 * mp.pi)


def r_of(a):
    return mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2) / 2


def f32(v):
    return mp.mpf(float(np.float32(float(v))))


def zero_of_m():
    return mp.findroot(lambda a: r_of(a) - a * K, 0.75)


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    a0 = zero_of_m()
    rows = []  # rows[i] = [c0_hi, c0_lo, c1_hi, c1_lo, c2, ..., c_n]
    centres = []  # (hi, -lo)
    m_at = []  # (hi, lo) of m(centre)
    worst = [mp.mpf(0)] * INTERVALS
    for i in range(INTERVALS):
        if i == 1:
            hi = f32(a0)
            lo = f32(a0 - hi)
        else:
            hi, lo = mp.mpf(i), mp.mpf(0)
        center = hi + lo
        centres.append((hi, -lo))
        m = r_of(center) - center * K
        m_at.append((f32(m), f32(m - f32(m))))
        a_lo = 0 if i == 0 else i - mp.mpf(1) / 2
        a_hi = i + mp.mpf(1) / 2
        poly, _ = mp.chebyfit(lambda u: r_of(center + u), [a_lo - center, a_hi - center],
                              degree + 1, error=True)
        c = poly[::-1]  # lowest degree first
        c0_hi = f32(c[0])
        c1_hi = f32(c[1])
        row = [c0_hi, f32(c[0] - c0_hi), c1_hi, f32(c[1] - c1_hi)] + [f32(ck) for ck in c[2:]]
        rows.append(row)
        coeffs = [row[0] + row[1], row[2] + row[3]] + row[4:]
        for j in range(401):
            a = a_lo + (a_hi - a_lo) * j / 400
            u = a - center
            p = mp.mpf(0)
            for ck in reversed(coeffs):
                p = p * u + ck
            worst[i] = max(worst[i], abs(p / r_of(a) - 1))
    print(f"// degree {degree}, interval i = the a that round to i, u = a - centre_i;")
    print(f"// zero of m: a0 = {mp.nstr(a0, 20)}")
    print(f"// max relative error with float coefficients: {float(max(worst)):.3g} "
          f"(interval 1: {float(worst[1]):.3g}; the others: {float(max(worst[:1] + worst[2:])):.3g})")
    print("kC[k][i] (c0 .. c%d, hi parts):" % degree)
    for k in [0, 2] + list(range(4, degree + 3)):
        print("  {" + ", ".join(f"{float(row[k])!r}f" for row in rows) + "},")
    print("kLo (c0, c1 lo parts):")
    for k in [1, 3]:
        print("  {" + ", ".join(f"{float(row[k])!r}f" for row in rows) + "},")
    print("kCentre (hi; minus lo):")
    for k in [0, 1]:
        print("  {" + ", ".join(f"{float(c[k])!r}f" for c in centres) + "},")
    print("kMAtCentre (hi; lo):")
    for k in [0, 1]:
        print("  {" + ", ".join(f"{float(m[k])!r}f" for m in m_at) + "},")


if __name__ == "__main__":
    main()
