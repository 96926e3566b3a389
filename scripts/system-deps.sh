#!/usr/bin/env bash
# System packages the tests and benchmarks need beyond the services: espeak-ng (speech generated at
# test time for the voice tests and `python -m bench voice`) and chromium (the web console's
# browser tests and `python -m bench console`, driven by Playwright at /usr/bin/chromium:
# Playwright's own browser download is not used). Idempotent: installs only what is missing.
set -euo pipefail
STATE=${STATE:-.local}
mkdir -p "$STATE/logs"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]} (apt)"
as_root apt-get update -qq >"$STATE/logs/apt-system-deps.log" 2>&1
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  >>"$STATE/logs/apt-system-deps.log" 2>&1 \
  || { echo "apt-get install ${missing[*]} failed (see $STATE/logs/apt-system-deps.log)" >&2; exit 1; }
