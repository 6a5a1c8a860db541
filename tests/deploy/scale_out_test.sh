#!/usr/bin/env bash
# Scale-out, for real, on loopback: three actserver replicas, nginx in front of them with
# grpc_pass (deploy/nginx/nginx.conf), and clients balancing on their own.
#
#   scale_out_test.sh SOURCE_DIR ACTSERVER ACTCTL ACTLOAD [RESULTS_JSON]
#
# Phases (each starts fresh replicas, so each replica's counters, printed when it drains on
# SIGTERM, belong to one phase):
#   1. one replica, actload straight at it                       -> baseline requests/s
#   2. one replica behind nginx                                   -> the proxy's own cost
#   3. three replicas behind nginx, actload --verify              -> zero errors; every replica
#                                                                    served a share
#   4. three replicas, actload --verify over the three addresses  -> the same, client-side
#   5. failover under load, with actload --verify through nginx and two long-lived clients
#      with gRPC's round_robin and a retry policy for UNAVAILABLE (rr_client.py), one through
#      nginx, one over the three addresses:
#      a. a crash (SIGKILL of a replica): no wrong answers; the retrying clients see no error
#         and carry on; actload (which does not retry) sees only UNAVAILABLE for the calls
#         that were in flight on the dead replica;
#      b. a planned removal (out of nginx by a reload, then SIGTERM): the replica drains and
#         exits 0; no wrong answers; the retrying clients see no error; actload sees at most
#         UNAVAILABLE from nginx's reload.
# Bounded: every phase has a fixed duration and every wait a timeout (about 50 s in all).
# Environment: ACTSVC_SCALE_SECONDS (measured seconds per throughput phase, default 4),
#              ACTSVC_SCALE_SIZE (elements per request, default 1024),
#              ACTSVC_SCALE_CONCURRENCY (requests in flight, default 16),
#              ACTSVC_SCALE_FUNCTION (default sigmoid).
set -euo pipefail

source_dir=$(cd "$1" && pwd)
actserver=$2
actctl=$3
actload=$4
results=${5:-}
seconds=${ACTSVC_SCALE_SECONDS:-4}
size=${ACTSVC_SCALE_SIZE:-1024}
concurrency=${ACTSVC_SCALE_CONCURRENCY:-16}
function=${ACTSVC_SCALE_FUNCTION:-sigmoid}
python=/usr/bin/python3  # Debian's, which has grpcio, numpy and yaml

log() { printf '[scale_out_test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

command -v nginx >/dev/null || { log "SKIP: nginx not installed (Debian: nginx-light)"; exit 77; }
nginx=$(command -v nginx)

tmp=$(mktemp -d /tmp/actsvc-scale.XXXXXX)
chmod 755 "$tmp"  # nginx workers may run as another user
declare -a pids=()
cleanup() {
  local pid
  # Children first: nginx's workers outlive a killed master, and anything left holding this
  # script's stdout keeps ctest waiting for its timeout.
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- Replicas ----------------------------------------------------------------------------
declare -A replica_pid=() replica_port=() replica_log=()
starts=0
start_replica() {  # name
  local name=$1 line port="" log
  # A new log per start: the parent must never read the previous process's lines.
  starts=$((starts + 1))
  log="$tmp/$name.$starts.log"
  replica_log[$name]=$log
  "$actserver" --address=127.0.0.1 --port=0 --threads=1 --shutdown_grace=5s 2>"$log" &
  replica_pid[$name]=$!
  pids+=($!)
  for _ in $(seq 100); do
    line=$(grep -o 'listening on [^ ,]*' "$log" 2>/dev/null || true)
    if [[ -n $line ]]; then port=${line##*:}; break; fi
    kill -0 "${replica_pid[$name]}" 2>/dev/null || { cat "$log" >&2; die "$name died"; }
    sleep 0.1
  done
  [[ -n $port ]] || die "$name printed no listening line"
  replica_port[$name]=$port
}

# CPU time (user + system) a process has used so far, in milliseconds.
proc_cpu_ms() {  # pid
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Stops a replica with SIGTERM, checks it drained and exited 0; sets `served` to the number of
# requests its counters say it computed (not in a subshell: `wait` needs the parent shell).
served=0
served_cpu_ms=0
stop_replica() {  # name
  local name=$1 rc=0 summary
  served_cpu_ms=$(proc_cpu_ms "${replica_pid[$name]}")
  kill -TERM "${replica_pid[$name]}"
  timeout 20 tail --pid="${replica_pid[$name]}" -f /dev/null || die "$name did not exit"
  wait "${replica_pid[$name]}" || rc=$?
  [[ $rc == 0 ]] || { cat "${replica_log[$name]}" >&2; die "$name exited $rc after SIGTERM"; }
  summary=$(grep -o 'stopped after serving .*' "${replica_log[$name]}") \
    || die "$name printed no counters"
  [[ $summary =~ ([0-9]+)\ requests.*\ ([0-9]+)\ errors ]] || die "unparsable: $summary"
  ((BASH_REMATCH[2] == 0)) || die "$name counted ${BASH_REMATCH[2]} errors"
  served=${BASH_REMATCH[1]}
}
stop_replicas() {  # names...; sets `counts` to their served requests, `cpu_ms` to their CPU
  counts=()
  cpu_ms=0
  local name
  for name in "$@"; do
    stop_replica "$name"
    counts+=("$served")
    cpu_ms=$((cpu_ms + served_cpu_ms))
  done
}

# --- nginx: the shipped config, with loopback listen/upstreams and paths under $tmp -------
nginx_pid=""
nginx_port=""
write_nginx_conf() {  # replica names...; uses $nginx_port
  local upstream="" name
  for name in "$@"; do
    upstream+="    server 127.0.0.1:${replica_port[$name]} max_fails=1 fail_timeout=5s;\n"
  done
  awk -v up="$upstream" -v listen="    listen 127.0.0.1:$nginx_port http2;\n" -v tmp="$tmp" '
    /# BEGIN upstream servers/ { printf "%s", up; skip = 1; next }
    /# BEGIN listen/ { printf "%s", listen; skip = 1; next }
    /# END / { skip = 0; next }
    skip { next }
    { gsub("/tmp/", tmp "/"); print }' \
    "$source_dir/deploy/nginx/nginx.conf" >"$tmp/nginx.conf"
}
start_nginx() {  # replica names...
  local attempt
  for attempt in 1 2 3 4 5; do
    nginx_port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    write_nginx_conf "$@"
    "$nginx" -e stderr -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' >>"$tmp/nginx.log" 2>&1 &
    nginx_pid=$!
    pids+=($!)
    for _ in $(seq 50); do
      if "$actctl" --target="127.0.0.1:$nginx_port" --timeout=1s health >/dev/null 2>&1; then
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    log "nginx on port $nginx_port did not come up (attempt $attempt):"
    cat "$tmp/nginx.log" >&2
  done
  die "nginx never served health through to the replicas"
}
nginx_cpu_ms=0
stop_nginx() {
  local p
  nginx_cpu_ms=$(proc_cpu_ms "$nginx_pid")
  for p in $(pgrep -P "$nginx_pid"); do nginx_cpu_ms=$((nginx_cpu_ms + $(proc_cpu_ms "$p"))); done
  kill -QUIT "$nginx_pid" 2>/dev/null || true
  timeout 10 tail --pid="$nginx_pid" -f /dev/null || kill -KILL "$nginx_pid"
  wait "$nginx_pid" 2>/dev/null || true
}

# --- actload: runs, checks zero errors / wrong answers, sets `rps` and records the run --------
cpu_busy() {  # prints "busy total" jiffies of the whole machine
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat
}
declare -A rps=() detail=()
run_actload() {  # label target[,target...] [extra actload flags...]
  local label=$1 target=$2 out before after
  shift 2
  out="$tmp/$label.json"
  before=$(cpu_busy)
  if ! timeout $((seconds + 30)) "$actload" --target="$target" --duration="${seconds}s" \
      --warmup=0.5s --concurrency="$concurrency" --size="$size" --function="$function" \
      --verify --output=json \
      "$@" >"$out" 2>"$tmp/$label.err"; then
    cat "$out" "$tmp/$label.err" >&2
    die "$label: actload reported errors or wrong answers"
  fi
  after=$(cpu_busy)
  rps[$label]=$("$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["errors"] == 0 and r["wrong"] == 0 and r["ok"] > 0, r
print(round(r["requests_per_s"]))' "$out")
  detail[$label]=$("$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
b0, t0 = map(int, sys.argv[2].split()); b1, t1 = map(int, sys.argv[3].split())
print(json.dumps({"requests_per_s": round(r["requests_per_s"]),
                  "p50_us": r["latency"]["p50_us"], "p99_us": r["latency"]["p99_us"],
                  "actload_cpu_us_per_request": r["cpu_us_per_request"],
                  "machine_cpu_busy": round((b1 - b0) / max(t1 - t0, 1), 3),
                  "per_target": r["per_target"]}))' "$out" "$before" "$after")
  log "$label: ${detail[$label]}"
}

# Adds the servers' (and nginx's) CPU per request to a phase's record.
note_cpu() {  # label server_cpu_ms requests [nginx_cpu_ms]
  detail[$1]=$("$python" -c '
import json, sys
d = json.loads(sys.argv[1]); cpu, n, ng = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
d["server_cpu_us_per_request"] = round(cpu * 1000 / max(n, 1), 1)
if ng:
    d["nginx_cpu_us_per_request"] = round(ng * 1000 / max(n, 1), 1)
print(json.dumps(d))' "${detail[$1]}" "$2" "$3" "${4:-0}")
  log "$1: ${detail[$1]}"
}

check_shares() {  # label replica-counts...
  local label=$1 total=0 c
  shift
  for c in "$@"; do total=$((total + c)); done
  ((total > 0)) || die "$label: replicas served nothing"
  for c in "$@"; do
    # Round robin gives each of three a third; require at least a fifth.
    ((c * 5 >= total)) || die "$label: a replica served $c of $total requests (< 20%): $*"
  done
  log "$label: requests per replica: $* (total $total)"
}

# Other work on the machine skews the figures: record how busy it was.
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. One replica, direct: one HTTP/2 connection, then three (as many as phase 4 opens, which
#    separates "more connections" from "more replicas"). A fresh replica per run, so its CPU
#    time and counters belong to that run alone.
start_replica solo
run_actload one_direct "127.0.0.1:${replica_port[solo]}"
stop_replicas solo
note_cpu one_direct "$cpu_ms" "${counts[0]}"
start_replica solo
run_actload one_direct_3conn "127.0.0.1:${replica_port[solo]}" --connections=3
stop_replicas solo
note_cpu one_direct_3conn "$cpu_ms" "${counts[0]}"
# 2. One replica behind nginx.
start_replica solo
start_nginx solo
run_actload one_nginx "127.0.0.1:$nginx_port"
stop_nginx
stop_replicas solo
note_cpu one_nginx "$cpu_ms" "${counts[0]}" "$nginx_cpu_ms"
log "1 replica: ${rps[one_direct]} req/s direct (${rps[one_direct_3conn]} over 3 connections), ${rps[one_nginx]} req/s through nginx"

# 3. Three replicas behind nginx.
for r in a b c; do start_replica "$r"; done
start_nginx a b c
run_actload three_nginx "127.0.0.1:$nginx_port"
stop_nginx
stop_replicas a b c
check_shares "3 replicas via nginx" "${counts[@]}"
note_cpu three_nginx "$cpu_ms" "$((counts[0] + counts[1] + counts[2]))" "$nginx_cpu_ms"

# 4. Three replicas, client-side: actload spreads its connections over the three.
for r in a b c; do start_replica "$r"; done
run_actload three_client \
  "127.0.0.1:${replica_port[a]},127.0.0.1:${replica_port[b]},127.0.0.1:${replica_port[c]}"
stop_replicas a b c
check_shares "3 replicas client-side" "${counts[@]}"
note_cpu three_client "$cpu_ms" "$((counts[0] + counts[1] + counts[2]))"

# 5. Failover under load. Three clients at once, for fail_seconds each:
#    actload --verify through nginx (it does not retry: it counts every failed call),
#    rr_client.py through nginx, and rr_client.py balancing over the three itself (both: one
#    long-lived channel with a retry policy for UNAVAILABLE, as deploy/README.md advises).
fail_seconds=7
start_clients() {  # label
  local label=$1 direct
  direct="127.0.0.1:${replica_port[a]},127.0.0.1:${replica_port[b]},127.0.0.1:${replica_port[c]}"
  "$actload" --target="127.0.0.1:$nginx_port" --duration="${fail_seconds}s" --warmup=0s \
    --concurrency=8 --size=256 --verify --output=json >"$tmp/$label.actload.json" \
    2>"$tmp/$label.actload.err" &
  client_pids=($!)
  "$python" "$source_dir/tests/deploy/rr_client.py" --source="$source_dir" \
    --targets="127.0.0.1:$nginx_port" --duration="$fail_seconds" --concurrency=4 \
    >"$tmp/$label.rr_nginx.json" 2>"$tmp/$label.rr_nginx.err" &
  client_pids+=($!)
  "$python" "$source_dir/tests/deploy/rr_client.py" --source="$source_dir" \
    --targets="$direct" --health_check --duration="$fail_seconds" --concurrency=4 \
    >"$tmp/$label.rr_direct.json" 2>"$tmp/$label.rr_direct.err" &
  client_pids+=($!)
  pids+=("${client_pids[@]}")
}
# Waits for the three clients and checks: no wrong answer anywhere; the retrying clients saw
# no error (but for codes in `retrying_allowed`) and completed calls in every second from
# `event_second` on; actload's failures (it does not retry) carry only the codes in
# `actload_allowed`. Code lists are space-separated.
finish_clients() {  # label event_second actload_allowed [retrying_allowed]
  local label=$1 event=$2 allowed=$3 retrying_allowed=${4:-} pid f
  for pid in "${client_pids[@]}"; do
    timeout $((fail_seconds + 30)) tail --pid="$pid" -f /dev/null || die "$label: a client hung"
    wait "$pid" || true
  done
  for f in actload rr_nginx rr_direct; do
    [[ -s $tmp/$label.$f.json ]] || { cat "$tmp/$label.$f.err" >&2; die "$label: $f printed nothing"; }
  done
  "$python" - "$tmp/$label" "$event" "$fail_seconds" "$allowed" "$retrying_allowed" <<'EOF' || die "$label: the clients did not carry on (above)"
import json, sys
base, event, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
allowed, retrying_allowed = sys.argv[4].split(), sys.argv[5].split()
ok = True
for name in ("rr_nginx", "rr_direct"):
    r = json.load(open(f"{base}.{name}.json"))
    print(f"  {name:9s} (round_robin + retries): ok={r['ok']} errors={r['errors']} "
          f"wrong={r['wrong']} ok/s={r['ok_per_second']}", file=sys.stderr)
    after = r["ok_per_second"][event:seconds]
    unexpected = [code for code in r["errors"] if code not in retrying_allowed]
    if unexpected or r["wrong"] or not all(n > 0 for n in after):
        ok = False
        print(f"  {name}: FAILED {r.get('first_error', '')}", file=sys.stderr)
a = json.load(open(f"{base}.actload.json"))
print(f"  actload   (no retries, via nginx):  ok={a['ok']} errors={a['errors_by_code']} "
      f"wrong={a['wrong']} first_error={a['first_error']!r}", file=sys.stderr)
if a["wrong"] or a["ok"] == 0 or any(code not in allowed for code in a["errors_by_code"]):
    ok = False
    print("  actload: FAILED", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

# 5a. A crash: SIGKILL one replica. nginx cannot resend a call whose body it has already sent
#     (gRPC request bodies are streamed, not buffered), so the calls in flight on the dead
#     replica come back as HTTP 502 = UNAVAILABLE: the retrying clients resend them, actload
#     counts them. Calls not yet sent go to the other replicas (grpc_next_upstream error).
for r in a b c; do start_replica "$r"; done
start_nginx a b c
start_clients crash
sleep 2.5
log "failover: SIGKILL replica c (a crash) under load"
kill -KILL "${replica_pid[c]}"
wait "${replica_pid[c]}" 2>/dev/null || true
finish_clients crash 3 "UNAVAILABLE"
stop_nginx
stop_replicas a b
log "failover after a crash: no wrong answers; the retrying clients saw no error"

# 5b. A planned removal, in the order an orchestrator uses: out of the balancer first (nginx
#     reload without it), then SIGTERM: it drains and exits 0. The client-side round_robin
#     client learns of it from the replica itself (health NOT_SERVING, then GOAWAY).
#     nginx's reload retires its old workers with a GOAWAY to their client connections: a call
#     that crossed it fails UNAVAILABLE, which the retrying clients resend and actload counts.
#     ACTSVC_DRAIN_TOLERATE: codes any client may see here without failing the test (default
#     none). Set it to CANCELLED only to get past a server that cancels the calls queued at it
#     when its drain starts (--drain_delay=0; docs/deployment.md, "Why the server waits").
for r in a b c; do start_replica "$r"; done
start_nginx a b c
start_clients drain
sleep 2.5
log "failover: remove replica b from nginx (reload), then SIGTERM it under load"
write_nginx_conf a c
kill -HUP "$nginx_pid"
sleep 1
stop_replica b
log "failover: drained replica b exited 0 after serving $served requests"
finish_clients drain 4 "UNAVAILABLE ${ACTSVC_DRAIN_TOLERATE-}" "${ACTSVC_DRAIN_TOLERATE-}"
stop_nginx
stop_replicas a c
log "failover after a drain: no wrong answers; the retrying clients saw no error"

summary=$(printf '{"function": "%s", "size": %s, "concurrency": %s, "seconds": %s, "cores": %s, "load_average_at_start": "%s", "one_replica_direct": %s, "one_replica_direct_3_connections": %s, "one_replica_nginx": %s, "three_replicas_nginx": %s, "three_replicas_client_side": %s}' \
  "$function" "$size" "$concurrency" "$seconds" "$(nproc)" "$load_at_start" "${detail[one_direct]}" \
  "${detail[one_direct_3conn]}" "${detail[one_nginx]}" \
  "${detail[three_nginx]}" "${detail[three_client]}")
log "requests/s: 1 replica ${rps[one_direct]} (direct), ${rps[one_direct_3conn]} (3 connections), ${rps[one_nginx]} (nginx); 3 replicas ${rps[three_nginx]} (nginx), ${rps[three_client]} (client-side)"
[[ -z $results ]] || printf '%s\n' "$summary" >"$results"
log "PASS"
