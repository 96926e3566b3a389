"""Rebuild the vectors of every chat document (or one caller's) from PostgreSQL and blob storage:
``python -m shared.chat.reindex [--owner OWNER] [--force]``.

Run it after an embedding-model change or a switch of vector store. A document's text is its
``chat_documents.content`` (text added as such) or its file, read again from blob storage (PDF,
text, Markdown); it is chunked with today's settings, embedded with the served model and upserted
under the same point ids, then the points of chunks that no longer exist are deleted. Each
document is then marked with what it was indexed with (``indexed_with``: model, variant, store).

- Idempotent: point ids derive from document and chunk, so a document indexed twice is the same
  points; a document already marked with today's signature is skipped (``--force`` redoes it).
- Resumable: documents are marked one by one, so a run that is stopped (SIGTERM, a crash) and
  started again continues with the documents not yet marked.

It lists every owner's documents, so it connects with ``POSTGRES_DSN``'s credentials (the
migrations' administrator; on Azure, where the migrate job runs); each document is then read and
indexed as its owner, through the chat and vectors roles. Prints one line per document and a
summary; exit 1 when a document failed (the others are still done).
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingDocument:
    owner: str
    document_id: uuid.UUID


@dataclass
class ReindexReport:
    indexed: int = 0
    skipped: int = 0
    failed: int = 0


def pending_documents(owner: str | None, signature: str, *, force: bool) -> list[PendingDocument]:
    """Documents (of ``owner``, else everyone's) not yet indexed with ``signature``."""
    import psycopg

    from shared.config import get_settings
    from shared.stores.postgres import conninfo_from_settings

    query = (
        "SELECT user_id, id FROM chat_documents"
        " WHERE (%(owner)s::text IS NULL OR user_id = %(owner)s)"
    )
    if not force:
        query += " AND indexed_with IS DISTINCT FROM %(signature)s"
    with psycopg.connect(conninfo_from_settings(get_settings())) as conn:
        rows = conn.execute(
            query + " ORDER BY user_id, id", {"owner": owner, "signature": signature}
        ).fetchall()
    return [PendingDocument(str(user), uuid.UUID(str(doc))) for user, doc in rows]


def reindex_document(document: PendingDocument, signature: str) -> int:
    """Rebuild one document's points; returns its number of chunks (0: it is gone)."""
    from qdrant_client import models

    from shared.chat.chunking import chunk_pages
    from shared.chat.documents import COLLECTION, store_chunks, user_filter
    from shared.chat.repository import chat_repository
    from shared.config import get_settings
    from shared.vectors.factory import get_vector_store

    repo = chat_repository()
    row = repo.document_source(document.owner, document.document_id)
    if row is None:
        return 0  # deleted since it was listed
    pages = _pages(document.owner, row)
    settings = get_settings()
    chunks = chunk_pages(
        pages, max_chars=settings.chat_chunk_chars, overlap_chars=settings.chat_chunk_overlap_chars
    )
    store_chunks(document.owner, document.document_id, str(row["source"]), chunks)
    # Chunks past the new count (the chunking settings changed) would be stale passages.
    stale = models.Filter(
        must=[
            user_filter(document.owner, [document.document_id]),
            models.FieldCondition(key="chunk", range=models.Range(gte=len(chunks))),
        ]
    )
    get_vector_store().delete(COLLECTION, document.owner, query_filter=stale)
    repo.mark_indexed(document.owner, document.document_id, signature)
    return len(chunks)


def _pages(owner: str, row: dict[str, object]) -> list[tuple[int | None, str]]:
    """The document's pages: stored with the row, else read from its file in blob storage."""
    from shared.chat.api import DocumentRequest
    from shared.chat.documents import read_input

    content = row.get("content")
    if isinstance(content, list):
        return [(page, str(text)) for page, text in content]
    file_id = row.get("file_id")
    if file_id is None:
        raise RuntimeError("the document has neither stored text nor a file")
    _, _, pages = read_input(owner, DocumentRequest(file_id=uuid.UUID(str(file_id))))
    return pages


def reindex(owner: str | None = None, *, force: bool = False) -> ReindexReport:
    """Reindex every pending document (see the module docstring)."""
    from shared.chat.documents import index_signature

    signature = index_signature()
    report = ReindexReport()
    for document in pending_documents(owner, signature, force=force):
        try:
            chunks = reindex_document(document, signature)
        except Exception as exc:  # one document's failure must not stop the others
            logger.error("document %s of %s failed: %s", document.document_id, document.owner, exc)
            report.failed += 1
            continue
        if chunks:
            report.indexed += 1
            print(f"[reindex] {document.owner} {document.document_id}: {chunks} chunks")
        else:
            report.skipped += 1
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.chat.reindex", description=__doc__)
    parser.add_argument("--owner", help="only this caller's documents (<tenant>/<user>)")
    parser.add_argument("--force", action="store_true", help="also documents already indexed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    report = reindex(args.owner, force=args.force)
    print(f"[reindex] indexed {report.indexed}, gone {report.skipped}, failed {report.failed}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
