"""Messages, internal notes and attachments of a conversation."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import File, Form, Router, UploadedFile
from ninja import Status as Answer

from caredesk.apikit import Cursor, Id, Limit, keyset_page, responses, user_of
from caredesk.conversations import services
from caredesk.conversations.api.common import agent_required, message_out, visible
from caredesk.conversations.api.schemas import MessageIn, MessageOut, NoteIn
from caredesk.conversations.models import Channel, Direction
from caredesk.conversations.selectors import attachment_for
from caredesk.people.selectors import agent_of

router = Router(tags=["messages"])


@router.get(
    "/conversations/{pk}/messages", response=responses({200: list[MessageOut]}, 400, 404, 422)
)
def message_list(
    request: HttpRequest, response: HttpResponse, pk: Id, limit: Limit = 50, cursor: Cursor = None
) -> Any:
    """Oldest first; a customer never sees internal notes."""
    conversation = visible(request, pk)
    qs = conversation.messages.select_related("author").prefetch_related("attachments")
    if agent_of(request.user) is None:
        qs = qs.exclude(direction=Direction.NOTE)
    page = keyset_page(
        qs, request=request, response=response, limit=limit, cursor=cursor, key="created_at"
    )
    return [message_out(m) for m in page]


@router.post(
    "/conversations/{pk}/messages",
    response=responses({201: MessageOut}, 400, 403, 404, 409, 413, 422),
)
def message_create(request: HttpRequest, pk: Id, payload: MessageIn) -> Any:
    """An agent's reply to the customer, or the customer writing again."""
    conversation = visible(request, pk)
    agent = agent_of(request.user)
    if agent is not None:
        message = services.reply_send(
            conversation=conversation, agent=agent, text=payload.text, resolve=payload.resolve
        )
    else:
        message = services.customer_message_add(
            conversation=conversation,
            text=payload.text,
            author=user_of(request),
            channel=Channel.API,
        )
    return Answer(201, message_out(message))


@router.post(
    "/conversations/{pk}/notes", response=responses({201: MessageOut}, 400, 403, 404, 409, 413, 422)
)
def note_create(request: HttpRequest, pk: Id, payload: NoteIn) -> Any:
    """An internal note, for colleagues only."""
    agent = agent_required(request)
    conversation = visible(request, pk)
    return Answer(
        201,
        message_out(services.note_add(conversation=conversation, agent=agent, text=payload.text)),
    )


@router.post(
    "/conversations/{pk}/attachments",
    response=responses({201: MessageOut}, 400, 403, 404, 409, 413, 422),
)
def attachment_upload(
    request: HttpRequest,
    pk: Id,
    files: File[list[UploadedFile]],
    text: Form[str] = "",
) -> Any:
    """A message with files (multipart/form-data): an agent's reply or the customer's message."""
    conversation = visible(request, pk)
    agent = agent_of(request.user)
    if agent is not None:
        message = services.reply_send(
            conversation=conversation, agent=agent, text=text, attachments=files
        )
    else:
        message = services.customer_message_add(
            conversation=conversation,
            text=text,
            author=user_of(request),
            channel=Channel.API,
            attachments=files,
        )
    return Answer(201, message_out(message))


@router.get(
    "/attachments/{attachment_id}",
    response=responses({200: None}, 404, 422),
    openapi_extra={
        "responses": {200: {"description": "The file", "content": {"application/octet-stream": {}}}}
    },
)
def attachment_get(request: HttpRequest, attachment_id: Id) -> Any:
    """Download an attachment of a message you may see (never a note's, for a customer)."""
    attachment = attachment_for(user_of(request), attachment_id)
    if attachment is None:
        raise Http404("No attachment matches the given query.")
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
