"""Sentence embeddings: ``POST /api/embeddings`` and the OpenAI-compatible ``/api/v1/embeddings``.

Other features embed through ``shared.embeddings.service.embed`` (one model, one micro-batcher).
"""
