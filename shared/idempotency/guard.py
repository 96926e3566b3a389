"""Per-invocation state shared by the HTTP and queue orchestrations, and their exit steps."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.responses import Response

from shared.errors import PlatformError
from shared.http.problems import error_response
from shared.idempotency.config import Limits
from shared.idempotency.exceptions import IdempotencyError
from shared.idempotency.persistence.base import BasePersistenceLayer, Claim
from shared.log import current_context

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Guard:
    """What ``begin`` decided. ``response`` set: answer it without running the handler.
    ``claim`` set: run the handler, then finish or fail. Neither: run unguarded."""

    response: Response | None = None
    claim: Claim | None = None
    store: BasePersistenceLayer | None = None
    limits: Limits | None = None
    key_hash: str = ""
    path: str = ""


UNGUARDED = Guard()


def save_outcome(guard: Guard, payload: bytes) -> None:
    """Save ``payload`` under the guard's lease. Failures are logged, never raised: the handler
    already ran and its result must still reach the caller."""
    assert guard.store is not None
    assert guard.claim is not None
    assert guard.limits is not None
    try:
        saved = guard.store.save(guard.claim, payload, guard.limits.ttl_ms)
    except IdempotencyError as exc:
        # The in-progress record expires with its lease; until then a retry is told to wait
        # (409 / retried message) rather than running a second time.
        logger.warning("idempotency save failed key=%s: %s", guard.key_hash, exc.detail)
        return
    if not saved:
        # Our lease expired and another invocation claimed the key: its record wins.
        logger.warning(
            "idempotency lease lost before save; newer record kept key=%s", guard.key_hash
        )


def release_claim(guard: Guard, reason: str) -> None:
    """Delete the guard's in-progress record so a retry runs again (logged, never raised)."""
    assert guard.store is not None
    assert guard.claim is not None
    try:
        guard.store.release(guard.claim, reason)
    except IdempotencyError as exc:
        logger.warning("idempotency release failed key=%s: %s", guard.key_hash, exc.detail)


def problem_for(error: PlatformError, path: str) -> Response:
    # Rendered exactly as the endpoint would, with the request id it bound to the log context.
    return error_response(
        error,
        instance=path,
        request_id=current_context().get("request_id"),
        openai_shape=current_context().get("error_shape") == "openai",
    )
