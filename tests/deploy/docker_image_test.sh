#!/usr/bin/env bash
# The Docker image, for real: build it, check what it is made of, serve from it, call it from
# the host and from another container, stop it and check that it drained and exited 0.
#
#   docker_image_test.sh SOURCE_DIR ACTCTL
#
# SOURCE_DIR  the project's root (build context); ACTCTL  the host-built actctl.
# Needs a Docker engine API in the environment (DOCKER_HOST, or the default socket). Without
# one it exits 77 (ctest: skipped), unless ACTSVC_REQUIRE_DOCKER=1, when that is a failure.
# Environment: ACTSVC_IMAGE (tag to build, default activation-service:ci),
#              ACTSVC_BUILD_TIMEOUT (seconds, default 2400: the build compiles the project).
# Prints the image's size and its own layers' sizes (the figures in docs/deployment.md).
set -euo pipefail

source_dir=$(cd "$1" && pwd)
actctl=$2
image=${ACTSVC_IMAGE:-activation-service:ci}
build_timeout=${ACTSVC_BUILD_TIMEOUT:-2400}
export DOCKER_BUILDKIT=0  # the classic builder: no buildx needed (podman's API has none)

log() { printf '[docker_image_test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

if ! timeout 20 docker info >/dev/null 2>&1; then
  if [[ ${ACTSVC_REQUIRE_DOCKER:-0} == 1 ]]; then
    die "no container engine reachable (DOCKER_HOST=${DOCKER_HOST:-unset})"
  fi
  log "SKIP: no container engine reachable (DOCKER_HOST=${DOCKER_HOST:-unset})"
  exit 77
fi

server=actsvc-image-test-$$
cleanup() {
  docker rm -f "$server" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- 1. Build. ---------------------------------------------------------------------------
log "building $image from $source_dir (timeout ${build_timeout}s)"
start=$(date +%s)
if ! timeout "$build_timeout" docker build -t "$image" "$source_dir" >"${TMPDIR:-/tmp}/$server.build.log" 2>&1; then
  tail -n 40 "${TMPDIR:-/tmp}/$server.build.log" >&2
  die "docker build failed (log above)"
fi
rm -f "${TMPDIR:-/tmp}/$server.build.log"
log "built in $(($(date +%s) - start)) s"

# --- 2. What the image is. ---------------------------------------------------------------
size=$(docker image inspect -f '{{.Size}}' "$image")
log "image size: $((size / 1000000)) MB ($size bytes), of which the layers this Dockerfile adds:"
docker history --format '{{.Size}}\t{{.CreatedBy}}' "$image" | awk -F'\t' '$1 != "0B" {printf "    %-10s %.90s\n", $1, $2}' >&2
user=$(docker image inspect -f '{{.Config.User}}' "$image")
[[ $user == 10001:10001 ]] || die "image user is '$user', expected the non-root 10001:10001"
docker image inspect -f '{{json .Config.ExposedPorts}}' "$image" | grep -q '"50051/tcp"' \
  || die "image does not EXPOSE 50051"
# Only the runtime libraries: no compiler, no headers.
docker run --rm --entrypoint sh "$image" -c \
  'test ! -e /usr/bin/g++ && test ! -e /usr/bin/cmake && test ! -d /usr/include/grpcpp' \
  || die "the runtime image contains build tools or headers"
for tool in actctl actload actserver; do
  # Abseil's --version exits 0 (--help exits 1); it proves the binary loads its libraries.
  docker run --rm "$image" "$tool" --version >/dev/null 2>&1 \
    || die "'docker run IMAGE $tool --version' failed"
done

# --- 3. Serve, with a published port. ----------------------------------------------------
# With the restrictions deploy/k8s/deployment.yaml applies (read-only root filesystem, no
# capabilities, no privilege escalation), so the manifests are known to suit the image.
docker run -d --name "$server" -p 127.0.0.1::50051 --read-only --cap-drop=ALL \
  --security-opt=no-new-privileges "$image" --threads=1 >/dev/null
port=$(docker port "$server" 50051/tcp | head -n1 | sed 's/.*://')
[[ $port =~ ^[0-9]+$ ]] || die "no published port: '$port'"
target=127.0.0.1:$port
log "server container $server published on $target"

healthy=0
for _ in $(seq 60); do
  if out=$("$actctl" --target="$target" --timeout=1s health 2>&1) && [[ $out == *SERVING* ]]; then
    healthy=1
    break
  fi
  sleep 0.5
done
((healthy)) || { docker logs "$server" >&2; die "health never SERVING on $target"; }
log "health from the host: $out"

# The container's own HEALTHCHECK command, run as the engine would run it.
hc=$(docker inspect -f '{{json .Config.Healthcheck.Test}}' "$server")
[[ $hc == *actctl*health* ]] || die "container has no actctl health check: $hc"
mapfile -t hc_cmd < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])[1:]))' "$hc")
docker exec "$server" "${hc_cmd[@]}" >/dev/null || die "the image's HEALTHCHECK command failed"

# A value computed through the container: sigmoid(1) = 0.7310585786...
got=$("$actctl" --target="$target" --timeout=5s compute sigmoid --values=0,1,-1 --json)
log "compute from the host: $got"
python3 - "$got" <<'EOF' || die "wrong values from the container"
import json, math, sys
r = json.loads(sys.argv[1])
want = [1 / (1 + math.exp(-x)) for x in (0, 1, -1)]
assert all(abs(a - b) <= 1e-6 for a, b in zip(r["output"], want)), (r["output"], want)
EOF

# actload from the image, against the server container (container to container).
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$server")
if [[ -n $ip ]]; then
  log "actload from the image against the server container at $ip:50051"
  docker run --rm "$image" actload --target="$ip:50051" --duration=2s --concurrency=2 --verify \
    >&2 || die "actload in a container against $ip:50051 failed"
else
  log "no container IP reported: skipping the container-to-container actload"
fi

# --- 4. SIGTERM: drain and exit 0. -------------------------------------------------------
docker stop -t 30 "$server" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$server")
logs=$(docker logs "$server" 2>&1)
printf '%s\n' "$logs" | sed 's/^/    /' >&2
[[ $code == 0 ]] || die "server exit code $code after SIGTERM, expected 0"
[[ $logs == *"SIGTERM received"* && $logs == *"stopped after serving"* ]] \
  || die "server did not log a drain"
log "PASS: image $image ($((size / 1000000)) MB) builds, serves, health-checks, drains, exits 0"
