"""Reranking documents against a query: ``POST /api/rerank``."""
