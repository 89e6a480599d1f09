#!/usr/bin/env bash
# The main job: render a project from the template on its embedded defaults (SQLite, in-memory
# bus, uvicorn: no server to install), migrate it, and serve it on http://127.0.0.1:8000
# (/health, /docs, /openapi.json, POST /users, GET /users). Set KHORSYIO_DEMO_DIR to choose
# where the project goes (default .work/demo), SERVER_PORT to change the port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh python3 .venv
BIN="$PWD/.venv/bin"
DEST="${KHORSYIO_DEMO_DIR:-.work/demo}"
rm -rf "$DEST"
"$BIN/khorsyio" new "$DEST" --defaults
cd "$DEST"
"$BIN/alembic" upgrade head
echo "serving $(pwd) on http://${SERVER_HOST:-127.0.0.1}:${SERVER_PORT:-8000}"
exec "$BIN/python" -m app
