"""Python modules of activation.v1, generated from the .proto on demand.

Debian's protoc and grpc_python_plugin (protobuf-compiler,
protobuf-compiler-grpc) write them into a cache directory (the bench's work
directory), so nothing generated lands in the source tree.
"""

import importlib
import pathlib
import shutil
import subprocess
import sys

PROTO_DIR = pathlib.Path(__file__).resolve().parents[2] / "proto"
PROTO_FILE = "activation/v1/activation.proto"


def load(out_dir, proto_dir=PROTO_DIR):
    """Generates (if missing or older than the .proto) and imports the stubs.

    Returns (activation_pb2, activation_pb2_grpc). Raises
    subprocess.CalledProcessError if protoc fails.
    """
    out_dir = pathlib.Path(out_dir)
    proto = pathlib.Path(proto_dir) / PROTO_FILE
    generated = out_dir / "activation" / "v1" / "activation_pb2_grpc.py"
    if (not generated.exists()
            or generated.stat().st_mtime < proto.stat().st_mtime):
        out_dir.mkdir(parents=True, exist_ok=True)
        plugin = (shutil.which("grpc_python_plugin")
                  or "/usr/bin/grpc_python_plugin")
        subprocess.run(
            ["protoc", f"--proto_path={proto_dir}",
             f"--plugin=protoc-gen-grpc_python={plugin}",
             f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
             PROTO_FILE],
            check=True)
    if str(out_dir) not in sys.path:
        sys.path.insert(0, str(out_dir))
    return (importlib.import_module("activation.v1.activation_pb2"),
            importlib.import_module("activation.v1.activation_pb2_grpc"))
