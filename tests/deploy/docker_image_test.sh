#!/usr/bin/env bash
# The Docker image, for real: build it, check what it is made of, serve from it, call it from
# the host and from another container, stop it and check that it drained and exited 0; then
# serve mutual TLS from it with the health check on the plaintext health-only port.
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
tls_server=actsvc-image-tls-test-$$
certs=$(mktemp -d)
# mktemp makes it 0700: the image's user (10001) could not enter it through the bind mount.
chmod 0755 "$certs"
cleanup() {
  docker rm -f "$server" "$tls_server" >/dev/null 2>&1 || true
  rm -rf "$certs"
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
# --- 5. Mutual TLS, and the health check through the plaintext health-only port. ----------
# deploy/README.md "TLS": probes cannot present a client certificate, so --health_port serves
# grpc.health.v1 (and nothing else) in plaintext on loopback, and --health-cmd points there.
log "mutual TLS: certificates made with openssl in $certs"
(
  cd "$certs"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca
  openssl req "${ec[@]}" -keyout tls.key -out tls.csr -subj /CN=localhost
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 2 \
    -extfile server.ext -out tls.crt
  openssl req "${ec[@]}" -keyout client.key -out client.csr -subj /CN=client
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -set_serial 3 -days 2 \
    -extfile client.ext -out client.crt
  # Readable by the image's user 10001 through the bind mount (mktemp -d makes the folder 0700).
  chmod 0755 .
  chmod 0644 ./*
) >/dev/null 2>&1 || die "openssl could not make the test certificates"
docker run -d --name "$tls_server" -p 127.0.0.1::50051 --read-only --cap-drop=ALL \
  --security-opt=no-new-privileges -v "$certs:/certs:ro" \
  --health-cmd='actctl --target=127.0.0.1:50052 --timeout=2s health' \
  "$image" --threads=1 --tls_cert=/certs/tls.crt --tls_key=/certs/tls.key \
  --tls_client_ca=/certs/ca.crt --health_port=50052 >/dev/null
tls_port=$(docker port "$tls_server" 50051/tcp | head -n1 | sed 's/.*://')
[[ $tls_port =~ ^[0-9]+$ ]] || die "no published port for the TLS server: '$tls_port'"
hc=$(docker inspect -f '{{json .Config.Healthcheck.Test}}' "$tls_server")
hc_shell=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); assert t[0]=="CMD-SHELL"; print(t[1])' "$hc") \
  || die "unexpected --health-cmd form: $hc"
healthy=0
for _ in $(seq 60); do
  if docker exec "$tls_server" sh -c "$hc_shell" 2>/dev/null | grep -qx SERVING; then
    healthy=1
    break
  fi
  sleep 0.5
done
((healthy)) || { docker logs "$tls_server" >&2; die "TLS container: health check never SERVING"; }
log "TLS container: its health check ($hc_shell) says SERVING"
# From the host: the TLS port answers a client with a certificate and no one else.
/usr/bin/python3 - "$certs" "127.0.0.1:$tls_port" <<'PY' || die "mutual TLS from the host failed"
import sys, grpc
certs, target = sys.argv[1:]
read = lambda name: open(f"{certs}/{name}", "rb").read()
def check(credentials):
    channel = grpc.secure_channel(target, credentials,
                                  options=[("grpc.ssl_target_name_override", "localhost")])
    # grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1.
    call = channel.unary_unary("/grpc.health.v1.Health/Check")
    try:
        return call(b"", timeout=5)
    except grpc.RpcError as e:
        return e.code()
    finally:
        channel.close()
ok = check(grpc.ssl_channel_credentials(read("ca.crt"), read("client.key"), read("client.crt")))
assert ok == b"\x08\x01", f"with a client certificate: {ok}"
refused = check(grpc.ssl_channel_credentials(read("ca.crt")))
assert refused == grpc.StatusCode.UNAVAILABLE, f"without a client certificate: {refused}"
print("[docker_image_test] mutual TLS from the host: SERVING with a client certificate, "
      "UNAVAILABLE without", file=sys.stderr)
PY
if "$actctl" --target="127.0.0.1:$tls_port" --timeout=2s health >/dev/null 2>&1; then
  die "the TLS port answered a plaintext client"
fi
docker stop -t 30 "$tls_server" >/dev/null
[[ $(docker inspect -f '{{.State.ExitCode}}' "$tls_server") == 0 ]] \
  || { docker logs "$tls_server" >&2; die "TLS server did not exit 0 after SIGTERM"; }
log "PASS: image $image ($((size / 1000000)) MB) builds, serves, health-checks, drains, exits 0;"
log "      serves mutual TLS with its health check on the plaintext health-only port"
