"""Qdrant collections of embedded texts: upsert, search, delete (``/api/vectors/...``)."""
