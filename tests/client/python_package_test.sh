#!/bin/bash
# Installs clients/python as a user would, offline, into a fresh virtual
# environment that sees Debian's python3-grpcio/-protobuf/-numpy/-torch, then
# runs its pytest suite from that installation against real actserver
# processes (over TCP, mutual TLS and unix: sockets).
#   python_package_test.sh SOURCE_DIR WORK_DIR ACTSERVER
# Exits 77 (skipped) only when Debian's python3-grpcio is missing.
set -euo pipefail
src=$(realpath "$1") work=$(realpath -m "$2") actserver=$(realpath "$3")
python=/usr/bin/python3
if ! $python -c 'import grpc, google.protobuf, numpy, pytest' 2>/dev/null; then
  echo "SKIPPED: $python lacks grpcio/protobuf/numpy/pytest (Debian: python3-grpcio python3-protobuf python3-numpy python3-pytest)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
# A copy, so that pip's in-tree build leaves nothing in the source tree.
cp -r "$src/clients/python" "$work/package"
rm -rf "$work/package/build" "$work/package/src/"*.egg-info
$python -m venv --system-site-packages "$work/venv"
# --no-build-isolation: build with the venv's setuptools/wheel instead of
# downloading them; the dependencies are Debian's, already visible.
"$work/venv/bin/pip" install --no-index --no-build-isolation --quiet \
  "$work/package"
"$work/venv/bin/python" - <<'PY'
import activation_client, sys
assert "site-packages" in activation_client.__file__, activation_client.__file__
print("installed:", activation_client.__file__, "dtypes", activation_client.supported_dtypes())
PY
cd "$work"
exec "$work/venv/bin/python" -m pytest -p no:cacheprovider -q \
  "$src/clients/python/tests" --actserver "$actserver"
