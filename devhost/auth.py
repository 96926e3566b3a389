"""Function-key authorization for HTTP triggers, as the host applies ``authLevel``.

Contract: :meth:`KeyChecker.authorized` says whether a request may call a function of a given
auth level. ``anonymous`` needs nothing, ``function`` accepts the function key or the master
key, ``admin`` only the master key. Keys are read from the app settings ``DEVHOST_FUNCTION_KEY``
and ``DEVHOST_MASTER_KEY`` and presented as the ``x-functions-key`` header or the ``code``
query parameter (the header wins when both are present, as in the host). Keys are compared in
constant time and never logged.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


@dataclass(frozen=True, repr=False)
class KeyChecker:
    """The configured keys; an empty key never matches anything."""

    function_key: str
    master_key: str

    def __repr__(self) -> str:
        # Keep keys out of logs and tracebacks.
        return "KeyChecker(<redacted>)"

    @classmethod
    def from_settings(cls, environ: Mapping[str, str]) -> KeyChecker:
        """Read the keys from app settings, warning when a protected level cannot be reached."""
        checker = cls(
            function_key=environ.get(FUNCTION_KEY_SETTING, ""),
            master_key=environ.get(MASTER_KEY_SETTING, ""),
        )
        if not checker.master_key:
            logger.warning(
                "%s is not set: functions with authLevel function/admin will answer 401 "
                "unless %s is set",
                MASTER_KEY_SETTING,
                FUNCTION_KEY_SETTING,
            )
        return checker

    def authorized(self, auth_level: str, presented: str | None) -> bool:
        """Whether the ``presented`` key (None: no key) satisfies ``auth_level``."""
        if auth_level == "anonymous":
            return True
        if not presented:
            return False
        if _same(presented, self.master_key):
            return True
        return auth_level == "function" and _same(presented, self.function_key)

    @staticmethod
    def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        """The key a request carries: ``x-functions-key`` header, else ``?code=``."""
        return headers.get(KEY_HEADER) or query.get(KEY_QUERY) or None


def _same(presented: str, expected: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
