#!/usr/bin/python3
"""The RPC-path bench: the echo floor, actserver and the Python peer, each
driven by h2load and by actload with the same calls, in one run, interleaved,
several rounds; prints Markdown tables of medians and ranges.

    bench/rpc/rpc_bench.py --build build/test                 # main tables
    bench/rpc/rpc_bench.py --build build/test --allocators all  # + allocators

Every server listens on 127.0.0.1 on a port the kernel chooses; every run is
bounded in time. Before anything is measured each server answers the exact
frame h2load will send (checked through nghttp: grpc-status 0, the right
values), and every measured h2load run must receive exactly the DATA of its
number of OK responses (bench_checks.py says why). Runs that fail that are
listed and left out of the tables, and the exit code is 1.

Uses /usr/bin/python3 (Debian's numpy, grpcio, protobuf), protoc with
grpc_python_plugin, h2load and nghttp (Debian nghttp2-client), and the build
tree's actserver, actload and echo_floor.

Exit code: 0 every run verified; 1 a run or a server failed; 2 bad
arguments; 77 a tool is missing (ctest counts it as skipped).
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import bench_checks
import bench_loads
import bench_report
import bench_servers
import proto_stubs

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
SERVER_KINDS = ("floor", "actserver", "peer")
EXPECT = {"floor": bench_checks.ECHO, "actserver": bench_checks.SIGMOID,
          "peer": bench_checks.SIGMOID}


def parse_size(text):
    """'16', '1Ki', '64Ki', '1Mi' -> number of values."""
    for suffix, scale in (("Mi", 1 << 20), ("Ki", 1 << 10), ("", 1)):
        if text.endswith(suffix):
            number = text[:len(text) - len(suffix)] if suffix else text
            if number.isdigit() and int(number) > 0:
                return int(number) * scale
    raise argparse.ArgumentTypeError(f"size {text!r}: want N, NKi or NMi")


def csv_of(choices):
    def parse(text):
        items = [t for t in text.split(",") if t]
        bad = [t for t in items if t not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"{text!r}: valid: {', '.join(choices)}")
        return items
    return parse


def parse_variants(text):
    """'NAME=BINARY:FLAGS;...' -> [(name, binary or None, [flags])]."""
    variants = []
    for item in (t for t in text.split(";") if t.strip()):
        name, sep, rest = item.partition("=")
        binary, _, flags = rest.partition(":")
        if not sep or not name.strip() or not name.strip().isidentifier():
            raise argparse.ArgumentTypeError(
                f"{item!r}: want NAME=BINARY:FLAGS (NAME a word)")
        variants.append((name.strip(),
                         pathlib.Path(binary) if binary.strip() else None,
                         flags.split()))
    return variants


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--build", type=pathlib.Path,
                        default=REPO / "build" / "test",
                        help="build tree with actserver, actload, echo_floor")
    for binary in ("actserver", "actload", "echo_floor"):
        parser.add_argument(f"--{binary}", type=pathlib.Path,
                            help=f"the {binary} binary (default: in --build)")
    parser.add_argument("--servers", type=csv_of(SERVER_KINDS),
                        default=list(SERVER_KINDS))
    allocators = list(bench_servers.ALLOCATORS)
    parser.add_argument(
        "--allocators", default=["default"],
        type=lambda t: allocators if t == "all" else csv_of(allocators)(t),
        help=f"for floor and actserver: 'all' or some of "
        f"{','.join(allocators)} (default = as built)")
    parser.add_argument("--sizes", default="16,1Ki,64Ki,1Mi",
                        type=lambda t: [parse_size(s) for s in t.split(",")],
                        help="float32 values per request")
    parser.add_argument("--loads", type=csv_of(bench_report.LOADS),
                        default=list(bench_report.LOADS),
                        help="h2load/actload: 64 calls in flight up to 1 Ki "
                        "values, 8 above; -p50: one call in flight")
    parser.add_argument("--allocator_loads", type=csv_of(bench_report.LOADS),
                        default=[bench_report.THROUGHPUT,
                                 bench_report.H2LOAD_ONE],
                        help="loads run on the non-default allocators")
    parser.add_argument("--transports", type=csv_of(("tcp", "unix")),
                        default=["tcp"],
                        help="unix: the servers as built also listen on a "
                        "Unix domain socket, and every load runs over both")
    parser.add_argument("--actserver_flags", type=str.split, default=[],
                        help="extra flags for actserver, space-separated, e.g. "
                             "'--parallel_threshold=32768'")
    parser.add_argument(
        "--actserver_variants", default=[], type=parse_variants,
        help="more actservers in the same run, each its own process, "
        "'NAME=BINARY:FLAGS;...' (BINARY empty: --actserver's; FLAGS "
        "space-separated, added to --actserver_flags), e.g. "
        "'main=/work/team/bin-main/actserver:;ungated=:--read_gate=false'; "
        "each is reported as actserver[NAME] beside actserver (the "
        "\"Allocators\" table, same-round ratios) and runs "
        "--allocator_loads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0,
                        help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=0.5,
                        help="seconds of unmeasured load before each run")
    parser.add_argument("--idle", type=float, default=10.0,
                        help="seconds idle at the end before the last RSS")
    parser.add_argument("--json", type=pathlib.Path,
                        help="also write every run record here")
    parser.add_argument("--work_dir", type=pathlib.Path,
                        help="keep frames, stubs and server logs here "
                        "(default: a temporary directory, removed)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.warmup <= 0:
        parser.error("--rounds >= 1, --duration > 0 and --warmup > 0")
    args.actserver = args.actserver or args.build / "server" / "actserver"
    args.actload = args.actload or args.build / "client" / "actload"
    args.echo_floor = args.echo_floor or args.build / "bench/rpc/echo_floor"
    args.actserver_variants = [
        (name, binary or args.actserver, flags)
        for name, binary, flags in args.actserver_variants]
    for binary in (args.actserver, args.actload, args.echo_floor,
                   *(v[1] for v in args.actserver_variants)):
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary} is not an executable (build it, or "
                         "give --build)")
    return args


def uptime():
    return subprocess.run(["uptime"], capture_output=True,
                          text=True).stdout.strip()


def load_average():
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


def machine():
    cpu = "unknown CPU"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}"


def commit():
    def git(*a):
        return subprocess.run(["git", "-C", str(REPO), *a],
                              capture_output=True, text=True)
    head = git("rev-parse", "--short", "HEAD").stdout.strip() or "unknown"
    return head + ("-dirty" if git("diff", "--quiet", "HEAD").returncode
                   else "")


class Bench:
    """One bench run: its servers, frames and records."""

    def __init__(self, args, work_dir, pb):
        self.args = args
        self.work = work_dir
        self.pb = pb
        self.tools = {"h2load": shutil.which("h2load"),
                      "nghttp": shutil.which("nghttp")}
        self.frames = {}          # values -> (frame path, x)
        self.response_bytes = {}  # (server name, values) -> bytes
        self.records = []
        self.servers = []

    def make_frames(self):
        for values in self.args.sizes:
            request, x = bench_loads.make_request(self.pb, values)
            path = self.work / f"compute_{values}.grpc"
            path.write_bytes(
                bench_loads.grpc_frame(request.SerializeToString()))
            self.frames[values] = (path, x)

    def start_servers(self):
        paths = {
            "echo_floor": self.args.echo_floor,
            "actserver": self.args.actserver,
            "actserver_flags": self.args.actserver_flags,
            "peer_server": HERE / "peer_server.py",
            "python": sys.executable,
            "stubs_dir": self.work / "stubs",
        }
        for kind in self.args.servers:
            allocators = (["default"] if kind == "peer"
                          else self.args.allocators)
            for name in allocators:
                unix = None
                if "unix" in self.args.transports and name == "default":
                    unix = self.work / f"{kind}.sock"
                server = bench_servers.make_server(
                    kind, bench_servers.ALLOCATORS[name], paths, self.work,
                    unix)
                self._start(server)
        # Variants: named like an allocator variant (actserver[NAME]), so
        # the report sets each beside actserver, same round.
        for name, binary, flags in self.args.actserver_variants:
            variant = dict(paths, actserver=binary,
                           actserver_flags=[*self.args.actserver_flags,
                                            *flags])
            self._start(bench_servers.make_server(
                "actserver", bench_servers.Allocator(name), variant,
                self.work))

    def _start(self, server):
        server.start()
        self.servers.append(server)
        print(f"rpc_bench: {server.name} pid {server.pid} on "
              f"{server.target}"
              + (f" and unix:{server.unix_socket}"
                 if server.unix_socket else ""), file=sys.stderr)

    def check_servers(self):
        """The check run: the h2load frame through nghttp, and a few actload
        calls (verified against actserver's contract for actserver). Raises
        CheckFailed."""
        for server in self.servers:
            for values, (frame, x) in self.frames.items():
                try:
                    self.response_bytes[(server.name, values)] = (
                        bench_checks.check_frame(
                            self.tools["nghttp"], self.pb, server.target,
                            frame, EXPECT[server.kind], x))
                    self._check_with_actload(server, server.target, values)
                    if server.unix_socket:
                        self._check_with_actload(
                            server, f"unix:{server.unix_socket}", values)
                except bench_checks.CheckFailed as e:
                    raise bench_checks.CheckFailed(
                        f"{server.name}, {values} values: {e}") from e

    def _check_with_actload(self, server, target, values):
        # --verify holds answers to the catalogue's ULP bound, which only
        # actserver promises (numpy's float32 sigmoid is off by more here and
        # there; the nghttp check above holds the peer to 8 ULP).
        argv = bench_loads.actload_argv(
            str(self.args.actload), target, values, 1, total=4,
            verify=server.kind == "actserver")
        exit_code, report, stderr = bench_loads.run_actload(argv, 120)
        if exit_code is not None and exit_code < 0:
            # actload itself crashed: about once in 20-30 short runs of 1 Mi
            # values it gets SIGSEGV while exiting (its main thread in
            # _dl_fini while a gRPC callback thread still polls), after its
            # answers were in. That says nothing of the server: once more,
            # and say so.
            print(f"rpc_bench: actload died of signal {-exit_code} checking "
                  f"{server.name} at {target}, {values} values; once more",
                  file=sys.stderr)
            exit_code, report, stderr = bench_loads.run_actload(argv, 120)
        problems = bench_checks.actload_problems(exit_code, report, stderr)
        if problems:
            raise bench_checks.CheckFailed("; ".join(problems))

    def _record(self, server, transport, values, load, round_index):
        return {"round": round_index, "values": values, "load": load,
                "server": server.name, "kind": server.kind,
                "allocator": server.allocator.name, "transport": transport,
                "loadavg": load_average(), "problems": []}

    def run_h2load(self, server, transport, values, load, round_index):
        record = self._record(server, transport, values, load, round_index)
        unix = server.unix_socket if transport == "unix" else None
        one = load == bench_report.H2LOAD_ONE
        streams = 1 if one else bench_loads.streams_for(values)
        frame, _ = self.frames[values]
        h2load = self.tools["h2load"]
        warm = bench_loads.run_h2load(bench_loads.h2load_argv(
            h2load, server.target, frame, streams,
            duration_s=self.args.warmup, unix_socket=unix),
            timeout_s=self.args.warmup + 60)
        # A fixed count (not a duration) so that every call ends inside the
        # run and the DATA received can be checked to the byte.
        total = max(2 * streams, round(warm.rps * self.args.duration))
        log = self.work / "h2load_latency.log" if one else None
        server.reset_peak()
        before = server.sample()
        result = bench_loads.run_h2load(
            bench_loads.h2load_argv(h2load, server.target, frame, streams,
                                    total=total, log_file=log,
                                    unix_socket=unix),
            timeout_s=10 * self.args.duration + 60, log_file=log)
        after = server.sample()
        record["problems"] = bench_checks.h2load_problems(
            result, total, self.response_bytes[(server.name, values)])
        n = max(result.done, 1)
        record.update({
            "rps": result.rps, "requests": result.done,
            "elapsed_s": result.elapsed_s,
            "cpu_us": (after.cpu_s - before.cpu_s) / n * 1e6,
            "sys_us": (after.sys_s - before.sys_s) / n * 1e6,
            "context_switches": (after.context_switches
                                 - before.context_switches) / n,
            "minor_faults": (after.minor_faults - before.minor_faults) / n,
            "major_faults": (after.major_faults - before.major_faults) / n,
            "peak_rss_mib": after.peak_rss_kib / 1024,
            "rss_after_mib": after.rss_kib / 1024,
        })
        if result.latencies_us:
            record["p50_us"] = bench_loads.percentile(result.latencies_us, 50)
            record["p90_us"] = bench_loads.percentile(result.latencies_us, 90)
        return record

    def run_actload(self, server, transport, values, load, round_index):
        record = self._record(server, transport, values, load, round_index)
        one = load == bench_report.ACTLOAD_ONE
        target = (f"unix:{server.unix_socket}" if transport == "unix"
                  else server.target)
        argv = bench_loads.actload_argv(
            str(self.args.actload), target, values,
            1 if one else bench_loads.streams_for(values),
            duration_s=self.args.duration, warmup_s=self.args.warmup)
        exit_code, report, stderr = bench_loads.run_actload(
            argv, timeout_s=self.args.duration + self.args.warmup + 120)
        record["problems"] = bench_checks.actload_problems(exit_code, report,
                                                           stderr)
        if report:
            record.update({"rps": report["requests_per_s"],
                           "requests": report["ok"],
                           "elapsed_s": report["elapsed_s"],
                           "p50_us": report["latency"]["p50_us"],
                           "p90_us": report["latency"]["p90_us"]})
        return record

    def measure(self):
        """Rounds of sizes x loads x servers, server order rotated per round
        so that no server always runs first or after the same neighbour."""
        rounds = self.args.rounds
        for r in range(rounds):
            for values in self.args.sizes:
                for load in self.args.loads:
                    runs = [(s, "tcp") for s in self.servers
                            if s.allocator.name == "default"
                            or load in self.args.allocator_loads]
                    runs += [(s, "unix") for s in self.servers
                             if s.unix_socket]
                    shift = r % len(runs)
                    for server, transport in runs[shift:] + runs[:shift]:
                        run = (self.run_actload if load.startswith("actload")
                               else self.run_h2load)
                        try:
                            record = run(server, transport, values, load,
                                         r + 1)
                        except RuntimeError as e:
                            record = self._record(server, transport, values,
                                                  load, r + 1)
                            record["problems"] = [str(e)]
                        self.records.append(record)
                        self._progress(record, rounds)

    def _progress(self, record, rounds):
        figure = (f"{record['rps']:.1f} req/s" if "rps" in record else "-")
        if record.get("p50_us") is not None:
            figure += f", p50 {record['p50_us']:.0f} us"
        status = ("FAILED: " + "; ".join(record["problems"])
                  if record["problems"] else "ok")
        via = " (unix)" if record["transport"] == "unix" else ""
        print(f"rpc_bench: round {record['round']}/{rounds} "
              f"{record['values']} {record['load']} {record['server']}{via}: "
              f"{figure} (load {record['loadavg']:.1f}) {status}",
              file=sys.stderr)

    def idle_rss(self):
        """RSS of each server after --idle seconds without calls: what the
        allocator gave back."""
        time.sleep(self.args.idle)
        return {s.name: s.sample().rss_kib / 1024 for s in self.servers
                if s.alive()}

    def stop_servers(self):
        """Stops every server; problems if one died or exited non-zero."""
        problems = []
        for server in self.servers:
            if not server.alive():
                problems.append(f"{server.name} died: {server.log()[-500:]}")
                continue
            code = server.stop()
            if code != 0:
                problems.append(f"{server.name} exited {code}: "
                                f"{server.log()[-500:]}")
        return problems


def main(argv):
    args = parse_args(argv)
    missing = [t for t in ("h2load", "nghttp", "protoc")
               if not shutil.which(t)]
    if missing:
        print(f"rpc_bench: missing {', '.join(missing)} (Debian "
              "nghttp2-client, protobuf-compiler): skipped", file=sys.stderr)
        return 77
    work = args.work_dir or pathlib.Path(tempfile.mkdtemp(prefix="rpc_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    command = shlex.join(
        [os.path.relpath(__file__, REPO) if str(HERE).startswith(str(REPO))
         else __file__] + argv)
    meta = {"command": command, "commit": commit(), "machine": machine(),
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "rounds": args.rounds, "duration_s": args.duration,
            "warmup_s": args.warmup, "uptime_before": uptime()}
    pb, _ = proto_stubs.load(work / "stubs")
    bench = Bench(args, work, pb)
    problems = []
    idle = {}
    try:
        bench.make_frames()
        bench.start_servers()
        bench.check_servers()
        bench.measure()
        idle = bench.idle_rss()
    except (bench_checks.CheckFailed, RuntimeError, FileNotFoundError) as e:
        problems.append(str(e))
    finally:
        problems += bench.stop_servers()
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    loads = [r["loadavg"] for r in bench.records] or [load_average()]
    meta.update({"uptime_after": uptime(), "load_min": min(loads),
                 "load_max": max(loads)})
    if args.json:
        args.json.write_text(json.dumps(
            {"meta": meta, "records": bench.records, "idle_rss_mib": idle},
            indent=1))
    if bench.records:
        print(bench_report.render(meta, bench.records, idle))
    failed = [r for r in bench.records if r["problems"]]
    for problem in problems:
        print(f"rpc_bench: {problem}", file=sys.stderr)
    if failed:
        print(f"rpc_bench: {len(failed)} of {len(bench.records)} runs failed "
              "verification", file=sys.stderr)
    return 1 if problems or failed or not bench.records else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
