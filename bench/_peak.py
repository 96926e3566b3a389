"""``python -m bench._peak MODULE [ARGS...]``: run a module as ``python -m`` would, then print its
process's peak resident memory (``VmHWM``, in KiB) as the last line of stdout.

``wait4``'s ``ru_maxrss`` cannot be used from the benchmark: Linux carries the parent's peak over
to a forked child, and the benchmark process is large. ``VmHWM`` belongs to the process image
that ``exec`` created, so it is the child's own.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    print(json.dumps({"peak_kib": peak_kib()}), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
