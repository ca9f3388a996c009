#!/usr/bin/env bash
# Transfer benchmark driver (see docs/BENCHMARKS.md). Run from anywhere:
#
#   benches/run.sh                          # full run: 1 GiB, 3 rounds
#   QCOS_BENCH_SIZE=256M QCOS_BENCH_RUNS=1 benches/run.sh   # quick iteration
#
# It provides what the benchmark needs, then runs `cargo bench --bench transfer`:
#   - the release qcos-server binary (cargo build --release -p qcos-server),
#   - curl and wrk (wrk through apt-get when missing and we are root),
#   - the official Python SDK in a venv (target/interop-venv when the interop tests
#     already built it, else target/bench-venv), pinned like the interop tests,
#   - the official Node SDK under target/bench-node (npm).
# A reference that cannot be provided is reported by the benchmark ("could not run:
# ...") instead of being silently skipped; missing cargo or curl stop here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
PY_SDK="cos-python-sdk-v5==1.9.44"
NODE_SDK="cos-nodejs-sdk-v5@3.0.0"

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo is required"
command -v curl >/dev/null || die "curl is required (the single-stream reference): apt-get install -y curl"

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing wrk (apt-get install -y wrk)"
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; } \
            || say "could not install wrk; the small-PUT reference will report why it did not run"
    else
        say "wrk is missing and cannot be installed here (need root + apt-get); the small-PUT reference will not run"
    fi
fi

# Python SDK venv.
if [ -z "${QCOS_BENCH_PYTHON:-}" ]; then
    if [ -x "$TARGET/interop-venv/bin/python" ] && [ -f "$TARGET/interop-venv/qcos-interop-ready" ]; then
        export QCOS_BENCH_PYTHON="$TARGET/interop-venv/bin/python"
    else
        VENV="$TARGET/bench-venv"
        if ! "$VENV/bin/python" -c 'import qcloud_cos' 2>/dev/null; then
            say "creating $VENV with $PY_SDK"
            if python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "$PY_SDK"; then :; else
                say "could not install $PY_SDK; the Python reference will report why it did not run"
            fi
        fi
        export QCOS_BENCH_PYTHON="$VENV/bin/python"
    fi
fi

# Node SDK.
NODE_DIR="$TARGET/bench-node"
if [ -z "${QCOS_BENCH_NODE_MODULES:-}" ]; then
    if [ ! -d "$NODE_DIR/node_modules/cos-nodejs-sdk-v5" ]; then
        if command -v npm >/dev/null; then
            say "installing $NODE_SDK under $NODE_DIR"
            mkdir -p "$NODE_DIR"
            (cd "$NODE_DIR" && { [ -f package.json ] || npm init -y >/dev/null 2>&1; } && npm install --no-audit --no-fund "$NODE_SDK" >/dev/null 2>&1) \
                || say "could not install $NODE_SDK; the Node reference will report why it did not run"
        else
            say "npm is missing; the Node reference will report why it did not run"
        fi
    fi
    export QCOS_BENCH_NODE_MODULES="$NODE_DIR/node_modules"
fi

say "building the release qcos-server"
cargo build --release -p qcos-server --bin qcos-server
export QCOS_BENCH_SERVER="$TARGET/release/qcos-server"

say "building and running the benchmark (cargo bench --bench transfer)"
exec cargo bench --bench transfer -- "$@"
