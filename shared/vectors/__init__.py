"""Collections of embedded texts: the vector store interface and its implementations (pgvector,
Qdrant), and the ``/api/vectors`` feature (upsert, search, delete)."""
