"""HTTP test app for devhost: routes, auth levels, sync/async, errors, slow requests."""

import asyncio
import json
import threading
import time

import azure.functions as func

# Default app-level auth is "function", as in the azure-functions library.
app = func.FunctionApp()

ANON = func.AuthLevel.ANONYMOUS


def _json(payload: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(payload), status_code=status, mimetype="application/json")


@app.route(methods=["GET"], auth_level=ANON)
def health(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"status": "ok"})


@app.route(route="items/{id:int}", methods=["GET"], auth_level=ANON)
def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"handler": "by_id", "route_params": dict(req.route_params)})


@app.route(route="items/{name}", methods=["GET"], auth_level=ANON)
def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"handler": "by_name", "route_params": dict(req.route_params)})


@app.route(route="items/special", methods=["GET"], auth_level=ANON)
def item_special(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"handler": "special", "route_params": dict(req.route_params)})


@app.route(route="items/{id:int}", methods=["DELETE"], auth_level=ANON)
def item_delete(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=204)


@app.route(route="files/{*path}", methods=["GET"], auth_level=ANON)
def files(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"route_params": dict(req.route_params)})


@app.route(route="optional/{value?}", methods=["GET"], auth_level=ANON)
def optional(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"route_params": dict(req.route_params)})


@app.route(
    route="typed/{flag:bool}/{uid:guid}/{big:long}/{ratio:double}/{word:alpha}",
    methods=["GET"],
    auth_level=ANON,
)
def typed(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"route_params": dict(req.route_params)})


@app.route(
    route="limits/{code:length(3)}/{n:range(1,10)}/{slug:regex(^ab+c$)}",
    methods=["GET"],
    auth_level=ANON,
)
def limits(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"route_params": dict(req.route_params)})


@app.route(route="echo", methods=["POST", "PUT"], auth_level=ANON)
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return _json(
        {
            "method": req.method,
            "url": req.url,
            "params": dict(req.params),
            "headers": dict(req.headers),
            "body": req.get_body().decode("utf-8"),
            "json": req.get_json()
            if req.headers.get("content-type") == "application/json"
            else None,
        }
    )


@app.route(route="respond", methods=["GET"], auth_level=ANON)
def respond(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse(
        b"\x00\x01binary",
        status_code=201,
        headers={"X-Custom": "one", "Cache-Control": "no-store"},
        mimetype="application/octet-stream",
    )
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2; Path=/")
    return response


@app.route(route="text", methods=["GET"], auth_level=ANON)
def text(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("héllo", mimetype="text/html", charset="utf-8")


@app.route(route="plain-string", methods=["GET"], auth_level=ANON)
def plain_string(req: func.HttpRequest) -> str:
    return "just a string"


@app.route(route="auth/function", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def auth_function(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"level": "function"})


@app.route(route="auth/admin", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def auth_admin(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"level": "admin"})


@app.route(route="auth/default", methods=["GET"])
def auth_default(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"level": "default"})


@app.route(route="sync", methods=["GET"], auth_level=ANON)
def sync_handler(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return _json(
        {
            "thread": threading.current_thread().name,
            "invocation_id": context.invocation_id,
            "function_name": context.function_name,
            "function_directory": context.function_directory,
            "thread_local_invocation_id": getattr(
                context.thread_local_storage, "invocation_id", None
            ),
            "trace_parent": context.trace_context.trace_parent,
        }
    )


@app.route(route="async", methods=["GET"], auth_level=ANON)
async def async_handler(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    await asyncio.sleep(0)
    return _json(
        {"thread": threading.current_thread().name, "invocation_id": context.invocation_id}
    )


@app.route(route="boom", methods=["GET"], auth_level=ANON)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom: the handler failed")


@app.route(route="returns-none", methods=["GET"], auth_level=ANON)
def returns_none(req: func.HttpRequest) -> None:
    return None


@app.route(route="slow", methods=["GET"], auth_level=ANON)
def slow(req: func.HttpRequest) -> func.HttpResponse:
    seconds = float(req.params.get("seconds", "1"))
    time.sleep(seconds)
    return _json({"slept": seconds})
