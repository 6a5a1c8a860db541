#!/usr/bin/env bash
# The deployment validators must reject what they claim to reject: each case copies the files
# they read into a scratch tree, breaks one thing, and expects validate_k8s.py or
# validate_compose.py to fail naming it. (A validator that passes everything passes the
# real tree too; this is what tells the two apart.)
#
#   validators_negative_test.sh SOURCE_DIR PYTHON
set -euo pipefail

source_dir=$(cd "$1" && pwd)
python=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/actsvc-validators.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

fresh() {
  rm -rf "$tmp/src"
  mkdir -p "$tmp/src/server" "$tmp/src/client"
  cp -r "$source_dir/deploy" "$tmp/src/"
  cp "$source_dir/Dockerfile" "$tmp/src/"
  cp "$source_dir"/server/*.cc "$tmp/src/server/"
  cp "$source_dir"/client/*main.cc "$tmp/src/client/"
}

# expect VALIDATOR "description" "text the failure must contain" FILE PYTHON-EXPRESSION
# The expression maps the file's text `s` to the broken text.
expect() {
  local validator=$1 what=$2 needle=$3 file=$4 edit=$5 out
  fresh
  "$python" -c 'import sys; p = sys.argv[1]; s = open(p).read(); t = eval(sys.argv[2]); assert t != s, "edit changed nothing"; open(p, "w").write(t)' \
    "$tmp/src/$file" "$edit"
  if out=$("$python" "$here/$validator" "$tmp/src" 2>&1); then
    echo "NOT CAUGHT: $what" >&2
    failures=$((failures + 1))
  elif [[ $out != *"$needle"* ]]; then
    echo "CAUGHT, but without '$needle': $what" >&2
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    failures=$((failures + 1))
  else
    echo "caught: $what"
  fi
}

# The external tools (docker-compose, kubectl) are checked by the validators' own runs; here
# only the validators' logic is, quickly. (nginx -t stays: it is fast and one case needs it.)
export ACTSVC_VALIDATE_NO_TOOLS=1

# The untouched tree passes (otherwise every case below would "pass" for nothing).
fresh
"$python" "$here/validate_k8s.py" "$tmp/src" >/dev/null || { echo "pristine k8s tree fails" >&2; exit 1; }
"$python" "$here/validate_compose.py" "$tmp/src" >/dev/null || { echo "pristine compose fails" >&2; exit 1; }

k8s=validate_k8s.py
expect $k8s "misspelt probe field" "unknown field 'readinesProbe'" deploy/k8s/deployment.yaml \
  's.replace("readinessProbe:", "readinesProbe:")'
expect $k8s "Service selector matching no pod" "selector does not match" deploy/k8s/service.yaml \
  's.replace("app.kubernetes.io/component: server\n  ports", "app.kubernetes.io/component: web\n  ports")'
expect $k8s "probe on another port" "is not a port that serves health" deploy/k8s/deployment.yaml \
  's.replace("grpc:\n              port: 50051", "grpc:\n              port: 8080", 1)'
expect $k8s "health port on loopback" "the kubelet cannot reach it" deploy/k8s/deployment.yaml \
  's.replace("            - --metrics_address=", "            - --health_port=50052\n            - --health_address=127.0.0.1\n            - --metrics_address=", 1).replace("            - name: metrics\n", "            - name: health\n              containerPort: 50052\n            - name: metrics\n", 1)'
expect $k8s "health port without its container port" "needs a container port named 'health'" deploy/k8s/deployment.yaml \
  's.replace("            - --metrics_address=", "            - --health_port=50052\n            - --health_address=0.0.0.0\n            - --metrics_address=", 1)'
expect $k8s "HTTP probe on the gRPC port" "httpGet probe must GET /healthz or /readyz on the metrics port" deploy/k8s/deployment.yaml \
  's.replace("grpc:\n              port: 50051", "httpGet:\n              path: /healthz\n              port: 50051", 1)'
expect $k8s "HTTP probe of a path actserver does not serve" "httpGet probe must GET" deploy/k8s/deployment.yaml \
  's.replace("path: /healthz", "path: /health", 1)'
expect $k8s "HTTP probe with the metrics port on loopback" "httpGet probe must GET" deploy/k8s/deployment.yaml \
  's.replace("--metrics_address=0.0.0.0:9464", "--metrics_address=127.0.0.1:9464", 1)'
expect $k8s "flag actserver does not define" "has no flag --drain" deploy/k8s/deployment.yaml \
  's.replace("--shutdown_grace=", "--drain=")'
expect $k8s "grace period shorter than preStop + drain" "SIGKILLed mid-drain" \
  deploy/k8s/deployment.yaml 's.replace("terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10")'
expect $k8s "user id differing from the image's" "!= Dockerfile USER" deploy/k8s/deployment.yaml \
  's.replace("runAsUser: 10001", "runAsUser: 1000")'
expect $k8s "HPA aimed at another Deployment" "is not the Deployment" deploy/k8s/hpa.yaml \
  's.replace("name: activation-service\n  metrics", "name: other\n  metrics").replace("    name: activation-service\n", "    name: other\n")'
expect $k8s "manifest missing from the kustomization" "resources" deploy/k8s/kustomization.yaml \
  's.replace("  - pdb.yaml\n", "")'
expect $k8s "headless Service that is not headless" "headless" deploy/k8s/service-headless.yaml \
  's.replace("  clusterIP: None\n", "")'
expect $k8s "scrape annotation on another port" "must name one port" deploy/k8s/deployment.yaml \
  's.replace("prometheus.io/port: \"9464\"", "prometheus.io/port: \"9090\"")'

compose=validate_compose.py
expect $compose "health check on the wrong port" "is not the server's" deploy/compose.yaml \
  's.replace("--target=127.0.0.1:50051", "--target=127.0.0.1:50052")'
expect $compose "nginx upstream naming another service" "is not actserver" deploy/nginx/nginx.conf \
  's.replace("server actserver:50051", "server backend:50051")'
expect $compose "actload aimed past nginx" "is not lb:" deploy/compose.yaml \
  's.replace("--target=lb:50051", "--target=actserver:50051")'
expect $compose "stop grace below the drain deadline" "mid-drain" deploy/compose.yaml \
  's.replace("stop_grace_period: 15s", "stop_grace_period: 5s")'
expect $compose "flag actload does not define" "actload has no flag" deploy/compose.yaml \
  's.replace("--verify", "--check")'
expect $compose "nginx syntax error" "nginx -t" deploy/nginx/nginx.conf \
  's.replace("grpc_next_upstream_tries 3;", "grpc_next_upstream_tries;")'
expect $compose "Prometheus scraping another port" "no dns_sd_config for actserver" \
  deploy/prometheus/prometheus.yml 's.replace("port: 9464", "port: 9465")'

if ((failures)); then
  echo "$failures case(s) not caught" >&2
  exit 1
fi
echo "every broken case was caught"
