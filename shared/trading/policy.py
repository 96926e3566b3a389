"""The rule-based baseline signal and the risk layer every order goes through.

Baseline (``baseline-rules-1``), per symbol, from its features:

- momentum: +1 when ``momentum_20`` > +2 %, -1 when < -2 %;
- trend: +1 when ``sma_ratio_20`` > +0.5 %, -1 when < -0.5 %;
- mean reversion: -1 when ``rsi_14`` > 70 (overbought), +1 when < 30 (oversold);
- signal = sum / 3, in [-1, 1]; it acts at |signal| >= 0.5 (two votes net).

Risk layer (always, whatever produced the signal):

- equity = cash + positions at the last close (average price when the symbol has no candles);
- target weight = ``max_position_fraction`` x signal x min(1, 2 % / ``volatility_20``);
- a buy never takes a position over ``max_position_fraction`` of equity, and all buys together
  (at their limit price) never spend cash below ``min_cash_fraction`` of equity; sale proceeds are
  not counted (the orders may not fill);
- a sell signal closes the long position; without ``allow_short`` a sell never exceeds the held
  quantity, with it a short never exceeds the position cap;
- a position already over the cap is trimmed to it;
- quantities are whole multiples of ``lot_size``; each order at most ``max_order_value``; at
  most ``max_orders`` orders, sells first; only ``constraints.symbols`` when given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shared.trading.api import Constraints, Order, Portfolio
from shared.trading.state import BASELINE_VERSION

ACT_THRESHOLD = 0.5
TARGET_VOLATILITY = 0.02


@dataclass
class Signal:
    value: float  # -1 (sell) .. +1 (buy)
    drivers: list[str] = field(default_factory=list)
    source: str = BASELINE_VERSION


def baseline_signal(features: dict[str, float]) -> Signal:
    votes = 0
    drivers: list[str] = []
    momentum = features["momentum_20"]
    if momentum > 0.02:
        votes += 1
        drivers.append(f"momentum_20 {momentum:+.2%} (up)")
    elif momentum < -0.02:
        votes -= 1
        drivers.append(f"momentum_20 {momentum:+.2%} (down)")
    trend = features["sma_ratio_20"]
    if trend > 0.005:
        votes += 1
        drivers.append(f"sma_ratio_20 {trend:+.2%} (above average)")
    elif trend < -0.005:
        votes -= 1
        drivers.append(f"sma_ratio_20 {trend:+.2%} (below average)")
    rsi = features["rsi_14"]
    if rsi > 70:
        votes -= 1
        drivers.append(f"rsi_14 {rsi:.0f} (overbought)")
    elif rsi < 30:
        votes += 1
        drivers.append(f"rsi_14 {rsi:.0f} (oversold)")
    return Signal(votes / 3, drivers or ["no feature past its threshold"])


def _floor_lot(quantity: float, lot: float) -> float:
    if quantity <= 0:
        return 0.0
    lots = math.floor(quantity / lot + 1e-9)
    return round(lots * lot, 10)


def _tick(price: float, *, up: bool) -> float:
    """``price`` on a 1e-6 grid, rounded away from the market: a buy limit never below the
    last close, a sell limit never above it."""
    scaled = price * 1_000_000
    ticks = math.ceil(scaled - 1e-6) if up else math.floor(scaled + 1e-6)
    value = ticks / 1_000_000
    if up and value < price:
        value = (ticks + 1) / 1_000_000
    if not up and value > price:
        value = (ticks - 1) / 1_000_000
    return value if value > 0 else price


@dataclass
class Decision:
    orders: list[Order]
    notes: list[str]


def decide(  # noqa: PLR0912, PLR0915 - the risk rules read best in one place
    portfolio: Portfolio,
    prices: dict[str, float],
    volatility: dict[str, float],
    signals: dict[str, Signal],
    constraints: Constraints,
) -> Decision:
    """Orders for ``signals`` within every risk limit (see the module docstring)."""
    held = {p.symbol: p.quantity for p in portfolio.positions}
    equity = portfolio.cash
    for position in portfolio.positions:
        price = prices.get(position.symbol, position.average_price or 0.0)
        equity += position.quantity * price
    cap_value = max(0.0, constraints.max_position_fraction * equity)
    offset = constraints.limit_offset_bps / 10_000
    lot = constraints.lot_size
    allowed = set(constraints.symbols) if constraints.symbols is not None else None
    notes: list[str] = []
    sells: list[Order] = []
    buys: list[tuple[float, str, float]] = []  # (signal, symbol, wanted value)

    for symbol in sorted(signals):
        signal = signals[symbol]
        price = prices[symbol]
        if allowed is not None and symbol not in allowed:
            notes.append(f"{symbol}: not in constraints.symbols, no order")
            continue
        quantity = held.get(symbol, 0.0)
        current = quantity * price
        vol = volatility.get(symbol, 0.0)
        vol_scale = min(1.0, TARGET_VOLATILITY / vol) if vol > 0 else 1.0
        drivers = "; ".join(signal.drivers)
        if signal.value >= ACT_THRESHOLD and equity > 0:
            target = min(cap_value, cap_value * signal.value * vol_scale)
            if target > current:
                buys.append((signal.value, symbol, target - current))
            else:
                notes.append(f"{symbol}: buy signal {signal.value:+.2f} but already at target")
            continue
        limit_price = _tick(price * (1 - offset), up=False)
        if signal.value <= -ACT_THRESHOLD:
            if constraints.allow_short and equity > 0:
                target = max(-cap_value, cap_value * signal.value * vol_scale)
                sell_value = current - target
                why = f"signal {signal.value:+.2f} ({signal.source}): {drivers}"
                limit = f"short limited to {constraints.max_position_fraction:.0%} of equity"
            else:
                sell_value = max(0.0, current)
                why = f"signal {signal.value:+.2f} ({signal.source}): {drivers}"
                limit = "closes the long position; no shorting"
        elif current > cap_value:
            sell_value = current - cap_value
            why = f"position {current / equity:.1%} of equity" if equity > 0 else "equity <= 0"
            limit = f"trimmed to the position cap {constraints.max_position_fraction:.0%}"
        else:
            notes.append(f"{symbol}: hold, signal {signal.value:+.2f} ({drivers})")
            continue
        if constraints.max_order_value is not None:
            sell_value = min(sell_value, constraints.max_order_value)
        sell_qty = _floor_lot(sell_value / price, lot)
        if not constraints.allow_short:
            sell_qty = min(sell_qty, _floor_lot(max(0.0, quantity), lot))
        if sell_qty <= 0:
            notes.append(f"{symbol}: sell signal but nothing to sell within the limits")
            continue
        sells.append(
            Order(
                symbol=symbol,
                side="sell",
                quantity=sell_qty,
                type="limit",
                limit_price=limit_price,
                reasoning=f"SELL {sell_qty:g} {symbol} at {limit_price:g}: {why}; {limit}",
            )
        )

    reserve = constraints.min_cash_fraction * max(equity, 0.0)
    available = portfolio.cash - reserve
    buy_orders: list[Order] = []
    for value, symbol, wanted in sorted(buys, key=lambda b: (-b[0], b[1])):
        price = prices[symbol]
        limit_price = _tick(price * (1 + offset), up=True)
        spend = min(wanted, max(0.0, available))
        limits = [f"position cap {constraints.max_position_fraction:.0%} of equity"]
        if spend < wanted:
            limits.append(f"cash (keeping {constraints.min_cash_fraction:.0%} in reserve)")
        if constraints.max_order_value is not None and spend > constraints.max_order_value:
            spend = constraints.max_order_value
            limits.append("max_order_value")
        qty = _floor_lot(spend / limit_price, lot)
        cost = qty * limit_price
        if qty <= 0 or cost > available + 1e-9:
            notes.append(f"{symbol}: buy signal {value:+.2f} but no cash within the limits")
            continue
        available -= cost
        signal = signals[symbol]
        buy_orders.append(
            Order(
                symbol=symbol,
                side="buy",
                quantity=qty,
                type="limit",
                limit_price=limit_price,
                reasoning=(
                    f"BUY {qty:g} {symbol} at {limit_price:g}: signal {value:+.2f} "
                    f"({signal.source}): {'; '.join(signal.drivers)}; limited by "
                    + ", ".join(limits)
                ),
            )
        )
    orders = (sells + buy_orders)[: constraints.max_orders]
    if len(sells) + len(buy_orders) > constraints.max_orders:
        notes.append(f"orders cut to max_orders={constraints.max_orders} (sells first)")
    return Decision(orders, notes)
