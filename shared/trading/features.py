"""Features of one symbol's recent candles (pure Python: a few hundred numbers per request).

``FEATURE_NAMES`` is also the column order a registered trading model is trained on.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence

FEATURE_NAMES = (
    "return_1",  # last close over the one before, minus 1
    "return_5",  # over 5 bars
    "momentum_20",  # over 20 bars (or as many as there are)
    "volatility_20",  # standard deviation of 1-bar returns over the last 20
    "rsi_14",  # Wilder's relative strength index, 0-100
    "sma_ratio_20",  # close over its 20-bar simple moving average, minus 1
    "range_position_20",  # where the close sits in the 20-bar high-low range, 0-1
)


def _change(closes: Sequence[float], bars: int) -> float:
    back = min(bars, len(closes) - 1)
    return closes[-1] / closes[-1 - back] - 1.0 if back > 0 else 0.0


def rsi(closes: Sequence[float], period: int = 14) -> float:
    """Wilder's RSI over up to ``period`` changes; 50 when there is no change at all."""
    changes = [b - a for a, b in itertools.pairwise(closes)][-period:]
    if not changes:
        return 50.0
    gains = sum(c for c in changes if c > 0) / len(changes)
    losses = sum(-c for c in changes if c < 0) / len(changes)
    if losses == 0:
        return 100.0 if gains > 0 else 50.0
    return 100.0 - 100.0 / (1.0 + gains / losses)


def compute(
    closes: Sequence[float], highs: Sequence[float], lows: Sequence[float]
) -> dict[str, float]:
    """Every feature of ``FEATURE_NAMES`` (oldest first); needs at least one candle."""
    returns = [b / a - 1.0 for a, b in itertools.pairwise(closes)][-20:]
    window = closes[-20:]
    sma = statistics.fmean(window)
    high, low = max(highs[-20:]), min(lows[-20:])
    values = {
        "return_1": _change(closes, 1),
        "return_5": _change(closes, 5),
        "momentum_20": _change(closes, 20),
        "volatility_20": statistics.pstdev(returns) if len(returns) >= 2 else 0.0,
        "rsi_14": rsi(closes),
        "sma_ratio_20": closes[-1] / sma - 1.0,
        "range_position_20": (closes[-1] - low) / (high - low) if high > low else 0.5,
    }
    return {k: (v if math.isfinite(v) else 0.0) for k, v in values.items()}
