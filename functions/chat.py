"""Chat endpoints: answers with citations, sessions, the knowledge base, reasoning, and the
OpenAI-compatible ``/api/v1/chat/completions``. Every call is scoped to the caller: another
user's session, document or file is 404."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from shared.auth import Principal, Scope
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
from shared.http.api import Api, Reply
from shared.http.streams import SSE_HEADERS, StreamedResponse

api = Api(tags=("chat",), scope=Scope.CHAT)
bp = api.blueprint

ANSWER_ERRORS = (400, 404, 413, 422, 503)
STREAMED = ("text/event-stream",)  # "stream": true


@api.post(
    "chat",
    "Answer a message in a session, grounded in your documents, with citations; with"
    ' "stream": true as Server-Sent Events while it is written (delta events, then done)',
    response=ChatResponse,
    errors=ANSWER_ERRORS,
    also_media_types=STREAMED,
)
def chat_message(body: ChatRequest, caller: Principal) -> ChatResponse | Response:
    if body.stream:
        from shared.chat.chat_stream import chat_events, check_request

        check_request(body)
        return StreamedResponse(
            chat_events(caller.owner, body), media_type="text/event-stream", headers=SSE_HEADERS
        )
    return service.chat(caller.owner, body)


@api.post(
    "v1/chat/send",
    "Answer a message (the seed's route; the same as POST /api/chat)",
    response=ChatResponse,
    errors=ANSWER_ERRORS,
    also_media_types=STREAMED,
)
def chat_send(body: ChatRequest, caller: Principal) -> ChatResponse | Response:
    return chat_message(body, caller)


@api.get(
    "chat/sessions",
    "Your sessions, most recent first (or most similar to ?similar_to=text)",
    errors=(400, 503),
)
def chat_sessions(query: SessionsQuery, caller: Principal) -> SessionList:
    return sessions.list_sessions(caller.owner, query)


@api.get("chat/sessions/{session_id}", "A session with its messages", errors=(404, 503))
def chat_session(session_id: uuid.UUID, caller: Principal) -> SessionHistory:
    return sessions.load_session(caller.owner, session_id).history()


@api.delete("chat/sessions/{session_id}", "Delete a session", status=204, errors=(404, 503))
def chat_session_delete(session_id: uuid.UUID, caller: Principal) -> None:
    sessions.forget_session(caller.owner, session_id)


@api.post(
    "chat/documents",
    "Add text or an uploaded file (PDF, text) to your knowledge base",
    response=DocumentAdded,
    status=201,
    errors=(400, 404, 413, 422, 503),
    also=((200, DocumentAdded),),
)
def chat_document_add(body: DocumentRequest, caller: Principal) -> Reply:
    added = documents.add_document(caller.owner, body)
    return Reply(added, status=201 if added.created else 200)


@api.get("chat/documents", "Your documents", errors=(503,))
def chat_documents(caller: Principal) -> DocumentList:
    return DocumentList(documents=documents.list_documents(caller.owner))


@api.delete(
    "chat/documents/{document_id}",
    "Remove a document and its passages",
    status=204,
    errors=(404, 503),
)
def chat_document_delete(document_id: uuid.UUID, caller: Principal) -> None:
    documents.delete_document(caller.owner, document_id)


@api.post(
    "chat/reasoning",
    "Answer as explicit steps (retrieve, relate, conclude) with a confidence",
    errors=(400, 404, 413, 503),
)
def chat_reasoning(body: ReasoningRequest, caller: Principal) -> ReasoningResponse:
    return reasoning.reason(caller.owner, body)


@api.post(
    "v1/chat/reasoning",
    "Answer as explicit steps (the seed's route; the same as POST /api/chat/reasoning)",
    errors=(400, 404, 413, 503),
)
def chat_reasoning_v1(body: ReasoningRequest, caller: Principal) -> ReasoningResponse:
    return chat_reasoning(body, caller)


@api.post(
    "v1/chat/completions",
    "OpenAI-compatible chat completions (stateless; retrieval over your documents)",
    response=openai_api.ChatCompletionResponse,
    errors=ANSWER_ERRORS,
    also_media_types=STREAMED,
    tags=("chat", "openai"),
)
def openai_chat_completions(
    body: openai_api.ChatCompletionRequest, caller: Principal
) -> openai_api.ChatCompletionResponse | Response:
    if body.stream and not body.for_the_model_as_is:
        openai_api.check_question(body)  # 413 / 422 before the stream starts
        return StreamedResponse(
            openai_api.stream_chunks(caller.owner, body),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    response = openai_api.complete(caller.owner, body)
    if body.stream:  # tools or JSON: the model's reply (tool calls too) in OpenAI's chunks
        return Response(
            openai_api.as_event_stream(response),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    return response
