"""The model build step (``make models``, or ``python -m shared.inference.build [--force]``).

Build-time only: it imports torch, transformers, sentence-transformers, nncf and onnx from
``requirements-build.txt``; the app never imports this package. See ``pipeline`` for what it makes.
"""
