"""Each user's knowledge base: documents chunked, embedded and stored for retrieval.

A document's row (``chat_documents``) says what was added (and, for text, keeps the text: the
vectors can always be rebuilt from PostgreSQL and blob storage, see ``shared.chat.reindex``); its
chunks are points of the collection ``conversation_context`` in the vector store, owned by the
user, whose payload names the user, document, source, page and chunk. The same content added
twice by one user is one document (``created`` is false the second time). Adding writes the
points first and the row last: a failure in between leaves points that no row names, and adding
the document again replaces them (point ids derive from document and chunk), so nothing is
half-visible.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from shared.chat.api import DocumentAdded, DocumentRecord, DocumentRequest
from shared.chat.chunking import Chunk, chunk_pages
from shared.chat.repository import chat_repository
from shared.config import get_settings
from shared.errors import NotFoundError, PayloadTooLargeError, UnprocessableContentError

COLLECTION = "conversation_context"
EMBED_SLICE = 256  # chunks per embedding call: bounds the memory of one call
TEXT_TYPES = ("text/plain", "text/markdown")
_POINT_NAMESPACE = uuid.UUID("5b0f3c8e-2d41-4a57-9f0e-7c6a1b2d3e4f")


def add_document(user_id: str, request: DocumentRequest) -> DocumentAdded:
    """Chunk, embed and store the text or file; 404 for another user's file, 413 over the limits,
    422 for a file that holds no readable text."""
    settings = get_settings()
    source, file_id, pages = read_input(user_id, request)
    characters = sum(len(text) for _, text in pages)
    if characters > settings.chat_max_document_chars:
        raise PayloadTooLargeError(
            f"the document has {characters} characters; the limit is "
            f"{settings.chat_max_document_chars}"
        )
    chunks = chunk_pages(
        pages, max_chars=settings.chat_chunk_chars, overlap_chars=settings.chat_chunk_overlap_chars
    )
    if not chunks:
        raise UnprocessableContentError("the document holds no text to add")
    digest = hashlib.sha256("\f".join(text for _, text in pages).encode()).hexdigest()
    repo = chat_repository()
    existing = repo.find_document(user_id, digest)
    if existing is not None:
        return DocumentAdded(**existing.model_dump(), created=False)
    document_id = uuid.uuid4()
    store_chunks(user_id, document_id, source, chunks)
    from psycopg.types.json import Jsonb

    record = repo.insert_document(
        document_id,
        user_id,
        source=source,
        file_id=file_id,
        sha256=digest,
        pages=len({page for page, _ in pages}),
        chunks=len(chunks),
        characters=characters,
        # A file's text is read again from blob storage when re-indexing; a text is kept here.
        content=Jsonb([[page, text] for page, text in pages]) if file_id is None else None,
        indexed_with=index_signature(),
    )
    if record.id != document_id:  # a concurrent add of the same content won the row
        _delete_points(user_id, document_id)
        return DocumentAdded(**record.model_dump(), created=False)
    return DocumentAdded(**record.model_dump(), created=True)


def index_signature() -> str:
    """What a document's vectors were made with: the embedding model (name and build digest)
    and the vector store. A re-index redoes documents whose signature differs."""
    from shared.inference.text_models import get_embedder
    from shared.vectors.factory import get_vector_store

    return f"{embedder_identity(get_embedder())}@{get_vector_store().kind}"


def embedder_identity(embedder: Any) -> str:
    """The served model and its variant (runtime and precision change the vectors too)."""
    return f"{embedder.manifest.model}/{embedder.variant.name}"


def list_documents(user_id: str, limit: int = 200) -> list[DocumentRecord]:
    return chat_repository().list_documents(user_id, limit)


def delete_document(user_id: str, document_id: uuid.UUID) -> None:
    """Remove the document's row and its chunks; 404 when the user has no such document."""
    if not chat_repository().delete_document(user_id, document_id):
        raise NotFoundError(f"no document {document_id}")
    _delete_points(user_id, document_id)


def read_input(
    user_id: str, request: DocumentRequest
) -> tuple[str, uuid.UUID | None, list[tuple[int | None, str]]]:
    """(source, file id, [(page, text)]) of the request."""
    if request.text is not None:
        return request.source or "text", None, [(None, request.text)]
    assert request.file_id is not None  # the model requires one of the two
    from shared.media import service as media

    record = media.get_file(user_id, request.file_id)
    source = request.source or record.name
    if record.content_type == "application/pdf":
        return source, record.id, _pdf_pages(user_id, record.id, record.page_count)
    if record.content_type.split(";")[0].strip() in TEXT_TYPES:
        _, content = media.read_file(user_id, record.id)
        try:
            return source, record.id, [(None, content.decode("utf-8"))]
        except UnicodeDecodeError:
            raise UnprocessableContentError(f"file {record.id} is not UTF-8 text") from None
    raise UnprocessableContentError(
        f"file {record.id} is {record.content_type}; a PDF or a text file is needed"
    )


def _pdf_pages(
    user_id: str, file_id: uuid.UUID, page_count: int | None
) -> list[tuple[int | None, str]]:
    import io

    from shared.media import service as media
    from shared.media.pdf import PdfUnreadableError, iter_page_texts

    limit = get_settings().chat_max_document_pages
    if page_count is not None and page_count > limit:
        raise PayloadTooLargeError(f"the PDF has {page_count} pages; the limit is {limit}")
    _, content = media.read_file(user_id, file_id)
    try:
        return [(number, text) for number, text in iter_page_texts(io.BytesIO(content)) if text]
    except PdfUnreadableError as exc:
        raise UnprocessableContentError(str(exc)) from exc


def point_id(document_id: uuid.UUID, chunk: int) -> str:
    """The vector store id of a chunk: stable, so storing a document again replaces its points."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{document_id}/{chunk}"))


def store_chunks(user_id: str, document_id: uuid.UUID, source: str, chunks: list[Chunk]) -> None:
    """Embed ``chunks`` and upsert them as the document's points (replacing any it had)."""
    from shared.embeddings.service import embed_checked
    from shared.vectors.factory import get_vector_store
    from shared.vectors.store import VectorPoint

    store = get_vector_store()
    for start in range(0, len(chunks), EMBED_SLICE):
        part = chunks[start : start + EMBED_SLICE]
        vectors = embed_checked([chunk.text for chunk in part]).vectors
        points = [
            VectorPoint(
                id=point_id(document_id, chunk.number),
                vector=vector.tolist(),
                payload=chunk_payload(user_id, document_id, source, chunk),
            )
            for chunk, vector in zip(part, vectors, strict=True)
        ]
        store.upsert(COLLECTION, user_id, points)


def chunk_payload(
    user_id: str, document_id: uuid.UUID, source: str, chunk: Chunk
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "document_id": str(document_id),
        "source": source,
        "page": chunk.page,
        "chunk": chunk.number,
        "_text": chunk.text,
    }


def user_filter(user_id: str, document_ids: Iterable[uuid.UUID] = ()) -> Any:
    """A filter for the user's points (and, if given, only these documents')."""
    from qdrant_client import models

    must: list[Any] = [models.FieldCondition(key="user_id", match=models.MatchValue(value=user_id))]
    ids = [str(d) for d in document_ids]
    if ids:
        must.append(models.FieldCondition(key="document_id", match=models.MatchAny(any=ids)))
    return models.Filter(must=must)


def _delete_points(user_id: str, document_id: uuid.UUID) -> None:
    from shared.vectors.factory import get_vector_store

    get_vector_store().delete(COLLECTION, user_id, query_filter=user_filter(user_id, [document_id]))
