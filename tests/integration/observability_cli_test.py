#!/usr/bin/python3
"""The observability features as a user meets them, through the shipped
programs: actserver --metrics_address --access_log=- --channelz; three
`actctl compute` calls (one failing); then `actctl stats` shows them in its
table, every access-log line on stderr is a JSON object with the documented
fields, and examples/channelz/channelz_summary.py (the documented channelz
example) reads the server's call counts.

  observability_cli_test.py ACTSERVER ACTCTL SOURCE_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

FIELDS = ["time", "peer", "rpc", "function", "mode", "dtype", "items",
          "elements", "code", "latency_us", "request_id"]


def main():
    actserver, actctl, source = sys.argv[1:4]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        err_path = os.path.join(tmp, "actserver.err")
        server = subprocess.Popen(
            [actserver, "--address=127.0.0.1", "--port=0", "--threads=1",
             "--metrics_address=127.0.0.1:0", "--access_log=-", "--channelz"],
            stderr=open(err_path, "w"))
        try:
            grpc_port = metrics_port = None
            for _ in range(300):
                text = open(err_path).read()
                g = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
                m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", text)
                if g and m:
                    grpc_port, metrics_port = g.group(1), m.group(1)
                    break
                time.sleep(0.1)
            if not grpc_port:
                print(open(err_path).read())
                return 1
            target = f"--target=127.0.0.1:{grpc_port}"
            for function in ("tanh", "gelu", "sigmod"):
                subprocess.run([actctl, "compute", function, "--values=1,2,3",
                                target], capture_output=True, timeout=60)

            stats = subprocess.run([actctl, "stats", f"127.0.0.1:{metrics_port}"],
                                   capture_output=True, text=True, timeout=60)
            print(stats.stdout)
            if stats.returncode != 0:
                failures.append(f"actctl stats exited {stats.returncode}: {stats.stderr}")
            if not re.search(r"^\s+Compute\s+3\s+1\s+0\s", stats.stdout, re.M):
                failures.append("actctl stats does not show 3 Compute calls, 1 error")
            if not re.search(r"^\s+tanh\s+float32\s+1\s+0\s+3$", stats.stdout, re.M):
                failures.append("actctl stats does not show tanh's 1 request of 3 elements")

            channelz = subprocess.run(
                ["/usr/bin/python3", os.path.join(source, "examples/channelz/channelz_summary.py"),
                 target], capture_output=True, text=True, timeout=120)
            print(channelz.stdout, channelz.stderr)
            calls = re.search(r"calls started (\d+), succeeded (\d+)", channelz.stdout)
            # The three Compute calls and the channelz query itself.
            if not calls or int(calls.group(1)) < 4:
                failures.append("channelz example shows no (or too few) calls")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)

        lines = [l for l in open(err_path).read().splitlines() if l.startswith("{")]
        computes = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError as e:
                failures.append(f"access log line is not JSON ({e}): {line}")
                continue
            if list(entry) != FIELDS:
                failures.append(f"access log fields {list(entry)} != {FIELDS}")
            if entry["rpc"] == "Compute":
                computes.append(entry)
        print(f"{len(lines)} access log lines, {len(computes)} Compute")
        if [(e["function"], e["code"], e["elements"]) for e in computes] != [
                ("tanh", "OK", 3), ("gelu", "OK", 3), ("unknown", "INVALID_ARGUMENT", 0)]:
            failures.append(f"access log Compute lines: {computes}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
