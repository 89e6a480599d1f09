#!/usr/bin/env bash
# Install (from Debian packages) and start the real servers the tests use, on loopback only:
# PostgreSQL on 127.0.0.1:54329 and Redis on 127.0.0.1:63799; also installs chromium, the
# headless browser of the page tests. Idempotent; prints the env to export.
# usage: eval "$(scripts/services.sh)"
set -euo pipefail
STATE="${KHORSYIO_SERVICES_DIR:-/tmp/khorsyio-services}"
PG_PORT=54329
REDIS_PORT=63799
mkdir -p "$STATE"

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") \
    >"$STATE/apt.log" 2>&1 || { cat "$STATE/apt.log" >&2; exit 1; }
fi
PGBIN="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")"

# PostgreSQL refuses to run as root: run it as the 'postgres' user (created by the package).
PGDATA="$STATE/pg"
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE" "$PGDATA"
    run_pg "'$PGBIN/initdb' -D '$PGDATA' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  run_pg "'$PGBIN/pg_ctl' -D '$PGDATA' -l '$PGDATA/log' -w -o \"-h 127.0.0.1 -p $PG_PORT -k /tmp -F\" start >/dev/null"
fi
for _ in $(seq 1 50); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.2; done
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='khorsyio_test'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database khorsyio_test" >/dev/null

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --logfile "$STATE/redis.log" >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "export KHORSYIO_TEST_PG_DSN=postgresql://postgres@127.0.0.1:$PG_PORT/khorsyio_test"
echo "export KHORSYIO_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
