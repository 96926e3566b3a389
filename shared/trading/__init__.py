"""Trading decisions (``POST /api/predict``): features from candles, a registered model or the
rule-based baseline, and risk limits that are always enforced. ``state`` is import-cheap and tells
the health endpoint whether this process has loaded the trading model."""
