"""The extraction peer: pypdf used directly, as a script would use it, writing the same JSON lines
as the service's ``extract`` job. ``python -m bench._jobs_extract_peer PDF OUT``; prints the
seconds spent extracting (imports excluded). With ``--idle`` it only imports (the baseline)."""

from __future__ import annotations

import json
import sys
import time

from pypdf import PdfReader


def main(pdf_path: str, out_path: str) -> None:
    started = time.perf_counter()
    reader = PdfReader(pdf_path)
    with open(out_path, "w", encoding="utf-8") as out:
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text()
            out.write(json.dumps({"page": number, "text": text}, ensure_ascii=False) + "\n")
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__" and sys.argv[1:] != ["--idle"]:
    main(sys.argv[1], sys.argv[2])
