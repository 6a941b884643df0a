"""The audit log over HTTP: checkpoints with cosignatures, proofs, entries, witness cosignatures.

Checkpoints are served as C2SP signed notes (text/plain, c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature); hashes in JSON are lowercase hex.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.errors import ERROR_RESPONSES
from concord.api.models import Id, Position
from concord.api.read_audit import api_router

router = api_router(prefix="/api/audit", tags=["audit"])

Size = Annotated[Position, Query()]

# Errors stay JSON on the routes that answer with a plain-text checkpoint note.
_JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {**spec, "content": {"application/json": {}}} for status, spec in ERROR_RESPONSES.items()
}


class CheckpointOut(BaseModel):
    size: int
    root_hash: str
    issued_at: str
    cosigned_by: list[str]
    checkpoint: str = Field(description="the C2SP signed note, centre signature and cosignatures")
    log_key: str = Field(description="the centre's C2SP verifier key")


class LeafOut(BaseModel):
    index: int
    leaf_hash: str
    entry: dict[str, Any] | None = Field(None, description="present when the caller may read the entry")
    witnessed_by_all: bool = Field(False, description="covered by a checkpoint every nation cosigned")


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    entry: dict[str, Any] | None
    checkpoint: str
    witnessed_by_all_at: int | None = Field(
        None, description="size of the smallest checkpoint covering the entry cosigned by every nation"
    )


class ConsistencyOut(BaseModel):
    old: int
    new: int
    proof: list[str]


class WitnessKeyIn(BaseModel):
    vkey: str = Field(max_length=300)


class CosignatureIn(BaseModel):
    size: Id
    note: str = Field(max_length=20_000, description="the checkpoint with the witness's cosignature line")


@router.get(
    "/checkpoint", response_model=CheckpointOut, summary="The latest checkpoint with its cosignatures"
)
def latest_checkpoint(actor: ActorDep, centre: CentreDep) -> CheckpointOut:
    note, row = centre.audit.latest()
    return CheckpointOut(
        size=row.size,
        root_hash=row.root_hash.hex(),
        issued_at=row.issued_at.isoformat(),
        cosigned_by=sorted(row.cosignatures),
        checkpoint=note,
        log_key=centre.audit.public_key(),
    )


@router.get(
    "/checkpoint.txt",
    response_class=PlainTextResponse,
    responses=_JSON_ERRORS,
    summary="The latest checkpoint as a note",
)
def latest_checkpoint_note(actor: ActorDep, centre: CentreDep) -> str:
    return centre.audit.latest()[0]


@router.get(
    "/checkpoints/{size}",
    response_class=PlainTextResponse,
    responses=_JSON_ERRORS,
    summary="A checkpoint as a signed note",
)
def checkpoint_note(actor: ActorDep, centre: CentreDep, size: Id) -> str:
    return centre.audit.checkpoint(size)


@router.get("/keys", summary="The centre's and every witness's verifier keys")
def keys(actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return {"log_key": centre.audit.public_key(), "witness_keys": centre.audit.witness_keys()}


@router.get("/proof/inclusion/{index}", response_model=InclusionOut, summary="Inclusion proof of an entry")
def inclusion(
    actor: ActorDep, centre: CentreDep, index: Position, size: Size | None = None
) -> InclusionOut:
    view = centre.audit.inclusion(actor.reader, index, size)
    return InclusionOut(
        index=view.index,
        size=view.size,
        leaf_hash=view.leaf_hash.hex(),
        proof=[h.hex() for h in view.proof],
        entry=view.entry.to_dict() if view.entry else None,
        checkpoint=view.checkpoint,
        witnessed_by_all_at=centre.audit.witnessed_by_all(index),
    )


@router.get(
    "/proof/consistency", response_model=ConsistencyOut, summary="Consistency proof between two sizes"
)
def consistency(actor: ActorDep, centre: CentreDep, old: Size, new: Size) -> ConsistencyOut:
    return ConsistencyOut(old=old, new=new, proof=[h.hex() for h in centre.audit.consistency(old, new)])


@router.get(
    "/entries", response_model=list[LeafOut], summary="Entries in [start, end): full or leaf hash only"
)
def entries(actor: ActorDep, centre: CentreDep, start: Size, end: Size) -> list[LeafOut]:
    out = []
    witnessed = centre.audit.witnessed_size()
    for offset, (entry, leaf_hash) in enumerate(centre.audit.entries(actor.reader, start, end)):
        out.append(
            LeafOut(
                index=start + offset,
                leaf_hash=leaf_hash.hex(),
                entry=entry.to_dict() if entry else None,
                witnessed_by_all=start + offset < witnessed,
            )
        )
    return out


@router.get("/export", summary="A bundle for `concord audit verify` (entries the caller may read in full)")
def export(actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.audit.export(actor.reader)


@router.put(
    "/witnesses/{nation}", status_code=204, summary="Register the nation's witness key (its administrator)"
)
def register_witness(
    actor: ActorDep, centre: CentreDep, nation: Annotated[str, Path(pattern="^[A-Z]{3}$")], body: WitnessKeyIn
) -> None:
    centre.audit.register_witness(actor, nation, body.vkey)


@router.post("/witnesses/{nation}/cosignatures", status_code=204, summary="Store a witness's cosignature")
def cosign(
    actor: ActorDep,
    centre: CentreDep,
    nation: Annotated[str, Path(pattern="^[A-Z]{3}$")],
    body: CosignatureIn,
) -> None:
    # The cosignature authenticates itself against the nation's registered key; signing in only
    # keeps anonymous callers out.
    centre.audit.add_cosignature(nation, body.size, body.note)
