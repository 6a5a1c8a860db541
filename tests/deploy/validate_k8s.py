#!/usr/bin/python3
"""Offline consistency check of deploy/k8s (no cluster, no network).

Usage: validate_k8s.py SOURCE_DIR

`kubectl apply --dry-run=client` still needs an API server for discovery, so this does the
checks that matter for this service by itself, from Debian's python3-yaml:
  * every manifest parses, is one known kind/apiVersion, and has no misspelt field (each object
    we use is checked against the set of field names the Kubernetes API defines for it);
  * the kustomization lists exactly the manifests in the folder, and its image names the
    Deployment's image;
  * selectors of the Deployment, both Services and the PodDisruptionBudget all match the pod
    template's labels; Service targetPorts name a container port; the headless Service is
    headless;
  * readiness and liveness are native gRPC probes on a port that serves grpc.health.v1, or
    HTTP GETs of /healthz or /readyz on the metrics port (--metrics_address, not loopback);
  * the container port, user id and flags agree with the Dockerfile (EXPOSE, USER) and with the
    flags actserver defines (ABSL_FLAG in server/*.cc), so a renamed flag fails here, not in a
    crash-looping pod;
  * terminationGracePeriodSeconds covers the preStop sleep plus the server's drain deadline;
  * the prometheus.io scrape annotations name the container port called "metrics", which is
    the port of actserver's --metrics_address;
  * the HPA targets the Deployment, scales on CPU, and the Deployment requests CPU (the HPA's
    utilisation is relative to it); minReplicas leaves the PDB room to evict.
If `kubectl` happens to be installed, `kubectl kustomize` must also render the folder (skipped
when ACTSVC_VALIDATE_NO_TOOLS is set, as the validators' own negative test does for speed).
Prints one line per failed check and exits 1 if any failed.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

# Field names per object, from the Kubernetes API reference (v1.29). Only the objects these
# manifests use; an unknown key anywhere below is reported as a probable typo.
SCHEMA = {
    "object": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "deployment.spec": {"replicas", "selector", "template", "strategy", "minReadySeconds",
                        "revisionHistoryLimit", "progressDeadlineSeconds", "paused"},
    "selector": {"matchLabels", "matchExpressions"},
    "strategy": {"type", "rollingUpdate"},
    "rollingUpdate": {"maxUnavailable", "maxSurge"},
    "template": {"metadata", "spec"},
    "pod.spec": {"containers", "initContainers", "terminationGracePeriodSeconds",
                 "securityContext", "serviceAccountName", "automountServiceAccountToken",
                 "topologySpreadConstraints", "affinity", "nodeSelector", "tolerations",
                 "volumes", "priorityClassName", "enableServiceLinks", "imagePullSecrets"},
    "pod.securityContext": {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup",
                            "seccompProfile", "supplementalGroups", "sysctls"},
    "topologySpreadConstraint": {"maxSkew", "topologyKey", "whenUnsatisfiable",
                                 "labelSelector", "minDomains", "matchLabelKeys",
                                 "nodeAffinityPolicy", "nodeTaintsPolicy"},
    "container": {"name", "image", "imagePullPolicy", "command", "args", "env", "envFrom",
                  "ports", "resources", "readinessProbe", "livenessProbe", "startupProbe",
                  "lifecycle", "securityContext", "volumeMounts", "workingDir",
                  "terminationMessagePolicy"},
    "containerPort": {"name", "containerPort", "protocol", "hostPort", "hostIP"},
    "resources": {"requests", "limits", "claims"},
    "probe": {"grpc", "httpGet", "tcpSocket", "exec", "initialDelaySeconds", "periodSeconds",
              "timeoutSeconds", "successThreshold", "failureThreshold",
              "terminationGracePeriodSeconds"},
    "grpcAction": {"port", "service"},
    "httpGetAction": {"path", "port", "host", "scheme", "httpHeaders"},
    "lifecycle": {"preStop", "postStart"},
    "handler": {"exec", "httpGet", "tcpSocket", "sleep"},
    "container.securityContext": {"allowPrivilegeEscalation", "readOnlyRootFilesystem",
                                  "capabilities", "runAsNonRoot", "runAsUser", "runAsGroup",
                                  "privileged", "seccompProfile"},
    "service.spec": {"type", "selector", "ports", "clusterIP", "clusterIPs",
                     "publishNotReadyAddresses", "sessionAffinity", "internalTrafficPolicy",
                     "externalTrafficPolicy", "ipFamilyPolicy", "ipFamilies"},
    "servicePort": {"name", "port", "targetPort", "protocol", "appProtocol", "nodePort"},
    "hpa.spec": {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior"},
    "scaleTargetRef": {"apiVersion", "kind", "name"},
    "metric": {"type", "resource", "pods", "object", "external", "containerResource"},
    "resourceMetric": {"name", "target"},
    "metricTarget": {"type", "averageUtilization", "averageValue", "value"},
    "behavior": {"scaleUp", "scaleDown"},
    "scalingRules": {"stabilizationWindowSeconds", "selectPolicy", "policies"},
    "scalingPolicy": {"type", "value", "periodSeconds"},
    "pdb.spec": {"selector", "minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy"},
    "kustomization": {"apiVersion", "kind", "resources", "images", "namespace", "labels",
                      "commonLabels", "commonAnnotations", "namePrefix", "nameSuffix",
                      "patches", "configMapGenerator", "secretGenerator", "replicas"},
    "kustomization.image": {"name", "newName", "newTag", "digest"},
}

KNOWN_KINDS = {
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
}

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


def check_keys(where, obj, schema_name):
    if not isinstance(obj, dict):
        fail(where, f"expected a mapping, got {type(obj).__name__}")
        return {}
    unknown = set(obj) - SCHEMA[schema_name]
    for key in sorted(unknown):
        fail(where, f"unknown field '{key}' (not in {schema_name})")
    return obj


def duration_seconds(text):
    """'20s', '1m30s', '500ms', '2' (seconds) -> float seconds; None if not a duration."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, rest = 0.0, text
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
        rest = rest.replace(number + unit, "", 1)
    return total if rest == "" and text else None


def server_flags(source):
    """Flag name -> default text, from every ABSL_FLAG in server/."""
    flags = {}
    for path in sorted((source / "server").glob("*.cc")):
        text = path.read_text()
        for match in re.finditer(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,\s*([^,]+),", text):
            flags[match.group(1)] = match.group(2).strip()
    return flags


def dockerfile_facts(source):
    text = (source / "Dockerfile").read_text()
    # Only the final stage counts.
    final = text.split("\nFROM ")[-1]
    user = re.search(r"^USER\s+(\d+)(?::(\d+))?", final, re.M)
    expose = re.search(r"^EXPOSE\s+(\d+)", final, re.M)
    return {
        "uid": int(user.group(1)) if user else None,
        "gid": int(user.group(2)) if user and user.group(2) else None,
        "port": int(expose.group(1)) if expose else None,
    }


def selector_matches(selector_labels, pod_labels):
    return bool(selector_labels) and all(pod_labels.get(k) == v
                                         for k, v in selector_labels.items())


def check_probe(where, probe, ports, http_ports):
    """`ports`: the container ports that serve grpc.health.v1 (the gRPC port,
    and the --health_port listener when it has a named container port).
    `http_ports`: names and numbers of the port that serves /healthz and
    /readyz (the metrics port, when --metrics_address is reachable)."""
    check_keys(where, probe, "probe")
    handlers = [h for h in ("grpc", "httpGet", "tcpSocket", "exec") if h in probe]
    if handlers == ["httpGet"]:
        check_keys(where + ".httpGet", probe["httpGet"], "httpGetAction")
        get = probe["httpGet"]
        if get.get("path") not in ("/healthz", "/readyz") or \
                get.get("port") not in http_ports:
            fail(where, f"httpGet probe must GET /healthz or /readyz on the metrics port "
                        f"(--metrics_address, not loopback: {sorted(map(str, http_ports))}), "
                        f"got path {get.get('path')!r} port {get.get('port')!r}")
        return
    if handlers != ["grpc"]:
        fail(where, f"must be exactly one native grpc probe or an httpGet of /healthz or "
                    f"/readyz, got {handlers}")
        return
    check_keys(where + ".grpc", probe["grpc"], "grpcAction")
    if probe["grpc"].get("port") not in ports:
        fail(where, f"grpc.port {probe['grpc'].get('port')} is not a port that serves "
                    f"health (the container's gRPC port, or its --health_port): {sorted(ports)}")


def check_deployment(where, doc, facts, flags):
    spec = check_keys(where + ".spec", doc.get("spec"), "deployment.spec")
    check_keys(where + ".spec.selector", spec.get("selector", {}), "selector")
    if "strategy" in spec:
        check_keys(where + ".spec.strategy", spec["strategy"], "strategy")
        if "rollingUpdate" in spec["strategy"]:
            check_keys(where + ".spec.strategy.rollingUpdate",
                       spec["strategy"]["rollingUpdate"], "rollingUpdate")
    template = check_keys(where + ".spec.template", spec.get("template", {}), "template")
    check_keys(where + ".spec.template.metadata", template.get("metadata", {}), "metadata")
    pod_labels = template.get("metadata", {}).get("labels", {})
    if not selector_matches(spec.get("selector", {}).get("matchLabels", {}), pod_labels):
        fail(where, "spec.selector.matchLabels do not match the pod template's labels")
    pod = check_keys(where + ".pod", template.get("spec", {}), "pod.spec")
    psc = check_keys(where + ".pod.securityContext", pod.get("securityContext", {}),
                     "pod.securityContext")
    if psc.get("runAsNonRoot") is not True:
        fail(where, "pod securityContext.runAsNonRoot must be true (the image runs as non-root)")
    if facts["uid"] is not None and psc.get("runAsUser") != facts["uid"]:
        fail(where, f"runAsUser {psc.get('runAsUser')} != Dockerfile USER {facts['uid']}")
    for i, tsc in enumerate(pod.get("topologySpreadConstraints", [])):
        check_keys(f"{where}.pod.topologySpreadConstraints[{i}]", tsc,
                   "topologySpreadConstraint")
        if not selector_matches(tsc.get("labelSelector", {}).get("matchLabels", {}),
                                pod_labels):
            fail(where, f"topologySpreadConstraints[{i}] selector does not match the pods")
    containers = pod.get("containers", [])
    if len(containers) != 1:
        fail(where, f"expected one container, got {len(containers)}")
        return pod_labels, {}, {}
    c = check_keys(where + ".container", containers[0], "container")
    cw = f"{where}.container[{c.get('name')}]"
    ports = {}
    for p in c.get("ports", []):
        check_keys(cw + ".ports", p, "containerPort")
        ports[p.get("name")] = p.get("containerPort")
    grpc_port = ports.get("grpc")
    if grpc_port is None:
        fail(cw, "no container port named 'grpc'")
    if facts["port"] is not None and grpc_port != facts["port"]:
        fail(cw, f"container port {grpc_port} != Dockerfile EXPOSE {facts['port']}")
    resources = check_keys(cw + ".resources", c.get("resources", {}), "resources")
    if "cpu" not in resources.get("requests", {}):
        fail(cw, "resources.requests.cpu is required (the HPA's utilisation is relative to it)")
    if "memory" not in resources.get("limits", {}):
        fail(cw, "resources.limits.memory is required")
    # Flags: each must be one actserver defines; the entry point supplies address and port.
    args = c.get("args", [])
    given = {}
    for arg in args:
        m = re.fullmatch(r"--(\w+)(?:=(.*))?", arg)
        if not m:
            fail(cw, f"argument '{arg}' is not of the form --flag=value")
            continue
        given[m.group(1)] = m.group(2)
        if flags and m.group(1) not in flags:
            fail(cw, f"actserver has no flag --{m.group(1)} (it defines: "
                     f"{', '.join(sorted(flags))})")
    # A --health_port listener serves health too, if the kubelet can reach it:
    # a container port named "health", and --health_address not loopback.
    health_ports = {grpc_port}
    if "health_port" in given:
        if not (given["health_port"] or "").isdigit() or \
                ports.get("health") != int(given["health_port"]):
            fail(cw, f"--health_port={given['health_port']} needs a container port "
                     f"named 'health' with that number")
        elif given.get("health_address", "127.0.0.1") in ("127.0.0.1", "::1", "localhost"):
            fail(cw, "--health_port listens on loopback (--health_address): the kubelet "
                     "cannot reach it; use --health_address=0.0.0.0")
        else:
            health_ports.add(ports["health"])
    # /healthz and /readyz are served on --metrics_address's port, if the kubelet can reach it.
    http_ports = set()
    metrics_address = given.get("metrics_address") or ""
    if ":" in metrics_address and "metrics" in ports:
        host, port = metrics_address.rsplit(":", 1)
        if host not in ("127.0.0.1", "[::1]", "localhost") and \
                port == str(ports["metrics"]):
            http_ports = {"metrics", ports["metrics"]}
    for name in ("readinessProbe", "livenessProbe"):
        if name not in c:
            fail(cw, f"{name} is missing")
        else:
            check_probe(f"{cw}.{name}", c[name], health_ports, http_ports)
    if "startupProbe" in c:
        check_probe(f"{cw}.startupProbe", c["startupProbe"], health_ports, http_ports)
    check_keys(cw + ".securityContext", c.get("securityContext", {}),
               "container.securityContext")

    if "command" in c:
        fail(cw, "command overrides the image's entry point (address/port defaults)")

    # Metrics: annotations, the container port and the flag agree.
    annotations = template.get("metadata", {}).get("annotations", {})
    if annotations.get("prometheus.io/scrape") == "true":
        address = given.get("metrics_address") or ""
        flag_port = address.rsplit(":", 1)[1] if ":" in address else None
        if flag_port is None or str(ports.get("metrics")) != flag_port or \
                annotations.get("prometheus.io/port") != flag_port:
            fail(cw, f"prometheus.io/port {annotations.get('prometheus.io/port')!r}, container "
                     f"port 'metrics' {ports.get('metrics')} and --metrics_address={address!r} "
                     "must name one port")

    # Graceful termination budget.
    prestop = 0.0
    lifecycle = check_keys(cw + ".lifecycle", c.get("lifecycle", {}), "lifecycle")
    if "preStop" in lifecycle:
        handler = check_keys(cw + ".lifecycle.preStop", lifecycle["preStop"], "handler")
        cmd = handler.get("exec", {}).get("command", [])
        if len(cmd) == 2 and cmd[0] == "sleep":
            prestop = float(cmd[1])
        elif "sleep" in handler:
            prestop = float(handler["sleep"].get("seconds", 0))
    # The drain: an optional "lame duck" phase (health NOT_SERVING while still serving) under
    # whichever name the server gives it, then --shutdown_grace for the calls in flight.
    def flag_seconds(name):
        text = given.get(name, flags.get(name, ""))
        text = text.strip('"').replace("absl::Seconds(", "").replace("absl::ZeroDuration()", "0")
        return duration_seconds(text.rstrip(")"))
    drain = None
    drain_flag = next((f for f in ("shutdown_grace", "shutdown_deadline", "drain_timeout",
                                   "grace_period", "shutdown_timeout") if f in flags or
                       f in given), None)
    if drain_flag:
        drain = flag_seconds(drain_flag)
        for lame in ("lame_duck", "lame_duck_period", "drain_delay", "not_serving_delay"):
            if drain is not None and (lame in flags or lame in given):
                extra = flag_seconds(lame)
                drain = None if extra is None else drain + extra
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if drain is None:
        fail(cw, "cannot tell the server's drain deadline (no shutdown flag found); "
                 "terminationGracePeriodSeconds cannot be checked")
    elif grace < prestop + drain:
        fail(where, f"terminationGracePeriodSeconds {grace} < preStop {prestop:g} s + drain "
                    f"{drain:g} s: pods would be SIGKILLed mid-drain")
    return pod_labels, ports, c


def check_service(where, doc, pod_labels, ports):
    spec = check_keys(where + ".spec", doc.get("spec"), "service.spec")
    if not selector_matches(spec.get("selector", {}), pod_labels):
        fail(where, "selector does not match the Deployment's pod labels")
    for p in spec.get("ports", []):
        check_keys(where + ".ports", p, "servicePort")
        target = p.get("targetPort", p.get("port"))
        if isinstance(target, str) and target not in ports:
            fail(where, f"targetPort '{target}' names no container port ({sorted(ports)})")
        if isinstance(target, int) and target not in ports.values():
            fail(where, f"targetPort {target} is no container port ({sorted(ports.values())})")
        if p.get("appProtocol") not in (None, "kubernetes.io/h2c", "grpc"):
            fail(where, f"appProtocol {p.get('appProtocol')} is not HTTP/2 cleartext")
    return spec


def main():
    source = pathlib.Path(sys.argv[1]).resolve()
    k8s = source / "deploy" / "k8s"
    facts = dockerfile_facts(source)
    flags = server_flags(source)
    if not flags:
        fail("server/*.cc", "found no ABSL_FLAG definitions to check the args against")

    kust = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    check_keys("kustomization.yaml", kust, "kustomization")
    listed = kust.get("resources", [])
    present = sorted(p.name for p in k8s.glob("*.yaml") if p.name != "kustomization.yaml")
    if sorted(listed) != present:
        fail("kustomization.yaml", f"resources {sorted(listed)} != manifests {present}")

    docs = {}
    for name in present:
        loaded = [d for d in yaml.safe_load_all((k8s / name).read_text()) if d is not None]
        if len(loaded) != 1:
            fail(name, f"expected one document, got {len(loaded)}")
            continue
        doc = loaded[0]
        check_keys(name, doc, "object")
        check_keys(name + ".metadata", doc.get("metadata", {}), "metadata")
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in KNOWN_KINDS:
            fail(name, f"unexpected apiVersion/kind {key}")
        if not doc.get("metadata", {}).get("name"):
            fail(name, "metadata.name is missing")
        docs.setdefault(doc.get("kind"), []).append((name, doc))

    deployments = docs.get("Deployment", [])
    if len(deployments) != 1:
        fail("deploy/k8s", f"expected one Deployment, got {len(deployments)}")
        return
    dname, deployment = deployments[0]
    pod_labels, ports, container = check_deployment(dname, deployment, facts, flags)

    image = container.get("image", "") if container else ""
    for i, img in enumerate(kust.get("images", [])):
        check_keys(f"kustomization.yaml.images[{i}]", img, "kustomization.image")
        if img.get("name") != image.split(":")[0]:
            fail("kustomization.yaml", f"image '{img.get('name')}' is not the Deployment's "
                                       f"'{image}'")

    services = docs.get("Service", [])
    headless = []
    for name, doc in services:
        spec = check_service(name, doc, pod_labels, ports)
        if spec.get("clusterIP") == "None":
            headless.append(name)
            if spec.get("publishNotReadyAddresses"):
                fail(name, "a headless Service for client balancing must not publish "
                           "not-ready (draining) pods")
    if len(headless) != 1 or len(services) != 2:
        fail("deploy/k8s", f"expected one regular and one headless Service, got "
                           f"{len(services)} with headless {headless}")

    pdbs = docs.get("PodDisruptionBudget", [])
    for name, doc in pdbs:
        spec = check_keys(name + ".spec", doc.get("spec"), "pdb.spec")
        if not selector_matches(spec.get("selector", {}).get("matchLabels", {}), pod_labels):
            fail(name, "selector does not match the Deployment's pod labels")
    if len(pdbs) != 1:
        fail("deploy/k8s", f"expected one PodDisruptionBudget, got {len(pdbs)}")

    hpas = docs.get("HorizontalPodAutoscaler", [])
    for name, doc in hpas:
        spec = check_keys(name + ".spec", doc.get("spec"), "hpa.spec")
        ref = check_keys(name + ".scaleTargetRef", spec.get("scaleTargetRef", {}),
                         "scaleTargetRef")
        if (ref.get("apiVersion"), ref.get("kind"), ref.get("name")) != (
                "apps/v1", "Deployment", deployment["metadata"]["name"]):
            fail(name, f"scaleTargetRef {ref} is not the Deployment")
        cpu = False
        for m in spec.get("metrics", []):
            check_keys(name + ".metrics", m, "metric")
            if m.get("type") == "Resource":
                res = check_keys(name + ".metrics.resource", m.get("resource", {}),
                                 "resourceMetric")
                check_keys(name + ".metrics.resource.target", res.get("target", {}),
                           "metricTarget")
                cpu = cpu or res.get("name") == "cpu"
        if not cpu:
            fail(name, "no CPU resource metric")
        behavior = check_keys(name + ".behavior", spec.get("behavior", {}), "behavior")
        for direction, rules in behavior.items():
            check_keys(f"{name}.behavior.{direction}", rules, "scalingRules")
            for p in rules.get("policies", []):
                check_keys(f"{name}.behavior.{direction}.policies", p, "scalingPolicy")
        lo, hi = spec.get("minReplicas", 1), spec.get("maxReplicas", 0)
        if not 1 <= lo <= hi:
            fail(name, f"minReplicas {lo} / maxReplicas {hi} out of order")
        if pdbs and lo < 2:
            fail(name, "minReplicas < 2: the PodDisruptionBudget would block every eviction")
    if len(hpas) != 1:
        fail("deploy/k8s", f"expected one HorizontalPodAutoscaler, got {len(hpas)}")

    if os.environ.get("ACTSVC_VALIDATE_NO_TOOLS"):
        print("ACTSVC_VALIDATE_NO_TOOLS: `kubectl kustomize` not run")
    elif shutil.which("kubectl"):
        run = subprocess.run(["kubectl", "kustomize", str(k8s)], capture_output=True,
                             text=True, timeout=60)
        if run.returncode != 0:
            fail("kubectl kustomize", run.stderr.strip())
        else:
            rendered = [d for d in yaml.safe_load_all(run.stdout) if d]
            if len(rendered) != len(present):
                fail("kubectl kustomize", f"rendered {len(rendered)} objects, expected "
                                          f"{len(present)}")
            else:
                print(f"kubectl kustomize: rendered {len(rendered)} objects")
    else:
        print("kubectl not installed: kustomize rendering not checked")


if __name__ == "__main__":
    main()
    for e in errors:
        print("FAIL", e)
    if errors:
        sys.exit(1)
    print("deploy/k8s: all checks passed")
