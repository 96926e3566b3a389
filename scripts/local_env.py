"""Local settings for shell scripts.

``python scripts/local_env.py``: print ``export NAME=value`` lines for local.settings.json (or the
sample); variables already set in the environment win, as with the Functions host.

``python scripts/local_env.py --sync``: create local.settings.json from the sample, or add to it
the names the sample has gained since it was copied (a value already there is never changed).
"""

import json
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "local.settings.json"
SAMPLE = ROOT / "local.settings.sample.json"


def print_exports() -> None:
    path = LOCAL if LOCAL.exists() else SAMPLE
    for name, value in json.loads(path.read_text())["Values"].items():
        print(f"export {name}={shlex.quote(os.environ.get(name, value))}")


def sync() -> None:
    sample = json.loads(SAMPLE.read_text())
    if not LOCAL.exists():
        LOCAL.write_text(json.dumps(sample, indent=2) + "\n")
        print("[settings] created local.settings.json from the sample")
        return
    local = json.loads(LOCAL.read_text())
    missing = {k: v for k, v in sample["Values"].items() if k not in local.setdefault("Values", {})}
    if missing:
        local["Values"].update(missing)
        LOCAL.write_text(json.dumps(local, indent=2) + "\n")
        print(f"[settings] added to local.settings.json: {', '.join(sorted(missing))}")


def main() -> int:
    if sys.argv[1:] == ["--sync"]:
        sync()
    else:
        print_exports()
    return 0


if __name__ == "__main__":
    sys.exit(main())
