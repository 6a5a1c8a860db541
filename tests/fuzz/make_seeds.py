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


if __name__ == "__main__":
    main()
