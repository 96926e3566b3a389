"""Classical ML: clustering, anomaly detection, feature importance and a model registry.

``api`` holds the request and response models (pydantic only); ``data`` turns JSON rows or an
uploaded CSV into a numeric matrix; ``algorithms`` runs scikit-learn; ``registry`` stores trained
models (skops artefacts in blob storage, metadata in PostgreSQL); ``service`` ties them together.
Only ``api`` may be imported by ``functions/``: numpy and scikit-learn load on first use.
"""
