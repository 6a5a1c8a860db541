#!/bin/sh
# Entry point of the activation-service image.
#
#   docker run IMAGE [actserver flags...]          runs the server (the default)
#   docker run IMAGE actctl|actload|actserver ...   runs that program instead
#
# actserver's defaults already suit a container (--address=0.0.0.0 --port=50051).
# `exec` makes the program PID 1, so `docker stop` delivers SIGTERM straight to it and the
# server drains (health NOT_SERVING, in-flight calls finish within --shutdown_grace) and
# exits 0.
set -e
case "$1" in
  actserver | actctl | actload)
    exec "$@"
    ;;
esac
exec actserver "$@"
