-- ONNX copies of registry versions (shared/ml/onnx_serving.py): stored beside the skops artefact
-- as <name>/<sha256>.onnx when the estimator converts and matches scikit-learn at registration;
-- its own SHA-256 is verified on every load. NULL: the version is served by scikit-learn.
ALTER TABLE ml_model_version
    ADD COLUMN onnx_blob_name text,
    ADD COLUMN onnx_sha256 text CHECK (onnx_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN onnx_size bigint,
    ADD CONSTRAINT ml_model_version_onnx_all_or_none CHECK (
        (onnx_blob_name IS NULL) = (onnx_sha256 IS NULL)
        AND (onnx_sha256 IS NULL) = (onnx_size IS NULL)
    );
