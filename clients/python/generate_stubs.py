#!/usr/bin/python3
"""Regenerates the package's protobuf/gRPC stubs from proto/activation/v1.

    clients/python/generate_stubs.py            # rewrite the checked-in stubs
    clients/python/generate_stubs.py --check    # exit 1 if they are stale

The stubs are checked in so that `pip install ./clients/python` needs neither
protoc nor the repository around the package; tests/test_stubs.py (a ctest)
fails when the proto changed and this was not run. Needs protoc and gRPC's
Python plugin (Debian: protobuf-compiler, protobuf-compiler-grpc).
"""

import argparse
import difflib
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PROTO_DIR = HERE.parent.parent / "proto"
STUB_DIR = HERE / "src" / "activation_client" / "_proto"
PROTO = "activation/v1/activation.proto"
FILES = ("activation_pb2.py", "activation_pb2.pyi", "activation_pb2_grpc.py")

# protoc writes an absolute import of the package the .proto names; inside
# this package the stubs sit in activation_client._proto instead.
ABSOLUTE_IMPORT = "from activation.v1 import activation_pb2 as"
RELATIVE_IMPORT = "from . import activation_pb2 as"


def generate(proto_dir=PROTO_DIR):
    """Runs protoc; returns {file name: text} of the package's stubs."""
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["protoc", f"--proto_path={proto_dir}",
             f"--plugin=protoc-gen-grpc_python={plugin}",
             f"--python_out={out}", f"--pyi_out={out}",
             f"--grpc_python_out={out}", PROTO], check=True)
        generated = pathlib.Path(out) / "activation" / "v1"
        texts = {name: (generated / name).read_text() for name in FILES}
    grpc_file = texts["activation_pb2_grpc.py"]
    if ABSOLUTE_IMPORT not in grpc_file:
        raise RuntimeError("the gRPC plugin's import line changed; update "
                           "generate_stubs.py")
    texts["activation_pb2_grpc.py"] = grpc_file.replace(ABSOLUTE_IMPORT,
                                                        RELATIVE_IMPORT)
    return texts


def stale_files(proto_dir=PROTO_DIR, stub_dir=STUB_DIR):
    """Names of checked-in stubs that differ from freshly generated ones,
    each with a unified diff."""
    problems = []
    for name, text in generate(proto_dir).items():
        path = stub_dir / name
        have = path.read_text() if path.exists() else ""
        if have != text:
            diff = "".join(difflib.unified_diff(
                have.splitlines(True), text.splitlines(True),
                f"checked-in {name}", f"generated {name}", n=1))
            problems.append((name, diff))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare; exit 1 when stale")
    args = parser.parse_args()
    if args.check:
        problems = stale_files()
        for name, diff in problems:
            print(f"{name} is stale:\n{diff[:4000]}", file=sys.stderr)
        return 1 if problems else 0
    for name, text in generate().items():
        (STUB_DIR / name).write_text(text)
        print(f"wrote {STUB_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
