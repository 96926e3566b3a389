"""An app mixing a classic func.HttpRequest function with an HTTP streams one: refused."""

import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="classic")
def classic(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("classic")


@app.route(route="streamed")
async def streamed(req: Request) -> Response:
    return Response("streamed")
