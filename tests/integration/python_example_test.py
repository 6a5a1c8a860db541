#!/usr/bin/python3
"""Runs examples/python/client.py against a real actserver, then cross-checks
the server's values and derivatives against PyTorch (python3-torch).

    python_example_test.py --actserver BUILD/server/actserver \
        --example SRC/examples/python/client.py --proto-dir SRC/proto

Starts actserver on 127.0.0.1 with a kernel-chosen port (read back from its
start-up line), stops it with SIGTERM and requires exit status 0. Exits 77
(ctest's SKIP_RETURN_CODE) when python3-grpcio itself is missing; the torch
part alone is skipped, with a message, when torch cannot be imported.
"""

import argparse
import importlib.util
import re
import signal
import subprocess
import sys
import tempfile
import threading

SKIP = 77
TIMEOUT_S = 30.0


class Server:
    """actserver as a subprocess, its stderr collected on a thread."""

    def __init__(self, binary):
        self.proc = subprocess.Popen(
            [binary, "--port=0", "--address=127.0.0.1", "--threads=2"],
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._port = None
        self._started = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                self._port = int(match.group(1))
                self._started.set()
        self._started.set()  # EOF: the server died

    def port(self):
        if not self._started.wait(TIMEOUT_S) or self._port is None:
            raise RuntimeError("actserver did not start:\n" + "\n".join(self.lines))
        return self._port

    def stop(self):
        """SIGTERM; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def run_example(example, target, proto_dir, stubs_dir):
    result = subprocess.run(
        [sys.executable, example, f"--target={target}",
         f"--proto-dir={proto_dir}", f"--stubs-dir={stubs_dir}"],
        capture_output=True, text=True, timeout=120)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    assert result.returncode == 0, f"client.py exited {result.returncode}"
    # No count of activations here: the catalogue grows by one file and one
    # line (activations/activation_list.h), and no test should need an edit.
    assert re.search(r"ListActivations: [1-9][0-9]* activations", result.stdout), \
        "missing from the output: ListActivations: N activations"
    for expected in ("health: SERVING",
                     "INVALID_ARGUMENT: params.beta", "ComputeBatch: 3 items",
                     "s2: error 3: function: unknown activation",
                     "all calls behaved as expected"):
        assert expected in result.stdout, f"missing from the output: {expected!r}"


def torch_cross_check(client, stub):
    """Values and derivatives from the server against torch's (autograd for
    f'), for float64 and float32 inputs, with and without parameters."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as error:
        print(f"SKIPPED torch cross-check: python3-torch is not importable ({error})")
        return
    import numpy as np

    pb = client.pb
    # Every elementwise entry of the server's catalogue at its defaults, as
    # torch.nn.functional.<name>(x, **defaults), except where PyTorch spells
    # it differently (the catalogue's notes say how)...
    spelled_differently = {
        "sigmoid": lambda x: torch.sigmoid(x),
        "tanh": lambda x: torch.tanh(x),
        "swish": lambda x, beta: x * torch.sigmoid(beta * x),
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "rrelu": lambda x, lower, upper: F.rrelu(x, lower, upper, training=False),
    }
    catalogue = stub.ListActivations(pb.ListActivationsRequest(), timeout=TIMEOUT_S)
    cases = []
    for info in catalogue.activations:
        if info.name in ("softmax", "log_softmax"):
            continue  # along a dim: tests/activations (LineWiseEntries)
        defaults = {p.name: p.default_value for p in info.parameters}
        fn = spelled_differently.get(info.name) or getattr(F, info.name)
        cases.append((info.name, {}, lambda x, fn=fn, d=defaults: fn(x, **d)))
    # ...and these with parameters off their defaults.
    cases += [
        ("sigmoid", {}, torch.sigmoid),
        ("tanh", {}, torch.tanh),
        ("relu", {}, F.relu),
        ("leaky_relu", {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2)),
        ("elu", {"alpha": 0.5}, lambda x: F.elu(x, alpha=0.5)),
        ("softplus", {"beta": 2.0, "threshold": 10.0},
         lambda x: F.softplus(x, beta=2.0, threshold=10.0)),
        ("silu", {}, F.silu),
        ("swish", {"beta": 1.5}, lambda x: x * torch.sigmoid(1.5 * x)),
        ("mish", {}, F.mish),
        ("gelu", {}, F.gelu),
        ("gelu_tanh", {}, lambda x: F.gelu(x, approximate="tanh")),
    ]
    # Avoid the kinks of relu/leaky_relu/elu at exactly 0 (conventions are
    # tested elsewhere); include tails where naive formulas overflow.
    grid = np.concatenate([np.linspace(-30, 30, 1201) + 0.0123, [-700.5, 700.5]])
    tolerances = {np.float64: (1e-12, 1e-14), np.float32: (2e-6, 1e-7)}
    for dtype, (rtol, atol) in tolerances.items():
        x = grid.astype(dtype)
        for name, params, torch_fn in cases:
            request = pb.ComputeRequest(
                id=name, function=name, params=params,
                mode=pb.MODE_FORWARD_AND_DERIVATIVE, input=client.raw_tensor(x))
            reply = stub.Compute(request, timeout=TIMEOUT_S)
            got_y = client.to_numpy(reply.output)
            got_dy = client.to_numpy(reply.derivative)
            # torch in float64 for both types: in float32 torch's own
            # derivatives cancel (tanh'(-8.7) = 1 - tanh^2 gives 0 there),
            # which is exactly what the server is built to avoid.
            xt = torch.tensor(x.astype(np.float64), requires_grad=True)
            yt = torch_fn(xt)
            yt.backward(torch.ones_like(yt))
            want_y = yt.detach().numpy().astype(dtype)
            want_dy = xt.grad.numpy()
            if name == "hardsigmoid":
                # PyTorch's CPU hardsigmoid backward multiplies by 1.0f / 6.0f,
                # float32's 1/6 (3e-8 off), in float64 too: the exact 1/6 there.
                want_dy = np.where(want_dy == np.float32(1 / 6), 1 / 6, want_dy)
            want_dy = want_dy.astype(dtype)
            for what, got, want in (("f", got_y, want_y), ("f'", got_dy, want_dy)):
                if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
                    bad = np.argmax(np.abs(got - want) / (atol + rtol * np.abs(want)))
                    raise AssertionError(
                        f"{name} {what} ({np.dtype(dtype).name}) differs from torch "
                        f"at x={x[bad]!r}: server {got[bad]!r}, torch {want[bad]!r}")
            print(f"torch agrees: {name:<10} {np.dtype(dtype).name} "
                  f"f and f' on {len(x)} points")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--example", required=True)
    parser.add_argument("--proto-dir", required=True)
    args = parser.parse_args()

    for module in ("grpc", "google.protobuf", "numpy"):
        if importlib.util.find_spec(module) is None:
            print(f"SKIPPED: {module} is not importable by {sys.executable} "
                  "(Debian: python3-grpcio python3-protobuf python3-numpy)")
            return SKIP

    server = Server(args.actserver)
    try:
        target = f"127.0.0.1:{server.port()}"
        with tempfile.TemporaryDirectory(prefix="actsvc_stubs_") as stubs_dir:
            run_example(args.example, target, args.proto_dir, stubs_dir)

            spec = importlib.util.spec_from_file_location("client", args.example)
            client = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(client)
            (client.pb, client.pb_grpc, client.health_pb,
             client.health_grpc) = client.load_stubs(args.proto_dir, stubs_dir)
            import grpc
            with grpc.insecure_channel(target) as channel:
                torch_cross_check(client, client.pb_grpc.ActivationServiceStub(channel))
    finally:
        code = server.stop()
        print("\n".join(server.lines), file=sys.stderr)
    assert code == 0, f"actserver exited {code} after SIGTERM"
    assert any("stopped after serving" in line for line in server.lines)
    print("python example test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
