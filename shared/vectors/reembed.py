"""Embed again, with the served model, every point that keeps its text:
``python -m shared.vectors.reembed [--owner OWNER] [--collection NAME]``.

After an embedding-model change, the vectors already stored are in the old model's space. Points
that carry their text (``_text``: ``/api/vectors`` points and chat passages) are embedded again
and upserted under the same id with the same payload, plus ``_model`` naming the model and
variant that made the vector. Points already marked with the served model are skipped, so a run
that stopped part-way continues where it stopped, and a second run changes nothing.

Points without text (the AI core's patterns: centroids of items that are not kept) cannot be
embedded again; they are counted and left as they are (run ``/api/patterns`` again to rebuild
them). Chat passages can also be rebuilt from their documents: ``python -m shared.chat.reindex``.

Reads every owner's points, so it needs ``POSTGRES_DSN``'s administrator credentials (pgvector),
or the Qdrant server's key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from shared.vectors.collections import COLLECTIONS
from shared.vectors.ids import MODEL_KEY, TEXT_KEY
from shared.vectors.store import OwnedPoint, VectorPoint, VectorStore

BATCH = 128


@dataclass
class ReembedReport:
    embedded: int = 0
    current: int = 0  # already made with the served model
    without_text: int = 0


def reembed(
    store: VectorStore,
    collections: Sequence[str] = COLLECTIONS,
    *,
    owner: str | None = None,
) -> ReembedReport:
    """Embed the text of every point (of ``owner``, else everyone's) that is not current."""
    from shared.chat.documents import embedder_identity
    from shared.inference.text_models import get_embedder

    model = embedder_identity(get_embedder())
    report = ReembedReport()
    for collection in collections:
        pending: list[OwnedPoint] = []
        for owned in _points(store, collection, owner):
            payload = owned.point.payload
            if not isinstance(payload.get(TEXT_KEY), str) or not payload[TEXT_KEY]:
                report.without_text += 1
            elif payload.get(MODEL_KEY) == model:
                report.current += 1
            else:
                pending.append(owned)
            if len(pending) >= BATCH:
                report.embedded += _embed_and_write(store, pending, model)
                pending = []
        report.embedded += _embed_and_write(store, pending, model)
    return report


def _points(store: VectorStore, collection: str, owner: str | None) -> Iterable[OwnedPoint]:
    return (p for p in store.export(collection) if owner is None or p.owner == owner)


def _embed_and_write(store: VectorStore, batch: list[OwnedPoint], model: str) -> int:
    from shared.embeddings.service import embed_checked

    if not batch:
        return 0
    vectors = embed_checked([str(o.point.payload[TEXT_KEY]) for o in batch]).vectors
    fresh = [
        OwnedPoint(
            o.collection,
            o.owner,
            VectorPoint(o.point.id, vector.tolist(), {**o.point.payload, MODEL_KEY: model}),
        )
        for o, vector in zip(batch, vectors, strict=True)
    ]
    for (collection, owner), group in groupby(fresh, key=lambda o: (o.collection, o.owner)):
        store.upsert(collection, owner, [o.point for o in group])
    return len(fresh)


def main(argv: Sequence[str] | None = None) -> int:
    from shared.config import get_settings
    from shared.vectors.copy import store_for

    parser = argparse.ArgumentParser(prog="python -m shared.vectors.reembed", description=__doc__)
    parser.add_argument("--owner", help="only this caller's points (<tenant>/<user>)")
    parser.add_argument("--collection", action="append", choices=COLLECTIONS)
    args = parser.parse_args(argv)
    settings = get_settings()
    store = store_for(settings.vector_store_kind, settings)
    report = reembed(store, args.collection or COLLECTIONS, owner=args.owner)
    print(
        f"[reembed] embedded {report.embedded}, already current {report.current}, "
        f"without text (left as they are) {report.without_text}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
