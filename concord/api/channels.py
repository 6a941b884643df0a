"""Channels over REST: the ones a person takes part in (with unread counts), creating one, adding
members to an operation or incident channel. Their messages are in `api.messages`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, NationCode, Strict
from concord.api.read_audit import api_router
from concord.services.channels import channel_view

router = api_router(prefix="/api", tags=["messages"])


class ChannelIn(Strict):
    kind: Annotated[str, Field(pattern="^(centre|nation|operation|incident|direct)$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    max_marking: MarkingIn
    nation: NationCode | None = None
    subject_id: Annotated[str | None, Field(max_length=160)] = None
    members: Annotated[list[Id], Field(max_length=500, default_factory=list)]


class MemberIn(Strict):
    person_id: Id
    may_post: bool = True


@router.get("/channels", summary="Channels the signed-in person takes part in, with unread counts")
def list_channels(actor: ActorDep, centre: CentreDep) -> list[dict[str, Any]]:
    unread = centre.messaging.unread(actor)
    return [{**channel_view(c), "unread": unread.get(c.id or 0, 0)}
            for c in centre.channels.channels(actor)]


@router.post("/channels", status_code=201, summary="Create a channel (direct conversations reuse the pair's)")
def create_channel(body: ChannelIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    channel = centre.channels.create_channel(actor, kind=body.kind, name=body.name,
                                             max_marking=body.max_marking.to_marking(actor.nation),
                                             nation=body.nation, subject_id=body.subject_id, members=body.members)
    return channel_view(channel)


@router.post("/channels/{channel_id}/members", status_code=204, summary="Add a member (operation/incident)")
def add_member(channel_id: Id, body: MemberIn, actor: ActorDep, centre: CentreDep) -> None:
    centre.channels.add_member(actor, channel_id, body.person_id, may_post=body.may_post)
