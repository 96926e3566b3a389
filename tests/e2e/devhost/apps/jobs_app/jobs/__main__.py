"""``python -m jobs run <kind>`` for the scaler test: append "started <kind> <pid>" to
$DEVHOST_TEST_RECORD_FILE, wait for SIGTERM, append "terminated <pid>", exit 0."""

import os
import signal
import sys
import threading

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())


def note(text: str) -> None:
    with open(os.environ["DEVHOST_TEST_RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(f"{text} {os.getpid()}\n")


note(f"started {sys.argv[2]}")
stop.wait(60)
note("terminated")
