"""Messages over REST: history (paged), post, edit, retract, search, unread counts, acknowledgement
and its state, attachments (posted with their message as multipart, downloaded through the message's
policy). Live traffic is pushed on `/api/ws`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Path, Query, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, Json

from concord.api.deps import ActorDep, CentreDep
from concord.api.downloads import attachment_headers
from concord.api.models import Id, MarkingIn, MarkingOut, Strict
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.attachments import Upload
from concord.domain.messages import Message
from concord.services.messages import message_view

router = api_router(prefix="/api", tags=["messages"])


class MessageIn(Strict):
    # The domain's limit (4,000 characters by default) answers 413; this bound only stops abuse.
    body: Annotated[str, Field(max_length=100_000)]
    precedence: Annotated[str, Field(pattern="^(FLASH|IMMEDIATE|PRIORITY|ROUTINE|Z|O|P|R)$")] = "ROUTINE"
    marking: MarkingIn


class EditIn(Strict):
    body: Annotated[str | None, Field(max_length=100_000)] = None
    remove_attachments: Annotated[list[Annotated[int, Field(ge=1, le=10_000)]],
                                  Field(max_length=50, default_factory=list)]


class MessageOut(MarkedOut):
    audit_type = "message"

    id: int
    channel_id: int
    author_id: int
    author_nation: str
    precedence: str
    body: str
    version: int
    posted_at: str
    edited_at: str | None
    retracted_at: str | None
    attachments: list[dict[str, Any]]
    marking: MarkingOut

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls.model_validate(message_view(message))


class Page(BaseModel):
    items: list[MessageOut]
    next_before: int | None


@router.get("/channels/{channel_id}/messages", response_model=Page, summary="History, newest first, paged")
def history(channel_id: Id, actor: ActorDep, centre: CentreDep,
            before: Id | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Page:
    items = centre.messaging.history(actor, channel_id, before=before, limit=limit)
    next_before = items[-1].id if len(items) == limit else None
    return Page(items=[MessageOut.of(m) for m in items], next_before=next_before)


@router.post("/channels/{channel_id}/messages", status_code=201, summary="Post a message")
def post_message(channel_id: Id, body: MessageIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    message = centre.messaging.post(actor, channel_id, body=body.body, precedence=body.precedence,
                                    marking=body.marking.to_marking(actor.nation))
    return message_view(message)


#: The path whose request bodies may be as large as a message's attachments (`BodyLimit`).
WITH_ATTACHMENTS = r"^/api/channels/[0-9]+/messages/with-attachments$"


@router.post("/channels/{channel_id}/messages/with-attachments", status_code=201,
             summary="Post a message with attached files (multipart/form-data: `message` as JSON, `files`)",
             description="The message and its files are written in one transaction: both or neither. "
                         "Each file's type must be on the centre's list and match its content; "
                         "413 names the file over the size limit, 422 the one whose type is refused.")
def post_with_attachments(channel_id: Id, message: Annotated[Json[MessageIn], Form()], actor: ActorDep,
                          centre: CentreDep, files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
    limit = centre.messaging.limits.attachments.max_bytes
    # Reading one byte past the limit is enough to refuse it, naming the file (the domain does).
    uploads = [Upload(f.filename, f.content_type, f.file.read(limit + 1)) for f in files]
    posted = centre.messaging.post(actor, channel_id, body=message.body, precedence=message.precedence,
                                   marking=message.marking.to_marking(actor.nation), uploads=uploads)
    return message_view(posted)


@router.get("/messages/search", summary="Search the text of messages one may see")
def search(actor: ActorDep, centre: CentreDep, q: Annotated[str, Query(max_length=200)],
           channel_id: Id | None = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[MessageOut]:
    return [MessageOut.of(m) for m in centre.messaging.search(actor, q, channel_id=channel_id, limit=limit)]


@router.get("/messages/unread", summary="Unread counts per channel")
def unread(actor: ActorDep, centre: CentreDep) -> dict[str, int]:
    return {str(k): v for k, v in centre.messaging.unread(actor).items()}


@router.get("/messages/{message_id}", summary="One message")
def get_message(message_id: Id, actor: ActorDep, centre: CentreDep) -> MessageOut:
    return MessageOut.of(centre.messaging.get(actor, message_id))


@router.patch("/messages/{message_id}", summary="Edit (the author; history kept)",
              description="New text (`body`) and/or attachments to drop (`remove_attachments`, by number); "
                          "the earlier version, with its attachments, stays in the history.")
def edit_message(message_id: Id, body: EditIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return message_view(centre.messaging.edit(actor, message_id, body.body,
                                              remove_attachments=body.remove_attachments))


@router.get("/messages/{message_id}/attachments/{number}", response_class=Response,
            summary="Download an attachment (of any version of a message one may see; not once retracted)",
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file, always as a download (Content-Disposition: attachment)"}})
def download_attachment(message_id: Id,
                        number: Annotated[int, Path(ge=1, le=10_000)],
                        actor: ActorDep, centre: CentreDep) -> Response:
    found = centre.messaging.attachment(actor, message_id, number)
    a = found.attachment
    centre.audit.record_returned(actor, "message_attachment", [(f"{message_id}/{number}", found.marking, {
        "message_id": message_id, **a.to_dict()})])
    media_type, headers = attachment_headers(a.filename, a.content_type, a.sha256)
    return StreamingResponse(centre.messaging.attachment_content(found), media_type=media_type,
                             headers={**headers, "Content-Length": str(a.size)})


@router.delete("/messages/{message_id}", summary="Retract (the author; history kept)")
def retract_message(message_id: Id, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return message_view(centre.messaging.retract(actor, message_id))


class RevisionOut(MarkedOut):
    """An earlier version of a message, under the message's marking: reading it is audited as the
    read of that version (`<message id>/v<version>`)."""

    audit_type = "message_revision"

    message_id: int
    version: int
    body: str
    attachments: list[dict[str, Any]]
    replaced_at: str
    replaced_by: int
    marking: MarkingOut

    def audited_as(self) -> tuple[str | int, MarkingOut]:
        return f"{self.message_id}/v{self.version}", self.marking


@router.get("/messages/{message_id}/revisions", summary="Earlier versions of a message")
def revisions(message_id: Id, actor: ActorDep, centre: CentreDep) -> list[RevisionOut]:
    message, earlier = centre.messaging.revisions(actor, message_id)
    marking = MarkingOut.of(message.marking)
    return [RevisionOut(message_id=message_id, version=r["version"], body=r["body"], attachments=r["attachments"],
                        replaced_at=iso(r["replaced_at"]), replaced_by=r["replaced_by"], marking=marking)
            for r in earlier]


@router.post("/messages/{message_id}/ack", summary="Acknowledge a FLASH/IMMEDIATE message for one's nation")
def acknowledge(message_id: Id, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    entry = centre.acknowledgements.acknowledge(actor, message_id)
    return {"message_id": message_id, "nation": entry.nation, "acknowledged_by": entry.acknowledged_by,
            "acknowledged_at": iso(entry.acknowledged_at) if entry.acknowledged_at else None}


@router.get("/messages/{message_id}/ack", summary="Acknowledgement state per nation and per recipient")
def ack_state(message_id: Id, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.acknowledgements.state(actor, message_id)


@router.post("/messages/{message_id}/read", status_code=204, summary="Mark read up to this message")
def mark_read(message_id: Id, actor: ActorDep, centre: CentreDep) -> None:
    centre.messaging.mark_read(actor, message_id)
