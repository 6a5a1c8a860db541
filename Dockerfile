# activation-service image: actserver (the entry point), actctl and actload.
#
#   docker build -t activation-service .
#   docker run --rm -p 50051:50051 activation-service [--threads=2 ...]
#   docker run --rm activation-service actctl --target=HOST:50051 health
#   docker run --rm activation-service actload --target=HOST:50051 ...
#
# Stages, in the order of how rarely they change (so a source edit rebuilds only `build` and the
# last two layers of the runtime image):
#   deps          Debian 12 toolchain and -dev packages
#   build         the project's sources, configured without tests and benchmarks
#   runtime-base  debian:bookworm-slim + only the shared libraries the binaries load
#   runtime       (final) the three stripped binaries, a non-root user, health check
# See deploy/README.md for compose and Kubernetes.

FROM debian:bookworm AS deps
ARG DEBIAN_FRONTEND=noninteractive
# The -dev packages the three programs build with: scripts/install-deps.sh without the test and
# benchmark ones (find_package(gRPC CONFIG) needs protobuf-compiler-grpc installed, or gRPC's
# config file fails to load).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libtbb-dev libhwy-dev libcivetweb-dev libssl-dev libnghttp2-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

FROM deps AS build
WORKDIR /src
# Only what the three programs are built from: editing tests/, docs/, deploy/ or bench/ keeps
# this stage cached.
COPY CMakeLists.txt ./
COPY proto/ proto/
COPY activations/ activations/
COPY server/ server/
COPY client/ client/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DACTSVC_BUILD_TESTS=OFF -DACTSVC_BUILD_BENCH=OFF -DACTSVC_BUILD_TOOLS=OFF \
 && cmake --build /build -j"$(nproc)" --target actserver actctl actload \
 && mkdir -p /out/bin \
 && for p in actserver actctl actload; do \
      f=$(find /build -type f -name "$p" -perm -u+x | head -n1); \
      test -n "$f" || { echo "built no $p" >&2; exit 1; }; \
      strip --strip-unneeded -o "/out/bin/$p" "$f"; \
    done

FROM debian:bookworm-slim AS runtime-base
ARG DEBIAN_FRONTEND=noninteractive
# The runtime halves of the -dev packages above (checked against `ldd` at the end of the
# final stage, so a new library dependency fails the build instead of the container).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libtbb12 libhwy1 libcivetweb1 \
      libnghttp2-14 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin actsvc

FROM runtime-base AS runtime
COPY --from=build /out/bin/ /usr/local/bin/
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN if ldd /usr/local/bin/actserver /usr/local/bin/actctl /usr/local/bin/actload \
        | grep 'not found'; then echo "missing shared libraries" >&2; exit 1; fi
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
# 50051: gRPC. 9464: Prometheus /metrics, served only with --metrics_address=0.0.0.0:9464
# (deploy/compose.yaml and deploy/k8s pass it; docs/observability.md).
EXPOSE 50051 9464
# gRPC health (grpc.health.v1) through the bundled client; the server answers NOT_SERVING while
# it drains, so a stopping container turns unhealthy before it goes.
# If you move the server off 50051, or serve TLS (then add --health_port=50052 and point this at
# 127.0.0.1:50052, deploy/README.md "TLS"), override this with --health-cmd.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["actctl", "--target=127.0.0.1:50051", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD []
