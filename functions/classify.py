"""Classification endpoints: zero-shot or trained-head classification, and training a head."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope
from shared.classify import service
from shared.classify.api import ClassifyRequest, ClassifyResponse, TrainedModel, TrainRequest
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent
from shared.identity import current_owner

bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.route(route="classify", methods=["POST"])
@endpoint(
    "Classify texts: zero-shot (labels or label_set) or with a trained model",
    request=ClassifyRequest,
    response=ClassifyResponse,
    errors=(400, 404, 413, 503),
    tags=("classify",),
    scope=Scope.ML,
)
@idempotent()
def classify(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, ClassifyRequest)
    return json_response(service.classify(current_owner(), request))


@bp.route(route="classify/models", methods=["POST"])
@endpoint(
    "Train and store a classifier head on labelled examples (replaces one of the same name)",
    request=TrainRequest,
    response=TrainedModel,
    status=201,
    errors=(400, 413, 503),
    tags=("classify",),
    scope=Scope.ML,
)
@idempotent()
def train_classifier(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, TrainRequest)
    return json_response(service.train(current_owner(), request), status=201)
