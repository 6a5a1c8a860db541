#!/usr/bin/python3
"""Calls every RPC of activation.v1.ActivationService and prints the results.

Uses Debian's python3-grpcio and python3-protobuf (plus python3-numpy for the
raw-bytes fast path). The Python stubs are generated from the .proto files at
run time with protoc and grpc_python_plugin (Debian: protobuf-compiler,
protobuf-compiler-grpc) into a temporary directory, so nothing generated is
kept in the source tree.

    /usr/bin/python3 examples/python/client.py --target 127.0.0.1:50051

Exits 0 when every call behaved as the API promises, 1 otherwise.
"""

import argparse
import importlib
import pathlib
import shutil
import subprocess
import sys
import tempfile

import grpc
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PROTO_DIR = HERE.parent.parent / "proto"
TIMEOUT_S = 10.0  # every call carries a deadline


def load_stubs(proto_dir=DEFAULT_PROTO_DIR, out_dir=None):
    """Generates the Python stubs and imports them.

    Returns (activation_pb2, activation_pb2_grpc, health_pb2, health_pb2_grpc).
    `out_dir` defaults to a fresh temporary directory.
    """
    out_dir = pathlib.Path(out_dir or tempfile.mkdtemp(prefix="actsvc_stubs_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    subprocess.run(
        ["protoc", f"--proto_path={proto_dir}", f"--proto_path={HERE}",
         f"--plugin=protoc-gen-grpc_python={plugin}",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         "activation/v1/activation.proto", "health.proto"],
        check=True)
    sys.path.insert(0, str(out_dir))
    return tuple(importlib.import_module(name) for name in (
        "activation.v1.activation_pb2", "activation.v1.activation_pb2_grpc",
        "health_pb2", "health_pb2_grpc"))


pb, pb_grpc, health_pb, health_grpc = (None,) * 4


def raw_tensor(array):
    """A Tensor holding `array` as raw little-endian bytes (the fast path)."""
    little_endian, dtype = {np.dtype(np.float32): ("<f4", pb.DTYPE_FLOAT32),
                            np.dtype(np.float64): ("<f8", pb.DTYPE_FLOAT64)}[array.dtype]
    data = array.astype(little_endian, copy=False).tobytes()  # row-major
    return pb.Tensor(shape=list(array.shape), raw=pb.RawArray(dtype=dtype, data=data))


def to_numpy(tensor):
    """The values of a response Tensor as a numpy array of its shape."""
    kind = tensor.WhichOneof("data")
    if kind == "raw":
        dtype = "<f4" if tensor.raw.dtype == pb.DTYPE_FLOAT32 else "<f8"
        values = np.frombuffer(tensor.raw.data, dtype=dtype)
    elif kind == "float32":
        values = np.array(tensor.float32.values, dtype=np.float32)
    else:
        values = np.array(tensor.float64.values, dtype=np.float64)
    return values.reshape(list(tensor.shape) or [-1])


def show(label, values):
    print(f"  {label:<11}", np.array2string(np.asarray(values), precision=6,
                                            max_line_width=100,
                                            separator=", "))


def check_health(channel):
    stub = health_grpc.HealthStub(channel)
    reply = stub.Check(health_pb.HealthCheckRequest(service=""), timeout=TIMEOUT_S)
    status = health_pb.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"health: {status}")
    return reply.status == health_pb.HealthCheckResponse.SERVING


def list_activations(stub):
    reply = stub.ListActivations(pb.ListActivationsRequest(), timeout=TIMEOUT_S)
    print(f"ListActivations: {len(reply.activations)} activations, "
          f"SIMD target {reply.simd_target}")
    for info in reply.activations:
        params = ", ".join(f"{p.name}={p.default_value:g}" for p in info.parameters)
        print(f"  {info.name:<11} {info.formula}"
              + (f"   [{params}]" if params else ""))
    return len(reply.activations) > 0


def compute_packed(stub):
    """sigmoid over packed float32 values: easy from any language."""
    x = [-4.0, -1.0, 0.0, 1.0, 4.0]
    request = pb.ComputeRequest(id="packed", function="sigmoid",
                                mode=pb.MODE_FORWARD,
                                input=pb.Tensor(float32=pb.FloatArray(values=x)))
    reply = stub.Compute(request, timeout=TIMEOUT_S)
    print(f"Compute sigmoid (packed float32, max {reply.max_ulp_error:g} ulp):")
    show("x", x)
    show("sigmoid(x)", reply.output.float32.values)
    return reply.id == "packed" and len(reply.output.float32.values) == len(x)


def compute_raw(stub):
    """gelu and its derivative over raw float64 bytes, with a shape."""
    x = np.linspace(-3, 3, 6).reshape(2, 3)
    request = pb.ComputeRequest(id="raw", function="gelu",
                                mode=pb.MODE_FORWARD_AND_DERIVATIVE,
                                input=raw_tensor(x))
    reply = stub.Compute(request, timeout=TIMEOUT_S)
    y, dy = to_numpy(reply.output), to_numpy(reply.derivative)
    print(f"Compute gelu forward+derivative (raw float64, shape {list(y.shape)}, "
          f"max {reply.max_ulp_error:g} ulp):")
    show("x", x.ravel())
    show("gelu(x)", y.ravel())
    show("gelu'(x)", dy.ravel())
    return y.shape == x.shape and dy.shape == x.shape


def compute_backward(stub):
    """The backward product grad * f'(x), with a parameter by name."""
    x = np.array([-2, -0.5, 0, 0.5, 2], dtype=np.float32)
    grad = np.full_like(x, 0.5)
    request = pb.ComputeRequest(id="backward", function="leaky_relu",
                                params={"negative_slope": 0.1},
                                mode=pb.MODE_BACKWARD,
                                input=raw_tensor(x), grad=raw_tensor(grad))
    reply = stub.Compute(request, timeout=TIMEOUT_S)
    print("Compute leaky_relu(negative_slope=0.1) backward, grad = 0.5:")
    show("x", x)
    show("grad*f'(x)", to_numpy(reply.output))
    return np.allclose(to_numpy(reply.output), np.where(x > 0, 0.5, 0.05))


def compute_error(stub):
    """A bad request: INVALID_ARGUMENT with a message naming field and value."""
    request = pb.ComputeRequest(function="softplus", params={"beta": 0},
                                mode=pb.MODE_FORWARD,
                                input=pb.Tensor(float32=pb.FloatArray(values=[1])))
    try:
        stub.Compute(request, timeout=TIMEOUT_S)
    except grpc.RpcError as error:
        print(f"Compute softplus(beta=0): {error.code().name}: {error.details()}")
        return error.code() == grpc.StatusCode.INVALID_ARGUMENT
    print("Compute softplus(beta=0): unexpectedly succeeded")
    return False


def compute_batch(stub):
    x = np.linspace(-2, 2, 5)
    items = [pb.ComputeRequest(id=f"batch-{name}", function=name,
                               mode=pb.MODE_FORWARD, input=raw_tensor(x))
             for name in ("relu", "silu", "mish")]
    reply = stub.ComputeBatch(pb.ComputeBatchRequest(items=items),
                              timeout=TIMEOUT_S)
    print(f"ComputeBatch: {len(reply.items)} items, in order:")
    show("x", x)
    for item in reply.items:
        show(item.id.removeprefix("batch-"), to_numpy(item.output))
    return [i.id for i in reply.items] == [i.id for i in items]


def compute_stream(stub):
    """A bidirectional stream; the bad request in the middle gets an error
    response of its own and the stream goes on."""
    x = np.array([-1.0, 0.0, 1.0], dtype=np.float32)
    requests = [
        pb.ComputeRequest(id="s1", function="tanh", mode=pb.MODE_FORWARD,
                          input=raw_tensor(x)),
        pb.ComputeRequest(id="s2", function="no_such_function",
                          mode=pb.MODE_FORWARD, input=raw_tensor(x)),
        pb.ComputeRequest(id="s3", function="elu", mode=pb.MODE_DERIVATIVE,
                          input=raw_tensor(x)),
    ]
    print("ComputeStream:")
    ids = []
    for reply in stub.ComputeStream(iter(requests), timeout=TIMEOUT_S):
        ids.append(reply.id)
        if reply.HasField("error"):
            print(f"  {reply.id}: error {reply.error.code}: {reply.error.message}")
        else:
            show(reply.id, to_numpy(reply.response.output))
    return ids == ["s1", "s2", "s3"]


def _read(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def open_channel(args):
    """Plaintext, or TLS (mutual with a client certificate) when asked."""
    if not (args.tls or args.tls_roots or args.tls_cert or args.tls_server_name):
        return grpc.insecure_channel(args.target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(args.tls_roots),
        private_key=_read(args.tls_key),
        certificate_chain=_read(args.tls_cert))
    options = ([("grpc.ssl_target_name_override", args.tls_server_name)]
               if args.tls_server_name else [])
    return grpc.secure_channel(args.target, credentials, options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051",
                        help="host:port or unix:/path.sock of an actserver")
    parser.add_argument("--tls", action="store_true",
                        help="TLS (system roots unless --tls_roots)")
    parser.add_argument("--tls_roots", help="PEM file of the server's CAs")
    parser.add_argument("--tls_cert", help="PEM client certificate (mutual TLS)")
    parser.add_argument("--tls_key", help="PEM key of --tls_cert")
    parser.add_argument("--tls_server_name",
                        help="name to check the server's certificate for")
    parser.add_argument("--proto-dir", default=str(DEFAULT_PROTO_DIR),
                        help="directory holding activation/v1/activation.proto")
    parser.add_argument("--stubs-dir", default=None,
                        help="where to generate the stubs (default: a temp dir)")
    args = parser.parse_args(argv)

    global pb, pb_grpc, health_pb, health_grpc
    pb, pb_grpc, health_pb, health_grpc = load_stubs(args.proto_dir, args.stubs_dir)

    with open_channel(args) as channel:
        results = [check_health(channel)]
        stub = pb_grpc.ActivationServiceStub(channel)
        results += [check(stub) for check in (
            list_activations, compute_packed, compute_raw, compute_backward,
            compute_error, compute_batch, compute_stream)]
    print("all calls behaved as expected" if all(results)
          else "some calls did NOT behave as expected")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
