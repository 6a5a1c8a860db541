#!/usr/bin/python3
"""Server syscalls per call, several actserver configurations side by side
(session 22, gRPC transport arguments for large messages).

Starts every server (each on 127.0.0.1:0 and its own Unix socket), then,
round by round and in rotated order: warm-up calls, `strace -c -f` attached
to the server around a fixed number of actload calls, detached. Syscall
counts do not swing with the machine's load the way rates do; strace itself
slows the server, so no time is quoted. Prints a Markdown table of the
median count per call of each syscall (those with >= 0.5 per call in some
configuration) and their total.

  bench/rpc/syscalls_per_call.py --build build/test \\
      --servers "base=:;la=:--grpc_arg=grpc.http2.lookahead_bytes=8388608" \\
      --transport tcp --size 1048576 --streams 8 --total 80 --rounds 3

A server is NAME=BINARY:FLAGS (BINARY empty: --build's actserver), as in
unix_buffer_ab.py. actload runs its h2 engine over one connection.
"""
import argparse, collections, os, pathlib, re, signal, statistics, subprocess, sys, tempfile, time
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_loads

p = argparse.ArgumentParser()
p.add_argument("--servers", required=True, help="name=binary:flags;...")
p.add_argument("--transport", choices=("tcp", "unix"), default="tcp")
p.add_argument("--size", type=int, default=1 << 20)
p.add_argument("--streams", type=int, default=8)
p.add_argument("--total", type=int, default=80)
p.add_argument("--warmup_calls", type=int, default=20)
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--build", type=pathlib.Path, default=HERE.parents[1] / "build" / "test")
p.add_argument("--actload", help="default: --build's client/actload")
p.add_argument("--actload_flags", default="", help="extra actload flags, space-separated")
a = p.parse_args()
if a.actload is None: a.actload = str(a.build / "client" / "actload")
work = pathlib.Path(tempfile.mkdtemp(prefix="syscalls_per_call_"))

servers = bench_loads.start_actservers(a.servers, a.build / "server" / "actserver", work)

ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$")

def actload(s, total):
    target = f"unix:{s['sock']}" if a.transport == "unix" else f"127.0.0.1:{s['port']}"
    argv = bench_loads.actload_argv(a.actload, target, a.size, a.streams, total=total)
    argv += a.actload_flags.split()
    rc, rep, err = bench_loads.run_actload(argv, 120)
    if rc != 0 or not rep or rep["errors"]:
        sys.exit(f"actload failed against {target}: {err}")
    return rep["ok"]

per_call = {name: collections.defaultdict(list) for name in servers}
try:
    names = list(servers)
    for rnd in range(a.rounds):
        for name in names[rnd % len(names):] + names[:rnd % len(names)]:
            s = servers[name]
            actload(s, a.warmup_calls)
            out = work / f"strace_{name}_{rnd}.txt"
            st = subprocess.Popen(["strace", "-c", "-f", "-q", "-o", str(out),
                                   "-p", str(s["proc"].pid)])
            time.sleep(0.5)  # attached to every thread before the calls
            calls = actload(s, a.total)
            time.sleep(0.3)
            st.send_signal(signal.SIGINT); st.wait()
            counts = {}
            for line in out.read_text().splitlines():
                m = ROW.match(line)
                if m and m.group(2) != "total": counts[m.group(2)] = int(m.group(1))
            for sc in set(counts) | set(per_call[name]):
                per_call[name][sc].append(counts.get(sc, 0) / calls)
            total = sum(counts.values()) / calls
            print(f"round {rnd+1} {name}: {total:.1f} syscalls/call "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
finally:
    bench_loads.stop_actservers(servers)

def med(xs): return statistics.median(xs) if xs else 0
shown = sorted({sc for d in per_call.values() for sc, v in d.items() if med(v) >= 0.5},
               key=lambda sc: -max(med(d.get(sc, [])) for d in per_call.values()))
print(f"\n{a.transport}, size {a.size}, {a.streams} in flight, {a.total} calls per "
      f"round after {a.warmup_calls} warm-up, {a.rounds} rounds: server syscalls per call (medians)")
print("| server | " + " | ".join(shown) + " | total |")
print("|---|" + "---:|" * (len(shown) + 1))
for name, d in per_call.items():
    rounds_total = [sum(d[sc][i] for sc in d if i < len(d[sc])) for i in range(a.rounds)]
    print(f"| {name} | " + " | ".join(f"{med(d.get(sc, [])):.1f}" for sc in shown) +
          f" | {med(rounds_total):.1f} |")
