#!/usr/bin/python3
"""PyTorch CPU beside activation-service: speed and tail accuracy.

Run with Debian's interpreter (python3-torch, python3-numpy, python3-mpmath):

  /usr/bin/python3 bench/torch_compare.py \
      --bench build/bench/activation_benchmark \
      --points build/bench/activation_points

(--functions=gelu,silu: only those; --skip-speed / --skip-tails: one half.)

1. Speed: each function's forward and backward at 1 Mi float32 (--dtype=f64:
   float64; --size=16Mi: 16 Mi elements) on one thread
   (torch.set_num_threads(1)), through PyTorch's own out= kernels
   (torch.ops.aten.<op>.out / <op>_backward.grad_input) so that no allocation
   is timed; swish, which PyTorch lacks, is the composite x * sigmoid(beta x)
   a user writes. Timed in CPU time of the calling thread (time.thread_time),
   as activation_benchmark times its one-thread runs, median of 5 repetitions
   of >= 0.2 s. Our figures come from running activation_benchmark in the
   same session (--bench), medians of 5 repetitions.
2. Tails: f and f' in float32 at points in the tails, from PyTorch (autograd
   for f', what training gets), from our library (--points) and from an
   mpmath reference at 60 digits; errors in float32 ULP of the exact value.
   Then the worst error over a grid of [-100, 100] where the exact value is a
   normal float32.

Prints Markdown tables (docs/benchmarks.md quotes them).
"""

import argparse
import json
import statistics
import subprocess
import time

import mpmath
import numpy as np
import torch

mp = mpmath.mp
mp.dps = 60

N = 1 << 20
ATEN = torch.ops.aten

# ---------------------------------------------------------------------------
# Speed


def time_op(fn, reps=5, min_seconds=0.2):
    """Median over `reps` of thread CPU seconds per call of fn()."""
    fn()
    iters = 1
    while True:
        t0 = time.thread_time()
        for _ in range(iters):
            fn()
        dt = time.thread_time() - t0
        if dt >= min_seconds / 4:
            break
        iters *= 2
    iters = max(1, int(iters * min_seconds / max(dt, 1e-9)))
    samples = []
    for _ in range(reps):
        t0 = time.thread_time()
        for _ in range(iters):
            fn()
        samples.append((time.thread_time() - t0) / iters)
    return statistics.median(samples)


def torch_cases(x, g, y, out, tmp):
    """name -> (forward, backward, what backward reads, how to make y or None).

    sigmoid's and tanh's backward ops read the forward output y, which the
    caller fills before timing them."""
    cases = {}

    def add(name, fwd, bwd, bwd_from, make_y):
        cases[name] = (fwd, bwd, bwd_from, make_y)

    add("sigmoid", lambda: ATEN.sigmoid.out(x, out=out),
        lambda: ATEN.sigmoid_backward.grad_input(g, y, grad_input=out), "y",
        lambda: torch.sigmoid(x))
    add("tanh", lambda: ATEN.tanh.out(x, out=out),
        lambda: ATEN.tanh_backward.grad_input(g, y, grad_input=out), "y",
        lambda: torch.tanh(x))
    add("relu", lambda: ATEN.clamp_min.out(x, 0.0, out=out),
        lambda: ATEN.threshold_backward.grad_input(g, x, 0.0, grad_input=out), "x", None)
    add("leaky_relu", lambda: ATEN.leaky_relu.out(x, 0.01, out=out),
        lambda: ATEN.leaky_relu_backward.grad_input(g, x, 0.01, False, grad_input=out),
        "x", None)
    add("elu", lambda: ATEN.elu.out(x, 1.0, 1.0, 1.0, out=out),
        lambda: ATEN.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, x, grad_input=out),
        "x", None)
    add("softplus", lambda: ATEN.softplus.out(x, 1.0, 20.0, out=out),
        lambda: ATEN.softplus_backward.grad_input(g, x, 1.0, 20.0, grad_input=out),
        "x", None)
    add("silu", lambda: ATEN.silu.out(x, out=out),
        lambda: ATEN.silu_backward.grad_input(g, x, grad_input=out), "x", None)

    # swish(beta) is not a PyTorch op: the composite a user writes, with its
    # temporaries preallocated; backward by the same chain rule autograd runs
    # (s + beta x s (1 - s)) g.
    def swish_fwd(beta=1.0):
        torch.mul(x, beta, out=tmp)
        torch.sigmoid(tmp, out=tmp)
        torch.mul(x, tmp, out=out)

    def swish_bwd(beta=1.0):
        torch.mul(x, beta, out=tmp)
        torch.sigmoid(tmp, out=tmp)               # s
        ATEN.sigmoid_backward.grad_input(g, tmp, grad_input=out)  # g s (1 - s)
        out.mul_(x).mul_(beta)                    # g beta x s (1 - s)
        out.addcmul_(g, tmp)                      # + g s

    add("swish", swish_fwd, swish_bwd, "x, composite", None)
    add("mish", lambda: ATEN.mish.out(x, out=out),
        lambda: ATEN.mish_backward(g, x), "x, allocates", None)
    add("gelu", lambda: ATEN.gelu.out(x, approximate="none", out=out),
        lambda: ATEN.gelu_backward.grad_input(g, x, approximate="none", grad_input=out),
        "x", None)
    add("gelu_tanh", lambda: ATEN.gelu.out(x, approximate="tanh", out=out),
        lambda: ATEN.gelu_backward.grad_input(g, x, approximate="tanh", grad_input=out),
        "x", None)

    # The rest of torch.nn.functional's elementwise activations, at our (and
    # PyTorch's) default parameters, through the ATen kernels the functional
    # form dispatches to: selu and celu are elu with scales, relu6 is
    # hardtanh(0, 6), rrelu in evaluation mode is leaky_relu with the mean
    # slope. softsign and tanhshrink have no kernel of their own: the
    # composite PyTorch runs, with preallocated temporaries.
    selu_alpha, selu_scale = 1.6732632423543772, 1.0507009873554805
    add("selu", lambda: ATEN.elu.out(x, selu_alpha, selu_scale, 1.0, out=out),
        lambda: ATEN.elu_backward.grad_input(g, selu_alpha, selu_scale, 1.0, False, x,
                                             grad_input=out), "x", None)
    add("celu", lambda: ATEN.elu.out(x, 1.0, 1.0, 1.0, out=out),
        lambda: ATEN.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, x, grad_input=out),
        "x", None)
    add("relu6", lambda: ATEN.hardtanh.out(x, 0.0, 6.0, out=out),
        lambda: ATEN.hardtanh_backward.grad_input(g, x, 0.0, 6.0, grad_input=out), "x", None)
    add("hardtanh", lambda: ATEN.hardtanh.out(x, -1.0, 1.0, out=out),
        lambda: ATEN.hardtanh_backward.grad_input(g, x, -1.0, 1.0, grad_input=out), "x", None)
    add("hardsigmoid", lambda: ATEN.hardsigmoid.out(x, out=out),
        lambda: ATEN.hardsigmoid_backward.grad_input(g, x, grad_input=out), "x", None)
    add("hardswish", lambda: ATEN.hardswish.out(x, out=out),
        lambda: ATEN.hardswish_backward.out(g, x, out=out), "x", None)

    def softsign_fwd():
        torch.abs(x, out=tmp)
        tmp.add_(1.0)
        torch.div(x, tmp, out=out)

    def softsign_bwd():  # d/dx x / (1 + |x|) = 1 / (1 + |x|)^2
        torch.abs(x, out=tmp)
        tmp.add_(1.0)
        tmp.mul_(tmp)
        torch.div(g, tmp, out=out)

    add("softsign", softsign_fwd, softsign_bwd, "x, composite", None)
    add("logsigmoid", lambda: ATEN.log_sigmoid_forward.output(x, output=out, buffer=tmp),
        lambda: ATEN.log_sigmoid_backward.grad_input(g, x, tmp, grad_input=out), "x", None)

    def tanhshrink_fwd():
        torch.tanh(x, out=tmp)
        torch.sub(x, tmp, out=out)

    def tanhshrink_bwd():  # g - g (1 - tanh^2), as autograd chains it
        torch.tanh(x, out=tmp)
        ATEN.tanh_backward.grad_input(g, tmp, grad_input=out)
        torch.sub(g, out, out=out)

    add("tanhshrink", tanhshrink_fwd, tanhshrink_bwd, "x, composite", None)
    add("softshrink", lambda: ATEN.softshrink.out(x, 0.5, out=out),
        lambda: ATEN.softshrink_backward.grad_input(g, x, 0.5, grad_input=out), "x", None)
    add("hardshrink", lambda: ATEN.hardshrink.out(x, 0.5, out=out),
        lambda: ATEN.hardshrink_backward.grad_input(g, x, 0.5, grad_input=out), "x", None)
    add("threshold", lambda: ATEN.threshold.out(x, 0.0, 0.0, out=out),
        lambda: ATEN.threshold_backward.grad_input(g, x, 0.0, grad_input=out), "x", None)
    rrelu_slope = (1.0 / 8 + 1.0 / 3) / 2
    add("rrelu", lambda: ATEN.leaky_relu.out(x, rrelu_slope, out=out),
        lambda: ATEN.leaky_relu_backward.grad_input(g, x, rrelu_slope, False, grad_input=out),
        "x", None)
    return cases


SIZES = {"1Mi": 1 << 20, "16Mi": 1 << 24}


def run_ours(bench, names, dtype, size):
    modes = "forward|backward|backward_from_output"
    filt = "^ours/(%s)/(%s)/%s/t1/%s$" % ("|".join(names), modes, dtype, size)
    cmd = [bench, "--benchmark_filter=" + filt, "--benchmark_repetitions=5",
           "--benchmark_report_aggregates_only=true", "--benchmark_format=json"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    medians = {}
    for b in res["benchmarks"]:
        if b.get("aggregate_name") == "median":
            _, fn, mode = b["run_name"].split("/")[:3]
            medians[(fn, mode)] = b["items_per_second"] / 1e9
    return medians, cmd


def speed(bench, dtype="f32", functions=None, size="1Mi"):
    torch.set_num_threads(1)
    N = SIZES[size]
    dt = {"f32": torch.float32, "f64": torch.float64}[dtype]
    gen = torch.Generator().manual_seed(20240601)
    x = torch.randn(N, generator=gen, dtype=dt) * 3
    g = torch.randn(N, generator=gen, dtype=dt)
    out = torch.empty(N, dtype=dt)
    tmp = torch.empty(N, dtype=dt)
    y = torch.empty(N, dtype=dt)
    cases = torch_cases(x, g, y, out, tmp)
    if functions:
        cases = {k: v for k, v in cases.items() if k in functions}
    results = {}
    for name, (fwd, bwd, bwd_from, make_y) in cases.items():
        if make_y is not None:
            y.copy_(make_y())
        tf = time_op(fwd)
        tb = time_op(bwd)
        results[name] = (N / tf / 1e9, N / tb / 1e9, bwd_from)
    ours = {}
    if bench:
        ours, cmd = run_ours(bench, list(cases), dtype, size)
        print("ours: " + " ".join("'%s'" % c if "|" in c else c for c in cmd))
    print("torch %s, %d thread(s), %s" % (
        torch.__version__, torch.get_num_threads(),
        [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l][0]))
    print()
    print("| function | torch fwd | ours fwd | ours/torch | torch bwd (input) "
          "| ours bwd from x | ours/torch | ours bwd from y | ours/torch |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    fwd_ratios, below = [], []
    for name, (tf, tb, bwd_from) in results.items():
        of = ours.get((name, "forward"))
        ob = ours.get((name, "backward"))
        oy = ours.get((name, "backward_from_output"))
        cell = lambda v: "%.3f" % v if v else "-"
        ratio = lambda a, b: "%.1f×" % (a / b) if a and b else "-"
        print("| %s | %.3f | %s | %s | %.3f (%s) | %s | %s | %s | %s |" % (
            name, tf, cell(of), ratio(of, tf), tb, bwd_from, cell(ob), ratio(ob, tb),
            cell(oy), ratio(oy, tb)))
        if of:
            fwd_ratios.append(of / tf)
            if of < tf:
                below.append("%s forward %.2f×" % (name, of / tf))
        # Backward against PyTorch's backward of the same input: from y for
        # sigmoid and tanh (PyTorch has no backward from x for them).
        ob_same = oy if bwd_from == "y" else ob
        if ob_same and ob_same < tb:
            below.append("%s backward %.2f×" % (name, ob_same / tb))
    print("\nG elements/s, %s %s, one thread." % (
        size.replace("Mi", " Mi"), {"f32": "float32", "f64": "float64"}[dtype]))
    if fwd_ratios:
        print("Geometric mean of the forward ratios: %.2f× over %d functions." % (
            statistics.geometric_mean(fwd_ratios), len(fwd_ratios)))
        print("Below 1.0× (backward against PyTorch's backward of the same input): %s." % (
            ", ".join(below) if below else "none"))


# ---------------------------------------------------------------------------
# Tails

SQRT_2_OVER_PI = mp.sqrt(2 / mp.pi)
KAPPA = mp.mpf("0.044715")


def sig(z):
    return 1 / (1 + mp.exp(-z))


def sech2(z):
    return 1 / mp.cosh(z) ** 2


def _gelu_tanh_u(x):
    return SQRT_2_OVER_PI * (x + KAPPA * x ** 3)


# Exact f and f' at the PyTorch defaults, in forms without cancellation
# (1 - sigmoid(z) as sigmoid(-z), 1 + tanh(u) as 2 sigmoid(2u); mpmath has
# no overflow). softplus follows PyTorch: x itself where x > threshold = 20.
REFERENCE = {
    "sigmoid": (sig, lambda x: sig(x) * sig(-x)),
    "tanh": (mp.tanh, sech2),
    "elu": (lambda x: x if x > 0 else mp.expm1(x), lambda x: 1 if x > 0 else mp.exp(x)),
    "softplus": (lambda x: x if x > 20 else mp.log1p(mp.exp(x)),
                 lambda x: 1 if x > 20 else sig(x)),
    "silu": (lambda x: x * sig(x), lambda x: sig(x) * (1 + x * sig(-x))),
    "swish": (lambda x: x * sig(x), lambda x: sig(x) * (1 + x * sig(-x))),
    "mish": (lambda x: x * mp.tanh(mp.log1p(mp.exp(x))),
             lambda x: mp.tanh(mp.log1p(mp.exp(x)))
             + x * sig(x) * sech2(mp.log1p(mp.exp(x)))),
    "gelu": (lambda x: x * mp.erfc(-x / mp.sqrt(2)) / 2,
             lambda x: mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)),
    "gelu_tanh": (lambda x: x * sig(2 * _gelu_tanh_u(x)),
                  lambda x: sig(2 * _gelu_tanh_u(x))
                  + x / 2 * sech2(_gelu_tanh_u(x)) * SQRT_2_OVER_PI * (1 + 3 * KAPPA * x * x)),
}

TORCH_F = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "elu": torch.nn.functional.elu,
    "softplus": torch.nn.functional.softplus,
    "silu": torch.nn.functional.silu,
    "swish": lambda x: x * torch.sigmoid(1.0 * x),
    "mish": torch.nn.functional.mish,
    "gelu": torch.nn.functional.gelu,
    "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
}

# Points where a float32 formula is known to struggle.
TAIL_POINTS = {
    "sigmoid": [-100.0, -80.0, 10.0, 17.0, 20.0],
    "tanh": [-10.0, 5.0, 10.0, 20.0],
    "elu": [-20.0, -100.0],
    "softplus": [-100.0, -90.0, 15.0],
    "silu": [-90.0, -50.0, 10.0, 20.0],
    "swish": [-90.0, 20.0],
    "mish": [-90.0, -20.0, 20.0],
    "gelu": [-10.0, -5.0, 5.0],
    "gelu_tanh": [-10.0, -5.0, 5.0],
}

FLT_MIN = mp.mpf(2) ** -126
FLT_MAX = mp.mpf(float(np.finfo(np.float32).max))


def ulp32(ref):
    """Spacing of float32 at the exact value `ref` (denorm_min below normal)."""
    if ref == 0:
        return mp.mpf(2) ** -149
    e = max(int(mp.floor(mp.log(abs(ref), 2))), -126)
    return mp.mpf(2) ** (e - 23)


def ulp_error(got, ref):
    got = float(got)
    if np.isnan(got):
        return float("inf")
    return float(abs(mp.mpf(got) - ref) / ulp32(ref))


def torch_values(name, xs):
    x = torch.tensor(xs, dtype=torch.float32, requires_grad=True)
    y = TORCH_F[name](x)
    (dy,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return y.detach().numpy(), dy.numpy()


def ours_values(points_bin, name, xs):
    if not points_bin:
        return None, None
    text = "\n".join(repr(float(v)) for v in xs)
    res = []
    for mode in ("forward", "derivative"):
        out = subprocess.run([points_bin, name, mode, "f32"], input=text, check=True,
                             capture_output=True, text=True).stdout.split()
        res.append(np.array([float(v) for v in out], dtype=np.float32))
    return res


def fmt_ulp(e):
    if e == float("inf"):
        return "NaN"
    if e < 1000:
        return "%.1f" % e
    return "%.2g" % e


def tails(points_bin, functions=None):
    print("| function | x | exact f'(x) | torch f' | ULP | ours f' | ULP "
          "| exact f(x) | torch f | ULP | ours f | ULP |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, xs in TAIL_POINTS.items():
        if functions and name not in functions:
            continue
        xs32 = np.array(xs, dtype=np.float32)
        tf, td = torch_values(name, xs32)
        of, od = ours_values(points_bin, name, xs32)
        f, d = REFERENCE[name]
        for i, x in enumerate(xs32):
            xm = mp.mpf(float(x))
            rf, rd = f(xm), d(xm)
            row = [name, "%g" % x, mp.nstr(rd, 5), "%.5g" % td[i], fmt_ulp(ulp_error(td[i], rd))]
            row += ["%.5g" % od[i], fmt_ulp(ulp_error(od[i], rd))] if od is not None else ["-", "-"]
            row += [mp.nstr(rf, 5), "%.5g" % tf[i], fmt_ulp(ulp_error(tf[i], rf))]
            row += ["%.5g" % of[i], fmt_ulp(ulp_error(of[i], rf))] if of is not None else ["-", "-"]
            print("| " + " | ".join(row) + " |")

    # The worst case over a grid, where the exact result is a normal float32
    # (the domain the library's ULP bounds are stated for).
    xs32 = np.unique(np.concatenate([np.linspace(-100, 100, 4001, dtype=np.float32),
                                     np.linspace(-2, 2, 801, dtype=np.float32)]))
    print()
    print("| function | torch f max ULP (at x) | ours f max ULP (at x) "
          "| torch f' max ULP (at x) | ours f' max ULP (at x) |")
    print("|---|---:|---:|---:|---:|")
    for name in REFERENCE:
        if functions and name not in functions:
            continue
        tf, td = torch_values(name, xs32)
        of, od = ours_values(points_bin, name, xs32)
        f, d = REFERENCE[name]
        worst = {k: (0.0, None) for k in ("tf", "of", "td", "od")}
        for i, x in enumerate(xs32):
            xm = mp.mpf(float(x))
            for kind, ref in (("f", f(xm)), ("d", d(xm))):
                if abs(ref) < FLT_MIN or abs(ref) > FLT_MAX:
                    continue
                for who, vals in (("t", tf if kind == "f" else td), ("o", of if kind == "f" else od)):
                    if vals is None:
                        continue
                    e = ulp_error(vals[i], ref)
                    if e > worst[who + kind][0]:
                        worst[who + kind] = (e, float(x))
        cell = lambda w: "%s (%g)" % (fmt_ulp(w[0]), w[1]) if w[1] is not None else "0"
        print("| %s | %s | %s | %s | %s |" % (name, cell(worst["tf"]), cell(worst["of"]),
                                              cell(worst["td"]), cell(worst["od"])))
    print("\nGrid: 4001 points on [-100, 100] and 801 on [-2, 2], float32; "
          "exact values from mpmath at %d digits; relu and leaky_relu are exact in both." % mp.dps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", help="activation_benchmark binary, for our figures")
    ap.add_argument("--points", help="activation_points binary, for our tail values")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-tails", action="store_true")
    ap.add_argument("--dtype", choices=["f32", "f64"], default="f32",
                    help="element type of the speed comparison (the tails are float32)")
    ap.add_argument("--functions", help="comma-separated subset, e.g. gelu,silu (default: all)")
    ap.add_argument("--size", choices=list(SIZES), default="1Mi",
                    help="elements per call of the speed comparison")
    args = ap.parse_args()
    functions = args.functions.split(",") if args.functions else None
    if functions:
        valid = list(torch_cases(*[torch.empty(1)] * 5))
        unknown = sorted(set(functions) - set(valid))
        if unknown:
            ap.error("--functions: unknown %s; valid: %s"
                     % (", ".join(unknown), ", ".join(valid)))
    if not args.skip_speed:
        speed(args.bench, args.dtype, functions, args.size)
        print()
    if not args.skip_tails:
        tails(args.points, functions)


if __name__ == "__main__":
    main()
