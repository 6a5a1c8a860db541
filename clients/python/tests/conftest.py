"""Fixtures: real actserver processes on kernel-chosen loopback ports (one
with mutual TLS, certificates made with openssl at test time), and a
unix-socket forwarder in front of one until actserver listens on unix: paths.

    pytest clients/python/tests --actserver build/test/server/actserver \
        --proxy tests/client/grpc_proxy.py

(or ACTSERVER / ACTSVC_PROXY in the environment). Without an actserver the
tests that need a server are skipped, the pure ones still run.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys
import threading

import pytest

from activation_client import Client

START_TIMEOUT_S = 30.0


def pytest_addoption(parser):
    parser.addoption("--actserver", default=os.environ.get("ACTSERVER"),
                     help="path of the actserver binary")
    parser.addoption("--proxy", default=os.environ.get("ACTSVC_PROXY"),
                     help="path of tests/client/grpc_proxy.py")


class Process:
    """A server subprocess; `address` is read from its "listening on" line."""

    def __init__(self, argv, stream="stderr", pattern=r"listening on (\S+?),?\s"):
        pipe = {"stdout": subprocess.PIPE, "stderr": None}
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, text=True,
            stdout=pipe["stdout"] if stream == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE if stream == "stderr" else None)
        self.lines = []
        self.address = None
        self._ready = threading.Event()
        source = self.proc.stderr if stream == "stderr" else self.proc.stdout
        threading.Thread(target=self._read, args=(source, pattern),
                         daemon=True).start()
        if not self._ready.wait(START_TIMEOUT_S) or self.address is None:
            self.stop()
            raise RuntimeError(f"{argv[0]} did not start:\n" + "\n".join(self.lines))

    def _read(self, source, pattern):
        for line in source:
            self.lines.append(line.rstrip("\n"))
            match = re.search(pattern, line + " ")
            if match and self.address is None:
                self.address = match.group(1)
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


@pytest.fixture(scope="session")
def start_proxy(pytestconfig, target):
    """start_proxy(listen, *flags) -> the forwarder in front of `target`."""
    path = pytestconfig.getoption("proxy")
    if not path:
        path = (pathlib.Path(__file__).resolve().parents[3] / "tests" /
                "client" / "grpc_proxy.py")
        if not path.exists():
            pytest.skip("no --proxy (or ACTSVC_PROXY) given")
    started = []

    def start(listen, *flags):
        proxy = Process([sys.executable, str(path), f"--upstream={target}",
                         f"--listen={listen}", "--exit_on_eof", *flags],
                        stream="stdout")
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


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
