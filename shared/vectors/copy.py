"""Copy every point of one vector store into another: ``python -m shared.vectors.copy --from
qdrant --to postgres``. The way from the old default (Qdrant: a server at ``QDRANT_URL``, or local
mode on disk at ``QDRANT_PATH``) to pgvector loses nothing: chat chunks, AI-core patterns and
``/api/vectors`` points keep their ids, vectors, payloads and owners.

Each side is the store the settings would build with ``VECTOR_STORE`` set to its name. The owner
of a Qdrant point is its ``_owner`` (``/api/vectors``), else its ``user_id`` (chat chunks and
patterns written before owners were stored); points with neither are reported and skipped.
Idempotent and resumable: points are upserted by id, so running it again (after a failure, or to
pick up points written meanwhile) copies the same points onto themselves. Reading every owner's
pgvector points needs ``POSTGRES_DSN``'s (administrator's) credentials.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from itertools import groupby

from shared.config import Settings, get_settings
from shared.vectors.collections import COLLECTIONS
from shared.vectors.store import OwnedPoint, VectorStore

BATCH = 256
KINDS = ("postgres", "qdrant", "memory")


def store_for(kind: str, settings: Settings) -> VectorStore:
    """The store of ``kind`` under ``settings`` (pgvector with the administrator's pool, which
    row-level security does not limit, so that ``export`` sees every owner)."""
    if kind == "postgres":
        from shared.stores.postgres import PostgresService, get_pool, pool_from_settings
        from shared.vectors.pgvector_store import PgVectorStore

        admin = pool_from_settings(settings)
        admin.open()
        return PgVectorStore(get_pool(PostgresService.VECTORS), admin_pool=admin)
    from shared.vectors.factory import vector_store_from_settings

    return vector_store_from_settings(settings.model_copy(update={"vector_store": kind}))


def copy_points(source: VectorStore, target: VectorStore, collections: Sequence[str]) -> int:
    """Copy every point of ``collections``; returns how many were written."""
    copied = 0
    for collection in collections:
        batch: list[OwnedPoint] = []
        for owned in source.export(collection, batch=BATCH):
            batch.append(owned)
            if len(batch) >= BATCH:
                copied += _write(target, batch)
                batch = []
        copied += _write(target, batch)
    return copied


def _write(target: VectorStore, batch: list[OwnedPoint]) -> int:
    for (collection, owner), group in groupby(batch, key=lambda o: (o.collection, o.owner)):
        target.upsert(collection, owner, [o.point for o in group])
    return len(batch)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.vectors.copy", description=__doc__)
    parser.add_argument("--from", dest="source", choices=KINDS, required=True)
    parser.add_argument("--to", dest="target", choices=KINDS, default="postgres")
    parser.add_argument("--collection", action="append", choices=COLLECTIONS)
    args = parser.parse_args(argv)
    if args.source == args.target:
        parser.error("--from and --to must differ")
    settings = get_settings()
    source, target = store_for(args.source, settings), store_for(args.target, settings)
    copied = copy_points(source, target, args.collection or COLLECTIONS)
    print(f"[vectors-copy] {copied} points copied from {args.source} to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
