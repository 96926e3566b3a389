"""HTTP load on ``POST /api/embeddings`` from a separate process, one sentence per request.

``python -m bench._embeddings_load URL REQUESTS CLIENTS`` prints JSON: per-request latencies
(seconds) and the wall time for all of them. CLIENTS concurrent clients (asyncio tasks, one
keep-alive connection each) send back to back until REQUESTS have been answered.

The client is a minimal HTTP/1.1 writer/reader on asyncio streams rather than an HTTP library:
client and server share the machine's two cores, and a load generator that spends a millisecond
of CPU per request (as a full client library does) would be measuring itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from urllib.parse import urlsplit

from bench._http_auth import auth_headers
from datasets.sentences import SENTENCES

WARMUP = 64


class Connection:
    """One keep-alive connection that POSTs JSON and reads whole responses."""

    def __init__(self, url: str, credentials: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        # The function key and a bearer JWT: formatted once, not per request.
        self.credentials = "".join(f"{name}: {value}\r\n" for name, value in credentials.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\n{self.credentials}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _body(sentence: str) -> bytes:
    return json.dumps({"texts": [sentence]}).encode()


async def run(url: str, requests: int, clients: int) -> dict[str, object]:
    sentences = itertools.cycle(SENTENCES)
    latencies: list[float] = []
    remaining = requests

    async def client(connection: Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            body = _body(next(sentences))
            begun = time.perf_counter()
            status = await connection.post(body)
            latencies.append(time.perf_counter() - begun)
            if status != 200:
                raise RuntimeError(f"HTTP {status}")

    credentials = auth_headers("bench-embeddings")
    connections = [Connection(url, credentials) for _ in range(clients)]
    for index in range(WARMUP):
        await connections[index % clients].post(_body(next(sentences)))
    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return {"latencies": latencies, "seconds": seconds}


if __name__ == "__main__":
    result = asyncio.run(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    print(json.dumps(result))
