"""``python -m bench <suite> [args]``: run one side-by-side benchmark suite.

Each suite is a module ``bench/<suite>.py`` with ``main(argv: list[str]) -> None`` that measures
the project and its peer in the same run and writes ``bench/results/<suite>.json`` through
``bench.report``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def suites() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if m.name not in {"report", "__main__"} and not m.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in suites():
        print(f"usage: python -m bench <suite> [args]; suites: {', '.join(suites())}")
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    module.main(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
