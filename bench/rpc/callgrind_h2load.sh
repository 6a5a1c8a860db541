#!/bin/bash
# callgrind instructions per call of one server binary under h2load, as in
# docs/benchmarks.md ("Session 19: the server's own instructions per call",
# "Session 24: the RPC path per call at 1 Ki values, Unix beside TCP"):
# 500 warm-up calls, counters zeroed, N calls with M in flight on one
# connection, dumped. Valgrind has no AVX-512: actserver runs its AVX2 target.
#
#   bench/rpc/callgrind_h2load.sh LABEL BINARY FRAME M N [server flags...]
#
# FRAME: a gRPC-framed request, e.g. WORK/compute_1024.grpc as
# `rpc_bench.py --work_dir WORK` writes it. Output: OUT/cg-LABEL.out.1 and
# the line "LABEL: total Ir T, per call P" (OUT: $CG_OUT, default /tmp/cg).
# Annotate: callgrind_annotate --inclusive=no --threshold=100 OUT/cg-LABEL.out.1
set -e
label=$1; bin=$(realpath "$2"); frame=$(realpath "$3"); m=$4; n=$5; shift 5
out=${CG_OUT:-/tmp/cg}; mkdir -p "$out"; rm -f "$out/cg-$label.out"*
extra=()
case "$bin" in *actserver*) extra=(--drain_delay=0s --shutdown_grace=2s);; esac
valgrind --tool=callgrind --callgrind-out-file="$out/cg-$label.out" "$bin" \
  --address=127.0.0.1 --port=0 "${extra[@]}" "$@" > "$out/cg-$label.log" 2>&1 &
vpid=$!
target=
for _ in $(seq 1 90); do
  sleep 1
  target=$(grep -o "listening on 127.0.0.1:[0-9]*" "$out/cg-$label.log" | head -1 | cut -d' ' -f3) || true
  [ -n "$target" ] && break
done
[ -n "$target" ] || { echo "$label: server did not start" >&2; kill "$vpid"; exit 1; }
h2() {
  h2load -c1 -t1 -m"$m" -d "$frame" -H content-type:application/grpc -H te:trailers \
    -n "$1" "http://$target/activation.v1.ActivationService/Compute"
}
h2 500 > /dev/null
callgrind_control -z "$vpid" > /dev/null
h2 "$n" | grep -E "^requests:|status codes"
callgrind_control -d "$vpid" > /dev/null
sleep 2
kill -TERM "$vpid"; wait "$vpid" || true
total=$(callgrind_annotate "$out/cg-$label.out.1" 2>/dev/null | grep "PROGRAM TOTALS" | awk '{gsub(",","",$1); print $1}')
echo "$label: total Ir $total, per call $((total / n))"
