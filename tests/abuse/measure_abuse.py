#!/usr/bin/python3
"""Measures what each HTTP/2 attack of h2_abuse.py costs a real actserver, on loopback.

Usage:
  measure_abuse.py --actserver BUILD/server/actserver [--config NAME=FLAGS]... \
                   [--nginx] [--attacks a,b,...] [--json OUT] [--quick]

For every configuration (a name and the actserver flags it adds; default: `baseline`, no flags)
and every attack, it starts a fresh server (--threads=2, 127.0.0.1, a free port), runs the
attack from a separate process (tests/abuse/h2_abuse.py), and reports:
  * server CPU seconds (user + system, /proc/PID/stat) from the attack's start until the server
    is idle again (less than 20 ms of CPU in 0.5 s; at most 120 s), and how long that took;
  * RSS before, the peak (VmHWM) and RSS once idle, in MiB;
  * what the attacker saw: GOAWAY (error code, debug text, when) or the connection closed;
  * health: grpc.health.v1 Check every 100 ms over a connection of its own while the attack
    runs: the slowest answer and the failures; and a fresh connection's Check afterwards.
With --nginx, each configuration also runs behind nginx (deploy/nginx/nginx.conf, the listen
and upstream lines rewritten for loopback, as tests/deploy/scale_out_test.sh does); CPU and RSS
are then the sum of nginx's processes and actserver's, reported separately too.

Prints a Markdown table (docs/reliability.md) and writes every figure as JSON with --json.
Bounded in time: each attack has its own limits in h2_abuse.py, and the script never targets
anything but 127.0.0.1.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
TICK = os.sysconf("SC_CLK_TCK")

# Attack -> h2_abuse.py arguments. The rapid-reset size is the issue's (100k streams).
ATTACKS = {
    "rapid-reset": ["--streams", "100000", "--batch", "500", "--linger", "3"],
    "settings-flood": ["--frames", "1000000", "--max-seconds", "20", "--linger", "3"],
    "ping-flood": ["--frames", "1000000", "--max-seconds", "20", "--linger", "3"],
    "continuation-flood": ["--frames", "4000", "--max-seconds", "20", "--linger", "3"],
    "stream-flood": ["--streams", "5000", "--linger", "3"],
    "idle-connections": ["--connections", "1000", "--hold", "20"],
    "idle-tcp": ["--connections", "1000", "--hold", "20", "--no-preface"],
}
QUICK = {  # --quick: a smoke run (the ctest), seconds not minutes
    "rapid-reset": ["--streams", "2000", "--batch", "200", "--linger", "1"],
    "settings-flood": ["--frames", "20000", "--max-seconds", "3", "--linger", "1"],
    "ping-flood": ["--frames", "20000", "--max-seconds", "3", "--linger", "1"],
    "continuation-flood": ["--frames", "100", "--max-seconds", "3", "--linger", "1"],
    "stream-flood": ["--streams", "300", "--linger", "1"],
    "idle-connections": ["--connections", "50", "--hold", "2"],
    "idle-tcp": ["--connections", "50", "--hold", "2", "--no-preface"],
}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """The server side: actserver, and nginx's master and workers when in front."""

    def __init__(self):
        self.pids = {}  # role -> pid (actserver, nginx)

    def all_pids(self, role):
        pid = self.pids[role]
        if role != "nginx":
            return [pid]
        children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [pid] + [int(c) for c in children]

    def cpu(self, role):
        return sum(cpu_seconds(p) for p in self.all_pids(role))

    def rss_mib(self, role, key="VmRSS"):
        return sum(status_kib(p, key) for p in self.all_pids(role)) / 1024


def start_actserver(binary, flags):
    proc = subprocess.Popen([binary, "--address=127.0.0.1", "--port=0", "--threads=2",
                             "--drain_delay=0s", "--shutdown_grace=2s"] + flags,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, int(match.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"measure_abuse: actserver {' '.join(flags)} did not start")


def start_nginx(tmp, upstream_port, extra=""):
    port = free_port()
    conf = (SOURCE / "deploy/nginx/nginx.conf").read_text()
    if extra:
        # Directives of --nginx-http go in the http block, before the first server block.
        conf = conf.replace("  server {", f"  {extra}\n  server {{", 1)
    conf = re.sub(r"# BEGIN upstream servers.*?# END upstream servers",
                  f"server 127.0.0.1:{upstream_port};", conf, flags=re.S)
    conf = re.sub(r"# BEGIN listen.*?# END listen", f"listen 127.0.0.1:{port} http2;", conf,
                  flags=re.S)
    conf = conf.replace("/tmp/", f"{tmp}/")
    conf = conf.replace("worker_processes auto;", "worker_processes 1;")
    (tmp / "nginx.conf").write_text(conf)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-e", "stderr", "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                             "-g", "daemon off;"], stderr=open(tmp / "nginx.log", "w"))
    return proc, port


def check_health(channel, timeout=2.0):
    """grpc.health.v1.Health/Check of "" as raw bytes: (serving, seconds)."""
    start = time.monotonic()
    try:
        reply = channel.unary_unary("/grpc.health.v1.Health/Check")(b"", timeout=timeout)
        return reply == b"\x08\x01", time.monotonic() - start
    except grpc.RpcError:
        return False, time.monotonic() - start


def wait_healthy(port, seconds=15):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if check_health(channel, 1)[0]:
                return True
            time.sleep(0.1)
        return False
    finally:
        channel.close()


class HealthProbe(threading.Thread):
    def __init__(self, port):
        super().__init__(daemon=True)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stop = threading.Event()
        self.worst = 0.0
        self.failures = 0
        self.checks = 0

    def run(self):
        while not self.stop.is_set():
            ok, seconds = check_health(self.channel)
            self.checks += 1
            self.worst = max(self.worst, seconds)
            self.failures += 0 if ok else 1
            self.stop.wait(0.1)
        self.channel.close()


def wait_idle(procs, roles, limit=120.0):
    """Seconds until the server side uses < 20 ms of CPU per 0.5 s (at most `limit`)."""
    start = time.monotonic()
    last = sum(procs.cpu(r) for r in roles)
    while time.monotonic() - start < limit:
        time.sleep(0.5)
        now = sum(procs.cpu(r) for r in roles)
        if now - last < 0.02:
            return time.monotonic() - start
        last = now
    return limit


def run_one(args, name, flags, attack, nginx):
    procs = Processes()
    server, server_port = start_actserver(args.actserver, flags)
    procs.pids["actserver"] = server.pid
    roles = ["actserver"]
    nginx_proc = None
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="actsvc-abuse-"))
    os.chmod(tmp, 0o755)
    try:
        port = server_port
        if nginx:
            nginx_proc, port = start_nginx(tmp, server_port, args.nginx_http)
            procs.pids["nginx"] = nginx_proc.pid
            roles.append("nginx")
        if not wait_healthy(port):
            sys.exit(f"measure_abuse: {name}: no health on port {port}")
        time.sleep(0.5)
        cpu0 = {r: procs.cpu(r) for r in roles}
        rss0 = {r: procs.rss_mib(r) for r in roles}
        probe = HealthProbe(port)
        probe.start()
        attack_args = (QUICK if args.quick else ATTACKS)[attack]
        started = time.monotonic()
        out = subprocess.run([sys.executable, str(HERE / "h2_abuse.py"),
                              "idle-connections" if attack == "idle-tcp" else attack,
                              f"127.0.0.1:{port}"] + attack_args,
                             capture_output=True, text=True, timeout=600)
        attack_s = time.monotonic() - started
        if out.returncode != 0:
            sys.exit(f"measure_abuse: h2_abuse.py {attack} failed: {out.stderr}")
        seen = json.loads(out.stdout)
        idle_s = wait_idle(procs, roles)
        probe.stop.set()
        probe.join()
        after_ok = wait_healthy(port, 10)
        row = {
            "config": name, "flags": flags, "nginx": nginx, "attack": attack,
            "attack_args": attack_args, "attacker": seen, "attack_s": round(attack_s, 2),
            "idle_after_s": round(idle_s, 2),
            "health_worst_s": round(probe.worst, 3), "health_failures": probe.failures,
            "health_checks": probe.checks, "healthy_after": after_ok,
        }
        for r in roles:
            row[f"{r}_cpu_s"] = round(procs.cpu(r) - cpu0[r], 2)
            row[f"{r}_rss_before_mib"] = round(rss0[r], 1)
            row[f"{r}_rss_peak_mib"] = round(procs.rss_mib(r, "VmHWM"), 1)
            row[f"{r}_rss_after_mib"] = round(procs.rss_mib(r), 1)
        return row
    finally:
        for proc in (nginx_proc, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def outcome(seen):
    text = first_outcome(seen)
    if seen.get("attack") == "rapid-reset" and seen.get("connections", 1) > 1:
        text += (f"; {seen['connections_closed_by_server']} of {seen['connections']} "
                 "connections closed by the server")
    return text


def first_outcome(seen):
    if seen.get("goaway"):
        g = seen["goaway"]
        text = f"GOAWAY {g['error']} at {g['at_s']} s"
        if g.get("debug"):
            text += f" ({g['debug'][:40]})"
        return text
    if seen.get("closed_at_s") is not None:
        return f"closed at {seen['closed_at_s']} s"
    if seen.get("attack", "").startswith("idle-connections"):
        return (f"{seen['closed_by_server']}/{seen['connections']} closed"
                + (f", after {seen['first_close_s']}-{seen['last_close_s']} s"
                   if seen["closed_by_server"] else f" in {seen['hold_s']} s"))
    return "connection left open"


def sent(seen):
    for key in ("streams_sent", "frames_sent", "streams_opened", "connections"):
        if key in seen:
            text = f"{seen[key]} {key.split('_')[0]}"
            if key == "streams_sent" and seen.get("connections", 1) > 1:
                text += f" on {seen['connections']} connections"
            return text
    return ""


def markdown(rows):
    lines = ["| config | attack | sent | server CPU s | RSS before → peak → after, MiB "
             "| attacker saw | health worst / failures | healthy after |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        where = r["config"] + (" + nginx" if r["nginx"] else "")
        roles = ["actserver"] + (["nginx"] if r["nginx"] else [])
        cpu = " + ".join(f"{r[f'{x}_cpu_s']}" for x in roles)
        rss = " ; ".join(f"{r[f'{x}_rss_before_mib']:.0f} → {r[f'{x}_rss_peak_mib']:.0f} → "
                         f"{r[f'{x}_rss_after_mib']:.0f}" for x in roles)
        lines.append(f"| {where} | {r['attack']} | {sent(r['attacker'])} | {cpu} | {rss} | "
                     f"{outcome(r['attacker'])} | {r['health_worst_s'] * 1000:.0f} ms / "
                     f"{r['health_failures']} | {'yes' if r['healthy_after'] else 'NO'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--config", action="append", default=[],
                        help="NAME=FLAGS (space-separated actserver flags); repeatable")
    parser.add_argument("--nginx", action="store_true", help="also run each behind nginx")
    parser.add_argument("--nginx-only", action="store_true", help="only behind nginx")
    parser.add_argument("--nginx-http", default="",
                        help="extra nginx directives for the http block (e.g. limit_req)")
    parser.add_argument("--attacks", default=",".join(ATTACKS))
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--quick", action="store_true", help="small attacks (a smoke test)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 unless the server answers health after every attack")
    parser.add_argument("--streams", type=int, help="rapid-reset streams (default 100000)")
    parser.add_argument("--paced", action="store_true",
                        help="rapid reset in writes of 50 streams 2 ms apart, under a "
                             "per-read stream limit such as nginx's")
    parser.add_argument("--reconnect", action="store_true",
                        help="rapid reset: reconnect when closed, until every stream is sent")
    args = parser.parse_args()
    if args.streams:
        ATTACKS["rapid-reset"][1] = str(args.streams)
    if args.paced:
        ATTACKS["rapid-reset"][3] = "50"
        ATTACKS["rapid-reset"] += ["--pause", "0.002"]
    if args.reconnect:
        ATTACKS["rapid-reset"] += ["--reconnect", "--max-seconds", "300"]
    configs = [c.split("=", 1) for c in args.config] or [["baseline", ""]]
    fronts = [True] if args.nginx_only else ([False, True] if args.nginx else [False])
    rows = []
    for name, flags in configs:
        for nginx in fronts:
            for attack in args.attacks.split(","):
                row = run_one(args, name, flags.split(), attack, nginx)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown(rows))
    print(f"\n(load average at the end: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs)")
    if args.strict and not all(r["healthy_after"] for r in rows):
        sys.exit("measure_abuse: the server did not answer health after an attack")


if __name__ == "__main__":
    main()
