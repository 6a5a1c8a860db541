"""The blocking client."""

from __future__ import annotations

from typing import Iterable, Iterator, List, Mapping, Optional

import grpc

from . import _common as c
from ._proto import activation_pb2 as pb


class Client(c.ClientBase):
    """A blocking client of activation.v1.ActivationService.

        from activation_client import Client
        with Client("localhost:50051") as client:
            y = client.compute("gelu", numpy.linspace(-3, 3, 7))

    One client holds one gRPC channel: create it once and share it (it is
    thread-safe; calls from several threads run concurrently on it).

    Args:
        target: "host:port", a gRPC URI ("dns:///svc:50051",
            "unix:/run/actserver.sock"), or several replicas as a list or a
            comma-separated string of IP "addr:port" entries or unix: paths;
            calls are spread over them round robin, and a call that fails with
            UNAVAILABLE before any server answered is retried (on another
            replica) up to `max_attempts` attempts in all.
        tls: False for plaintext, True for TLS with the system's roots, or a
            Tls with roots, a client certificate (mutual TLS) and/or the name
            to check the server's certificate against.
        timeout: the deadline of every call, in seconds, unless the call gives
            its own `timeout`. Every call has one.
        max_attempts: attempts of a call failing with UNAVAILABLE (gRPC clamps
            it to [2, 5]); 1 disables retries.
        max_message_bytes: largest message sent or received.
        options: extra gRPC channel arguments.

    Raises:
        ActivationError(INVALID_ARGUMENT) for a bad target, timeout or TLS
        setting. The channel connects lazily: an unreachable server shows as
        UNAVAILABLE on the first call.
    """

    _GRPC = grpc  # ClientBase: __init__, stub, __repr__

    # --- Lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Calls ------------------------------------------------------------

    def compute(self, function: str, x: c.ArrayLike, mode: str = "forward",
                grad: Optional[c.ArrayLike] = None, input_kind: str = "x", *,
                params: Optional[Mapping[str, float]] = None,
                dtype: Optional[str] = None, timeout: Optional[float] = None,
                **kwparams: float) -> c.Value:
        """Computes one tensor.

            y = client.compute("leaky_relu", x, negative_slope=0.2)
            y, dy = client.compute("tanh", x, mode="forward_and_derivative")
            gx = client.compute("gelu", x, mode="backward", grad=g)

        Args:
            function: catalogue name (see list_activations()).
            x: the input; anything numpy.asarray takes. float32 and float64
                (float16/bfloat16 once the API has them) keep their type;
                integers become float64.
            mode: "forward", "derivative", "forward_and_derivative" (or
                "both"), "backward".
            grad: for "backward", the upstream gradient (x's shape).
            input_kind: "x", or "output" when x holds y = f(x).
            params, **kwparams: the activation's parameters by name
                (negative_slope=0.2); `params` is for a name that collides
                with an argument of this method.
            dtype: the wire type when it is not x's ("bfloat16").
            timeout: this call's deadline in seconds (default: the client's).

        Returns:
            A new numpy array of x's shape and type, or the pair
            (f(x), f'(x)) for forward_and_derivative.

        Raises:
            ActivationError with the server's code and message.
        """
        if kwparams:
            params = {**(params or {}), **kwparams}
        encoded = c.encode(function, x, mode, grad, input_kind, params, dtype)
        try:
            response = self._compute(encoded.serialize(),
                                   timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.decode_value(response, encoded)

    def batch(self, requests: Iterable[c.Request], *,
              timeout: Optional[float] = None) -> List[c.Result]:
        """Computes many requests in one call (in parallel on the server).

        Returns one Result per request, in order. If any request is invalid
        the whole call fails: ActivationError(INVALID_ARGUMENT) whose message
        names the item ("items[3].function: ...").
        """
        encoded = [c.encode_request(r) for r in requests]
        message = c.serialize_batch(encoded)
        try:
            response = self._batch(message, timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.decode_batch(response, encoded)

    def stream(self, requests: Iterable[c.Request], *,
               timeout: Optional[float] = None) -> Iterator[c.Result]:
        """Sends the requests on one ComputeStream and yields one Result per
        request, in order, as they arrive; `requests` may be a generator
        (it is read as the stream flows). A request the server rejects
        yields a Result whose `error` is set, and the stream goes on. The
        deadline covers the whole stream; ActivationError if the stream
        itself fails.
        """
        pending: "list[c.Encoded]" = []

        def messages() -> Iterator[bytes]:
            for request in requests:
                encoded = c.encode_request(request)
                pending.append(encoded)
                yield encoded.serialize()

        call = self._stream(messages(), timeout=self._deadline(timeout))
        try:
            for index, item in enumerate(call):
                yield c.decode_stream_item(item, pending[index])
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        finally:
            call.cancel()  # no-op when done; stops the stream if abandoned

    def list_activations(self, *, timeout: Optional[float] = None) -> c.Catalog:
        """The server's catalogue as dataclasses: formulas, parameters
        (default, valid range), output range, properties, ULP bounds."""
        try:
            response = self.stub.ListActivations(
                pb.ListActivationsRequest(), timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            raise c.from_rpc_error(e) from None
        return c.catalog(response)

    def health(self, service: str = "", *,
               timeout: Optional[float] = None) -> str:
        """grpc.health.v1 Check: "SERVING", "NOT_SERVING" (draining),
        "SERVICE_UNKNOWN" or "UNKNOWN"; ActivationError if the server cannot
        be reached."""
        try:
            data = self._health(c.encode_health_request(service),
                                timeout=self._deadline(timeout))
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:
                return "SERVICE_UNKNOWN"
            raise c.from_rpc_error(e) from None
        return c.decode_health_response(data)
