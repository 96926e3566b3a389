"""Local settings for shell scripts.

``python scripts/local_env.py``: print ``export NAME=value`` lines for local.settings.json (or the
sample); variables already set in the environment win, as with the Functions host.

``python scripts/local_env.py --sync``: create local.settings.json from the sample, or add to it
the names the sample has gained since it was copied (a value already there is never changed,
except that the local servers' addresses follow the ports chosen below).

Ports: when ``REDIS_PORT``, ``POSTGRES_PORT`` or ``AZURITE_BLOB_PORT``/``_QUEUE_PORT``/
``_TABLE_PORT`` are set (``scripts/services.sh`` starts the servers there), every setting that
points at that local server follows: ``REDIS_PORT``, the port in ``POSTGRES_DSN``, the endpoints in
``AzureWebJobsStorage``. Addresses of other hosts are left alone.
"""

import json
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "local.settings.json"
SAMPLE = ROOT / "local.settings.sample.json"


LOCAL_HOSTS = r"(?:127\.0\.0\.1|localhost)"
AZURITE_ENDPOINTS = {
    "AZURITE_BLOB_PORT": "BlobEndpoint",
    "AZURITE_QUEUE_PORT": "QueueEndpoint",
    "AZURITE_TABLE_PORT": "TableEndpoint",
}


def follow_ports(values: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    """``values`` with the local servers' addresses moved to the ports set in ``env``."""
    values = dict(values)
    if env.get("REDIS_PORT"):
        values["REDIS_PORT"] = env["REDIS_PORT"]
    if env.get("POSTGRES_PORT") and values.get("POSTGRES_DSN"):
        values["POSTGRES_DSN"] = re.sub(
            rf"@({LOCAL_HOSTS})(?::\d+)?/",
            lambda m: f"@{m.group(1)}:{env['POSTGRES_PORT']}/",
            values["POSTGRES_DSN"],
        )
    storage = values.get("AzureWebJobsStorage", "")
    for variable, endpoint in AZURITE_ENDPOINTS.items():
        if env.get(variable):
            storage = re.sub(
                rf"({endpoint}=https?://{LOCAL_HOSTS}):\d+", rf"\g<1>:{env[variable]}", storage
            )
    if storage:
        values["AzureWebJobsStorage"] = storage
    return values


def print_exports() -> None:
    path = LOCAL if LOCAL.exists() else SAMPLE
    values = json.loads(path.read_text())["Values"]
    merged = {name: os.environ.get(name, value) for name, value in values.items()}
    for name, value in follow_ports(merged, dict(os.environ)).items():
        print(f"export {name}={shlex.quote(value)}")


def sync() -> None:
    sample = json.loads(SAMPLE.read_text())
    if not LOCAL.exists():
        sample["Values"] = follow_ports(sample["Values"], dict(os.environ))
        LOCAL.write_text(json.dumps(sample, indent=2) + "\n")
        print("[settings] created local.settings.json from the sample")
        return
    local = json.loads(LOCAL.read_text())
    before = dict(local.setdefault("Values", {}))
    missing = {k: v for k, v in sample["Values"].items() if k not in before}
    local["Values"] = follow_ports({**before, **missing}, dict(os.environ))
    if missing:
        print(f"[settings] added to local.settings.json: {', '.join(sorted(missing))}")
    moved = sorted(k for k in before if local["Values"][k] != before[k])
    if moved:
        print(f"[settings] moved to the chosen ports: {', '.join(moved)}")
    if missing or moved:
        LOCAL.write_text(json.dumps(local, indent=2) + "\n")


def main() -> int:
    if sys.argv[1:] == ["--sync"]:
        sync()
    else:
        print_exports()
    return 0


if __name__ == "__main__":
    sys.exit(main())
