#!/usr/bin/env bash
# scripts/step.sh WHAT USUALLY COMMAND [ARGS...]: one long set-up step, announced before it starts
# with how long it usually takes, and timed when it ends (first runs on a fresh machine are slow
# and otherwise silent).
set -euo pipefail
what=$1
usually=$2
shift 2
printf '[setup] %s: usually %s...\n' "$what" "$usually"
start=$(date +%s)
"$@"
printf '[setup] %s: done in %s s\n' "$what" "$(($(date +%s) - start))"
