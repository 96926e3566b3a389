"""PDFs made on the spot for tests: readable, encrypted and broken ones."""

from __future__ import annotations

import io
import uuid


def make_pdf(pages: int = 2, words: str = "Page {n} of the test document.") -> bytes:
    """A PDF of ``pages`` pages, page n reading ``words.format(n=n)`` plus a unique tag (so
    two calls never make the same bytes)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    tag = uuid.uuid4().hex[:6]
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, words.format(n=n) + f" Tag {tag}.")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    """A readable PDF locked with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def broken_pdf() -> bytes:
    """Starts like a PDF (so its type is sniffed as one) but is not one."""
    return b"%PDF-1.7\n" + uuid.uuid4().hex.encode() + b"\nthis is not a PDF body\n%%EOF\n"
