#!/usr/bin/python3
"""Offline consistency check of deploy/compose.yaml and deploy/nginx (no engine, no network).

Usage: validate_compose.py SOURCE_DIR

  * `docker-compose config -q` accepts the file, if Debian's docker-compose is installed;
  * the services wire together: the health check calls actctl on the port actserver listens
    on; nginx's upstream names the actserver service and port; the load balancer publishes the
    port nginx listens on; actload targets the load balancer on that port;
  * every flag given to actserver, actctl or actload is one the program defines (ABSL_FLAG in
    server/ and client/), so a renamed flag fails here, not in a restarting container;
  * stop_grace_period covers the server's drain deadline (--shutdown_grace);
  * Prometheus scrapes the actserver service on the port of its --metrics_address, and
    `promtool check config` accepts its configuration (if Debian's prometheus is installed);
  * nginx accepts the configuration (`nginx -t`, with the upstream host names mapped to
    loopback, since "actserver" only resolves inside compose's network).
Prints one line per failed check and exits 1 if any failed.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from validate_k8s import duration_seconds  # noqa: E402

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


def program_flags(source, folder, main_pattern):
    """Flags of one program: ABSL_FLAG in the files of `folder` matching `main_pattern`."""
    flags = {}
    for path in sorted((source / folder).glob(main_pattern)):
        for m in re.finditer(r"ABSL_FLAG\(\s*[\w:<>, ]+?\s*,\s*(\w+)\s*,\s*(.+?),\s*\n?\s*\"",
                             path.read_text()):
            flags[m.group(1)] = m.group(2).strip()
    return flags


def parse_flags(where, args, known, program):
    given = {}
    for arg in args:
        m = re.fullmatch(r"--(\w+)(?:=(.*))?", arg)
        if not m:
            continue  # a subcommand (health, compute) or a value
        given[m.group(1)] = m.group(2)
        if known and m.group(1) not in known:
            fail(where, f"{program} has no flag --{m.group(1)} (it has: "
                        f"{', '.join(sorted(known))})")
    if not known:
        fail(where, f"found no ABSL_FLAG of {program} to check its flags against")
    return given


def main():
    source = pathlib.Path(sys.argv[1]).resolve()
    deploy = source / "deploy"
    compose_path = deploy / "compose.yaml"
    compose = yaml.safe_load(compose_path.read_text())
    services = compose.get("services", {})
    for name in ("actserver", "lb", "actload", "prometheus"):
        if name not in services:
            fail("compose.yaml", f"no service '{name}'")
    if errors:
        return

    server_flags = program_flags(source, "server", "main.cc")
    actctl_flags = program_flags(source, "client", "actctl*main.cc")
    actload_flags = program_flags(source, "client", "actload*main.cc")

    # actserver
    srv = services["actserver"]
    build = srv.get("build", {})
    if not (deploy / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file():
        fail("actserver.build", "no Dockerfile at the build context")
    srv_args = parse_flags("actserver.command", srv.get("command", []), server_flags,
                           "actserver")
    port = int(srv_args.get("port") or 50051)
    hc = srv.get("healthcheck", {}).get("test", [])
    if hc[:2] != ["CMD", "actctl"] or "health" not in hc:
        fail("actserver.healthcheck", f"expected CMD actctl ... health, got {hc}")
    hc_args = parse_flags("actserver.healthcheck", hc[2:], actctl_flags, "actctl")
    if hc_args.get("target") != f"127.0.0.1:{port}":
        fail("actserver.healthcheck", f"--target={hc_args.get('target')} is not the server's "
                                      f"127.0.0.1:{port}")
    # The drain: --drain_delay (health NOT_SERVING, still serving) then --shutdown_grace.
    def seconds_of(flag, fallback):
        text = srv_args.get(flag) or server_flags.get(flag) or fallback
        return duration_seconds(text.replace("absl::Seconds(", "").rstrip(")").strip('"'))
    grace = seconds_of("shutdown_grace", "10s")
    delay = seconds_of("drain_delay", "0") if ("drain_delay" in server_flags or
                                               "drain_delay" in srv_args) else 0
    drain = None if grace is None or delay is None else grace + delay
    stop = duration_seconds(str(srv.get("stop_grace_period", "10s")))
    if drain is None or stop is None or stop <= drain:
        fail("actserver.stop_grace_period", f"{stop} s does not exceed the drain ({delay} s "
                                            f"delay + {grace} s grace): replicas would be "
                                            f"SIGKILLed mid-drain")
    if "replicas" not in srv.get("deploy", {}):
        fail("actserver.deploy", "no replicas count")
    if "ports" in srv:
        fail("actserver.ports", "replicas must not publish host ports (they would collide); "
                                "the load balancer is the entry point")

    # nginx
    lb = services["lb"]
    nginx_dir = deploy / lb.get("build", {}).get("context", "nginx")
    conf_path = nginx_dir / "nginx.conf"
    conf = conf_path.read_text()
    upstreams = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", conf, re.M)
    if not upstreams:
        fail("nginx.conf", "no upstream servers")
    for host, up_port in upstreams:
        if host != "actserver" or int(up_port) != port:
            fail("nginx.conf", f"upstream {host}:{up_port} is not actserver:{port}")
    listen = re.search(r"^\s*listen\s+(\d+)\s+http2\s*;", conf, re.M)
    if not listen:
        fail("nginx.conf", "no 'listen PORT http2;' (gRPC needs HTTP/2 from the client)")
    if "grpc_pass grpc://actserver;" not in conf:
        fail("nginx.conf", "location does not grpc_pass to the actserver upstream")
    lb_port = int(listen.group(1)) if listen else None
    published = [str(p) for p in lb.get("ports", [])]
    if not any(p.split("/")[0].endswith(f":{lb_port}") for p in published):
        fail("lb.ports", f"{published} do not publish nginx's port {lb_port}")
    dep = lb.get("depends_on", {})
    if not isinstance(dep, dict) or dep.get("actserver", {}).get("condition") != \
            "service_healthy":
        fail("lb.depends_on", "nginx must start after the replicas are healthy "
                              "(it resolves them once, at start)")

    # actload
    load = services["actload"]
    cmd = load.get("command", [])
    if not cmd or cmd[0] != "actload":
        fail("actload.command", f"does not run actload: {cmd}")
    load_args = parse_flags("actload.command", cmd[1:], actload_flags, "actload")
    if load_args.get("target") != f"lb:{lb_port}":
        fail("actload.command", f"--target={load_args.get('target')} is not lb:{lb_port}")
    if "verify" not in load_args:
        fail("actload.command", "no --verify: wrong answers would go unnoticed")

    # Prometheus: scrapes the replicas' metrics port.
    metrics_address = srv_args.get("metrics_address") or ""
    if not re.fullmatch(r"[\w.:\[\]]*:\d+", metrics_address):
        fail("actserver.command", f"--metrics_address={metrics_address!r}: the replicas serve "
                                  "no /metrics for the prometheus service")
    metrics_port = int(metrics_address.rsplit(":", 1)[1]) if ":" in metrics_address else None
    if str(metrics_port) not in [str(p) for p in srv.get("expose", [])]:
        fail("actserver.expose", f"does not expose the metrics port {metrics_port}")
    prom = services["prometheus"]
    prom_config_path = deploy / prom.get("build", {}).get("context", "prometheus") / \
        "prometheus.yml"
    prom_config = yaml.safe_load(prom_config_path.read_text())
    sd = [c for job in prom_config.get("scrape_configs", [])
          for c in job.get("dns_sd_configs", [])]
    if not any(c.get("names") == ["actserver"] and c.get("port") == metrics_port for c in sd):
        fail("prometheus.yml", f"no dns_sd_config for actserver on port {metrics_port}: {sd}")
    promtool = shutil.which("promtool")
    if promtool and not os.environ.get("ACTSVC_VALIDATE_NO_TOOLS"):
        run = subprocess.run([promtool, "check", "config", str(prom_config_path)],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            fail("promtool check config", (run.stdout + run.stderr).strip())
        else:
            print("promtool check config: accepted")

    # nginx -t on the same file, upstream host mapped to loopback.
    if shutil.which("nginx"):
        with tempfile.TemporaryDirectory() as tmp:
            test_conf = pathlib.Path(tmp) / "nginx.conf"
            test_conf.write_text(re.sub(r"(^\s*server\s+)actserver:", r"\g<1>127.0.0.1:",
                                        conf, flags=re.M))
            run = subprocess.run(["nginx", "-t", "-e", "stderr", "-p", tmp, "-c",
                                  str(test_conf)], capture_output=True, text=True, timeout=30)
            if run.returncode != 0:
                fail("nginx -t", run.stderr.strip())
            else:
                print("nginx -t: configuration accepted")
    else:
        print("nginx not installed: nginx -t not run")

    compose_cmd = shutil.which("docker-compose")
    if os.environ.get("ACTSVC_VALIDATE_NO_TOOLS"):
        print("ACTSVC_VALIDATE_NO_TOOLS: `docker-compose config` not run")
    elif compose_cmd:
        run = subprocess.run([compose_cmd, "-f", str(compose_path), "config", "-q"],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            fail("docker-compose config", run.stderr.strip() or run.stdout.strip())
        else:
            print("docker-compose config: accepted")
    else:
        print("docker-compose not installed: `docker-compose config` not run")


if __name__ == "__main__":
    main()
    for e in errors:
        print("FAIL", e)
    if errors:
        sys.exit(1)
    print("deploy/compose.yaml: all checks passed")
