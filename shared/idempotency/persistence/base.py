"""The persistence contract: claim a key, then save or release it, each in one atomic step.

A record is one opaque byte string, so a store needs no schema and a HIT is a single read:

    in progress:  b"P" + fingerprint (64 hex) + lease token (32 hex)   expires after the lease
                  [+ b"#" + delivery count (decimal), queue deliveries keyed by message id]
    completed:    b"C" + fingerprint (64 hex) + payload                 expires after the TTL

The lease token makes the in-progress value unique to one invocation. ``save`` and ``release`` only
act when the stored value is still exactly that value, which is what keeps a late finisher from
overwriting a record that another invocation took over after the lease expired:

    t=0    A claims the key (lease 30 s) and runs slowly
    t=30   the lease expires; the key vanishes
    t=31   B claims the key with its own token, runs, saves its response
    t=40   A finishes: its token no longer matches, so A's save is refused (counted as lease_lost)

Takeover (queue messages only). A storage queue delivers a message again only after the previous
delivery's visibility expired, i.e. after its holder lost the message (its host died, or stopped
renewing). A claim made with ``delivery=n`` (the message's dequeue count) that finds the in-progress
record of the same fingerprint with a *lower* delivery count therefore takes the lease over instead
of reporting "in progress"; without it, every redelivery would fail until the dead holder's lease
ran out and the host would poison a message nobody was working on:

    t=0    delivery 1 claims the key (lease 300 s); its host dies
    t=30   the message becomes visible again: delivery 2 takes the lease over and runs
    t=31   if delivery 1's holder was still alive after all, its save or release is refused by the
           token check above (lease_lost): delivery 2's record wins

A claim without ``delivery`` (HTTP, or a queue key shared by several messages) never takes over and
is never taken over from: there, a lower count says nothing about whether the holder is alive.

Public methods hold the shared logic (tokens, record layout, decoding); subclasses implement the
private I/O hooks, each of which must be a single atomic operation on the store.
"""

from __future__ import annotations

import enum
import math
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass

FINGERPRINT_LENGTH = 64
IN_PROGRESS = b"P"
COMPLETED = b"C"
HEADER_LENGTH = 1 + FINGERPRINT_LENGTH
TOKEN_LENGTH = 32
DELIVERY_SEPARATOR = b"#"  # after the token: the dequeue count of the delivery holding the lease
MAX_RETRY_AFTER_SECONDS = 5


class ClaimStatus(enum.Enum):
    """What the claim-or-fetch step found."""

    CLAIMED = 0  # no record: this invocation now holds the lease and must save or release
    COMPLETED = 1  # a completed record with the same fingerprint: replay it
    IN_PROGRESS = 2  # another invocation holds the lease
    MISMATCH = 3  # a record with a different fingerprint: the key was reused
    # An earlier delivery's lease was replaced by ours. Only ``_put_record`` reports it: ``claim``
    # returns it as CLAIMED with ``taken_over=True`` (the caller holds the lease either way).
    TAKEN_OVER = 4


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of ``claim``. ``lease`` is set only when CLAIMED; ``payload`` when COMPLETED;
    ``taken_over`` when CLAIMED from an earlier delivery of the same message (see above)."""

    status: ClaimStatus
    record_key: str
    lease: bytes = b""
    payload: bytes = b""
    lease_remaining_ms: int = 0
    taken_over: bool = False

    @property
    def retry_after_seconds(self) -> int:
        """Seconds a client should wait before retrying a key in progress (1 to 5)."""
        seconds = math.ceil(self.lease_remaining_ms / 1000) if self.lease_remaining_ms > 0 else 1
        return max(1, min(MAX_RETRY_AFTER_SECONDS, seconds))


class BasePersistenceLayer(ABC):
    """Atomic record operations. Implementations raise only ``IdempotencyError`` subclasses:
    ``IdempotencyStoreUnavailableError`` when the store cannot be reached (the caller may fail
    open), ``IdempotencyPersistenceError`` for anything else."""

    def claim(
        self, record_key: str, fingerprint: str, lease_ms: int, *, delivery: int | None = None
    ) -> Claim:
        """Claim ``record_key`` for ``lease_ms`` unless a record exists; report what was found.

        One round trip: the existence check, the fingerprint comparison and the write happen in
        one atomic step, so of N concurrent callers exactly one gets CLAIMED.

        ``delivery``: the queue message's dequeue count, only when the key is the message id. It is
        kept in the lease, and a claim with a higher count takes over an in-progress record of a
        lower one (``taken_over``); see the module docstring.
        """
        if len(fingerprint) != FINGERPRINT_LENGTH:
            raise ValueError("a fingerprint is a SHA-256 hex digest (64 characters)")
        if delivery is not None and (
            isinstance(delivery, bool) or not isinstance(delivery, int) or delivery < 1
        ):
            raise ValueError("a delivery count is a positive integer")
        # 128 random bits: no two invocations ever hold the same lease value.
        token = os.urandom(TOKEN_LENGTH // 2).hex().encode("ascii")
        lease = IN_PROGRESS + fingerprint.encode("ascii") + token
        if delivery is not None:
            lease += DELIVERY_SEPARATOR + str(delivery).encode("ascii")
        status, found = self._put_record(record_key, fingerprint, lease, lease_ms)
        if status is ClaimStatus.CLAIMED:
            return Claim(status, record_key, lease=lease)
        if status is ClaimStatus.TAKEN_OVER:
            return Claim(ClaimStatus.CLAIMED, record_key, lease=lease, taken_over=True)
        if status is ClaimStatus.COMPLETED:
            assert isinstance(found, bytes)
            return Claim(status, record_key, payload=found[HEADER_LENGTH:])
        if status is ClaimStatus.IN_PROGRESS:
            return Claim(status, record_key, lease_remaining_ms=int(found or 0))
        return Claim(status, record_key)

    def save(self, claim: Claim, payload: bytes, ttl_ms: int) -> bool:
        """Replace our in-progress record with the completed one; False if our lease was lost."""
        self._require_lease(claim)
        completed = COMPLETED + claim.lease[1:HEADER_LENGTH] + payload
        return self._update_record(claim.record_key, claim.lease, completed, ttl_ms)

    def release(self, claim: Claim, reason: str) -> bool:
        """Delete our in-progress record so a retry runs again; False if our lease was lost.

        ``reason`` names the counter to increment (e.g. ``released_error``).
        """
        self._require_lease(claim)
        return self._delete_record(claim.record_key, claim.lease, reason)

    def stats(self) -> dict[str, int]:
        """The store-wide counters (hit, miss, conflict, mismatch, stored, lease_lost, ...)."""
        return self._get_stats()

    @staticmethod
    def _require_lease(claim: Claim) -> None:
        if claim.status is not ClaimStatus.CLAIMED or not claim.lease:
            raise ValueError("only a CLAIMED claim can be saved or released")

    @abstractmethod
    def _put_record(
        self, record_key: str, fingerprint: str, lease: bytes, lease_ms: int
    ) -> tuple[ClaimStatus, bytes | int | None]:
        """Atomically: write ``lease`` (expiring after ``lease_ms``) if no record exists, else
        compare fingerprints. Returns the status and, for COMPLETED, the stored record; for
        IN_PROGRESS, the lease's remaining milliseconds.

        Takeover: when both ``lease`` and the stored in-progress record (same fingerprint) carry a
        delivery count (after ``DELIVERY_SEPARATOR``) and the stored one is lower, overwrite it
        with ``lease`` and return TAKEN_OVER. Leases without a count are never taken over."""

    @abstractmethod
    def _update_record(self, record_key: str, lease: bytes, completed: bytes, ttl_ms: int) -> bool:
        """Atomically: if the record is still exactly ``lease``, replace it with ``completed``."""

    @abstractmethod
    def _delete_record(self, record_key: str, lease: bytes, reason: str) -> bool:
        """Atomically: if the record is still exactly ``lease``, delete it."""

    @abstractmethod
    def _get_stats(self) -> dict[str, int]:
        """The counters kept by the store."""
