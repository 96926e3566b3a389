"""Classification endpoints: zero-shot or trained-head classification, and training a head."""

from __future__ import annotations

from shared.auth import Principal, Scope
from shared.classify import service
from shared.classify.api import ClassifyRequest, ClassifyResponse, TrainedModel, TrainRequest
from shared.http.api import Api

api = Api(tags=("classify",), scope=Scope.ML)
bp = api.blueprint


@api.post(
    "classify",
    "Classify texts: zero-shot (labels or label_set) or with a trained model",
    errors=(400, 404, 413, 503),
)
def classify(body: ClassifyRequest, caller: Principal) -> ClassifyResponse:
    return service.classify(caller.owner, body)


@api.post(
    "classify/models",
    "Train and store a classifier head on labelled examples (replaces one of the same name)",
    status=201,
    errors=(400, 413, 503),
)
def train_classifier(body: TrainRequest, caller: Principal) -> TrainedModel:
    return service.train(caller.owner, body)
