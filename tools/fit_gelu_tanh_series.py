#!/usr/bin/python3
"""Taylor series of gelu_tanh's f' numerator at its zero (activations/gelu_tanh-inl.h).

For z = 2u(x) = k1 x + k2 x^3 < 0 (k1 = 2 sqrt(2/pi), k2 = 0.044715 k1),
f'(x) = e (W(x)) / (1 + e)^2 with e = exp(z) and W(x) = 1 + e + x z'(x).
W vanishes at x0 = -0.75246..., where the float32 kernel's general form
cancels. There W(x0 + u) = u B(u), B(u) = c1 + c2 u + ... + c_n u^(n-1),
c_k = W^(k)(x0) / k!. This prints x0 as three floats (hi, lo, lo2), c1 as
hi + lo, c2..c_n as floats, and the largest relative error of the truncated,
float-rounded B on |u| <= RADIUS (in 60-digit arithmetic).

Usage: /usr/bin/python3 tools/fit_gelu_tanh_series.py [N] [RADIUS]
(mpmath and numpy: Debian's python3-mpmath, python3-numpy).
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 60


def split(v, parts):
    out = []
    for _ in range(parts):
        f = np.float32(float(v))
        out.append(f)
        v -= mp.mpf(float(f))
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    radius = mp.mpf(sys.argv[2]) if len(sys.argv) > 2 else mp.mpf(1) / 8
    k1 = 2 * mp.sqrt(2 / mp.pi)
    k2 = mp.mpf("0.044715") * k1
    w = lambda x: 1 + mp.exp(k1 * x + k2 * x**3) + x * (k1 + 3 * k2 * x**2)
    x0 = mp.findroot(w, -0.75)
    c = mp.taylor(w, x0, n)
    x0_parts = split(x0, 3)
    c1_parts = split(c[1], 2)
    rest = [np.float32(float(ck)) for ck in c[2:n + 1]]
    worst = mp.mpf(0)
    for i in range(-400, 401):
        u = radius * i / 400
        b = mp.mpf(float(c1_parts[0])) + mp.mpf(float(c1_parts[1]))
        b += sum(mp.mpf(float(ck)) * u**(k + 1) for k, ck in enumerate(rest))
        exact = w(x0 + u) / u if u != 0 else c[1]
        worst = max(worst, abs(b / exact - 1))
    print(f"// x0 = {mp.nstr(x0, 25)}")
    print("x0 hi, lo, lo2 =", ", ".join(f"{float(p)!r}f" for p in x0_parts))
    print("c1 hi, lo =", ", ".join(f"{float(p)!r}f" for p in c1_parts))
    print("c2 .. c%d =" % n, ", ".join(f"{float(p)!r}f" for p in rest))
    print(f"max relative error of B on |u| <= {float(radius)}: {float(worst):.3g}")


if __name__ == "__main__":
    main()
