"""Python client of activation-service (activation.v1.ActivationService).

    import numpy as np
    from activation_client import Client

    client = Client("localhost:50051")
    y = client.compute("gelu", np.linspace(-3, 3, 7, dtype=np.float32))

Arrays go in and come out (dtype and shape kept) as raw bytes on the wire;
every failure is an ActivationError carrying the gRPC code and the server's
message. activation_client.aio.AsyncClient is the asyncio variant.
"""

from ._common import (ActivationError, ActivationInfo, Catalog, Parameter,
                      Properties, Range, Request, Result, Tls, UlpBounds,
                      WireType,
                      WIRE_TYPES, channel_target, service_config_json,
                      supported_dtypes)
from .client import Client

__version__ = "0.1.0"

__all__ = [
    "ActivationError", "ActivationInfo", "Catalog", "Client", "Parameter",
    "Properties", "Range", "Request", "Result", "Tls", "UlpBounds", "WireType",
    "WIRE_TYPES", "channel_target", "service_config_json", "supported_dtypes",
]
