"""``qdrant_client.models.Filter`` to a SQL condition over ``vector_points`` (pgvector store).

Conditions become SQL/JSON path tests on the ``payload`` column, evaluated in lax mode so that they
mean what they mean in Qdrant:

- a key is a dotted path (``a.b``, ``a[].b``); lax mode looks inside arrays on the way, so a
  condition on an array field matches when any element does (Qdrant's rule);
- ``match: {value}`` is JSON equality (a string never equals a number, as in Qdrant);
- ``match: {any}`` / ``{except}``, ``range`` (``gt``/``gte``/``lt``/``lte``; non-numbers never
  match), ``is_empty`` (missing, null or ``[]``), ``is_null``, ``has_id``;
- ``must`` (all), ``should`` (at least one), ``must_not`` (none), nested filters.

Everything else (full-text and geo matches, ``values_count``, ``min_should``, nested-object
conditions, datetime ranges) is a 422 naming the condition. Values travel as parameters, key
names are quoted into the JSON path (never into the SQL text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from shared.errors import UnprocessableContentError


@dataclass
class SqlCondition:
    """A composable SQL boolean expression and the parameters it needs, in order."""

    text: sql.Composable
    params: list[Any] = field(default_factory=list)


TRUE = SqlCondition(sql.SQL("TRUE"))


def to_sql(query_filter: Any) -> SqlCondition:
    """The SQL for ``query_filter`` (``TRUE`` for None)."""
    if query_filter is None:
        return TRUE
    return _filter(query_filter)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _filter(flt: Any) -> SqlCondition:
    if getattr(flt, "min_should", None) is not None:
        raise _unsupported("min_should")
    parts: list[SqlCondition] = [_condition(c) for c in _as_list(flt.must)]
    should = [_condition(c) for c in _as_list(flt.should)]
    if should:
        parts.append(_join(should, " OR "))
    for condition in _as_list(flt.must_not):
        inner = _condition(condition)
        # A condition on a missing field is false, so NOT of it is true: Qdrant's must_not.
        negated = sql.SQL("NOT coalesce(({}), FALSE)").format(inner.text)
        parts.append(SqlCondition(negated, inner.params))
    return _join(parts, " AND ") if parts else TRUE


def _join(parts: list[SqlCondition], operator: str) -> SqlCondition:
    text = sql.SQL(operator).join(sql.SQL("({})").format(p.text) for p in parts)
    return SqlCondition(sql.SQL("({})").format(text), [x for p in parts for x in p.params])


def _condition(condition: Any) -> SqlCondition:
    from qdrant_client import models

    if isinstance(condition, models.Filter):
        return _filter(condition)
    if isinstance(condition, models.FieldCondition):
        return _field(condition)
    if isinstance(condition, models.IsEmptyCondition):
        path = json_path(condition.is_empty.key)
        return _path_test(f"{path} ? (@ != null)", {}, negate=True)
    if isinstance(condition, models.IsNullCondition):
        path = json_path(condition.is_null.key)
        return _path_test(f"{path} ? (@ == null)", {})
    if isinstance(condition, models.HasIdCondition):
        ids = [str(i) for i in condition.has_id]
        return SqlCondition(sql.SQL("id = ANY(%s)"), [ids])
    raise _unsupported(type(condition).__name__)


def _field(condition: Any) -> SqlCondition:
    from qdrant_client import models

    path = json_path(condition.key)
    others = ("geo_bounding_box", "geo_radius", "geo_polygon", "values_count")
    if any(getattr(condition, name, None) is not None for name in others):
        raise _unsupported(f"{condition.key}: geo or values_count")
    if condition.is_empty is not None or condition.is_null is not None:
        raise _unsupported(f"{condition.key}: is_empty/is_null inside a field condition")
    match, range_ = condition.match, condition.range
    if (match is None) == (range_ is None):
        raise _unsupported(f"{condition.key}: give exactly one of match or range")
    if isinstance(match, models.MatchValue):
        return _path_test(f"{path} ? (@ == $v0)", {"v0": match.value})
    if isinstance(match, models.MatchAny):
        values = {f"v{i}": v for i, v in enumerate(match.any)}
        if not values:
            return SqlCondition(sql.SQL("FALSE"))
        return _path_test(f"{path} ? ({' || '.join(f'@ == ${k}' for k in values)})", values)
    if isinstance(match, models.MatchExcept):
        values = {f"v{i}": v for i, v in enumerate(match.except_)}
        test = " || ".join(f"@ == ${k}" for k in values) or "false"
        return _path_test(f"{path} ? (!({test}) && @ != null)", values)
    if isinstance(range_, models.Range):
        bounds = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
        given = {k: getattr(range_, k) for k in bounds if getattr(range_, k) is not None}
        if not given:
            return _path_test(f'{path} ? (@.type() == "number")', {})
        test = " && ".join(f"@ {bounds[k]} ${k}" for k in given)
        return _path_test(f"{path} ? ({test})", given)
    raise _unsupported(f"{condition.key}: {type(match or range_).__name__}")


def _path_test(path: str, variables: dict[str, Any], *, negate: bool = False) -> SqlCondition:
    text: sql.Composable = sql.SQL("jsonb_path_exists(payload, %s::jsonpath, %s::jsonb)")
    if negate:
        text = sql.SQL("NOT {}").format(text)
    return SqlCondition(text, [path, json.dumps(variables)])


def json_path(key: str) -> str:
    """The lax SQL/JSON path of a dotted payload key (``a.b``, ``a[].b``), names quoted."""
    if not key:
        raise UnprocessableContentError("a filter key must not be empty")
    steps = []
    for part in key.split("."):
        name = part.removesuffix("[]")
        if not name:
            raise UnprocessableContentError(f"filter key {key[:100]!r} has an empty step")
        # A JSON string literal is a valid quoted path step.
        steps.append(json.dumps(name, ensure_ascii=False))
    return "$." + ".".join(steps)


def _unsupported(what: str) -> UnprocessableContentError:
    return UnprocessableContentError(
        f"the vector store does not support this filter condition: {what[:200]}"
    )
