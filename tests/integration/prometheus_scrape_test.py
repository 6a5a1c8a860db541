#!/usr/bin/python3
"""A real Prometheus scrapes a live actserver under actload.

Starts actserver (gRPC and /metrics on kernel-chosen loopback ports), then
Debian's Prometheus on a free loopback port with a generated config that
scrapes it every second, waits until the target is up, runs actload in open
loop at a fixed rate, and asks Prometheus's HTTP API what it saw:

  * the Compute request counter's last value equals the requests actload
    sent (exactly: every one was scraped after it finished);
  * rate() of the counter, and of the latency histogram's _count, over a
    window inside the load equals actload's achieved rate within 10%;
  * histogram_quantile() over the latency buckets gives a finite p50/p99
    within the buckets' range, and the stream and error series moved too.

Prints the figures (and writes them as JSON with --figures) for
docs/observability.md. Every process is ours, on 127.0.0.1, bounded in time,
and killed on exit.

  prometheus_scrape_test.py --actserver BIN --actload BIN [--prometheus BIN]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

RATE = 400          # requests/s actload sends (open loop)
LOAD_SECONDS = 14   # long enough for a 6 s rate() window well inside it
SCRAPE_SECONDS = 1
TOLERANCE = 0.10    # the "rate within 10%"


def log(msg):
    print(f"[prometheus_scrape_test] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class Prometheus:
    def __init__(self, binary, workdir, metrics_port):
        self.port = free_port()
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n"
                f"  scrape_interval: {SCRAPE_SECONDS}s\n"
                f"  scrape_timeout: {SCRAPE_SECONDS}s\n"
                "scrape_configs:\n"
                "  - job_name: actserver\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{metrics_port}']\n")
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)

    def api(self, path, **params):
        url = (f"http://127.0.0.1:{self.port}/api/v1/{path}?"
               + urllib.parse.urlencode(params))
        reply = json.loads(http_get(url))
        if reply.get("status") != "success":
            raise RuntimeError(f"{url}: {reply}")
        return reply["data"]

    def scalar(self, query, at):
        """The single value of an instant query at time `at` (NaN if empty)."""
        result = self.api("query", query=query, time=f"{at:.3f}")["result"]
        if not result:
            return float("nan")
        if len(result) != 1:
            raise RuntimeError(f"{query}: {len(result)} series, expected 1")
        return float(result[0]["value"][1])

    def wait_target_up(self, deadline):
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited: "
                                   + open(self.log_path).read()[-2000:])
            try:
                targets = self.api("targets")["activeTargets"]
                if targets and targets[0]["health"] == "up":
                    return
            except (OSError, RuntimeError, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError("the actserver target never came up in Prometheus")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_actserver(binary, workdir):
    err_path = os.path.join(workdir, "actserver.err")
    proc = subprocess.Popen(
        [binary, "--address=127.0.0.1", "--port=0", "--threads=1",
         "--metrics_address=127.0.0.1:0"],
        stderr=open(err_path, "w"))
    deadline = time.time() + 30
    while time.time() < deadline:
        text = open(err_path).read()
        grpc = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        metrics = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", text)
        if grpc and metrics:
            return proc, int(grpc.group(1)), int(metrics.group(1))
        if proc.poll() is not None:
            raise RuntimeError(f"actserver exited: {text}")
        time.sleep(0.1)
    raise RuntimeError("actserver printed no ports")


def actload(binary, port, *flags):
    out = subprocess.run(
        [binary, f"--target=127.0.0.1:{port}", "--warmup=0s", "--output=json",
         *flags], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--actserver", required=True)
    parser.add_argument("--actload", required=True)
    parser.add_argument("--prometheus", default=shutil.which("prometheus")
                        or "/usr/bin/prometheus")
    parser.add_argument("--figures", help="write the figures here as JSON")
    args = parser.parse_args()
    if not os.access(args.prometheus, os.X_OK):
        log(f"FAIL: no Prometheus at {args.prometheus} "
            "(Debian: apt-get install prometheus; scripts/install-deps.sh --test)")
        return 1

    workdir = tempfile.mkdtemp(prefix="actsvc-prom-")
    server = prom = None
    try:
        server, grpc_port, metrics_port = start_actserver(args.actserver, workdir)
        log(f"actserver: gRPC {grpc_port}, metrics {metrics_port}")
        prom = Prometheus(args.prometheus, workdir, metrics_port)
        log(f"prometheus on {prom.port}")
        prom.wait_target_up(time.time() + 60)

        # Errors and a stream, so those series exist before the main load.
        actload(args.actload, grpc_port, "--duration=1s", "--rps=50",
                "--rpc=stream", "--function=tanh", "--dtype=f64")
        start = time.time()
        load = actload(args.actload, grpc_port, f"--duration={LOAD_SECONDS}s",
                       f"--rps={RATE}", "--size=256", "--function=gelu")
        end = time.time()
        sent, achieved = load["ok"], load["requests_per_s"]
        log(f"actload: {sent} ok, {load['errors']} errors, {achieved:.1f}/s")
        if load["errors"]:
            raise RuntimeError(f"actload saw errors: {load['errors_by_code']}")

        # Let two more scrapes land after the load, then read the counter.
        time.sleep(3 * SCRAPE_SECONDS)
        after = time.time()
        selector = 'rpc="Compute",function="gelu",code="OK"'
        total = prom.scalar(f"actsvc_requests_total{{{selector}}}", after)
        calls = prom.scalar('actsvc_rpcs_total{rpc="Compute",code="OK"}', after)

        # A rate window well inside the load (its first and last seconds cut).
        window = 6
        mid = start + LOAD_SECONDS / 2 + window / 2
        rate = prom.scalar(
            f"rate(actsvc_requests_total{{{selector}}}[{window}s])", mid)
        hist_rate = prom.scalar(
            f'rate(actsvc_request_duration_seconds_count{{rpc="Compute"}}'
            f"[{window}s])", mid)
        quantile = lambda q: prom.scalar(
            f"histogram_quantile({q}, rate(actsvc_request_duration_seconds_bucket"
            f'{{rpc="Compute"}}[{window}s]))', mid)
        p50, p99 = quantile(0.5), quantile(0.99)
        streamed = prom.scalar(
            'actsvc_requests_total{rpc="ComputeStream",function="tanh",'
            'dtype="float64",code="OK"}', after)
        rss = prom.scalar("process_resident_memory_bytes", after)
        build = prom.api("query", query="actsvc_build_info",
                         time=f"{after:.3f}")["result"]

        figures = {
            "actload_rps_target": RATE, "actload_seconds": LOAD_SECONDS,
            "actload_ok": sent, "actload_rate": round(achieved, 2),
            "prometheus_counter_final": total, "prometheus_rpcs_final": calls,
            "prometheus_rate": round(rate, 2),
            "prometheus_histogram_count_rate": round(hist_rate, 2),
            "rate_error": round(abs(rate - achieved) / achieved, 4),
            "histogram_rate_error": round(abs(hist_rate - achieved) / achieved, 4),
            "p50_seconds": p50, "p99_seconds": p99,
            "stream_requests": streamed, "rss_bytes": rss,
            "rate_window_s": window, "scrape_interval_s": SCRAPE_SECONDS,
            "build_info": build[0]["metric"] if build else None,
        }
        print(json.dumps(figures, indent=1))
        if args.figures:
            with open(args.figures, "w") as f:
                json.dump(figures, f, indent=1)

        failures = []
        if total != sent:
            failures.append(f"counter {total} != actload's {sent} requests")
        if calls != sent:
            failures.append(f"actsvc_rpcs_total {calls} != {sent}")
        if not abs(rate - achieved) <= TOLERANCE * achieved:
            failures.append(f"rate {rate:.1f}/s vs actload {achieved:.1f}/s")
        if not abs(hist_rate - achieved) <= TOLERANCE * achieved:
            failures.append(
                f"histogram count rate {hist_rate:.1f}/s vs {achieved:.1f}/s")
        if not (0 < p50 <= p99 <= 10):
            failures.append(f"quantiles p50={p50} p99={p99} not in (0, 10] s")
        if not streamed > 0:
            failures.append("no ComputeStream requests counted")
        if not (rss > 1 << 20):
            failures.append(f"process_resident_memory_bytes {rss}")
        if not build or not build[0]["metric"].get("simd_target"):
            failures.append("actsvc_build_info has no simd_target")
        for f in failures:
            log("FAIL: " + f)
        if not failures:
            log("PASS")
        return 1 if failures else 0
    except Exception as e:  # report, with the logs, instead of a traceback
        log(f"FAIL: {e}")
        for name in ("actserver.err", "prometheus.log"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                log(f"--- {name}:\n" + open(path).read()[-3000:])
        return 1
    finally:
        if prom:
            prom.stop()
        if server and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
