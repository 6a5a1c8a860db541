#!/usr/bin/env python3
"""Time from SIGTERM to exit of actserver (--drain_delay=0s) under 16 concurrent 64 Ki
calls from actload, and what the clients saw. Usage: shutdown_time.py BUILD_DIR ROUNDS"""
import re, subprocess, sys, threading, time
build = sys.argv[1]
for r in range(int(sys.argv[2])):
    p = subprocess.Popen([f"{build}/server/actserver", "--address=127.0.0.1", "--port=0", "--threads=2",
                          "--drain_delay=0s", "--shutdown_grace=10s"], stderr=subprocess.PIPE, text=True)
    target = re.search(r"listening on (127\.0\.0\.1:\d+)", p.stderr.readline()).group(1)
    load = subprocess.Popen([f"{build}/client/actload", f"--target={target}", "--duration=4s", "--warmup=0s",
                             "--timeout=10s", "--quiet", "--output=json", "--size=64Ki", "--concurrency=16",
                             "--connections=4"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(2)
    t = time.monotonic(); p.terminate(); p.wait(timeout=60); dt = time.monotonic() - t
    out = load.communicate(timeout=60)[0]
    m = re.search(r'"errors_by_code":\s*(\{[^}]*\})', out)
    print(f"round {r}: SIGTERM->exit {dt*1000:.0f} ms, exit {p.returncode}, client errors {m.group(1) if m else '?'}")
