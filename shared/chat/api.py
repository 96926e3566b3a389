"""Request and response models of the chat endpoints (``/api/chat/...``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AnswerMode = Literal["generative", "phrased", "extractive", "conversational", "no_source"]


class ChatOptions(BaseModel):
    """How one answer is made."""

    model_config = ConfigDict(extra="forbid")

    retrieval: bool = Field(default=True, description="ground the answer in the knowledge base")
    top_k: int = Field(default=5, ge=1, le=20, description="citations at most, across documents")
    model: str | None = Field(default=None, description="the backend's model (default: settings)")
    max_tokens: int = Field(default=256, ge=1, le=2048)
    temperature: float = Field(default=0.2, ge=0, le=2)
    graph: bool = Field(default=True, description="learn and use the user's concepts")
    require_sources: bool = Field(
        default=False,
        description="answer only from your documents, even before you have any (small talk "
        "excepted); with documents this is always so",
    )


class ChatRequest(BaseModel):
    """One user message; without ``session_id`` a new session starts."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1)
    session_id: uuid.UUID | None = None
    options: ChatOptions = Field(default_factory=ChatOptions)
    stream: bool = Field(
        default=False,
        description="answer as Server-Sent Events while it is written (delta, then done)",
    )


class Citation(BaseModel):
    """A passage the answer rests on: where it is and how relevant it scored."""

    document_id: uuid.UUID
    source: str
    page: int | None = Field(description="1-based page of a PDF; null for plain text")
    chunk: int = Field(description="0-based chunk number within the document")
    score: float = Field(description="relevance after reranking (higher is better)")
    text: str = Field(description="the quoted passage")


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatResponse(BaseModel):
    """The answer, its citations, and how it was made.

    ``answer_mode``: ``generative`` (a capable backend answered from the cited passages),
    ``phrased`` (built from the passages, worded by the small model and checked against them),
    ``extractive`` (the passages' own sentences), ``conversational`` (small talk, or a caller
    without documents: the model answered from the conversation alone; no citations),
    ``no_source`` (the question is about the caller's documents and no passage was relevant:
    the answer says so instead of inventing one).

    ``grounded`` is true exactly when the answer rests on cited passages.
    """

    session_id: uuid.UUID
    answer: str
    answer_mode: AnswerMode
    grounded: bool = Field(description="true when the answer rests on the cited passages")
    citations: list[Citation]
    related_concepts: list[str]
    model: str
    backend: str
    usage: Usage
    degraded: list[str] = Field(default_factory=list, description="parts skipped, with reasons")


class StoredMessage(BaseModel):
    """One message of a session's history. An assistant message keeps how it was answered
    (``answer_mode``, ``grounded``: see ``ChatResponse``), so a reopened session still says which
    answers had no source; both are null on user messages and on turns saved before they were kept.
    """

    role: Literal["user", "assistant"]
    content: str
    at: datetime
    citations: list[Citation] = Field(default_factory=list)
    answer_mode: AnswerMode | None = None
    grounded: bool | None = None


class SessionSummary(BaseModel):
    id: uuid.UUID
    title: str
    message_count: int
    created_at: datetime
    updated_at: datetime
    similarity: float | None = Field(default=None, description="with ?similar_to=: cosine")


class SessionList(BaseModel):
    sessions: list[SessionSummary]


class SessionHistory(SessionSummary):
    messages: list[StoredMessage]


class SessionsQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    similar_to: str | None = Field(default=None, min_length=1, max_length=2000)


class DocumentRequest(BaseModel):
    """Text to add to the knowledge base, or a file uploaded with ``POST /api/media/upload``
    (PDF, plain text or Markdown)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1)
    file_id: uuid.UUID | None = None
    source: str | None = Field(
        default=None, max_length=200, description="shown in citations (default: file name)"
    )

    @model_validator(mode="after")
    def _one_input(self) -> DocumentRequest:
        if (self.text is None) == (self.file_id is None):
            raise ValueError("give exactly one of text or file_id")
        return self


class DocumentRecord(BaseModel):
    id: uuid.UUID
    source: str
    file_id: uuid.UUID | None
    pages: int
    chunks: int
    characters: int
    created_at: datetime


class DocumentAdded(DocumentRecord):
    created: bool = Field(description="false when the same content was already there")


class DocumentList(BaseModel):
    documents: list[DocumentRecord]


class ReasoningRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    session_id: uuid.UUID | None = None
    top_k: int = Field(default=5, ge=1, le=20)


class ReasoningStep(BaseModel):
    kind: Literal["retrieve", "relate", "conclude"]
    summary: str
    evidence: list[str] = Field(default_factory=list)


class ReasoningResponse(BaseModel):
    """Steps from the evidence to the conclusion. ``confidence`` is in [0, 1]: the best passage's
    relevance times the share of the question's concepts the cited passages mention (0 when
    nothing relevant was found)."""

    id: uuid.UUID
    session_id: uuid.UUID | None
    question: str
    steps: list[ReasoningStep]
    answer: str
    confidence: float
    citations: list[Citation]
    degraded: list[str] = Field(default_factory=list)
