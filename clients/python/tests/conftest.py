"""Fixtures: real actserver processes on kernel-chosen loopback ports (one
with mutual TLS, certificates made with openssl at test time; others also on
a Unix domain socket of their own, --unix_socket).

    pytest clients/python/tests --actserver build/test/server/actserver

(or ACTSERVER in the environment). Without an actserver the tests that need
a server are skipped, the pure ones still run.
"""

import os
import re
import signal
import subprocess
import threading

import pytest

from activation_client import Client

START_TIMEOUT_S = 30.0


def pytest_addoption(parser):
    parser.addoption("--actserver", default=os.environ.get("ACTSERVER"),
                     help="path of the actserver binary")


class Process:
    """An actserver subprocess. Its start-up line reads
    "actserver: listening on 127.0.0.1:PORT[, unix:PATH], N compute threads,
    ...": `address` is the TCP address, `unix_address` the "unix:PATH"
    target (None without --unix_socket), `lines` every line of stderr."""

    _LISTENING = re.compile(r"listening on (\S+?),\s(?:(unix:\S+?),\s)?")

    def __init__(self, argv):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.address = None
        self.unix_address = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, args=(self.proc.stderr,),
                         daemon=True).start()
        if not self._ready.wait(START_TIMEOUT_S) or self.address is None:
            self.stop()
            raise RuntimeError(f"{argv[0]} did not start:\n" + "\n".join(self.lines))

    def _read(self, source):
        for line in source:
            self.lines.append(line.rstrip("\n"))
            match = self._LISTENING.search(line)
            if match and self.address is None:
                self.address, self.unix_address = match.groups()
                self._ready.set()
        self._ready.set()

    def stop(self):
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


@pytest.fixture(scope="session")
def actserver_path(pytestconfig):
    path = pytestconfig.getoption("actserver")
    if not path:
        pytest.skip("no --actserver (or ACTSERVER) given")
    return path


@pytest.fixture(scope="session")
def start_server(actserver_path):
    """start_server(*flags) -> a started actserver Process, stopped at the
    end of the session."""
    started = []

    def start(*flags):
        server = Process([actserver_path, "--port=0", "--address=127.0.0.1",
                          "--threads=2", "--drain_delay=0s", *flags])
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def start_unix_server(start_server, tmp_path_factory):
    """start_unix_server(name) -> an actserver listening on TCP and on the
    Unix socket DIR/name too (its `unix_address`, read back from its
    start-up line, is "unix:DIR/name")."""
    directory = tmp_path_factory.mktemp("unix")

    def start(name):
        path = directory / name
        server = start_server(f"--unix_socket={path}")
        assert server.unix_address == f"unix:{path}", server.lines
        assert re.fullmatch(r"127\.0\.0\.1:\d+", server.address), server.lines
        return server

    return start


@pytest.fixture(scope="session")
def mtls_server(start_server, certs):
    """actserver serving mutual TLS only (client certificates required)."""
    return start_server(f"--tls_cert={certs}/server.pem",
                        f"--tls_key={certs}/server.key",
                        f"--tls_client_ca={certs}/ca.pem")


@pytest.fixture(scope="session")
def target(start_server):
    return start_server().address


@pytest.fixture
def client(target):
    with Client(target, timeout=30) as c:
        yield c


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A CA, a server certificate for localhost/127.0.0.1 and a client
    certificate signed by it, and a second CA that signed neither."""
    d = tmp_path_factory.mktemp("certs")
    for ca in ("ca", "other_ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", f"/CN=test {ca}", "-keyout", f"{ca}.key",
                 "-out", f"{ca}.pem", cwd=d)
    (d / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "extendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, cn in (("server", "localhost"), ("client", "test client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                 "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)
    return d
