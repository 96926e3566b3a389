"""``POST /api/predict``: features per symbol, a signal from the registered trading model (the
registry's ``TRADING_MODEL_NAME`` under ``TRADING_MODEL_ALIAS``) or the baseline rules, then the
risk layer of ``shared.trading.policy``.

A usable trading model is a ``random_forest``, ``logistic_regression`` or ``ridge`` registry model
whose features are some of ``features.FEATURE_NAMES``. A classifier's classes are -1/0/1 or
sell/hold/buy: signal = P(buy) - P(sell). A regressor predicts the next-bar return: signal =
prediction / 2 %, clipped to [-1, 1]. Any other model is ignored (logged) and the baseline is used.
The alias is re-read every ``TRADING_MODEL_REFRESH_SECONDS``; when the registry is unreachable the
model already loaded (or the baseline) goes on deciding.

Registry names are per caller (issue #7): each caller's decisions use *its own* model named
``TRADING_MODEL_NAME``, or the baseline when it has none. Loaded models are kept per caller, for the
``_MAX_OWNERS`` most recent callers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from shared.config import get_settings
from shared.errors import NotFoundError, PlatformError
from shared.trading import features, policy, state
from shared.trading.api import PredictRequest, PredictResponse

logger = logging.getLogger(__name__)

USABLE_ALGORITHMS = {"random_forest", "logistic_regression", "ridge"}
BUY_CLASSES = {"1", "buy"}
SELL_CLASSES = {"-1", "sell"}


@dataclass(frozen=True)
class TradingModel:
    version: str  # name@version
    algorithm: str
    task: str
    features: list[str]
    estimator: Any


_MAX_OWNERS = 64  # callers whose model stays loaded (least recently used dropped first)

_lock = threading.Lock()
# owner -> (its model or None for the baseline, when it was resolved: time.monotonic())
_models: OrderedDict[str, tuple[TradingModel | None, float]] = OrderedDict()


def reset() -> None:
    """Forget the loaded models (tests)."""
    with _lock:
        _models.clear()
    state.set_loaded(None)


def current_model(owner: str) -> TradingModel | None:
    """``owner``'s registered trading model, re-resolved at most every refresh interval."""
    settings = get_settings()
    now = time.monotonic()
    with _lock:
        model, checked_at = _models.get(owner, (None, float("-inf")))
        if now - checked_at < settings.trading_model_refresh_seconds:
            _models.move_to_end(owner)
            return model
        # Resolved under the lock: a burst of requests loads the model once, not once each.
        try:
            model = _resolve(
                owner, settings.trading_model_name, settings.trading_model_alias, model
            )
        except PlatformError as exc:
            logger.warning("trading model not refreshed (%s); keeping the current one", exc)
        _models[owner] = (model, now)
        _models.move_to_end(owner)
        while len(_models) > _MAX_OWNERS:
            _models.popitem(last=False)
        state.set_loaded(model.version if model else None)
        return model


def _resolve(owner: str, name: str, alias: str, loaded: TradingModel | None) -> TradingModel | None:
    from shared.ml.registry import get_registry

    registry = get_registry()
    try:
        record = registry.resolve(owner, name, alias=alias)
    except NotFoundError:
        return None
    version = f"{record.name}@{record.version}"
    if loaded is not None and loaded.version == version:
        return loaded
    unknown = set(record.features) - set(features.FEATURE_NAMES)
    if record.algorithm not in USABLE_ALGORITHMS or unknown:
        logger.error(
            "registry model %s is not a usable trading model (%s, features %s); using the baseline",
            version,
            record.algorithm,
            sorted(unknown),
        )
        return None
    estimator = registry.load(record)
    if record.task == "classification":
        classes = {str(c) for c in estimator.classes_}
        if not classes & (BUY_CLASSES | SELL_CLASSES):
            logger.error("trading model %s has no buy or sell class; using the baseline", version)
            return None
    logger.info("loaded trading model %s", version)
    return TradingModel(version, record.algorithm, record.task, list(record.features), estimator)


def _importances(model: TradingModel) -> list[float]:
    final = model.estimator.steps[-1][1] if hasattr(model.estimator, "steps") else model.estimator
    if hasattr(final, "feature_importances_"):
        return [float(v) for v in final.feature_importances_]
    coef = getattr(final, "coef_", None)
    if coef is None:
        return [0.0] * len(model.features)
    import numpy as np

    return [float(v) for v in np.abs(np.atleast_2d(coef)).sum(axis=0)]


def model_signals(
    model: TradingModel, values: dict[str, dict[str, float]]
) -> dict[str, policy.Signal]:
    import numpy as np

    symbols = sorted(values)
    x = np.asarray([[values[s][f] for f in model.features] for s in symbols], dtype=np.float64)
    if model.task == "classification":
        probabilities = model.estimator.predict_proba(x)
        classes = [str(c) for c in model.estimator.classes_]
        buy = [i for i, c in enumerate(classes) if c in BUY_CLASSES]
        sell = [i for i, c in enumerate(classes) if c in SELL_CLASSES]
        raw = probabilities[:, buy].sum(axis=1) - probabilities[:, sell].sum(axis=1)
    else:
        raw = np.clip(model.estimator.predict(x) / policy.TARGET_VOLATILITY, -1.0, 1.0)
    weights = _importances(model)
    top = sorted(range(len(model.features)), key=lambda i: -weights[i])[:3]
    signals = {}
    for row, symbol in enumerate(symbols):
        drivers = [f"{model.features[i]} {values[symbol][model.features[i]]:+.4g}" for i in top]
        signals[symbol] = policy.Signal(float(raw[row]), drivers, model.version)
    return signals


def decide(request: PredictRequest, owner: str) -> PredictResponse:
    """The decision for ``request`` with ``owner``'s trading model (or the baseline)."""
    return _decide_with(request, current_model(owner))


def _decide_with(request: PredictRequest, model: TradingModel | None) -> PredictResponse:
    values: dict[str, dict[str, float]] = {}
    prices: dict[str, float] = {}
    for symbol, candles in request.market.items():
        closes = [c.close for c in candles]
        values[symbol] = features.compute(
            closes, [c.high for c in candles], [c.low for c in candles]
        )
        prices[symbol] = closes[-1]
    if model is not None:
        signals = model_signals(model, values)
        version = model.version
    else:
        signals = {s: policy.baseline_signal(v) for s, v in values.items()}
        version = state.BASELINE_VERSION
    volatility = {s: v["volatility_20"] for s, v in values.items()}
    decision = policy.decide(request.portfolio, prices, volatility, signals, request.constraints)
    c = request.constraints
    lines = [
        f"model {version}; limits: position cap {c.max_position_fraction:.0%} of equity, "
        f"cash reserve {c.min_cash_fraction:.0%}, shorting {'allowed' if c.allow_short else 'off'}"
        f", at most {c.max_orders} orders.",
        *(order.reasoning for order in decision.orders),
        *decision.notes,
    ]
    if not decision.orders:
        lines.insert(1, "No order: no signal passed its threshold within the limits.")
    return PredictResponse(
        agent_id=request.agent_id,
        timestamp=request.timestamp,
        orders=decision.orders,
        reasoning="\n".join(lines),
        model_version=version,
        features={s: {k: round(v, 6) for k, v in f.items()} for s, f in values.items()},
    )
