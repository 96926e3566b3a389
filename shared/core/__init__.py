"""The AI core: one pipeline over embeddings, ML, classification, the knowledge graph and known
patterns (``/api/analyze``, ``/api/patterns``, ``/api/suggestions``); see pipeline.py for the
declared steps and their fallbacks, clients.py for in-process versus by-URL features."""
