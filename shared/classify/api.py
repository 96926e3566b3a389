"""Request and response models of the classification endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ClassifyRequest(BaseModel):
    """Texts and exactly one of: ``labels`` (label -> description(s), or a list of labels that
    describe themselves), ``label_set`` (a built-in set) or ``model`` (a trained head)."""

    texts: list[str]
    labels: dict[str, str | list[str]] | list[str] | None = None
    label_set: str | None = None
    model: str | None = Field(default=None, pattern=MODEL_NAME_PATTERN)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ClassifyRequest:
        given = [n for n in ("labels", "label_set", "model") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of labels, label_set or model")
        return self


class Classification(BaseModel):
    """The best label of one text, its score, and every label's score (they sum to 1)."""

    label: str
    score: float
    scores: dict[str, float]


class ClassifyResponse(BaseModel):
    """One classification per text, in the order sent."""

    method: Literal["zero-shot", "trained"]
    source: str = Field(description="the label set, 'request', or the trained model's name")
    results: list[Classification]


class LabelledText(BaseModel):
    """One training example."""

    text: str
    label: str = Field(min_length=1, max_length=100)


class TrainRequest(BaseModel):
    """Examples to train a classifier head on (at least two labels, two examples each)."""

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    examples: list[LabelledText]
    regularization: float = Field(
        default=1.0, gt=0, le=1e6, description="inverse regularization strength C"
    )


class TrainedModel(BaseModel):
    """A stored classifier head."""

    name: str
    labels: list[str]
    examples: int
    train_accuracy: float
    embedding_model: str
    created_at: str
