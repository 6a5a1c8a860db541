#!/usr/bin/python3
"""Where a server's CPU per call goes outside its own instructions: syscalls,
context switches and wake-ups per call, and each thread's share, for several
servers under the same h2load load (session 25, issue 9).

Starts every server (NAME=BINARY:FLAGS, as unix_buffer_ab.py: each on
127.0.0.1:0 and its own Unix socket; BINARY empty: --build's actserver; the
floor is --build's bench/rpc/echo_floor, which takes the same three flags),
then, round by round and in rotated order: warm-up calls, and a fixed number
of h2load calls with the counters below taken around them.

  bench/rpc/handoffs_per_call.py --build build/test \\
      --servers "floor=build/test/bench/rpc/echo_floor:;act=:" \\
      --size 16 --streams 64 --total 150000 --rounds 4

Counters, per call (medians over the rounds):
* per thread, grouped by name (/proc/PID/task/TID/stat and status): user and
  system CPU, voluntary switches (the thread blocked: futex, epoll_wait) and
  involuntary ones (preempted). Threads inherit their creator's name: TBB's
  workers, started from a gRPC callback thread, show as "nexting_thread".
* perf's tracepoints, counted in the kernel (`perf stat -e ... -p PID`, no
  sampling): every syscall, sendmsg/recvmsg/futex/epoll_wait, sched_switch
  and sched_wakeup. Unlike `strace -c` (syscalls_per_call.py), which slows
  each syscall by tens of microseconds and so changes how many calls gRPC
  batches per write -- at 16 values strace showed 0.05 sendmsg per call
  where perf counts 0.3-0.6 -- these do not perturb the server. Needs
  perf with tracepoint access (root, or perf_event_paranoid <= -1);
  without it only the /proc columns are printed.
"""
import argparse, collections, os, pathlib, re, statistics, subprocess, sys, tempfile, time
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_loads, proto_stubs

EVENTS = ("raw_syscalls:sys_enter", "syscalls:sys_enter_sendmsg",
          "syscalls:sys_enter_recvmsg", "syscalls:sys_enter_futex",
          "syscalls:sys_enter_epoll_wait", "sched:sched_switch",
          "sched:sched_wakeup")
SHORT = {"raw_syscalls:sys_enter": "syscalls", "sched:sched_switch": "switches",
         "sched:sched_wakeup": "wake-ups"}

p = argparse.ArgumentParser()
p.add_argument("--servers", required=True, help="name=binary:flags;...")
p.add_argument("--transport", choices=("tcp", "unix"), default="tcp")
p.add_argument("--size", type=int, default=16, help="float32 values per call")
p.add_argument("--streams", type=int, default=64)
p.add_argument("--total", type=int, default=150000, help="h2load calls per run")
p.add_argument("--warmup_calls", type=int, default=10000)
p.add_argument("--rounds", type=int, default=4)
p.add_argument("--no_perf", action="store_true", help="/proc counters only")
p.add_argument("--build", type=pathlib.Path, default=HERE.parents[1] / "build" / "test")
a = p.parse_args()
work = pathlib.Path(tempfile.mkdtemp(prefix="handoffs_per_call_"))
pb, _ = proto_stubs.load(work / "stubs")
req, _ = bench_loads.make_request(pb, a.size)
frame = work / f"frame_{a.size}.grpc"
frame.write_bytes(bench_loads.grpc_frame(req.SerializeToString()))
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def threads(pid):
    """{tid: (name, utime, stime, voluntary, involuntary)}; ticks, counts."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            status = open(f"/proc/{pid}/task/{tid}/status").read()
        except FileNotFoundError:
            continue  # ended between listdir and open
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        vol = int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M)[1])
        invol = int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M)[1])
        out[tid] = (name, int(fields[11]), int(fields[12]), vol, invol)
    return out


def h2load(s, total):
    argv = bench_loads.h2load_argv(
        "h2load", f"127.0.0.1:{s['port']}", frame, a.streams, total=total,
        unix_socket=s["sock"] if a.transport == "unix" else None)
    r = bench_loads.run_h2load(argv, 600)
    if r.failed or r.errored or r.succeeded != total:
        sys.exit(f"h2load: {r.succeeded} of {total} calls succeeded")
    return r.rps


def one_run(s, out_file):
    before = threads(s["proc"].pid)
    perf = None
    if not a.no_perf:
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(EVENTS),
                                 "-p", str(s["proc"].pid), "-o", str(out_file)],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # perf attaches
    rps = h2load(s, a.total)
    if perf is not None:
        perf.send_signal(2)
        perf.wait()
    after = threads(s["proc"].pid)
    row = {"req/s": rps}
    per_name = collections.defaultdict(lambda: [0, 0, 0, 0])
    for tid, (name, *now) in after.items():
        was = before.get(tid, (name, 0, 0, 0, 0))[1:]
        for i in range(4):
            per_name[name][i] += now[i] - was[i]
    for name, (ut, st, vol, invol) in per_name.items():
        if ut + st + vol + invol == 0:
            continue
        row[f"{name}: user us"] = ut * TICK_US / a.total
        row[f"{name}: sys us"] = st * TICK_US / a.total
        row[f"{name}: vol sw"] = vol / a.total
        row[f"{name}: invol sw"] = invol / a.total
    totals = [sum(v[i] for v in per_name.values()) for i in range(4)]
    row["ALL: user us"] = totals[0] * TICK_US / a.total
    row["ALL: sys us"] = totals[1] * TICK_US / a.total
    row["ALL: vol sw"] = totals[2] / a.total
    row["ALL: invol sw"] = totals[3] / a.total
    if perf is not None:
        for line in open(out_file):
            f = line.strip().split(",")
            if len(f) > 2 and f[0].isdigit() and f[2] in EVENTS:
                name = SHORT.get(f[2], f[2].split("sys_enter_")[-1])
                row[f"perf: {name}"] = int(f[0]) / a.total
    return row


servers = bench_loads.start_actservers(a.servers, a.build / "server" / "actserver", work)
rows = {name: collections.defaultdict(list) for name in servers}
try:
    names = list(servers)
    for rnd in range(a.rounds):
        for name in names[rnd % len(names):] + names[:rnd % len(names)]:
            h2load(servers[name], a.warmup_calls)
            row = one_run(servers[name], work / f"perf_{name}_{rnd}.txt")
            print(f"round {rnd + 1} {name}: {row['req/s']:.0f} req/s, "
                  f"CPU {row['ALL: user us'] + row['ALL: sys us']:.1f} us/call, "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            for k, v in row.items():
                rows[name][k].append(v)
finally:
    bench_loads.stop_actservers(servers)

keys = []
for r in rows.values():
    keys += [k for k in r if k not in keys]
keys.sort(key=lambda k: (k.startswith("perf"), k.startswith("ALL"), k))
keys.remove("req/s")
print(f"\n{a.size} values, {a.streams} in flight, {a.transport}, {a.total} h2load "
      f"calls per run, {a.rounds} rounds; per call, median (range) over the rounds")
print("| per call | " + " | ".join(names) + " |")
print("|---|" + "---:|" * len(names))


def cell(xs):
    if not xs:
        return "–"
    return (f"{statistics.median(xs):.3g} ({min(xs):.3g}–{max(xs):.3g})"
            if len(xs) > 1 else f"{xs[0]:.3g}")


print("| req/s | " + " | ".join(cell(rows[n]["req/s"]) for n in names) + " |")
for k in keys:
    vals = [rows[n].get(k, []) for n in names]
    if all(not v or max(v) < 0.0005 for v in vals):
        continue
    print(f"| {k} | " + " | ".join(cell(v) for v in vals) + " |")
