"""The model registry: versioned models with aliases. Metadata in PostgreSQL (migration 0004),
artefacts in blob storage (``ML_MODELS_CONTAINER``/``<name>/<sha256>.skops``).

Artefacts are written with skops, never pickle, and read back with an explicit list of trusted
types: a file that names any other type is refused. The SHA-256 recorded at registration is
checked on every load from storage, so a tampered artefact is refused (409) and never loaded.
Loaded models are kept in a small per-process cache keyed by (name, version, sha256).

A version may also have an ONNX copy (``<name>/<onnx_sha256>.onnx``, migration 0005; see
shared/ml/onnx_serving.py): stored only when it converted and matched scikit-learn at
registration, its own SHA-256 recorded and checked on every load like the skops artefact's.

Names and aliases are per owner (migration 0008): each caller has its own namespace of models,
and every method takes the owner it acts for. Queries run as the ``ml`` role in a transaction that
names the owner, so row-level security (migration 0009) shows that owner's models only, whatever a
query's own filter says. ``created_by`` records the caller identity that registered a version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.errors import ConflictError, NotFoundError, ServiceUnavailableError

if TYPE_CHECKING:
    from shared.ml.onnx_serving import OnnxModel

logger = logging.getLogger(__name__)

# Types skops does not trust by default that our estimators contain. Nothing else is accepted.
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
_CACHE_SIZE = 16


class ArtefactIntegrityError(ConflictError):
    """The stored artefact does not match its recorded SHA-256, or names untrusted types."""


@dataclass(frozen=True)
class VersionRecord:
    owner: str
    name: str
    version: int
    algorithm: str
    task: str
    params: dict[str, Any]
    metrics: dict[str, float]
    features: list[str]
    blob_name: str
    sha256: str
    size: int
    description: str
    created_by: str
    created_at: datetime
    onnx_blob_name: str | None = None
    onnx_sha256: str | None = None
    onnx_size: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VersionRecord:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in row})


def dumps(model: Any) -> bytes:
    """The skops bytes of a fitted estimator."""
    import skops.io as sio

    data: bytes = sio.dumps(model)
    return data


def _verify(data: bytes, expected_sha256: str, what: str = "artefact") -> None:
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        raise ArtefactIntegrityError(
            f"the stored {what} does not match its recorded sha256; refusing to load it",
            expected_sha256=expected_sha256,
        )


def loads(data: bytes, expected_sha256: str) -> Any:
    """Load skops bytes after checking their SHA-256 and that they name only trusted types."""
    import skops.io as sio

    _verify(data, expected_sha256)
    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ArtefactIntegrityError(
            f"the artefact names untrusted types ({', '.join(untrusted)}); refusing to load it"
        )
    return sio.loads(data, trusted=TRUSTED_TYPES)


class ModelRegistry:
    """Register, list, alias and load models. The pool and container are resolved lazily."""

    def __init__(self, pool: Any = None, container: Any = None) -> None:
        self._pool = pool
        self._container = container
        self._cache: OrderedDict[tuple[str, str, int, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    # --- stores --------------------------------------------------------------------------

    def _get_pool(self) -> Any:
        if self._pool is None:
            from shared.stores.postgres import PostgresService, get_pool

            self._pool = get_pool(PostgresService.ML)
        return self._pool

    def _get_container(self) -> Any:
        if self._container is None:
            from shared.stores.storage import get_blob_service

            self._container = get_blob_service().get_container_client(
                get_settings().ml_models_container
            )
        return self._container

    def _query(self, owner: str, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``sql`` in one transaction acting for ``owner``; ``params`` get ``owner`` too."""
        from psycopg.rows import dict_row

        from shared.stores.database import database_errors
        from shared.stores.postgres import owner_connection

        params = {**params, "owner": owner}
        with (
            database_errors("the model registry database"),
            owner_connection(self._get_pool(), owner) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    # --- writes --------------------------------------------------------------------------

    def register(
        self,
        *,
        owner: str,
        name: str,
        algorithm: str,
        task: str,
        params: dict[str, Any],
        metrics: dict[str, float],
        features: list[str],
        artefact: bytes,
        description: str,
        created_by: str,
        aliases: list[str] = (),  # type: ignore[assignment]
        onnx: bytes | None = None,
    ) -> VersionRecord:
        """Store ``artefact`` and its ``onnx`` copy when given (both content-addressed) and
        record the next version of ``owner``'s model ``name``."""
        from azure.core.exceptions import AzureError, ResourceExistsError

        from shared.resilience import storage_guard

        sha = hashlib.sha256(artefact).hexdigest()
        blob = f"{name}/{sha}.skops"
        onnx_sha = hashlib.sha256(onnx).hexdigest() if onnx is not None else None
        onnx_blob = f"{name}/{onnx_sha}.onnx" if onnx is not None else None
        container = self._get_container()
        try:
            with storage_guard("blob"):
                with contextlib.suppress(ResourceExistsError):
                    container.create_container()
                container.upload_blob(blob, artefact, overwrite=True)
                if onnx is not None:
                    container.upload_blob(onnx_blob, onnx, overwrite=True)
        except AzureError as exc:
            raise ServiceUnavailableError(
                "the model artefact store is unavailable", headers={"Retry-After": "5"}
            ) from exc
        rows = self._query(
            owner,
            """
            WITH m AS (
                INSERT INTO ml_model (owner, name) VALUES (%(owner)s, %(name)s)
                ON CONFLICT (owner, name) DO UPDATE SET updated_at = now()
                RETURNING owner, name
            )
            INSERT INTO ml_model_version
                (owner, name, version, algorithm, task, params, metrics, features, blob_name,
                 sha256, size, description, created_by, onnx_blob_name, onnx_sha256, onnx_size)
            SELECT m.owner, m.name,
                   COALESCE((SELECT max(version) FROM ml_model_version v
                             WHERE v.owner = %(owner)s AND v.name = %(name)s), 0) + 1,
                   %(algorithm)s, %(task)s, %(params)s, %(metrics)s, %(features)s, %(blob)s,
                   %(sha)s, %(size)s, %(description)s, %(created_by)s, %(onnx_blob)s,
                   %(onnx_sha)s, %(onnx_size)s
            FROM m
            RETURNING *
            """,
            {
                "name": name,
                "algorithm": algorithm,
                "task": task,
                "params": json.dumps(params),
                "metrics": json.dumps(metrics),
                "features": json.dumps(features),
                "blob": blob,
                "sha": sha,
                "size": len(artefact),
                "description": description,
                "created_by": created_by,
                "onnx_blob": onnx_blob,
                "onnx_sha": onnx_sha,
                "onnx_size": len(onnx) if onnx is not None else None,
            },
        )
        record = VersionRecord.from_row(rows[0])
        for alias in aliases:
            self.set_alias(owner, name, alias, record.version)
        return record

    def set_alias(self, owner: str, name: str, alias: str, version: int) -> None:
        """Point ``alias`` of ``owner``'s ``name`` at ``version`` (404 when that version does
        not exist)."""
        rows = self._query(
            owner,
            """
            INSERT INTO ml_model_alias (owner, name, alias, version)
            SELECT owner, name, %(alias)s, version FROM ml_model_version
            WHERE owner = %(owner)s AND name = %(name)s AND version = %(version)s
            ON CONFLICT (owner, name, alias)
                DO UPDATE SET version = EXCLUDED.version, updated_at = now()
            RETURNING version
            """,
            {"name": name, "alias": alias, "version": version},
        )
        if not rows:
            raise NotFoundError(f"model {name!r} has no version {version}")

    # --- reads ---------------------------------------------------------------------------

    def list_models(self, owner: str) -> list[dict[str, Any]]:
        """``owner``'s models: name, updated_at, latest_version, aliases (name order)."""
        return self._query(
            owner,
            """
            SELECT m.name, m.updated_at,
                   (SELECT max(version) FROM ml_model_version v
                    WHERE v.owner = m.owner AND v.name = m.name) AS latest_version,
                   COALESCE((SELECT jsonb_object_agg(a.alias, a.version) FROM ml_model_alias a
                             WHERE a.owner = m.owner AND a.name = m.name), '{}'::jsonb)
                       AS aliases
            FROM ml_model m WHERE m.owner = %(owner)s ORDER BY m.name
            """,
            {},
        )

    def versions(self, owner: str, name: str) -> tuple[list[VersionRecord], dict[str, int]]:
        """``owner``'s model ``name``: its versions and aliases (404 when it has none)."""
        rows = self._query(
            owner,
            "SELECT * FROM ml_model_version WHERE owner = %(owner)s AND name = %(name)s"
            " ORDER BY version",
            {"name": name},
        )
        if not rows:
            raise NotFoundError(f"no model {name!r}")
        aliases = self._query(
            owner,
            "SELECT alias, version FROM ml_model_alias WHERE owner = %(owner)s"
            " AND name = %(name)s ORDER BY alias",
            {"name": name},
        )
        return [VersionRecord.from_row(r) for r in rows], {
            a["alias"]: a["version"] for a in aliases
        }

    def resolve(
        self, owner: str, name: str, version: int | None = None, alias: str | None = None
    ) -> VersionRecord:
        """The version of ``owner``'s model ``name`` asked for: by number, by alias, else alias
        ``production`` when set, else the latest. 404 with the reason when there is none."""
        if version is not None and alias is not None:
            from shared.errors import UnprocessableContentError

            raise UnprocessableContentError("give a version or an alias, not both")
        if version is not None:
            rows = self._query(
                owner,
                "SELECT * FROM ml_model_version WHERE owner = %(owner)s AND name = %(name)s"
                " AND version = %(version)s",
                {"name": name, "version": version},
            )
            if not rows:
                raise NotFoundError(f"model {name!r} has no version {version}")
            return VersionRecord.from_row(rows[0])
        rows = self._query(
            owner,
            "SELECT v.* "
            "FROM ml_model_alias a JOIN ml_model_version v USING (owner, name, version) "
            "WHERE a.owner = %(owner)s AND a.name = %(name)s AND a.alias = %(alias)s",
            {"name": name, "alias": alias or "production"},
        )
        if rows:
            return VersionRecord.from_row(rows[0])
        if alias is not None:
            raise NotFoundError(f"model {name!r} has no alias {alias!r}")
        rows = self._query(
            owner,
            "SELECT * FROM ml_model_version WHERE owner = %(owner)s AND name = %(name)s"
            " ORDER BY version DESC LIMIT 1",
            {"name": name},
        )
        if not rows:
            raise NotFoundError(f"no model {name!r}")
        return VersionRecord.from_row(rows[0])

    def load(self, record: VersionRecord) -> Any:
        """The fitted estimator of ``record``: from the cache, else downloaded and verified."""
        return self._load(record, record.blob_name, record.sha256, "artefact", loads)

    def load_onnx(self, record: VersionRecord) -> OnnxModel:
        """The verified onnxruntime session of ``record``'s ONNX copy (it must have one)."""
        from shared.ml import onnx_serving

        if record.onnx_blob_name is None or record.onnx_sha256 is None:
            raise NotFoundError(f"model {record.name!r} version {record.version} has no ONNX copy")

        def open_session(data: bytes, sha256: str) -> OnnxModel:
            _verify(data, sha256, "ONNX artefact")
            return onnx_serving.session(data)

        model: OnnxModel = self._load(
            record, record.onnx_blob_name, record.onnx_sha256, "ONNX artefact", open_session
        )
        return model

    def _load(
        self,
        record: VersionRecord,
        blob_name: str,
        sha256: str,
        what: str,
        open_bytes: Callable[[bytes, str], Any],
    ) -> Any:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        key = (record.owner, record.name, record.version, sha256)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        from shared.resilience import storage_guard

        try:
            with storage_guard("blob"):
                data = self._get_container().download_blob(blob_name).readall()
        except ResourceNotFoundError:
            raise NotFoundError(
                f"the {what} of model {record.name!r} version {record.version} is missing"
            ) from None
        except AzureError as exc:
            raise ServiceUnavailableError(
                "the model artefact store is unavailable", headers={"Retry-After": "5"}
            ) from exc
        try:
            model = open_bytes(data, sha256)
        except ArtefactIntegrityError:
            logger.error(
                "refused the %s of model %s version %d (integrity)",
                what,
                record.name,
                record.version,
            )
            raise
        with self._lock:
            self._cache[key] = model
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return model

    def forget_cache(self) -> None:
        with self._lock:
            self._cache.clear()


_registry: ModelRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> ModelRegistry:
    """The process-wide registry."""
    global _registry  # noqa: PLW0603 - one per process, guarded by a lock
    with _registry_lock:
        if _registry is None:
            _registry = ModelRegistry()
        return _registry
