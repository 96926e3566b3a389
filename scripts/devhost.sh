#!/usr/bin/env bash
# Start or stop the local Functions host (python -m devhost) in the background.
#   scripts/devhost.sh start [HOST] [PORT]   returns once /api/health answers (idempotent)
#   scripts/devhost.sh stop                  SIGTERM: in-flight invocations finish first
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${LOCAL_STATE_DIR:-$ROOT/.local}
PIDFILE=$STATE/run/devhost.pid
LOG=$STATE/logs/devhost.log
HOST=${2:-127.0.0.1}
PORT=${3:-7071}
URL="http://$HOST:$PORT/api"
mkdir -p "$STATE/run" "$STATE/logs"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
answers() { curl -fsS -o /dev/null --max-time 2 "$URL/health" 2>/dev/null; }

case "${1:-start}" in
  start)
    if running && answers; then
      echo "[devhost] already running at $URL (pid $(cat "$PIDFILE")); stop it with: make stop"
      exit 0
    fi
    cd "$ROOT"
    setsid "$ROOT/.venv/bin/python" -m devhost --script-root "$ROOT" --host "$HOST" --port "$PORT" \
      >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 150); do
      if answers; then
        grep -E '^\s+\S+: ' "$LOG" | head -50 || true
        echo "[devhost] listening on $URL (log: $LOG)"
        grep -m1 -o 'Telemetry: .*' "$LOG" | sed 's/^Telemetry:/[devhost] telemetry:/' || true
        echo "[devhost] stop it with: make stop"
        exit 0
      fi
      running || { cat "$LOG"; echo "[devhost] exited during start-up" >&2; exit 1; }
      sleep 0.2
    done
    echo "[devhost] did not answer on $URL within 30 s; see $LOG" >&2
    exit 1
    ;;
  stop)
    if running; then
      pid=$(cat "$PIDFILE")
      kill -TERM "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      echo "[devhost] stopped"
    fi
    rm -f "$PIDFILE"
    ;;
  *) echo "usage: $0 start [HOST] [PORT] | stop" >&2; exit 2 ;;
esac
