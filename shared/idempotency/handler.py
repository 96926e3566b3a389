"""The HTTP orchestration: one ``begin`` before the handler, one ``finish`` or ``fail`` after.

The decorator calls these around the user's handler (sync or async); every Redis access is here.

    begin   key header -> scope -> fingerprint -> claim (1 round trip)
            HIT: replay | in progress: 409 | other request: 422 | MISS: run the handler
    finish  2xx (and 4xx when configured) within the size limit: save (1 round trip)
            anything else: release (1 round trip) so a retry runs again
    fail    the handler raised: release, and the caller re-raises the original exception

Races are settled by the store: ``claim`` is atomic, and ``save``/``release`` act only while the
record still holds this invocation's lease token (see ``persistence/base.py``).
"""

from __future__ import annotations

import logging

from starlette.responses import Response, StreamingResponse

from shared.config import get_settings
from shared.errors import PlatformError
from shared.http.call import HttpCall
from shared.idempotency.config import IdempotencyConfig, is_disabled
from shared.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyError,
    IdempotencyKeyMissingError,
    IdempotencyKeyReusedError,
    IdempotencyPersistenceError,
    IdempotencyStoreUnavailableError,
)
from shared.idempotency.guard import (
    UNGUARDED,
    Guard,
    problem_for,
    release_claim,
    save_outcome,
)
from shared.idempotency.keys import (
    KEY_HEADER,
    parse_key_header,
    record_key,
    request_fingerprint,
    scoped_key_hash,
)
from shared.idempotency.persistence.base import BasePersistenceLayer, ClaimStatus
from shared.idempotency.responses import decode_response, encode_response, is_stored_status
from shared.idempotency.stats import count_local
from shared.idempotency.store import resolve_persistence
from shared.idempotency.streams import recorded
from shared.identity import caller_identity
from shared.telemetry.metrics import record_idempotency

logger = logging.getLogger(__name__)

UNAVAILABLE_RETRY_AFTER_SECONDS = 5


class HttpIdempotencyHandler:
    """Idempotency for one decorated HTTP function (holds its options, not per-call state)."""

    def __init__(
        self,
        function_name: str,
        config: IdempotencyConfig,
        persistence: BasePersistenceLayer | None = None,
    ) -> None:
        self.function_name = function_name
        self.config = config
        self.persistence = persistence

    def begin(self, req: HttpCall) -> Guard:
        """Validate the key and claim it; see the module docstring. Raises only
        ``IdempotencyPersistenceError`` (Redis misconfigured: never silently ignored)."""
        settings = get_settings()
        if is_disabled(settings):
            return UNGUARDED
        path = req.path
        header = req.headers.get(KEY_HEADER)
        try:
            if header is None:
                if self.config.required:
                    raise IdempotencyKeyMissingError(
                        f"this endpoint requires an {KEY_HEADER} header"
                    )
                return UNGUARDED
            key = parse_key_header(header)
        except IdempotencyError as exc:
            return Guard(response=problem_for(exc, path))
        key_hash = scoped_key_hash(caller_identity(req), self.function_name, key)
        fingerprint = request_fingerprint(
            req.method, path, _fingerprinted_body(req), self.config.fingerprint_fields
        )
        limits = self.config.limits(settings)
        try:
            store = resolve_persistence(self.persistence)
            claim = store.claim(record_key(key_hash), fingerprint, limits.lease_ms)
        except IdempotencyStoreUnavailableError as exc:
            return self._store_unavailable(exc, key_hash, path)
        except IdempotencyPersistenceError as exc:
            logger.error(
                "idempotency store refused %s key=%s: %s",
                self.function_name,
                key_hash,
                exc.__cause__,
            )
            raise
        return self._decide(Guard(None, claim, store, limits, key_hash, path))

    def _decide(self, guard: Guard) -> Guard:
        claim = guard.claim
        assert claim is not None
        record_idempotency(claim.status.value, "http")
        if claim.status is ClaimStatus.CLAIMED:
            logger.info("idempotency Cache MISS key=%s", guard.key_hash)
            return guard
        if claim.status is ClaimStatus.COMPLETED:
            logger.info("idempotency Cache HIT key=%s", guard.key_hash)
            return Guard(response=decode_response(claim.payload))
        if claim.status is ClaimStatus.IN_PROGRESS:
            retry_after = claim.retry_after_seconds
            logger.info("idempotency conflict (in progress) key=%s", guard.key_hash)
            error: IdempotencyError = IdempotencyAlreadyInProgressError(
                "a request with this Idempotency-Key is still being processed; retry later",
                headers={"Retry-After": str(retry_after)},
            )
        else:
            logger.info("idempotency mismatch (key reused) key=%s", guard.key_hash)
            error = IdempotencyKeyReusedError(
                "this Idempotency-Key was already used with a different request"
            )
        return Guard(response=problem_for(error, guard.path))

    def _store_unavailable(
        self, exc: IdempotencyStoreUnavailableError, key_hash: str, path: str
    ) -> Guard:
        count_local("store_unavailable")
        if self.config.on_redis_error == "fail_open":
            count_local("fail_open")
            logger.warning(
                "idempotency store unavailable; %s runs UNGUARDED (fail_open) key=%s: %s",
                self.function_name,
                key_hash,
                exc.__cause__ or exc.detail,
            )
            return UNGUARDED
        logger.warning(
            "idempotency store unavailable; refusing %s (fail_closed) key=%s: %s",
            self.function_name,
            key_hash,
            exc.__cause__ or exc.detail,
        )
        error = IdempotencyStoreUnavailableError(
            "the idempotency store is unavailable; retry later",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
        return Guard(response=problem_for(error, path))

    def finish(self, guard: Guard, response: Response) -> Response:
        """Store the outcome when it is one to store, else release the key; a store failure
        here is logged, never raised. Returns ``response``, or for a streamed one of a status to
        store, the same stream recorded as it is sent (see ``streams.recorded``)."""
        if guard.claim is None or guard.store is None or guard.limits is None:
            return response
        if not is_stored_status(response.status_code, store_4xx=self.config.store_4xx):
            release_claim(guard, "released_status")
        elif isinstance(response, StreamingResponse):
            return recorded(guard, response)
        elif len(response.body) > guard.limits.max_response_bytes:
            logger.info("idempotency response too large to store key=%s", guard.key_hash)
            release_claim(guard, "released_too_large")
        else:
            save_outcome(guard, encode_response(response))
        return response

    def fail(self, guard: Guard, exc: BaseException) -> Response | None:
        """After the handler raised: a 4xx ``PlatformError`` is rendered and stored when
        ``store_4xx`` is set (returned); otherwise the key is released and None tells the caller
        to re-raise the original exception."""
        if guard.claim is None:
            return None
        if self.config.store_4xx and isinstance(exc, PlatformError) and 400 <= exc.status < 500:
            return self.finish(guard, problem_for(exc, guard.path))
        release_claim(guard, "released_error")
        return None


def _fingerprinted_body(req: HttpCall) -> bytes:
    """The body, or for a streamed one (not read before the handler runs) what its headers say
    of it: its type and length. Streamed uploads are told apart by size, not content."""
    if req.body is not None:
        return req.body
    # The media type without parameters: a multipart boundary is new on every attempt.
    media_type = req.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return f"streamed\n{media_type}\n{req.headers.get('content-length', '')}".encode()
