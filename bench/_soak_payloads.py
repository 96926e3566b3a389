"""Request bodies shared by the soak's load (a locust process) and its controller, which must not
import locust: locust monkey-patches the standard library with gevent on import."""

from __future__ import annotations

from typing import Any

PREDICT_BODY: dict[str, Any] = {
    "agent_id": "soak",
    "timestamp": "2026-01-01T00:00:00Z",
    "portfolio": {"cash": 100_000, "positions": [{"symbol": "MSFT", "quantity": 50}]},
    "market": {
        symbol: [
            {"open": p, "high": p * 1.01, "low": p * 0.99, "close": p, "volume": 1000}
            for p in (100.0 + i * (0.3 if symbol == "AAPL" else -0.2) for i in range(40))
        ]
        for symbol in ("AAPL", "MSFT")
    },
}
