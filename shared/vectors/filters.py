"""Payload filters from requests to ``qdrant_client.models.Filter``.

Two forms (see ``SearchRequest``): a Qdrant filter, recognised by its top-level keys, validated
by qdrant-client's own model; or the short form, one condition per field, all of which must hold:

- ``{"city": "Paris"}`` -> the field equals the value (string, integer or boolean);
- ``{"city": ["Paris", "Lyon"]}`` -> it equals any of them;
- ``{"year": {"gte": 2020, "lt": 2024}}`` -> a range (``gt``, ``gte``, ``lt``, ``lte``).

Anything else is a 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.errors import UnprocessableContentError
from shared.http.requests import validation_errors

NATIVE_KEYS = frozenset({"must", "should", "must_not", "min_should"})
RANGE_KEYS = frozenset({"gt", "gte", "lt", "lte"})


def to_qdrant_filter(spec: dict[str, Any] | None) -> Any:
    """The ``models.Filter`` for ``spec`` (None for no filter)."""
    from qdrant_client import models

    if not spec:
        return None
    if spec.keys() <= NATIVE_KEYS:
        try:
            return models.Filter.model_validate(spec)
        except ValidationError as exc:
            raise UnprocessableContentError(
                "the filter is not a valid Qdrant filter", errors=validation_errors(exc)
            ) from exc
    return models.Filter(must=[_condition(models, key, value) for key, value in spec.items()])


def _condition(models: Any, key: str, value: Any) -> Any:
    if isinstance(value, str | int | bool) and not isinstance(value, float):
        return models.FieldCondition(key=key, match=models.MatchValue(value=value))
    if isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
        return models.FieldCondition(key=key, match=models.MatchAny(any=value))
    if (
        isinstance(value, dict)
        and value
        and value.keys() <= RANGE_KEYS
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
    ):
        return models.FieldCondition(key=key, range=models.Range(**value))
    raise UnprocessableContentError(
        f"filter field {key[:100]!r}: expected a string, integer or boolean, a non-empty list of "
        "strings or integers, or a range object with gt/gte/lt/lte numbers"
    )
