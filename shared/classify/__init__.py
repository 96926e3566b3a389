"""Text classification over sentence embeddings: zero-shot against label descriptions, and
classifier heads trained on labelled examples (``POST /api/classify``, ``/api/classify/models``).
"""
