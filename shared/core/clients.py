"""How the orchestrator reaches the features it composes: in-process, or by URL.

Service discovery by configuration: each remote-able feature has a small ``Protocol`` and two
implementations. With its URL setting empty (the default) the feature runs in this process;
with the setting holding a function app's base URL (``https://<app>.azurewebsites.net/api``) the
orchestrator calls that app's public endpoint instead. The pipeline only sees the Protocol, so
the same code serves both deployments.

==========================  ======================  ==============================================
Protocol                    setting                 remote endpoint (the feature's own API)
==========================  ======================  ==============================================
``EmbeddingsClient``        ``CORE_EMBEDDINGS_URL``  ``POST {url}/embeddings`` (256 texts a call)
``ClassifyClient``          ``CORE_CLASSIFY_URL``    ``POST {url}/classify`` (256 texts a call)
==========================  ======================  ==============================================

A remote app authenticates every call like any other caller (``shared.auth``): this app presents
a **service credential**, the API key in ``CORE_REMOTE_API_KEY`` (Key Vault ``core-remote-api-key``)
as ``Authorization: Bearer``, issued at the remote app for a service user with the ``ml`` scope.
Not the caller's own credential, because:

- analyses over ``CORE_SYNC_MAX_ITEMS`` run later in a job worker, where no caller credential
  exists; keeping one for it would mean storing users' secrets in queues and rows;
- a JWT may expire before the job runs, and an issued API key is only valid at the app whose
  database issued it;
- one key per calling app is one secret to rotate and revoke, and the remote app's logs name the
  app that called.

The remote app therefore acts for the service user: a trained classifier head named in a request
must be registered there under that user. A function key for the remote app's host goes in the
URL's query (``...?code=<key>``): the query is kept on every call. Remote failures (no connection,
a timeout, a 5xx) raise ``ServiceUnavailableError`` through the breaker named ``core-<feature>``;
a refused credential (401/403) is a 503 naming ``CORE_REMOTE_API_KEY`` (a deployment fault, not the
caller's); a remote 404 (a trained head that does not exist) is a ``NotFoundError`` as in-process.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Protocol

from shared.classify.api import ClassifyRequest, ClassifyResponse
from shared.config import get_settings
from shared.errors import NotFoundError, ServiceUnavailableError, UnprocessableContentError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_TEXTS_PER_CALL = 256  # the embeddings and classify endpoints' limit (EMBEDDINGS_MAX_TEXTS)


class EmbeddingsClient(Protocol):
    """Unit-length float32 vectors ``(len(texts), dimension)`` for any number of texts."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class ClassifyClient(Protocol):
    """Classify texts for ``owner``; ``vectors`` (their unit embeddings) may spare a second
    embedding where the implementation can use them (in-process)."""

    def classify(
        self,
        owner: str,
        request: ClassifyRequest,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> ClassifyResponse: ...


# --- in-process ---------------------------------------------------------------------------------


class InProcessEmbeddings:
    """``shared.embeddings`` in this process (the texts were checked by the caller)."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        from shared.embeddings.service import embed_checked

        parts = [
            embed_checked(texts[i : i + MAX_TEXTS_PER_CALL]).vectors
            for i in range(0, len(texts), MAX_TEXTS_PER_CALL)
        ]
        return np.vstack(parts).astype(np.float32)


class InProcessClassify:
    """``shared.classify`` in this process, any number of texts, reusing given vectors."""

    def classify(
        self,
        owner: str,
        request: ClassifyRequest,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> ClassifyResponse:
        from shared.classify.service import classify_vectors

        if vectors is None:
            vectors = InProcessEmbeddings().embed(request.texts)
        return classify_vectors(owner, request, vectors, label_vectors=_cached_label_vectors)


def _cached_label_vectors(
    descriptions: dict[str, list[str]],
) -> tuple[list[str], npt.NDArray[np.float64]]:
    # Label vectors depend only on the descriptions: cached per process (a label set is embedded
    # once, not once per analysis); the key is the descriptions as tuples (hashable).
    return _label_vectors(tuple((label, tuple(texts)) for label, texts in descriptions.items()))


@functools.lru_cache(maxsize=32)
def _label_vectors(
    items: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[list[str], npt.NDArray[np.float64]]:
    from shared.classify import zero_shot

    return zero_shot.label_vectors({label: list(texts) for label, texts in items})


# --- by URL -------------------------------------------------------------------------------------


class RemoteFeatureError(ServiceUnavailableError):
    """A remote feature app failed a call (no connection, a timeout, a 5xx): 503."""


class RemoteCredentialError(ServiceUnavailableError):
    """A remote feature app refused this app's credential (401/403): 503, since only the
    deployment (``CORE_REMOTE_API_KEY``) can fix it."""


class _Remote:
    def __init__(
        self, base_url: str, feature: str, timeout: float, api_key: str | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self._feature = feature
        self._timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        from shared.resilience import guard

        url = httpx.URL(self._base)
        target = url.copy_with(path=url.path.rstrip("/") + path)
        with guard(f"core-{self._feature}", counts=(RemoteFeatureError,)):
            try:
                response = httpx.post(
                    target, json=body, headers=self._headers, timeout=self._timeout
                )
            except httpx.HTTPError as exc:
                raise RemoteFeatureError(
                    f"the {self._feature} app is unreachable", reason=type(exc).__name__
                ) from exc
            if response.status_code >= 500:
                raise RemoteFeatureError(f"the {self._feature} app failed ({response.status_code})")
        if response.status_code in (401, 403):
            sent = "was refused" if self._headers else "is not set"
            raise RemoteCredentialError(
                f"the {self._feature} app refused the call ({response.status_code}): "
                f"CORE_REMOTE_API_KEY {sent}; it must be an API key of that app with the ml scope",
                reason=_detail(response),
            )
        if response.status_code == 404:
            raise NotFoundError(_detail(response) or f"{self._feature}: not found")
        if response.status_code >= 400:
            raise UnprocessableContentError(
                f"the {self._feature} app refused the call: {_detail(response)}"
            )
        return response.json()


def _detail(response: Any) -> str:
    try:
        return str(response.json().get("detail", ""))[:300]
    except ValueError:
        return ""


class HttpEmbeddings(_Remote):
    """``POST {CORE_EMBEDDINGS_URL}/embeddings`` in chunks of 256 texts."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        rows: list[list[float]] = []
        for i in range(0, len(texts), MAX_TEXTS_PER_CALL):
            answer = self._post("/embeddings", {"texts": texts[i : i + MAX_TEXTS_PER_CALL]})
            rows.extend(answer["embeddings"])
        return np.asarray(rows, dtype=np.float32)


class HttpClassify(_Remote):
    """``POST {CORE_CLASSIFY_URL}/classify`` in chunks of 256 texts (``vectors`` unused)."""

    def classify(
        self,
        owner: str,
        request: ClassifyRequest,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> ClassifyResponse:
        # The remote app knows this app's service user (CORE_REMOTE_API_KEY): a trained head
        # must belong to that user there (``owner`` is this app's view of the caller).
        parts: list[ClassifyResponse] = []
        for i in range(0, len(request.texts), MAX_TEXTS_PER_CALL):
            chunk = request.model_copy(update={"texts": request.texts[i : i + MAX_TEXTS_PER_CALL]})
            answer = self._post("/classify", chunk.model_dump(exclude_none=True))
            parts.append(ClassifyResponse.model_validate(answer))
        return ClassifyResponse(
            method=parts[0].method,
            source=parts[0].source,
            results=[r for part in parts for r in part.results],
        )


def embeddings_client() -> EmbeddingsClient:
    """In-process unless ``CORE_EMBEDDINGS_URL`` is set."""
    settings = get_settings()
    if settings.core_embeddings_url:
        return HttpEmbeddings(
            settings.core_embeddings_url,
            "embeddings",
            settings.core_remote_timeout_seconds,
            _remote_key(),
        )
    return InProcessEmbeddings()


def classify_client() -> ClassifyClient:
    """In-process unless ``CORE_CLASSIFY_URL`` is set."""
    settings = get_settings()
    if settings.core_classify_url:
        return HttpClassify(
            settings.core_classify_url,
            "classify",
            settings.core_remote_timeout_seconds,
            _remote_key(),
        )
    return InProcessClassify()


def _remote_key() -> str | None:
    key = get_settings().core_remote_api_key
    return key.get_secret_value() if key else None
