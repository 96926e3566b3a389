"""Jobs test app for devhost's scaler: one HTTP function, and a ``jobs`` entry point (the
Container Apps job) that records its start and waits for SIGTERM."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
