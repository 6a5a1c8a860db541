#!/usr/bin/python3
"""A test-only gRPC forwarder: listens where actserver cannot yet -- on a
unix: socket, or with TLS (optionally requiring client certificates) -- and
passes every call's bytes unchanged to a plaintext actserver, with the
caller's deadline, and the answer or status back.

    grpc_proxy.py --upstream 127.0.0.1:PORT --listen unix:/tmp/a.sock
    grpc_proxy.py --upstream 127.0.0.1:PORT --listen 127.0.0.1:0 \
        --tls_cert server.pem --tls_key server.key [--client_ca ca.pem]

Prints "listening on ADDRESS" (the kernel's port for :0) on stdout when
ready; stops on SIGTERM/SIGINT (or, with --exit_on_eof, when its stdin
closes, so that it cannot outlive the test that started it). The clients' TLS and
unix: paths are tested through it until actserver listens that way itself.
"""

import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc

STREAM_METHODS = {"/activation.v1.ActivationService/ComputeStream"}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class Forwarder(grpc.GenericRpcHandler):
    def __init__(self, channel):
        self._channel = channel

    def service(self, details):
        method = details.method
        if method in STREAM_METHODS:
            call = self._channel.stream_stream(method)

            def stream(requests, context):
                upstream = call(requests, timeout=context.time_remaining())
                context.add_callback(upstream.cancel)
                try:
                    yield from upstream
                except grpc.RpcError as e:
                    context.abort(e.code(), e.details())

            return grpc.stream_stream_rpc_method_handler(stream)
        call = self._channel.unary_unary(method)

        def unary(request, context):
            try:
                return call(request, timeout=context.time_remaining())
            except grpc.RpcError as e:
                context.abort(e.code(), e.details())

        return grpc.unary_unary_rpc_method_handler(unary)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--tls_cert")
    parser.add_argument("--tls_key")
    parser.add_argument("--client_ca",
                        help="require client certificates signed by this CA")
    parser.add_argument("--exit_on_eof", action="store_true",
                        help="stop when stdin closes")
    args = parser.parse_args()

    limit = 64 << 20
    options = [("grpc.max_send_message_length", limit),
               ("grpc.max_receive_message_length", limit)]
    channel = grpc.insecure_channel(args.upstream, options)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         handlers=[Forwarder(channel)], options=options)
    if args.tls_cert:
        credentials = grpc.ssl_server_credentials(
            [(_read(args.tls_key), _read(args.tls_cert))],
            root_certificates=_read(args.client_ca) if args.client_ca else None,
            require_client_auth=bool(args.client_ca))
        port = server.add_secure_port(args.listen, credentials)
    else:
        port = server.add_insecure_port(args.listen)
    server.start()
    address = args.listen
    if not address.startswith("unix"):
        address = f"{address.rpartition(':')[0]}:{port}"
    print(f"listening on {address}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_on_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()),
                         daemon=True).start()
    stop.wait()
    server.stop(1).wait()
    channel.close()


if __name__ == "__main__":
    main()
