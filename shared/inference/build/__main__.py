"""``python -m shared.inference.build [--force] [--models-dir DIR]``: build the text models."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from shared.config import get_settings
from shared.inference.build.pipeline import BuildRefusedError, build


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.inference.build")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--models-dir", type=Path, default=None, help="default: MODELS_DIR")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything comes from installed packages
    # Our steps at INFO; the tools' chatter (onnxruntime's quantizer logs every tensor on the
    # root logger) only from WARNING up.
    logging.basicConfig(level=logging.WARNING, format="[models] %(message)s")
    logging.getLogger("shared").setLevel(logging.INFO)
    try:
        build(args.models_dir or get_settings().models_dir, force=args.force)
    except BuildRefusedError as exc:
        logging.getLogger(__name__).error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
