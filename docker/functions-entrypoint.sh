#!/bin/sh
# Writes the Functions host keys from FUNCTIONS_MASTER_KEY and FUNCTIONS_DEFAULT_KEY (compose
# reads them from .env) where AzureWebJobsSecretStorageType=files looks, then starts the host.
# Without them the host generates random keys on first start.
set -eu
if [ -n "${FUNCTIONS_MASTER_KEY:-}" ] && [ -n "${FUNCTIONS_DEFAULT_KEY:-}" ]; then
  umask 077
  python3 - <<'PY'
import json, os
secrets = {
    "masterKey": {"name": "master", "value": os.environ["FUNCTIONS_MASTER_KEY"], "encrypted": False},
    "functionKeys": [
        {"name": "default", "value": os.environ["FUNCTIONS_DEFAULT_KEY"], "encrypted": False}
    ],
}
path = os.path.join(os.environ.get("FUNCTIONS_SECRETS_PATH", "/home/site/secrets"), "host.json")
with open(path, "w", encoding="utf-8") as handle:
    json.dump(secrets, handle)
PY
fi
exec "$@"
