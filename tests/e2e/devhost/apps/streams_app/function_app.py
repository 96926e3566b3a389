"""A minimal app in HTTP streams mode (the FastAPI extension), written the way Microsoft's docs
write one: no project code, so devhost is tested against the documented programming model."""

import asyncio

import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, StreamingResponse

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ticks/{count:int}", methods=["GET"])
async def ticks(req: Request) -> StreamingResponse:
    count = int(req.path_params["count"])

    async def events():
        for n in range(count):
            yield f"data: {n}\n\n".encode()
            await asyncio.sleep(0.4)

    return StreamingResponse(events(), media_type="text/event-stream")


@app.route(route="echo-size", methods=["POST"])
async def echo_size(req: Request) -> StreamingResponse:
    received = 0
    pieces = 0
    async for chunk in req.stream():
        received += len(chunk)
        pieces += 1

    async def answer():
        yield f"{received} {pieces}".encode()

    return StreamingResponse(answer(), media_type="text/plain")


@app.route(route="broken", methods=["GET"])
async def broken(req: Request) -> str:
    raise RuntimeError("boom")
