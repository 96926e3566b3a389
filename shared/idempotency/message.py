"""The queue orchestration: at-most-once *completion* per message key.

Storage queues deliver at least once: a message can arrive twice (visibility timeout passed while
it was processed, or the host crashed after the work but before the delete). The key is the
message id, or a field of the JSON body (``key_field``) when producers may enqueue the same work
twice under different ids.

    completed key          acknowledge: return None without running the handler
    key in progress        raise IdempotencyAlreadyInProgressError: the host retries later
    ... by an earlier      (key = message id only) take the lease over and run the handler: the
        delivery           earlier delivery lost the message, so its holder is gone or too late
    handler raises         release the key, re-raise: the host's retry runs it again
    same key, other body   acknowledged as a duplicate, with a WARNING (the key names the work)
    no key in the message  raise IdempotencyKeyMissingError (the message ends in the poison queue)
    Redis down             fail_closed raises (message retried); fail_open runs unguarded

The handler's return value is not stored: a duplicate returns None.

Takeover. The queue redelivers a message only once the previous delivery's visibility (pop receipt)
expired, so a delivery with a higher dequeue count than the one holding the in-progress record
knows that holder lost the message: its host died mid-invocation, or it will find its save refused
(``lease_lost``, its token no longer matches). Without the takeover such a record would fail every
redelivery until its lease (IDEMPOTENCY_LEASE_SECONDS) ran out, and the host would poison a message
nobody was working on. The dequeue count travels inside the lease value, so the takeover is part of
the one claim round trip.

With ``key_field`` there is no takeover: different messages (each with its own dequeue count) may
carry the same business key, so message B's second delivery says nothing about whether message A's
first delivery is still running; a key in progress keeps raising until its holder finishes, fails
or its lease expires. A message without a dequeue count never takes over either.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared.config import get_settings
from shared.idempotency.config import IdempotencyConfig, is_disabled
from shared.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyKeyMissingError,
    IdempotencyStoreUnavailableError,
)
from shared.idempotency.guard import UNGUARDED, Guard, release_claim, save_outcome
from shared.idempotency.keys import message_fingerprint, record_key, scoped_key_hash
from shared.idempotency.persistence.base import HEADER_LENGTH, BasePersistenceLayer, ClaimStatus
from shared.idempotency.stats import count_local
from shared.idempotency.store import resolve_persistence
from shared.telemetry.metrics import record_idempotency

logger = logging.getLogger(__name__)

MESSAGE_SCOPE = "queue"
DUPLICATE = Guard(key_hash="duplicate")


class MessageIdempotencyHandler:
    """Idempotency for one decorated queue-triggered function."""

    def __init__(
        self,
        function_name: str,
        key_field: str | None,
        config: IdempotencyConfig,
        persistence: BasePersistenceLayer | None = None,
    ) -> None:
        self.function_name = function_name
        self.key_field = key_field
        self.config = config
        self.persistence = persistence

    def begin(self, msg: func.QueueMessage) -> Guard:
        """Claim the message's key. Returns DUPLICATE (acknowledge), UNGUARDED (run without the
        guarantee) or a guard holding the claim; raises to make the host retry."""
        settings = get_settings()
        if is_disabled(settings):
            return UNGUARDED
        body = msg.get_body() or b""
        key_hash = scoped_key_hash(MESSAGE_SCOPE, self.function_name, self._key_of(msg, body))
        limits = self.config.limits(settings)
        # Only a key that names this one message may be taken over (see the module docstring).
        delivery = _dequeue_count(msg) if self.key_field is None else None
        try:
            store = resolve_persistence(self.persistence)
            claim = store.claim(
                record_key(key_hash), message_fingerprint(body), limits.lease_ms, delivery=delivery
            )
        except IdempotencyStoreUnavailableError:
            count_local("store_unavailable")
            if self.config.on_redis_error == "fail_closed":
                logger.warning(
                    "idempotency store unavailable; message will be retried key=%s", key_hash
                )
                raise
            count_local("fail_open")
            logger.warning(
                "idempotency store unavailable; %s runs WITHOUT the guarantee (fail_open) key=%s",
                self.function_name,
                key_hash,
            )
            return UNGUARDED
        record_idempotency(claim.status.value, "message")
        if claim.status is ClaimStatus.CLAIMED:
            if claim.taken_over:
                logger.warning(
                    "idempotency takeover: delivery %s took over the lease of an earlier delivery "
                    "that lost the message key=%s",
                    delivery,
                    key_hash,
                )
            else:
                logger.info("idempotency Cache MISS message key=%s", key_hash)
            return Guard(claim=claim, store=store, limits=limits, key_hash=key_hash)
        if claim.status is ClaimStatus.COMPLETED:
            logger.info("idempotency Cache HIT: duplicate message acknowledged key=%s", key_hash)
            return DUPLICATE
        if claim.status is ClaimStatus.MISMATCH:
            logger.warning(
                "idempotency mismatch: another message body already completed key=%s; acknowledged",
                key_hash,
            )
            return DUPLICATE
        logger.info("idempotency conflict: message in progress elsewhere key=%s", key_hash)
        raise IdempotencyAlreadyInProgressError(
            "another delivery of this message is being processed; retry later",
            headers={"Retry-After": str(claim.retry_after_seconds)},
        )

    def finish(self, guard: Guard) -> None:
        """Mark the message's key completed. Nothing is replayed, so the payload is just our lease
        token (and dequeue count): it makes the completed record unique to this delivery, so a
        stale holder's late save never mistakes a takeover's record for its own retried save."""
        if guard.claim is not None:
            save_outcome(guard, guard.claim.lease[HEADER_LENGTH:])

    def fail(self, guard: Guard) -> None:
        """Release the key after the handler raised, so the host's retry runs it again."""
        if guard.claim is not None:
            release_claim(guard, "released_error")

    def _key_of(self, msg: func.QueueMessage, body: bytes) -> str:
        if self.key_field is None:
            if not msg.id:
                raise IdempotencyKeyMissingError("the queue message has no id")
            return str(msg.id)
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IdempotencyKeyMissingError("the message body is not JSON", exc) from exc
        value = document.get(self.key_field) if isinstance(document, dict) else None
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise IdempotencyKeyMissingError(
                f"the message has no string or integer field {self.key_field!r}"
            )
        return str(value)


def _dequeue_count(msg: func.QueueMessage) -> int | None:
    """The delivery's dequeue count (1 on the first delivery), or None when the host gave none."""
    count = getattr(msg, "dequeue_count", None)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return None
    return count
