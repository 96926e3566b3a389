"""devhost: a local stand-in for the Azure Functions host.

Serves the HTTP and queue triggers of ``function_app.py`` the way ``func start`` does, so the
app runs and is tested over real HTTP without Azure Functions Core Tools. Run it with
``python -m devhost``; tests start it with :func:`devhost.testing.run_devhost`. The app never
imports devhost.
"""
