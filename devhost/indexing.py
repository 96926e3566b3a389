"""Import the function app and turn its functions into descriptors devhost can serve.

Contract: :func:`index_app` puts the script root first on ``sys.path``, imports the script file
(``function_app.py``, or ``PYTHON_SCRIPT_FILE_NAME``) as the Python worker does, finds the one
``FunctionApp`` (any ``azure.functions.FunctionRegister``) at module level, calls its
``get_functions()`` exactly once (a second call raises "does not have a unique function name")
and returns :class:`HttpFunction` / :class:`QueueFunction` descriptors built from each
function's ``function.json`` view. Anything devhost cannot serve the way the host would (another
binding type, parameters the worker would reject, an unknown route constraint, a queue name
setting that is not set) raises :class:`IndexingError` naming the function and the reason.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import os
import re
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func

from devhost.routing import RouteTemplate, RouteTemplateError, parse_template

logger = logging.getLogger(__name__)

DEFAULT_SCRIPT_FILE = "function_app.py"
DEFAULT_STORAGE_CONNECTION = "AzureWebJobsStorage"
CONTEXT_PARAM = "context"
AUTH_LEVELS = ("anonymous", "function", "admin")

_SETTING_EXPRESSION = re.compile(r"%([^%]+)%")
_QUEUE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


class IndexingError(RuntimeError):
    """The app cannot be served; the message names the function and the reason."""


@dataclass(frozen=True)
class FunctionDescriptor:
    """What every served function has: its name, the Python callable and how to call it."""

    name: str
    func: Callable[..., Any]
    is_async: bool
    trigger_param: str
    pass_context: bool
    directory: Path


@dataclass(frozen=True)
class HttpFunction(FunctionDescriptor):
    """An HTTP-triggered function with the ``$return`` HTTP output."""

    route: RouteTemplate
    methods: frozenset[str] | None  # None: every method
    auth_level: str  # one of AUTH_LEVELS
    streams: bool = False  # HTTP streams mode: takes a Starlette Request, returns a Response


@dataclass(frozen=True)
class QueueFunction(FunctionDescriptor):
    """A queue-triggered function; ``queue_name`` has its %setting% expressions resolved."""

    queue_name: str
    connection: str  # name of the app setting holding the connection string
    body_type: str  # "message" (QueueMessage), "str" or "bytes": the trigger annotation


@dataclass(frozen=True)
class IndexedApp:
    """Result of :func:`index_app`."""

    functions: tuple[FunctionDescriptor, ...]
    disabled: tuple[str, ...]

    @property
    def http_functions(self) -> list[HttpFunction]:
        """HTTP functions in declaration order."""
        return [f for f in self.functions if isinstance(f, HttpFunction)]

    @property
    def queue_functions(self) -> list[QueueFunction]:
        """Queue functions in declaration order."""
        return [f for f in self.functions if isinstance(f, QueueFunction)]


def import_app(script_root: Path) -> tuple[Path, func.FunctionRegister]:
    """Import the script file from ``script_root`` and return it with its FunctionApp."""
    script_name = os.environ.get("PYTHON_SCRIPT_FILE_NAME") or DEFAULT_SCRIPT_FILE
    script = script_root / script_name
    if not script.is_file():
        raise IndexingError(f"{script} not found: nothing to serve")
    root = str(script_root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    try:
        module = importlib.import_module(script.stem)
    except Exception as exc:
        raise IndexingError(f"importing {script} failed: {exc!r}") from exc
    apps = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(apps) != 1:
        raise IndexingError(
            f"{script} must define exactly one FunctionApp at module level, found {len(apps)}"
        )
    return script, apps[0]


def index_app(
    script_root: Path,
    *,
    only: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> IndexedApp:
    """Import the app under ``script_root`` and describe its enabled functions.

    ``only`` is host.json's ``functions`` list; ``environ`` (default ``os.environ``) resolves
    ``%setting%`` expressions and ``AzureWebJobs.<name>.Disabled`` switches.
    """
    env = os.environ if environ is None else environ
    script, app = import_app(script_root)
    try:
        functions = app.get_functions()
    except Exception as exc:
        raise IndexingError(f"indexing {script} failed: {exc}") from exc
    described: list[FunctionDescriptor] = []
    disabled: list[str] = []
    for function in functions:
        name = function.get_function_name() or function.get_user_function().__name__
        if (only is not None and name not in only) or _is_disabled(name, env):
            disabled.append(name)
            continue
        described.append(_describe(function, name, script_root, env))
    check_streams_mode([f for f in described if isinstance(f, HttpFunction)])
    return IndexedApp(functions=tuple(described), disabled=tuple(disabled))


def _is_disabled(name: str, env: Mapping[str, str]) -> bool:
    value = env.get(f"AzureWebJobs.{name}.Disabled", "")
    return value.strip().lower() in {"true", "1"}


def _describe(
    function: func.Function, name: str, script_root: Path, env: Mapping[str, str]
) -> FunctionDescriptor:
    spec = json.loads(function.get_function_json())
    bindings: list[dict[str, Any]] = spec.get("bindings", [])
    user_func = function.get_user_function()
    triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
    if len(triggers) != 1:
        raise IndexingError(f"function {name!r}: expected exactly one trigger binding")
    trigger = triggers[0]
    others = [b for b in bindings if b is not trigger]
    _check_parameters(name, user_func, bindings)
    params = inspect.signature(user_func).parameters
    common: dict[str, Any] = {
        "name": name,
        "func": user_func,
        "is_async": inspect.iscoroutinefunction(user_func),
        "trigger_param": str(trigger["name"]),
        "pass_context": CONTEXT_PARAM in params,
        "directory": script_root,
    }
    kind = trigger.get("type")
    if kind == "httpTrigger":
        if [(b.get("type"), b.get("name")) for b in others] != [("http", "$return")]:
            raise IndexingError(
                f"function {name!r}: devhost serves HTTP functions with exactly one output, "
                f"the HTTP '$return'; found {_binding_list(others)}"
            )
        return _http_function(name, trigger, common)
    if kind == "queueTrigger":
        if others:
            raise IndexingError(
                f"function {name!r}: devhost serves queue triggers without other bindings; "
                f"found {_binding_list(others)}"
            )
        return _queue_function(name, trigger, user_func, env, common)
    raise IndexingError(
        f"function {name!r}: trigger type {kind!r} is not supported by devhost "
        "(only httpTrigger and queueTrigger); run it under 'func start'"
    )


def _binding_list(bindings: list[dict[str, Any]]) -> str:
    return ", ".join(f"{b.get('type')}:{b.get('name')}" for b in bindings) or "none"


def _check_parameters(
    name: str, user_func: Callable[..., Any], bindings: list[dict[str, Any]]
) -> None:
    """Reject signatures the Python worker would reject at indexing time."""
    declared = {str(b["name"]) for b in bindings if b.get("name") != "$return"}
    params = set(inspect.signature(user_func).parameters) - {CONTEXT_PARAM}
    if params - declared:
        raise IndexingError(
            f"function {name!r}: parameters {sorted(params - declared)} are declared in Python "
            "but not bound"
        )
    if declared - params:
        raise IndexingError(
            f"function {name!r}: bindings {sorted(declared - params)} have no matching parameter"
        )


def _http_function(name: str, trigger: dict[str, Any], common: dict[str, Any]) -> HttpFunction:
    route_text = trigger.get("route")
    if route_text is None:
        route_text = name
    try:
        route = parse_template(str(route_text))
    except RouteTemplateError as exc:
        raise IndexingError(f"function {name!r}: {exc}") from exc
    raw_methods = trigger.get("methods")
    methods = frozenset(str(m).upper() for m in raw_methods) if raw_methods else None
    auth_level = str(trigger.get("authLevel") or "function").lower()
    if auth_level not in AUTH_LEVELS:
        raise IndexingError(f"function {name!r}: unknown authLevel {auth_level!r}")
    return HttpFunction(
        route=route,
        methods=methods,
        auth_level=auth_level,
        streams=takes_streams_request(common["func"], common["trigger_param"]),
        **common,
    )


def takes_streams_request(user_func: Callable[..., Any], param: str) -> bool:
    """Whether the trigger parameter is annotated with a Starlette/FastAPI ``Request``: the
    worker then serves the function in HTTP streams mode (as with the FastAPI extension)."""
    from starlette.requests import Request

    try:
        annotation = typing.get_type_hints(user_func).get(param)
    except Exception:
        annotation = inspect.signature(user_func).parameters[param].annotation
    return inspect.isclass(annotation) and issubclass(annotation, Request)


def check_streams_mode(functions: Sequence[HttpFunction]) -> None:
    """HTTP streams mode is all or nothing for an app, as on the real host: once the web
    extension is in use, classic ``func.HttpRequest`` functions stop working. A mix is refused
    at start, naming a function of each kind."""
    streamed = [f.name for f in functions if f.streams]
    classic = [f.name for f in functions if not f.streams]
    if streamed and classic:
        raise IndexingError(
            f"function {classic[0]!r} takes func.HttpRequest but {streamed[0]!r} uses HTTP "
            "streams (a Starlette Request): an app serves HTTP one way or the other"
        )


def resolve_setting_expressions(text: str, env: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` with the app setting NAME, as the host does for binding properties."""

    def lookup(found: re.Match[str]) -> str:
        key = found.group(1)
        if key not in env:
            raise KeyError(key)
        return env[key]

    return _SETTING_EXPRESSION.sub(lookup, text)


def _queue_function(
    name: str,
    trigger: dict[str, Any],
    user_func: Callable[..., Any],
    env: Mapping[str, str],
    common: dict[str, Any],
) -> QueueFunction:
    raw_queue = str(trigger.get("queueName", ""))
    try:
        queue_name = resolve_setting_expressions(raw_queue, env)
    except KeyError as exc:
        raise IndexingError(
            f"function {name!r}: queue name {raw_queue!r} uses app setting {exc.args[0]!r}, "
            "which is not set"
        ) from None
    if not _QUEUE_NAME.fullmatch(queue_name):
        raise IndexingError(
            f"function {name!r}: {queue_name!r} is not a valid queue name (3-63 lowercase "
            "letters, digits and single hyphens)"
        )
    connection = str(trigger.get("connection") or DEFAULT_STORAGE_CONNECTION)
    return QueueFunction(
        queue_name=queue_name,
        connection=connection,
        body_type=_queue_body_type(user_func, common["trigger_param"]),
        **common,
    )


def _queue_body_type(user_func: Callable[..., Any], param: str) -> str:
    try:
        hint = typing.get_type_hints(user_func).get(param)
    except Exception:
        # Unresolvable annotations: the worker falls back to the QueueMessage object too.
        hint = None
    if hint is str:
        return "str"
    if hint is bytes:
        return "bytes"
    return "message"


def function_table(app: IndexedApp, base_url: str, route_prefix: str) -> str:
    """The "Functions:" listing ``func start`` prints, one line per function."""
    lines = ["Functions:"]
    for function in app.functions:
        if isinstance(function, HttpFunction):
            methods = ",".join(sorted(function.methods)) if function.methods else "ALL"
            path = "/".join(p for p in (route_prefix, function.route.text.strip("/")) if p)
            lines.append(f"  {function.name}: [{methods}] {base_url}/{path}")
        elif isinstance(function, QueueFunction):
            lines.append(f"  {function.name}: queueTrigger ({function.queue_name})")
    lines.extend(f"  {name}: disabled" for name in app.disabled)
    return "\n".join(lines)
