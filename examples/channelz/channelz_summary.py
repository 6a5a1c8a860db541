#!/usr/bin/python3
"""Reads an actserver's channelz (start it with --channelz): its servers'
call counts and listening sockets, and each client connection's streams and
messages -- the live view of gRPC's own transport that /metrics does not
give.

Needs Debian's python3-grpcio, protobuf-compiler, protobuf-compiler-grpc
(grpc_python_plugin) and grpc-proto (channelz.proto); the stubs are generated
into a temporary folder on each run.

  /usr/bin/python3 examples/channelz/channelz_summary.py --target=127.0.0.1:50051
"""
import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile

PROTO_ROOT = "/usr/share/grpc-proto"  # Debian's grpc-proto package
PROTO = "grpc/channelz/v1/channelz.proto"


def load_stubs(out_dir):
    # Compiled from a copy at the folder's root, so the modules are
    # channelz_pb2*, not grpc.channelz.v1.* (which grpcio's own "grpc"
    # package would shadow).
    shutil.copy(f"{PROTO_ROOT}/{PROTO}", f"{out_dir}/channelz.proto")
    subprocess.run(
        ["protoc", f"--proto_path={out_dir}", "--proto_path=/usr/include",
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
         f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         "channelz.proto"],
        check=True)
    sys.path.insert(0, out_dir)
    return (importlib.import_module("channelz_pb2"),
            importlib.import_module("channelz_pb2_grpc"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--timeout", type=float, default=5)
    args = parser.parse_args()
    import grpc  # after argparse, so --help works without grpcio

    with tempfile.TemporaryDirectory() as out_dir:
        pb, rpc = load_stubs(out_dir)
        stub = rpc.ChannelzStub(grpc.insecure_channel(args.target))
        servers = stub.GetServers(pb.GetServersRequest(), timeout=args.timeout)
        for server in servers.server:
            d = server.data
            print(f"server {server.ref.server_id}: calls started {d.calls_started}, "
                  f"succeeded {d.calls_succeeded}, failed {d.calls_failed}")
            for ref in server.listen_socket:
                print(f"  listening: {ref.name}")
            sockets = stub.GetServerSockets(
                pb.GetServerSocketsRequest(server_id=server.ref.server_id),
                timeout=args.timeout)
            for ref in sockets.socket_ref:
                s = stub.GetSocket(pb.GetSocketRequest(socket_id=ref.socket_id),
                                   timeout=args.timeout).socket
                print(f"  connection {ref.name}: streams started "
                      f"{s.data.streams_started}, messages received "
                      f"{s.data.messages_received}, sent {s.data.messages_sent}")


if __name__ == "__main__":
    main()
