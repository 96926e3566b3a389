"""The web console's built files, served by the function app (``functions/console.py``)."""

from shared.console.assets import Asset, ConsoleBundle, console_bundle

__all__ = ["Asset", "ConsoleBundle", "console_bundle"]
