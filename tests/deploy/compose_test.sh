#!/usr/bin/env bash
# deploy/compose.yaml, brought up for real: three replicas and nginx start and turn healthy,
# the one-shot actload service runs a verified load through nginx and exits 0, the compose
# Prometheus scrapes all three replicas and counts what actload sent, every replica served a
# share of it, and `stop` drains every replica to exit code 0.
#
#   compose_test.sh SOURCE_DIR
#
# Needs a Docker engine API (DOCKER_HOST) and docker-compose (Debian 12's 1.29 works; so
# does Compose v2 as `docker compose`). Without them it exits 77 (ctest: skipped), unless
# ACTSVC_REQUIRE_DOCKER=1. Bounded: every wait has a timeout; the stack is removed on exit.
#
# Podman without systemd (as behind this project's CI engine) keeps the images' health checks
# but never schedules them, so `depends_on: condition: service_healthy` would wait forever.
# When the engine is podman, this script runs the due checks itself (`podman healthcheck
# run`), which is what Docker's engine does on its own.
set -euo pipefail

source_dir=$(cd "$1" && pwd)
export DOCKER_BUILDKIT=0

log() { printf '[compose_test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
skip() {
  if [[ ${ACTSVC_REQUIRE_DOCKER:-0} == 1 ]]; then die "$*"; fi
  log "SKIP: $*"
  exit 77
}

timeout 20 docker info >/dev/null 2>&1 \
  || skip "no container engine reachable (DOCKER_HOST=${DOCKER_HOST:-unset})"
if command -v docker-compose >/dev/null; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  skip "neither docker-compose nor 'docker compose' is installed"
fi

project=actsvc-compose-test-$$
export COMPOSE_PROJECT_NAME=$project
# Image tags of our own too: the engine may be shared, and another checkout's stack must not
# run (or overwrite) this one's images. The layers stay cached; only the tags are removed.
export ACTSVC_TAG=$project
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
export ACTSVC_PORT ACTSVC_PROMETHEUS_PORT
ACTSVC_PORT=$(free_port)
ACTSVC_PROMETHEUS_PORT=$(free_port)
export ACTSVC_REPLICAS=3 ACTLOAD_DURATION=3s ACTLOAD_CONCURRENCY=8
dc() { timeout "${DC_TIMEOUT:-300}" "${compose[@]}" -f "$source_dir/deploy/compose.yaml" "$@"; }

ticker_pid=""
cleanup() {
  [[ -z $ticker_pid ]] || kill "$ticker_pid" 2>/dev/null || true
  DC_TIMEOUT=120 dc down --remove-orphans -t 20 >/dev/null 2>&1 || true
  docker rmi "activation-service:$ACTSVC_TAG" "activation-service-lb:$ACTSVC_TAG" \
    "activation-service-prometheus:$ACTSVC_TAG" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Podman: run the health checks that are due, as Docker's engine would.
if docker version --format '{{.Server.Os}} {{range .Server.Components}}{{.Name}} {{end}}' 2>/dev/null \
    | grep -qi podman && command -v podman >/dev/null; then
  (
    while true; do
      for id in $(docker ps -q --filter "label=com.docker.compose.project=$project"); do
        podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
      sleep 2
    done
  ) &
  ticker_pid=$!
  log "engine is podman: running the containers' health checks every 2 s"
fi

log "building the images (cached layers make this quick after docker_image_test)"
DC_TIMEOUT=2400 dc build >"${TMPDIR:-/tmp}/$project.build.log" 2>&1 \
  || { tail -n 30 "${TMPDIR:-/tmp}/$project.build.log" >&2; die "compose build failed"; }
rm -f "${TMPDIR:-/tmp}/$project.build.log"

log "up: $ACTSVC_REPLICAS replicas + nginx on 127.0.0.1:$ACTSVC_PORT"
dc up -d || { dc logs >&2 || true; die "compose up failed"; }

mapfile -t replicas < <(docker ps -q --filter "label=com.docker.compose.project=$project" \
  --filter "label=com.docker.compose.service=actserver")
((${#replicas[@]} == ACTSVC_REPLICAS)) \
  || die "expected $ACTSVC_REPLICAS actserver containers, found ${#replicas[@]}"
for id in "${replicas[@]}"; do
  status=""
  for _ in $(seq 60); do
    status=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || true)
    [[ $status == healthy ]] && break
    sleep 1
  done
  [[ $status == healthy ]] || { docker logs "$id" >&2; die "replica $id is '$status', not healthy"; }
done
log "all $ACTSVC_REPLICAS replicas healthy"

log "one-shot actload through nginx (--verify)"
dc run --rm actload || { dc logs lb >&2 || true; die "the actload service failed"; }

# Prometheus (5 s scrape interval) sees every replica up, and its Compute counter, summed
# over them, moves by exactly what a second actload run (no warm-up) sends.
prom_query() {
  /usr/bin/python3 - "$ACTSVC_PROMETHEUS_PORT" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
port, query = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
result = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
print(result[0]["value"][1] if result else "none")
PY
}
compute_total='sum(actsvc_requests_total{rpc="Compute",code="OK"})'
up="" before="" previous=""
for _ in $(seq 40); do  # until all are up and the count has settled over two scrapes
  up=$(prom_query 'count(up{job="actserver"} == 1)' 2>/dev/null || echo none)
  before=$(prom_query "$compute_total" 2>/dev/null || echo none)
  [[ $up == "$ACTSVC_REPLICAS" && $before != none && $before == "$previous" ]] && break
  previous=$before
  sleep 6
done
[[ $up == "$ACTSVC_REPLICAS" ]] \
  || { dc logs prometheus >&2 || true; die "Prometheus sees $up replicas up, not $ACTSVC_REPLICAS"; }
[[ $before != none && $before == "$previous" ]] || die "Prometheus's count never settled ($before)"
sent=$(dc run --rm actload actload --target=lb:50051 --duration=3s --warmup=0s \
         --concurrency=4 --verify --output=json 2>/dev/null \
       | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])') \
  || die "the second actload run failed"
expected=$(( ${before%.*} + sent ))
after=""
for _ in $(seq 30); do
  after=$(prom_query "$compute_total" 2>/dev/null || echo none)
  [[ $after != none && ${after%.*} == "$expected" ]] && break
  sleep 2
done
[[ $after != none && ${after%.*} == "$expected" ]] \
  || die "Prometheus counts $after Compute requests; expected $before + $sent = $expected"
log "Prometheus: $up replicas up; Compute count $before -> $after, +$sent = what actload sent"

log "stop: every replica drains and exits 0"
dc stop -t 20 >/dev/null
total=0
for id in "${replicas[@]}"; do
  code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
  line=$(docker logs "$id" 2>&1 | grep -o 'stopped after serving .*' || true)
  log "  replica ${id:0:12}: exit $code, $line"
  [[ $code == 0 ]] || die "replica $id exited $code"
  [[ $line =~ ([0-9]+)\ requests ]] || die "replica $id printed no counters"
  ((BASH_REMATCH[1] > 0)) || die "replica $id served nothing: nginx did not spread the load"
  total=$((total + BASH_REMATCH[1]))
done
log "PASS: compose stack served $total verified requests over $ACTSVC_REPLICAS replicas"
