"""Container Apps job entry points: ``python -m jobs run <kind>`` (see ``jobs/__main__.py``)."""
