#!/usr/bin/env python3
"""Server CPU per call (/proc/PID/stat utime+stime and minor faults, over one actload run of
8 calls in flight on 1 connection, sigmoid float32 raw) and, unless OUTPREFIX is "-", a
perf cpu-clock profile (-F 2000 -g) of the server over the run (OUTPREFIX.data; split it
with perf_categories.py).
usage: server_cost.py BUILD KIND(floor|actserver) VALUES SECONDS OUTPREFIX [actserver binary]"""
import json, os, re, subprocess, sys, time
build, kind, values, secs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
binary = sys.argv[6] if len(sys.argv) > 6 else None
if kind == "floor":
    argv = [f"{build}/bench/rpc/echo_floor", "--address=127.0.0.1", "--port=0"]
else:
    argv = [binary or f"{build}/server/actserver", "--address=127.0.0.1", "--port=0", "--drain_delay=0s", "--shutdown_grace=2s"]
p = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
target = None
t0 = time.time()
while target is None and time.time() - t0 < 20:
    line = p.stderr.readline() or p.stdout.readline()
    m = re.search(r"listening on (127\.0\.0\.1:\d+)", line)
    if m: target = m.group(1)
def load(d):
    a = [f"{build}/client/actload", f"--target={target}", "--connections=1", "--concurrency=8", f"--size={values}",
         "--function=sigmoid", "--mode=forward", "--dtype=f32", "--encoding=raw", "--input_range=8",
         "--warmup=0s", "--timeout=60s", "--output=json", f"--duration={d}s"]
    return json.loads(subprocess.run(a, capture_output=True, text=True).stdout)
def stat():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11 - 2]), int(f[13 - 2]) + int(f[14 - 2])  # minflt, utime+stime (ticks)
load(1.0)  # warm-up
perf = None if out == "-" else subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-g", "-p", str(p.pid), "-o", out + ".data"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3 if perf else 0)
f0, c0 = stat()
r = load(secs)
f1, c1 = stat()
if perf: perf.send_signal(2); perf.wait()
p.terminate(); p.wait()
calls = r["ok"]
tick = os.sysconf("SC_CLK_TCK")
print(json.dumps({"kind": kind, "values": values, "calls": calls, "req_s": calls / secs,
                  "cpu_us_per_call": (c1 - c0) / tick * 1e6 / calls, "minflt_per_call": (f1 - f0) / calls}))
