"""The ``analyze`` job: ``POST /api/analyze`` with more than ``CORE_SYNC_MAX_ITEMS`` items runs
the same pipeline here. The response goes to the result file ``result.json``; the job summary
says how many items, clusters and anomalies, and which steps degraded."""

from __future__ import annotations

import json
from typing import Any

from shared.jobs.context import JobContext
from shared.jobs.exceptions import JobInputError


def run_analyze(ctx: JobContext) -> dict[str, Any]:
    from pydantic import ValidationError

    from shared.core.api import AnalyzeRequest
    from shared.core.service import run_pipeline
    from shared.errors import PlatformError

    try:
        request = AnalyzeRequest.model_validate(ctx.job.input)
    except ValidationError as exc:
        raise JobInputError(f"the job input is not a valid analyze request: {exc}") from exc
    ctx.checkpoint(0)
    try:
        response = run_pipeline(ctx.job.owner, request)
    except PlatformError as exc:
        if exc.status >= 500:  # the embedding model is unavailable: the attempt is retried
            raise
        raise JobInputError(exc.detail) from exc
    ctx.checkpoint(90)
    body = json.dumps(response.model_dump(mode="json")).encode("utf-8")
    ctx.store_result("result.json", body, "application/json")
    return {
        "items": len(response.items),
        "clusters": len(response.clusters),
        "anomalies": len(response.anomalies),
        "degraded": response.degraded,
    }
