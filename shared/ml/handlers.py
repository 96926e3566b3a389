"""The ``ml`` job (``POST /api/ml/batch``): cluster, anomaly or feature importance on a table of up
to ``ML_BATCH_MAX_ROWS`` rows with the same code as the synchronous endpoints. The operation's
response goes to the result file ``result.json``; the job summary says what ran on how much."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from shared.jobs.context import JobContext
from shared.jobs.exceptions import JobInputError


def run_batch(ctx: JobContext) -> dict[str, Any]:
    from pydantic import ValidationError

    from shared.config import get_settings
    from shared.errors import PlatformError
    from shared.ml import service
    from shared.ml.api import (
        AnomalyBatch,
        AnomalyResponse,
        BatchRequest,
        ClusterBatch,
        ClusterResponse,
        FeatureImportanceResponse,
    )

    try:
        operation = BatchRequest.model_validate(ctx.job.input).root
    except ValidationError as exc:
        raise JobInputError(f"the job input is not a valid batch request: {exc}") from exc
    owner, max_rows = ctx.job.owner, get_settings().ml_batch_max_rows
    ctx.checkpoint(0)
    response: BaseModel
    try:
        if isinstance(operation, ClusterBatch):
            # The k search reports each k tried: progress 5..85 and a cancellation point.
            response = service.cluster(
                owner,
                operation,
                max_rows=max_rows,
                progress=lambda done: ctx.checkpoint(5 + int(80 * done)),
            )
        elif isinstance(operation, AnomalyBatch):
            response = service.anomaly(owner, operation, max_rows=max_rows)
        else:
            response = service.feature_importance(owner, operation, max_rows=max_rows)
    except PlatformError as exc:
        if exc.status >= 500:  # a store is unavailable: the attempt is retried
            raise
        # bad data (422), too many rows (413), the file is gone (404): retrying cannot help
        raise JobInputError(exc.detail) from exc
    ctx.checkpoint(90)
    body = json.dumps(response.model_dump(mode="json")).encode("utf-8")
    ctx.store_result("result.json", body, "application/json")
    summary: dict[str, Any] = {"operation": operation.operation}
    if isinstance(response, ClusterResponse):
        summary.update(method=response.method, k=response.k, rows=len(response.labels))
    elif isinstance(response, AnomalyResponse):
        summary.update(rows=len(response.scores), anomalies=response.anomalies)
    elif isinstance(response, FeatureImportanceResponse):
        summary.update(task=response.task, oob_score=response.oob_score)
    return summary
