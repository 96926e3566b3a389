"""PDF inspection and page-by-page text extraction (pypdf).

pypdf parses objects lazily and caches every object it has resolved on the reader. Extracting a
long document page after page would keep every page's content and fonts in that cache, so
:func:`iter_page_texts` empties it every few pages: memory then stays flat in the page count
(measured: ``python -m bench jobs``). Pages are yielded one at a time and never collected.

Errors a client can fix (an encrypted or broken file) raise :class:`PdfUnreadableError` with the
reason; the HTTP layer turns it into 422.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

logger = logging.getLogger(__name__)

CACHE_PAGES = 16  # pages between cache flushes: fonts are re-read at most this often


class PdfUnreadableError(ValueError):
    """The PDF's text cannot be read; the message says why (encrypted, broken)."""


@dataclass(frozen=True)
class PdfInfo:
    """What an upload's inspection found: the page count, or why the text is unreadable."""

    page_count: int | None
    unreadable_reason: str | None


def _open(stream: IO[bytes]) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise PdfUnreadableError("the PDF is encrypted (password protected)")
        len(reader.pages)  # walks the page tree: a broken one fails here, not mid-job
    except PdfUnreadableError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        # pypdf reports damage through several exception types; all mean "cannot read it".
        raise PdfUnreadableError(f"the PDF cannot be read: {exc or type(exc).__name__}") from exc
    return reader


def inspect_pdf(stream: IO[bytes]) -> PdfInfo:
    """The page count of a readable PDF, or the reason it is not readable."""
    try:
        return PdfInfo(page_count=len(_open(stream).pages), unreadable_reason=None)
    except PdfUnreadableError as exc:
        return PdfInfo(page_count=None, unreadable_reason=str(exc))


def iter_page_texts(
    stream: IO[bytes], first_page: int = 1, last_page: int | None = None
) -> Iterator[tuple[int, str]]:
    """``(page number, text)`` for pages ``first_page``..``last_page`` (1-based, inclusive; the
    last page by default), one at a time. PdfUnreadableError when the file cannot be read."""
    reader = _open(stream)
    count = len(reader.pages)
    last = count if last_page is None else min(last_page, count)
    for number in range(max(1, first_page), last + 1):
        yield number, _page_text(reader, number)
        if number % CACHE_PAGES == 0:
            # Drop resolved objects; pypdf re-reads any it needs again from the file.
            reader.resolved_objects.clear()


def _page_text(reader: Any, number: int) -> str:
    from pypdf.errors import PyPdfError

    try:
        return str(reader.pages[number - 1].extract_text())
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PdfUnreadableError(f"page {number} cannot be read: {exc}") from exc
