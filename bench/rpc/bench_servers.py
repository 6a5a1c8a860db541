"""The servers of the RPC bench: start on a free loopback port, sample the
process's counters from /proc, stop.

A server variant is a server (floor, actserver, peer) run under one memory
allocator policy: "default" is the binary as built (glibc's malloc today);
the others are preloaded (LD_PRELOAD) or glibc tunables. Only PIDs started
here are ever signalled.
"""

import dataclasses
import os
import pathlib
import re
import signal
import subprocess
import time

# Where Debian 12 puts the allocators (packages in parentheses).
_LIB = pathlib.Path("/usr/lib/x86_64-linux-gnu")

# glibc's largest accepted mmap threshold on 64-bit is HEAP_MAX_SIZE / 2 =
# 32 MiB (glibc 2.36 malloc/arena.c, do_set_mmap_threshold): every message
# up to 8 Mi float32 values then comes from the heap instead of a fresh mmap.
# The trim threshold keeps up to 256 MiB of free heap top instead of giving
# it back with each free (default 128 KiB, adapted upwards at run time).
GLIBC_TUNED = ("glibc.malloc.mmap_threshold=33554432:"
               "glibc.malloc.trim_threshold=268435456")


@dataclasses.dataclass(frozen=True)
class Allocator:
    """How to run a binary under one allocator."""
    name: str
    preload: pathlib.Path | None = None  # a shared library to LD_PRELOAD
    tunables: str | None = None          # a GLIBC_TUNABLES value
    package: str = ""                    # the Debian package that has it

    def env(self):
        """Environment additions; raises FileNotFoundError if not installed."""
        extra = {}
        if self.preload is not None:
            if not self.preload.exists():
                raise FileNotFoundError(
                    f"allocator {self.name}: {self.preload} is missing "
                    f"(Debian package {self.package})")
            extra["LD_PRELOAD"] = str(self.preload)
        if self.tunables is not None:
            extra["GLIBC_TUNABLES"] = self.tunables
        return extra


ALLOCATORS = {a.name: a for a in (
    Allocator("default"),
    Allocator("glibc-tuned", tunables=GLIBC_TUNED),
    Allocator("jemalloc", _LIB / "libjemalloc.so.2", package="libjemalloc2"),
    Allocator("tcmalloc", _LIB / "libtcmalloc_minimal.so.4",
              package="libtcmalloc-minimal4"),
    Allocator("mimalloc", _LIB / "libmimalloc.so.2", package="libmimalloc2.0"),
)}

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class ProcSample:
    """A process's counters at one moment (all threads, living and ended)."""
    minor_faults: int
    major_faults: int
    cpu_s: float       # user + system
    sys_s: float       # system (in the kernel on the process's behalf)
    # Voluntary (blocked: futex, epoll) + involuntary (preempted) context
    # switches of the threads alive now: every hand-off between threads
    # shows here.
    context_switches: int
    rss_kib: int       # resident now
    peak_rss_kib: int  # VmHWM: highest resident since start or reset_peak()


def parse_stat(text):
    """(minflt, majflt, utime, stime in ticks) from a /proc/PID/stat line.

    The command name (field 2) may hold spaces and parentheses, so fields are
    counted after its last ')'.
    """
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): minflt is field 10, majflt 12, utime 14,
    # stime 15 (proc(5)).
    return int(fields[7]), int(fields[9]), int(fields[11]), int(fields[12])


def parse_context_switches(text):
    """voluntary + nonvoluntary context switches from a /proc/.../status."""
    return sum(int(m) for m in re.findall(
        r"^(?:non)?voluntary_ctxt_switches:\s+(\d+)$", text, re.MULTILINE))


def parse_status_kib(text, key):
    """The value in KiB of a "Key:   123 kB" line of /proc/PID/status."""
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


class Server:
    """One server process on 127.0.0.1, port chosen by the kernel."""

    def __init__(self, kind, allocator, argv, work_dir, unix_socket=None):
        self.kind = kind                  # "floor", "actserver" or "peer"
        self.allocator = allocator        # an Allocator
        self.name = (kind if allocator.name == "default"
                     else f"{kind}[{allocator.name}]")
        self._argv = argv
        self._env = dict(os.environ, **allocator.env())
        self._log_path = pathlib.Path(work_dir) / (
            re.sub(r"[^A-Za-z0-9_.-]", "_", self.name) + ".log")
        self._process = None
        self.target = None  # "127.0.0.1:PORT" once started
        # The Unix domain socket it also listens on, if asked to.
        self.unix_socket = unix_socket

    @property
    def pid(self):
        return self._process.pid

    def start(self, timeout_s=30):
        """Starts the process and waits for its "listening on HOST:PORT"."""
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                self._argv, env=self._env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = re.search(r"listening on (127\.0\.0\.1:\d+)", self.log())
            if match and (self.unix_socket is None
                          or os.path.exists(self.unix_socket)):
                self.target = match.group(1)
                self._check_allocator()
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {self.log()[-2000:]}")

    def _check_allocator(self):
        """Fails unless a preloaded allocator is really mapped."""
        if self.allocator.preload is None:
            return
        maps = pathlib.Path(f"/proc/{self.pid}/maps").read_text()
        if str(self.allocator.preload) not in maps:
            self.stop()
            raise RuntimeError(f"{self.name}: {self.allocator.preload} is "
                               "not mapped into the process")

    def log(self):
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self._process is not None and self._process.poll() is None

    def sample(self):
        """The process's counters now (/proc/PID/stat and status)."""
        minor, major, user, system = parse_stat(
            pathlib.Path(f"/proc/{self.pid}/stat").read_text())
        status = pathlib.Path(f"/proc/{self.pid}/status").read_text()
        # The process's own status counts only its first thread's switches.
        switches = 0
        for task in pathlib.Path(f"/proc/{self.pid}/task").iterdir():
            try:
                switches += parse_context_switches(
                    (task / "status").read_text())
            except OSError:  # the thread ended meanwhile
                pass
        return ProcSample(minor, major, (user + system) / _CLOCK_TICKS,
                          system / _CLOCK_TICKS, switches,
                          parse_status_kib(status, "VmRSS"),
                          parse_status_kib(status, "VmHWM"))

    def reset_peak(self):
        """Resets VmHWM to the current RSS (proc(5), clear_refs value 5)."""
        pathlib.Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def stop(self, timeout_s=15):
        """SIGTERM, then SIGKILL after timeout_s; returns the exit code."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        return self._process.returncode


def make_server(kind, allocator, paths, work_dir, unix_socket=None):
    """A Server of `kind` ("floor", "actserver", "peer"), not yet started.

    `paths` maps "echo_floor", "actserver", "peer_server", "python" and
    "stubs_dir" to their locations. With `unix_socket` (a path), the server
    also listens there (all three spell the flag --unix_socket).
    """
    if kind == "floor":
        argv = [paths["echo_floor"], "--address=127.0.0.1", "--port=0"]
    elif kind == "actserver":
        argv = [paths["actserver"], "--address=127.0.0.1", "--port=0",
                "--drain_delay=0s", "--shutdown_grace=2s",
                *paths.get("actserver_flags", [])]
    elif kind == "peer":
        if allocator.name != "default":
            raise ValueError("the Python peer runs with the default allocator")
        argv = [paths["python"], paths["peer_server"], "--address=127.0.0.1",
                "--port=0", f"--stubs_dir={paths['stubs_dir']}"]
    else:
        raise ValueError(f"unknown server {kind!r}; valid: floor, actserver, "
                         "peer")
    if unix_socket is not None:
        argv.append(f"--unix_socket={unix_socket}")
    return Server(kind, allocator, [str(a) for a in argv], work_dir,
                  unix_socket)
