#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv (idempotent) and then
#   ./dev.sh run [ARGS]   starts the app (faceapp ARGS)
#   ./dev.sh test [ARGS]  runs the whole test suite (pytest ARGS)
#   ./dev.sh setup        only sets up
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY=${PYTHON:-python3}

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
    fi
    # Re-install only when the dependency files changed, so repeated runs start at once.
    local stamp="$VENV/.faceapp-setup" want
    want=$(cat pyproject.toml dev.sh | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        # torch==2.13.0 (trainer extra) resolves to the local CPU wheel; never a CUDA build.
        "$VENV/bin/python" -m pip install -q -e ".[trainer,dev]"
        # facenet-pytorch is the reference MTCNN for tests and `faceapp bench`. Its metadata pins
        # torch<2.3, so it goes in without its declared dependencies (see ../shared/MODELS.md).
        "$VENV/bin/python" -m pip install -q --no-deps facenet-pytorch==2.6.0
        echo "$want" > "$stamp"
    fi
}

cmd=${1:-run}; shift || true
case "$cmd" in
    setup) setup ;;
    run) setup; exec "$VENV/bin/faceapp" "$@" ;;
    test) setup; export QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE; exec "$VENV/bin/python" -m pytest "$@" ;;
    *) echo "usage: ./dev.sh [run|test|setup] [ARGS...]" >&2; exit 2 ;;
esac
