"""The risk layer holds on randomised portfolios whatever the signals say (hypothesis), and the
baseline rules and features do what their documentation says."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.trading import features, policy, state
from shared.trading.api import Candle, Constraints, Portfolio, Position, PredictRequest

SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]
EPS = 1e-6

prices_st = st.fixed_dictionaries({s: st.floats(0.5, 5000) for s in SYMBOLS})
signal_st = st.floats(-1, 1)
constraints_st = st.builds(
    Constraints,
    max_position_fraction=st.floats(0.01, 1),
    min_cash_fraction=st.floats(0, 0.9),
    allow_short=st.booleans(),
    max_orders=st.integers(0, 6),
    max_order_value=st.one_of(st.none(), st.floats(1, 1e6)),
    limit_offset_bps=st.floats(0, 100),
    lot_size=st.sampled_from([1.0, 0.1, 10.0, 0.001]),
)


@st.composite
def portfolios(draw):
    held = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=4))
    positions = [
        Position(symbol=s, quantity=draw(st.floats(-50, 5000)), average_price=10.0) for s in held
    ]
    return Portfolio(cash=draw(st.floats(-1000, 1e7)), positions=positions)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    portfolio=portfolios(),
    prices=prices_st,
    signals=st.fixed_dictionaries(dict.fromkeys(SYMBOLS, signal_st)),
    vols=st.fixed_dictionaries({s: st.floats(0, 0.2) for s in SYMBOLS}),
    constraints=constraints_st,
)
def test_orders_never_breach_the_limits(portfolio, prices, signals, vols, constraints):
    decision = policy.decide(
        portfolio,
        prices,
        vols,
        {s: policy.Signal(v, ["test"]) for s, v in signals.items()},
        constraints,
    )
    held = {p.symbol: p.quantity for p in portfolio.positions}
    equity = portfolio.cash + sum(q * prices[s] for s, q in held.items())
    cap = constraints.max_position_fraction * max(equity, 0)
    orders = decision.orders
    assert len(orders) <= constraints.max_orders
    assert len({o.symbol for o in orders}) == len(orders)
    spend = sum(o.quantity * (o.limit_price or 0.0) for o in orders if o.side == "buy")
    if spend > 0:
        assert spend <= portfolio.cash - constraints.min_cash_fraction * equity + EPS
    for order in orders:
        assert order.quantity > 0
        assert order.limit_price is not None
        lots = order.quantity / constraints.lot_size
        assert abs(lots - round(lots)) < 1e-6
        assert order.reasoning
        before = held.get(order.symbol, 0.0)
        price = prices[order.symbol]
        if constraints.max_order_value is not None:
            assert order.quantity * price <= constraints.max_order_value + EPS
        if order.side == "buy":
            assert order.limit_price >= price
            assert (before + order.quantity) * price <= cap + EPS
        else:
            assert order.limit_price <= price
            after = before - order.quantity
            if constraints.allow_short:
                assert after * price >= -cap - EPS or after >= before - EPS
            else:
                assert after >= -EPS


def _candles(closes):
    return [Candle(open=c, high=c * 1.01, low=c * 0.99, close=c) for c in closes]


def test_features_of_a_steady_rise():
    closes = [100 * 1.01**i for i in range(30)]
    values = features.compute(closes, [c * 1.01 for c in closes], [c * 0.99 for c in closes])
    assert set(values) == set(features.FEATURE_NAMES)
    assert math.isclose(values["return_1"], 0.01, rel_tol=1e-9)
    assert values["rsi_14"] == 100.0
    assert values["momentum_20"] > 0.2
    assert values["volatility_20"] < 1e-9
    assert features.rsi([1, 2, 1, 2, 1]) == 50.0
    one = features.compute([5.0], [5.0], [5.0])
    assert one["return_1"] == 0.0
    assert one["rsi_14"] == 50.0


def test_baseline_buys_an_uptrend_and_sells_a_downtrend():
    up = [100 + i * 0.3 + (1.5 if i % 2 else -1.5) for i in range(40)]
    down = list(reversed(up))
    request = PredictRequest(
        agent_id="a",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        portfolio=Portfolio(cash=10_000, positions=[Position(symbol="DN", quantity=10)]),
        market={"UP": _candles(up), "DN": _candles(down)},
    )
    from shared.trading import service

    service.reset()
    response = service._decide_with(request, None)
    sides = {o.symbol: o.side for o in response.orders}
    assert sides == {"UP": "buy", "DN": "sell"}
    sell = next(o for o in response.orders if o.side == "sell")
    assert sell.quantity == 10
    assert "momentum_20" in response.reasoning
    assert "no shorting" in response.reasoning
    assert response.model_version == state.BASELINE_VERSION
    assert response.schema_version == "1.0"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    closes=st.lists(st.floats(1e-6, 1e9), min_size=1, max_size=40),
    cash=st.floats(-1e15, 1e15),
    quantity=st.floats(-1e12, 1e12),
    lot=st.floats(1e-8, 1e6),
    allow_short=st.booleans(),
)
def test_any_valid_request_gets_a_finite_serialisable_decision(
    closes, cash, quantity, lot, allow_short
):
    from shared.trading import service

    request = PredictRequest.model_validate(
        {
            "agent_id": "fuzz",
            "timestamp": "2026-01-01T00:00:00Z",
            "portfolio": {"cash": cash, "positions": [{"symbol": "S", "quantity": quantity}]},
            "market": {
                "S": [{"open": c, "high": c, "low": c, "close": c} for c in closes],
            },
            "constraints": {"lot_size": lot, "allow_short": allow_short},
        }
    )
    response = service._decide_with(request, None)
    document = response.model_dump_json()
    assert "Infinity" not in document
    assert "NaN" not in document
    for order in response.orders:
        assert math.isfinite(order.quantity)
        assert order.quantity > 0
        if order.side == "sell" and not allow_short:
            assert order.quantity <= quantity + 1e-6
