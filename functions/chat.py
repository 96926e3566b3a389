"""Chat endpoints: answers with citations, sessions, the knowledge base, reasoning, and the
OpenAI-compatible ``/api/v1/chat/completions``. Every call is scoped to the caller: another
user's session, document or file is 404."""

from __future__ import annotations

import azure.functions as func

from functions.jobs import route_uuid
from shared.auth import Scope
from shared.chat import documents, openai_api, reasoning, service, sessions
from shared.chat.api import (
    ChatRequest,
    ChatResponse,
    DocumentAdded,
    DocumentList,
    DocumentRequest,
    ReasoningRequest,
    ReasoningResponse,
    SessionHistory,
    SessionList,
    SessionsQuery,
)
from shared.http import endpoint, json_response, parse_body, parse_query
from shared.idempotency import idempotent
from shared.identity import current_owner

bp = func.Blueprint()  # type: ignore[no-untyped-call]

ANSWER_ERRORS = (400, 404, 413, 422, 503)


@bp.route(route="chat", methods=["POST"])
@endpoint(
    "Answer a message in a session, grounded in your documents, with citations",
    request=ChatRequest,
    response=ChatResponse,
    errors=ANSWER_ERRORS,
    tags=("chat",),
    scope=Scope.CHAT,
)
@idempotent()
def chat_message(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, ChatRequest)
    return json_response(service.chat(current_owner(), request))


@bp.route(route="chat/sessions", methods=["GET"])
@endpoint(
    "Your sessions, most recent first (or most similar to ?similar_to=text)",
    query=SessionsQuery,
    response=SessionList,
    errors=(400, 503),
    tags=("chat",),
    scope=Scope.CHAT,
)
def chat_sessions(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_query(req, SessionsQuery)
    return json_response(sessions.list_sessions(current_owner(), query))


@bp.route(route="chat/sessions/{id:guid}", methods=["GET"])
@endpoint(
    "A session with its messages",
    response=SessionHistory,
    errors=(404, 503),
    tags=("chat",),
    scope=Scope.CHAT,
)
def chat_session(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(sessions.load_session(current_owner(), route_uuid(req)).history())


@bp.route(route="chat/sessions/{id:guid}", methods=["DELETE"])
@endpoint("Delete a session", status=204, errors=(404, 503), tags=("chat",), scope=Scope.CHAT)
@idempotent()
def chat_session_delete(req: func.HttpRequest) -> func.HttpResponse:
    sessions.forget_session(current_owner(), route_uuid(req))
    return func.HttpResponse(status_code=204)


@bp.route(route="chat/documents", methods=["POST"])
@endpoint(
    "Add text or an uploaded file (PDF, text) to your knowledge base",
    request=DocumentRequest,
    response=DocumentAdded,
    status=201,
    errors=(400, 404, 413, 422, 503),
    tags=("chat",),
    scope=Scope.CHAT,
)
@idempotent()
def chat_document_add(req: func.HttpRequest) -> func.HttpResponse:
    added = documents.add_document(current_owner(), parse_body(req, DocumentRequest))
    return json_response(added, status=201 if added.created else 200)


@bp.route(route="chat/documents", methods=["GET"])
@endpoint("Your documents", response=DocumentList, errors=(503,), tags=("chat",), scope=Scope.CHAT)
def chat_documents(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(DocumentList(documents=documents.list_documents(current_owner())))


@bp.route(route="chat/documents/{id:guid}", methods=["DELETE"])
@endpoint(
    "Remove a document and its passages",
    status=204,
    errors=(404, 503),
    tags=("chat",),
    scope=Scope.CHAT,
)
@idempotent()
def chat_document_delete(req: func.HttpRequest) -> func.HttpResponse:
    documents.delete_document(current_owner(), route_uuid(req))
    return func.HttpResponse(status_code=204)


@bp.route(route="chat/reasoning", methods=["POST"])
@endpoint(
    "Answer as explicit steps (retrieve, relate, conclude) with a confidence",
    request=ReasoningRequest,
    response=ReasoningResponse,
    errors=(400, 404, 413, 503),
    tags=("chat",),
    scope=Scope.CHAT,
)
@idempotent()
def chat_reasoning(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, ReasoningRequest)
    return json_response(reasoning.reason(current_owner(), request))


@bp.route(route="v1/chat/completions", methods=["POST"])
@endpoint(
    "OpenAI-compatible chat completions (stateless; retrieval over your documents)",
    request=openai_api.ChatCompletionRequest,
    response=openai_api.ChatCompletionResponse,
    errors=ANSWER_ERRORS,
    tags=("chat", "openai"),
    scope=Scope.CHAT,
)
@idempotent()
def openai_chat_completions(req: func.HttpRequest) -> func.HttpResponse:
    request = parse_body(req, openai_api.ChatCompletionRequest)
    response = openai_api.complete(current_owner(), request)
    if request.stream:
        return func.HttpResponse(
            openai_api.as_event_stream(response),
            status_code=200,
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    return json_response(response)
