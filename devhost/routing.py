"""Route templates and route matching, the way the Functions host does it.

Pure logic, no I/O. The host registers every HTTP function as an ASP.NET Core route template
``{routePrefix}/{route}``; this module reproduces the parts of that syntax that HTTP functions
use:

* literal segments, matched case-insensitively (``items``, ``v1``);
* parameters ``{id}``, optional parameters ``{id?}``, defaults ``{id=5}``;
* catch-all parameters ``{*rest}`` / ``{**rest}`` (last segment only, may match nothing);
* complex segments mixing literals and parameters (``{name}.{ext}``);
* inline constraints, chained with ``:``: ``int``, ``long``, ``bool``, ``guid``, ``double``,
  ``float``, ``decimal``, ``datetime``, ``alpha``, ``required``, ``file``, ``nonfile``,
  ``minlength(n)``, ``maxlength(n)``, ``length(n)``, ``length(min,max)``, ``min(n)``,
  ``max(n)``, ``range(min,max)`` and ``regex(expression)``.

When several templates match a path, the most specific one wins, compared segment by segment
from the left: a literal segment beats a complex segment, which beats a constrained parameter,
which beats a plain parameter, which beats a catch-all (ASP.NET "inbound precedence").
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_FLOAT = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_DECIMAL = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")
_ALPHA = re.compile(r"[A-Za-z]+")
_NAME = re.compile(r"[^{}/?*:=\s]+")


class RouteTemplateError(ValueError):
    """A route template the host would refuse (bad syntax or an unknown constraint)."""


Constraint = Callable[[str], bool]


@dataclass(frozen=True)
class Parameter:
    """One ``{...}`` route parameter."""

    name: str
    constraints: tuple[Constraint, ...]
    optional: bool
    default: str | None
    catch_all: bool

    def accepts(self, value: str) -> bool:
        """Whether ``value`` (already percent-decoded) satisfies every inline constraint."""
        return all(check(value) for check in self.constraints)


Part = str | Parameter


@dataclass(frozen=True)
class Segment:
    """One ``/``-separated piece of a template: literal text and parameters."""

    parts: tuple[Part, ...]
    pattern: re.Pattern[str] | None  # only for complex segments (more than one part)

    @property
    def parameter(self) -> Parameter | None:
        """The parameter when the segment is exactly one parameter, else None."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Parameter):
            return self.parts[0]
        return None

    @property
    def literal(self) -> str | None:
        """The text when the segment is exactly one literal, else None."""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return None

    def precedence(self) -> int:
        """ASP.NET inbound precedence digit: lower is more specific."""
        if self.literal is not None:
            return 1
        param = self.parameter
        if param is None:
            return 2
        if param.catch_all:
            return 5
        return 3 if param.constraints else 4

    def can_be_absent(self) -> bool:
        """Whether a path may stop before this segment (optional, default or catch-all)."""
        param = self.parameter
        return param is not None and (
            param.optional or param.default is not None or param.catch_all
        )


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template; build it with :func:`parse_template`."""

    text: str
    segments: tuple[Segment, ...]

    def precedence_key(self) -> Decimal:
        """Sort key: lower values are more specific and are tried first."""
        digits = [seg.precedence() for seg in self.segments]
        if not digits:
            return Decimal(0)
        return Decimal(f"{digits[0]}." + "".join(str(d) for d in digits[1:]) + "0")

    def match(self, path_segments: Sequence[str]) -> dict[str, str] | None:
        """Route values for raw (still percent-encoded) ``path_segments``, or None if no match.

        Values are percent-decoded. Absent optional parameters are left out; absent parameters
        with a default get the default.
        """
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            param = segment.parameter
            if param is not None and param.catch_all:
                return _match_catch_all(param, path_segments[index:], values)
            if index < len(path_segments):
                if not _match_segment(segment, path_segments[index], values):
                    return None
            elif not segment.can_be_absent():
                return None
            elif param is not None and param.default is not None:
                values[param.name] = param.default
        if len(path_segments) > len(self.segments):
            return None
        return values


def _match_catch_all(
    param: Parameter, rest: Sequence[str], values: dict[str, str]
) -> dict[str, str] | None:
    value = unquote("/".join(rest)) or param.default
    if value is None:
        return values
    if not param.accepts(value):
        return None
    values[param.name] = value
    return values


def _match_segment(segment: Segment, raw: str, values: dict[str, str]) -> bool:
    literal = segment.literal
    if literal is not None:
        return unquote(raw).casefold() == literal.casefold()
    param = segment.parameter
    if param is not None:
        value = unquote(raw)
        if not value or not param.accepts(value):
            return False
        values[param.name] = value
        return True
    assert segment.pattern is not None
    found = segment.pattern.fullmatch(unquote(raw))
    if found is None:
        return False
    params = [part for part in segment.parts if isinstance(part, Parameter)]
    for group, param in enumerate(params, start=1):
        value = found.group(group)
        if not param.accepts(value):
            return False
        values[param.name] = value
    return True


def parse_template(text: str) -> RouteTemplate:
    """Parse a route template such as ``items/{id:int}/{*rest}``.

    A leading ``/`` or ``~/`` and one trailing ``/`` are ignored. Raises RouteTemplateError for
    anything the host would reject at start-up.
    """
    body = text.strip()
    body = body.removeprefix("~").removeprefix("/").removesuffix("/")
    if not body:
        return RouteTemplate(text=text, segments=())
    segments = tuple(_parse_segment(raw, text) for raw in body.split("/"))
    _validate(segments, text)
    return RouteTemplate(text=text, segments=segments)


def _validate(segments: tuple[Segment, ...], text: str) -> None:
    names: set[str] = set()
    for index, segment in enumerate(segments):
        params = [p for p in segment.parts if isinstance(p, Parameter)]
        for param in params:
            key = param.name.casefold()
            if key in names:
                raise RouteTemplateError(f"route {text!r}: parameter {param.name!r} appears twice")
            names.add(key)
            if param.catch_all and (segment.parameter is None or index != len(segments) - 1):
                raise RouteTemplateError(
                    f"route {text!r}: a catch-all parameter must be the whole last segment"
                )
            if (param.optional or param.default is not None) and segment.parameter is None:
                raise RouteTemplateError(
                    f"route {text!r}: an optional parameter cannot share a segment with others"
                )
        if any(isinstance(a, Parameter) and isinstance(b, Parameter) for a, b in _pairs(segment)):
            raise RouteTemplateError(
                f"route {text!r}: two parameters in one segment need a literal between them"
            )
    # Once a segment may be absent, every later one must be too, or the path cannot stop there.
    seen_absent = False
    for segment in segments:
        if segment.can_be_absent():
            seen_absent = True
        elif seen_absent:
            raise RouteTemplateError(
                f"route {text!r}: optional parameters are only allowed in the last segments"
            )


def _pairs(segment: Segment) -> Iterable[tuple[Part, Part]]:
    return zip(segment.parts, segment.parts[1:], strict=False)


def _parse_segment(raw: str, text: str) -> Segment:
    if not raw:
        raise RouteTemplateError(f"route {text!r}: empty segment (two '/' in a row)")
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if raw.startswith("{{", i) or raw.startswith("}}", i):
            literal.append(char)
            i += 2
        elif char == "{":
            end = _parameter_end(raw, i + 1, text)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(
                _parse_parameter(raw[i + 1 : end].replace("{{", "{").replace("}}", "}"), text)
            )
            i = end + 1
        elif char == "}":
            raise RouteTemplateError(f"route {text!r}: unmatched '}}'")
        else:
            literal.append(char)
            i += 1
    if literal:
        parts.append("".join(literal))
    pattern = None
    if len(parts) > 1:
        regex = "".join(
            "(.+)" if isinstance(part, Parameter) else re.escape(part) for part in parts
        )
        pattern = re.compile(regex, re.IGNORECASE | re.DOTALL)
    return Segment(parts=tuple(parts), pattern=pattern)


def _parameter_end(raw: str, start: int, text: str) -> int:
    """Index of the ``}`` closing the parameter that starts at ``start`` (``}}`` is escaped)."""
    depth = 0
    i = start
    while i < len(raw):
        if raw.startswith("{{", i) or raw.startswith("}}", i):
            i += 2
            continue
        char = raw[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "}" and depth == 0:
            return i
        elif char == "{" and depth == 0:
            break
        i += 1
    raise RouteTemplateError(f"route {text!r}: unterminated parameter")


def _parse_parameter(spec: str, text: str) -> Parameter:
    catch_all = spec.startswith("*")
    spec = spec.lstrip("*")
    found = _NAME.match(spec)
    if found is None:
        raise RouteTemplateError(f"route {text!r}: parameter without a name")
    name = found.group()
    rest = spec[found.end() :]
    constraints: list[Constraint] = []
    while rest.startswith(":"):
        raw_constraint, rest = _take_constraint(rest[1:], text)
        constraints.append(_build_constraint(raw_constraint, text))
    optional = False
    default: str | None = None
    if rest == "?":
        optional = True
    elif rest.startswith("="):
        default = rest[1:]
    elif rest:
        raise RouteTemplateError(f"route {text!r}: cannot parse parameter {{{spec}}}")
    if catch_all and optional:
        raise RouteTemplateError(f"route {text!r}: a catch-all parameter cannot be optional")
    return Parameter(
        name=name,
        constraints=tuple(constraints),
        optional=optional,
        default=default,
        catch_all=catch_all,
    )


def _take_constraint(spec: str, text: str) -> tuple[str, str]:
    """Split ``spec`` into the first constraint (with its parenthesised argument) and the rest."""
    depth = 0
    for i, char in enumerate(spec):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and (char in ":=" or (char == "?" and i == len(spec) - 1)):
            return spec[:i], spec[i:]
    if depth != 0:
        raise RouteTemplateError(f"route {text!r}: unbalanced parentheses in a constraint")
    return spec, ""


def _build_constraint(raw: str, text: str) -> Constraint:
    name, _, arg = raw.partition("(")
    name = name.strip().lower()
    if arg:
        if not arg.endswith(")"):
            raise RouteTemplateError(f"route {text!r}: bad constraint {raw!r}")
        arg = arg[:-1]
    simple = _SIMPLE_CONSTRAINTS.get(name)
    if simple is not None and not arg:
        return simple
    try:
        factory = _ARGUMENT_CONSTRAINTS[name]
    except KeyError:
        raise RouteTemplateError(
            f"route {text!r}: unknown or malformed constraint {raw!r}"
        ) from None
    try:
        return factory(arg)
    except (ValueError, re.error) as exc:
        raise RouteTemplateError(f"route {text!r}: bad constraint {raw!r}: {exc}") from None


def _integer_in(bounds: tuple[int, int]) -> Constraint:
    def check(value: str) -> bool:
        return bool(_INTEGER.fullmatch(value)) and bounds[0] <= int(value) <= bounds[1]

    return check


def _is_float(value: str) -> bool:
    return bool(_FLOAT.fullmatch(value)) and math.isfinite(float(value))


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value.strip())
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


_SIMPLE_CONSTRAINTS: dict[str, Constraint] = {
    "int": _integer_in(_INT32),
    "long": _integer_in(_INT64),
    "bool": lambda v: v.strip().lower() in {"true", "false"},
    "guid": _is_guid,
    "double": _is_float,
    "float": _is_float,
    "decimal": lambda v: bool(_DECIMAL.fullmatch(v)),
    "datetime": _is_datetime,
    "alpha": lambda v: bool(_ALPHA.fullmatch(v)),
    "required": bool,
    "file": lambda v: "." in v.rsplit("/", 1)[-1],
    "nonfile": lambda v: "." not in v.rsplit("/", 1)[-1],
}


def _ints(arg: str, count: int) -> list[int]:
    values = [int(piece) for piece in arg.split(",")]
    if len(values) != count:
        raise ValueError(f"expected {count} integer argument(s)")
    return values


def _long_value(value: str) -> int | None:
    return int(value) if _integer_in(_INT64)(value) else None


def _min_length(arg: str) -> Constraint:
    (low,) = _ints(arg, 1)
    return lambda v: len(v) >= low


def _max_length(arg: str) -> Constraint:
    (high,) = _ints(arg, 1)
    return lambda v: len(v) <= high


def _length(arg: str) -> Constraint:
    if "," in arg:
        low, high = _ints(arg, 2)
        return lambda v: low <= len(v) <= high
    (exact,) = _ints(arg, 1)
    return lambda v: len(v) == exact


def _min(arg: str) -> Constraint:
    (low,) = _ints(arg, 1)

    def check(value: str) -> bool:
        number = _long_value(value)
        return number is not None and number >= low

    return check


def _max(arg: str) -> Constraint:
    (high,) = _ints(arg, 1)

    def check(value: str) -> bool:
        number = _long_value(value)
        return number is not None and number <= high

    return check


def _range(arg: str) -> Constraint:
    low, high = _ints(arg, 2)

    def check(value: str) -> bool:
        number = _long_value(value)
        return number is not None and low <= number <= high

    return check


def _regex(arg: str) -> Constraint:
    # ASP.NET uses Regex.IsMatch (unanchored, case-insensitive): templates anchor with ^...$.
    pattern = re.compile(arg, re.IGNORECASE)
    return lambda v: pattern.search(v) is not None


_ARGUMENT_CONSTRAINTS: dict[str, Callable[[str], Constraint]] = {
    "minlength": _min_length,
    "maxlength": _max_length,
    "length": _length,
    "min": _min,
    "max": _max,
    "range": _range,
    "regex": _regex,
}


def split_path(raw_path: str) -> list[str]:
    """Split a raw URL path into its still percent-encoded segments.

    One trailing ``/`` is ignored, as ASP.NET routing does; ``/`` alone gives no segments.
    """
    body = raw_path.removeprefix("/").removesuffix("/")
    return body.split("/") if body else []


@dataclass(frozen=True)
class Route(Generic[T]):
    """A template bound to the methods it accepts (None: every method) and a target."""

    template: RouteTemplate
    methods: frozenset[str] | None
    target: T


@dataclass(frozen=True)
class RouteMatch(Generic[T]):
    """Result of :meth:`RouteTable.match`."""

    route: Route[T] | None
    values: dict[str, str]
    path_matched: bool

    @property
    def method_mismatch(self) -> bool:
        """A template matched the path but none of them accepts the method."""
        return self.route is None and self.path_matched


class RouteTable(Generic[T]):
    """The HTTP functions' routes under one route prefix, ordered by precedence."""

    def __init__(self, prefix: str, routes: Iterable[Route[T]]) -> None:
        self._prefix = [unquote(p).casefold() for p in split_path(prefix.strip())]
        self._routes = sorted(
            routes, key=lambda r: (r.template.precedence_key(), r.template.text.casefold())
        )

    @property
    def routes(self) -> Sequence[Route[T]]:
        """Routes in the order they are tried."""
        return self._routes

    def strip_prefix(self, raw_path: str) -> list[str] | None:
        """Path segments after the route prefix, or None when the path is outside the prefix."""
        segments = split_path(raw_path)
        head = segments[: len(self._prefix)]
        if [unquote(s).casefold() for s in head] != self._prefix:
            return None
        return segments[len(self._prefix) :]

    def match(self, method: str, raw_path: str) -> RouteMatch[T]:
        """Find the route for ``method`` and the raw (percent-encoded) URL path."""
        segments = self.strip_prefix(raw_path)
        if segments is None:
            return RouteMatch(route=None, values={}, path_matched=False)
        method = method.upper()
        path_matched = False
        for route in self._routes:
            values = route.template.match(segments)
            if values is None:
                continue
            path_matched = True
            if route.methods is None or method in route.methods:
                return RouteMatch(route=route, values=values, path_matched=True)
        return RouteMatch(route=None, values={}, path_matched=path_matched)
