"""Print ``export NAME=value`` lines for local.settings.json (or the sample), for shell scripts.

Variables already set in the environment win, as with the Functions host.
"""

import json
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    path = ROOT / "local.settings.json"
    if not path.exists():
        path = ROOT / "local.settings.sample.json"
    for name, value in json.loads(path.read_text())["Values"].items():
        print(f"export {name}={shlex.quote(os.environ.get(name, value))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
