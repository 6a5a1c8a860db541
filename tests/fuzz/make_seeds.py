#!/usr/bin/python3
"""Writes the seed inputs of the fuzz targets into tests/fuzz/<target>_corpus/seed-*.

Usage: make_seeds.py [FUZZ_DIR]   (default: the folder of this script)

The seeds are committed; this script says where they come from and regenerates them. Protobuf
messages are encoded by hand (the wire format is small and frozen), so no generated stubs are
needed. Inputs that once crashed a target live in the same folders as crash-* files, and are not
touched here.
"""

import pathlib
import struct
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, wire_type, payload):
    key = varint(number << 3 | wire_type)
    if wire_type == 0:
        return key + varint(payload)
    if wire_type == 1:
        return key + payload
    return key + varint(len(payload)) + payload


def packed_varints(values):
    return b"".join(varint(v) for v in values)


def tensor(shape=(), f32=None, f64=None, raw=None, dtype=1, packed_shape=True):
    out = b""
    if shape:
        if packed_shape:
            out += field(1, 2, packed_varints(shape))
        else:
            out += b"".join(field(1, 0, d) for d in shape)
    if f32 is not None:
        out += field(2, 2, field(1, 2, struct.pack(f"<{len(f32)}f", *f32)))
    if f64 is not None:
        out += field(3, 2, field(1, 2, struct.pack(f"<{len(f64)}d", *f64)))
    if raw is not None:
        out += field(4, 2, (field(1, 0, dtype) if dtype else b"") + field(2, 2, raw))
    return out


def tensor_seeds():
    inf, nan = float("inf"), float("nan")
    return {
        "f32": tensor(f32=[-1.0, 0.0, 1.0]),
        "f32-shape": tensor(shape=(2, 3), f32=[0.5] * 6),
        "f32-shape-unpacked": tensor(shape=(3, 1), f32=[1, 2, 3], packed_shape=False),
        "f64-specials": tensor(f64=[inf, -inf, nan, -0.0, 5e-324]),
        "raw-f32": tensor(raw=struct.pack("<4f", 1, 2, 3, 4)),
        "raw-f64-shape": tensor(shape=(2, 1), raw=struct.pack("<2d", -3, 3), dtype=2),
        "raw-odd-length": tensor(raw=b"\x00" * 7),
        "raw-no-dtype": tensor(raw=b"\x00" * 8, dtype=0),
        "raw-unknown-dtype": tensor(raw=b"\x00" * 8, dtype=7),
        "raw-empty": tensor(raw=b""),
        "shape-zero": tensor(shape=(4, 0), f32=[]),
        "shape-negative": tensor(shape=(-4,), f32=[1, 2, 3, 4]),
        "shape-overflow": tensor(shape=(1 << 40, 1 << 40, 0), f32=[]),
        "shape-mismatch": tensor(shape=(5,), f32=[1, 2, 3, 4]),
        "empty": b"",
    }


def compute_request(function=b"sigmoid", mode=1, input_tensor=None, grad=None, params=(),
                    input_kind=0, id_=b""):
    out = field(1, 2, id_) if id_ else b""
    out += field(2, 2, function)
    for name, value in params:
        out += field(3, 2, field(1, 2, name) + field(2, 1, struct.pack("<d", value)))
    if mode:
        out += field(4, 0, mode & 0xFFFFFFFFFFFFFFFF)
    if input_tensor is not None:
        out += field(5, 2, input_tensor)
    if grad is not None:
        out += field(6, 2, grad)
    if input_kind:
        out += field(7, 0, input_kind)
    return out


def request_seeds():
    # One selector byte (bit 7: batch; bits 0-3: slice size, 0 = one piece), then the message.
    x32 = tensor(f32=[-2.0, -0.5, 0.0, 0.5, 2.0])
    raw64 = tensor(shape=(2, 2), raw=struct.pack("<4d", -3, -1, 1, 3), dtype=2)
    one = {
        "forward": compute_request(input_tensor=x32, id_=b"a"),
        "derivative-raw64": compute_request(b"tanh", 2, raw64),
        "both-params": compute_request(b"softplus", 3, x32, params=[(b"beta", 2.0),
                                                                   (b"threshold", 10.0)]),
        "backward": compute_request(b"gelu", 4, x32, grad=tensor(f32=[1, 1, 1, 1, 1])),
        "from-output": compute_request(b"sigmoid", 2, x32, input_kind=2),
        "leaky-bad-param": compute_request(b"leaky_relu", 1, x32,
                                           params=[(b"negative_slope", -2.0)]),
        "unknown-function": compute_request(b"sigmod", 1, x32),
        "no-mode": compute_request(b"relu", 0, x32),
        "backward-no-grad": compute_request(b"elu", 4, x32),
        "bad-utf8-id": compute_request(input_tensor=x32, id_=b"\xc3\x28"),
        "truncated": compute_request(input_tensor=x32)[:-3],
    }
    seeds = {}
    for name, message in one.items():
        seeds[f"compute-{name}"] = b"\x00" + message
    seeds["compute-forward-sliced3"] = b"\x03" + one["forward"]
    items = [one["forward"], one["derivative-raw64"], one["backward"]]
    batch = b"".join(field(1, 2, m) for m in items)
    seeds["batch-3"] = b"\x80" + batch
    seeds["batch-3-sliced5"] = b"\x85" + batch
    seeds["batch-bad-item"] = b"\x80" + batch + field(1, 2, one["unknown-function"])
    seeds["batch-empty"] = b"\x80"
    return seeds


def cli_seeds():
    # One selector byte (the parser, mod 5), then the text.
    return {
        "mode-both": b"\x00both",
        "mode-upper": b"\x00BACKWARD",
        "enums": b"\x01f64",
        "enums-output": b"\x01output",
        "numbers": b"\x021, -2.5e3,nan\n inf,-inf 0x1p-3",
        "numbers-bad": b"\x021,2,three",
        "params": b"\x03beta=1.5, threshold = 20\nalpha=1",
        "params-twice": b"\x03a=1,a=2",
        "params-no-eq": b"\x03beta",
        "sizes": b"\x041024:9, 64Ki:1,1Mi",
        "sizes-zero": b"\x040Ki",
        "sizes-huge": b"\x0418446744073709551615",
    }


def write(folder, seeds):
    folder.mkdir(exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)


def main():
    fuzz_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    write(fuzz_dir / "tensor_codec_corpus", tensor_seeds())
    write(fuzz_dir / "cli_parse_corpus", cli_seeds())
    write(fuzz_dir / "request_corpus", request_seeds())


if __name__ == "__main__":
    main()
