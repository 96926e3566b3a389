"""The platform library: settings, HTTP helpers, idempotency, stores, inference and features.

Nothing here imports ``function_app``, ``functions``, ``devhost``, ``jobs`` or ``bench``.
"""

__version__ = "0.1.0"
