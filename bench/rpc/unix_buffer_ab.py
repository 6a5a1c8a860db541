#!/usr/bin/python3
"""A/B of server and client configurations in one run (session 21, Unix
socket send buffers): several actservers up together (each on 127.0.0.1:0
and its own Unix socket), and the runs -- h2load or actload, TCP or Unix,
actload's --unix_send_buffer -- alternated round by round, the order rotated.

Per run: req/s, and per call the server's CPU and sys time and context
switches (/proc/PID, all threads) and the client's CPU (getrusage of the
children): on a busy shared machine the per-call costs hold where the rates
swing. Prints a Markdown table of medians with the ratio of each run's rate
to the first run's in the same round.

  bench/rpc/unix_buffer_ab.py --build build/test \
      --servers "S0=:--unix_send_buffer=0;S1M=:" \
      --runs "tcp=S1M/tcp/actload/0;u0=S0/unix/actload/0;u1M=S1M/unix/actload/1048576" \
      --size 1048576 --streams 8 --rounds 8

A server is NAME=BINARY:FLAGS (BINARY empty: --build's actserver); a run is
NAME=SERVER/tcp|unix/h2load|actload/ACTLOAD_UNIX_SEND_BUFFER. The rpc_bench.py
checks (nghttp frame check, DATA counts) are not repeated here: actload's and
h2load's own failure counts make a run FAIL.
"""
import argparse, glob, json, os, pathlib, resource, statistics, subprocess, sys, tempfile, time
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_loads, proto_stubs

p = argparse.ArgumentParser()
p.add_argument("--servers", required=True, help="name=binary:flags;...")
p.add_argument("--runs", required=True,
               help="name=server/transport/client/sndbuf[/extra actload flags];... "
                    "client h2load|actload")
p.add_argument("--size", type=int, default=1 << 20)
p.add_argument("--streams", type=int, default=8)
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--duration", type=float, default=2)
p.add_argument("--build", type=pathlib.Path, default=HERE.parents[1] / "build" / "test")
p.add_argument("--actload", help="default: --build's client/actload")
p.add_argument("--actload_flags", default="",
               help="extra actload flags, space-separated (e.g. --engine=grpc)")
p.add_argument("--json")
a = p.parse_args()
if a.actload is None: a.actload = str(a.build / "client" / "actload")
work = pathlib.Path(tempfile.mkdtemp(prefix="unix_buffer_ab_"))
pb, _ = proto_stubs.load(work / "stubs")
req, _ = bench_loads.make_request(pb, a.size)
frame = work / f"frame_{a.size}.grpc"
frame.write_bytes(bench_loads.grpc_frame(req.SerializeToString()))

servers = bench_loads.start_actservers(a.servers, a.build / "server" / "actserver", work)

def proc_cost(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ut, st = int(fields[11]), int(fields[12])
    cs = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            for line in open(status):
                if "ctxt_switches" in line: cs += int(line.split()[1])
        except FileNotFoundError: pass
    return ut, st, cs

tick = os.sysconf("SC_CLK_TCK")
runs = []
for spec in a.runs.split(";"):
    name, rest = spec.split("=", 1)
    # An optional fifth field: this run's own extra actload flags, space-separated.
    server, transport, client, sndbuf, *extra = rest.split("/", 4)
    runs.append((name, server, transport, client, sndbuf, extra[0].split() if extra else []))
results = {r[0]: [] for r in runs}
try:
    for rnd in range(a.rounds):
        order = runs[rnd % len(runs):] + runs[:rnd % len(runs)]
        for name, server, transport, client, sndbuf, extra in order:
            s = servers[server]
            before = proc_cost(s["proc"].pid)
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if client == "h2load":
                argv = bench_loads.h2load_argv("h2load", f"127.0.0.1:{s['port']}", frame,
                        a.streams, duration_s=a.duration,
                        unix_socket=s["sock"] if transport == "unix" else None)
                argv.insert(1, "--warm-up-time=300ms")
                r = bench_loads.run_h2load(argv, 60)
                calls, rps = r.succeeded, r.rps
                ok = r.failed == 0 and r.errored == 0
            else:
                target = f"unix:{s['sock']}" if transport == "unix" else f"127.0.0.1:{s['port']}"
                argv = bench_loads.actload_argv(a.actload, target, a.size, a.streams,
                        duration_s=a.duration, warmup_s=0.3)
                argv.append(f"--unix_send_buffer={sndbuf}")
                argv += a.actload_flags.split() + extra
                rc, rep, err = bench_loads.run_actload(argv, 60)
                ok = rc == 0 and rep and rep["errors"] == 0
                calls = rep["ok"] if rep else 0
                rps = rep["requests_per_s"] if rep else 0
            after = proc_cost(s["proc"].pid)
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            # includes warm-up calls in the CPU delta: divide by calls+warm-up estimate
            total_calls = max(1, calls * (a.duration + 0.3) / a.duration)
            cpu = ((after[0]-before[0]) + (after[1]-before[1])) / tick * 1e6 / total_calls
            sys_us = (after[1]-before[1]) / tick * 1e6 / total_calls
            cs = (after[2]-before[2]) / total_calls
            ccpu = ((ru1.ru_utime-ru0.ru_utime)+(ru1.ru_stime-ru0.ru_stime))*1e6/total_calls
            load = os.getloadavg()[0]
            results[name].append(dict(rps=rps, ccpu=ccpu, cpu=cpu, sys=sys_us, cs=cs, ok=ok, load=load))
            print(f"round {rnd+1} {name}: {rps:.1f} req/s cpu {cpu:.0f} us client {ccpu:.0f} us sys {sys_us:.0f} cs {cs:.1f} load {load:.1f} {'ok' if ok else 'FAIL'}", flush=True)
finally:
    bench_loads.stop_actservers(servers)
def med(xs): return statistics.median(xs)
base = runs[0][0]
print(f"\nsize {a.size}, {a.streams} in flight, {a.rounds} rounds of {a.duration}s; ratios against {base}, same round")
print("| run | req/s median (range) | / " + base + " median (range) | server CPU us/call | sys us/call | ctx sw/call | client CPU us/call | server+client CPU us/call |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, *_ in runs:
    rs = [x["rps"] for x in results[name]]
    ratios = [x["rps"]/b["rps"] for x, b in zip(results[name], results[base]) if b["rps"]]
    print(f"| {name} | {med(rs):.1f} ({min(rs):.1f}–{max(rs):.1f}) | {med(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) | "
          f"{med([x['cpu'] for x in results[name]]):.0f} | {med([x['sys'] for x in results[name]]):.0f} | {med([x['cs'] for x in results[name]]):.1f} | {med([x['ccpu'] for x in results[name]]):.0f} | {med([x['ccpu']+x['cpu'] for x in results[name]]):.0f} |")
if a.json: json.dump(results, open(a.json, "w"))
failed = sum(not x["ok"] for rs in results.values() for x in rs)
if failed:
    print(f"\n{failed} run(s) FAILED")
sys.exit(1 if failed else 0)
