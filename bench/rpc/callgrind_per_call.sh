#!/bin/bash
# callgrind instructions per 64 Ki call (400 calls of sigmoid float32 raw, one in flight,
# after 50 warm-up), one server binary: $1 label $2 binary. Valgrind has no AVX-512: the
# server runs its AVX2 target. Output in /tmp/rpc7/cg-LABEL.out.1.
label=$1; bin=$(realpath $2); mkdir -p /tmp/rpc7; cd /tmp/rpc7; ACTLOAD=$(realpath ${ACTLOAD:-build/test/client/actload}); rm -f cg-$label.out*
valgrind --tool=callgrind --callgrind-out-file=/tmp/rpc7/cg-$label.out $bin --address=127.0.0.1 --port=0 --drain_delay=0s --shutdown_grace=2s > cg-$label.log 2>&1 &
for i in $(seq 1 60); do sleep 1; T=$(grep -o "listening on 127.0.0.1:[0-9]*" cg-$label.log | cut -d' ' -f3); [ -n "$T" ] && break; done
A="${ACTLOAD:-build/test/client/actload} --target=$T --connections=1 --concurrency=1 --size=65536 --function=sigmoid --mode=forward --dtype=f32 --encoding=raw --input_range=8 --warmup=0s --timeout=60s --output=json --duration=0"
$A --total=50 >/dev/null
PID=$(pgrep -f "callgrind-out-file=/tmp/rpc7/cg-$label.out" | head -1)
callgrind_control -z $PID >/dev/null
$A --total=400 | grep -o '"ok":[^,]*'
callgrind_control -d $PID >/dev/null; sleep 2
kill -TERM $PID; sleep 3
tot=$(callgrind_annotate cg-$label.out.1 2>/dev/null | grep "PROGRAM TOTALS" | awk '{gsub(",","",$1); print $1}')
echo "$label: total Ir $tot, per call $((tot/400))"
callgrind_annotate --inclusive=yes --threshold=100 cg-$label.out.1 2>/dev/null | grep -E "ComputeF32\(|PlanJobs|ChainOf|DecodeComputeRequest|malloc.c:malloc |operator new\(unsigned long\)" | cut -c1-120
