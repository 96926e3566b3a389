"""Request and response of ``POST /api/predict`` (schema 1.0). Pydantic only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"
SYMBOL_PATTERN = r"^[A-Za-z0-9.\-_/:]{1,32}$"
# Bounds that keep every computed value finite (values beyond them are not market data).
MAX_PRICE = 1e9
MIN_PRICE = 1e-6
MAX_QUANTITY = 1e12
MAX_CASH = 1e15


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


class Candle(_Strict):
    timestamp: datetime | None = None
    open: float = Field(gt=0, le=MAX_PRICE)
    high: float = Field(gt=0, le=MAX_PRICE)
    low: float = Field(gt=0, le=MAX_PRICE)
    close: float = Field(ge=MIN_PRICE, le=MAX_PRICE)
    volume: float = Field(default=0.0, ge=0, le=1e18)


class Position(_Strict):
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    quantity: float = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    average_price: float | None = Field(default=None, gt=0, le=MAX_PRICE)


class Portfolio(_Strict):
    cash: float = Field(ge=-MAX_CASH, le=MAX_CASH)
    positions: list[Position] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _unique_symbols(self) -> Portfolio:
        symbols = [p.symbol for p in self.positions]
        if len(set(symbols)) != len(symbols):
            raise ValueError("each symbol may appear in positions once")
        return self


class Constraints(_Strict):
    max_position_fraction: float = Field(
        default=0.2, gt=0, le=1, description="a position's value at most this share of equity"
    )
    min_cash_fraction: float = Field(
        default=0.05, ge=0, lt=1, description="buys keep at least this share of equity in cash"
    )
    allow_short: bool = False
    max_orders: int = Field(default=10, ge=0, le=100)
    max_order_value: float | None = Field(default=None, gt=0, le=MAX_CASH)
    limit_offset_bps: float = Field(default=10.0, ge=0, le=500)
    lot_size: float = Field(
        default=1.0, ge=1e-8, le=1e6, description="quantities are multiples of this"
    )
    symbols: list[str] | None = Field(default=None, description="only these may be traded")


class PredictRequest(_Strict):
    agent_id: str = Field(min_length=1, max_length=128)
    timestamp: datetime
    portfolio: Portfolio
    market: dict[str, list[Candle]] = Field(
        description="recent candles per symbol, oldest first", min_length=1, max_length=200
    )
    constraints: Constraints = Field(default_factory=Constraints)

    @model_validator(mode="after")
    def _market(self) -> PredictRequest:
        import re

        for symbol, candles in self.market.items():
            if not re.match(SYMBOL_PATTERN, symbol):
                raise ValueError(f"invalid symbol {symbol!r}")
            if not 1 <= len(candles) <= 2000:
                raise ValueError(f"{symbol}: between 1 and 2000 candles are required")
        return self


class Order(BaseModel):
    symbol: str
    side: Literal["buy", "sell"]
    quantity: float
    type: Literal["limit", "market"] = "limit"
    limit_price: float | None
    reasoning: str


class PredictResponse(BaseModel):
    agent_id: str
    timestamp: datetime
    orders: list[Order]
    reasoning: str
    model_version: str
    schema_version: str = SCHEMA_VERSION
    features: dict[str, dict[str, float]] = Field(default_factory=dict)
