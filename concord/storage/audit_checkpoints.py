"""The audit log's checkpoints, the witnesses' cosignatures on them, and the witnesses' keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from concord.storage.schema import TS, BigId, metadata

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigId, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("issued_at", TS, nullable=False),
    Column("note", Text, nullable=False),  # the signed note as the centre signed it
    # Consistency proof from the previous checkpoint, made when this one was issued (hex, concatenated):
    # exports carry the proofs as they were, not as a later rewrite of audit_nodes would make them.
    Column("proof", Text, nullable=False),
)

audit_cosignatures = Table(
    "audit_cosignatures",
    metadata,
    Column("size", BigInteger, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("line", Text, nullable=False),  # the signed-note signature line
    Column("signed_at", TS, nullable=False),
    PrimaryKeyConstraint("size", "nation"),
)

audit_witnesses = Table(
    "audit_witnesses",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("vkey", Text, nullable=False),
    Column("registered_at", TS, nullable=False),
    Column("registered_by", Integer, nullable=True),
)


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    size: int
    root_hash: bytes
    issued_at: datetime
    note: str
    proof: list[bytes]  # consistency proof from the previous checkpoint
    cosignatures: dict[str, str]  # nation -> signature line


def add_checkpoint(
    conn: Connection, size: int, root_hash: bytes, issued_at: datetime, note: str, proof: Sequence[bytes]
) -> None:
    conn.execute(
        insert(audit_checkpoints).values(
            size=size,
            root_hash=root_hash,
            issued_at=issued_at,
            note=note,
            proof="".join(h.hex() for h in proof),
        )
    )


def _proof(stored: str) -> list[bytes]:
    return [bytes.fromhex(stored[i : i + 64]) for i in range(0, len(stored), 64)]


def _cosignatures(conn: Connection, sizes: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {size: {} for size in sizes}
    if sizes:
        rows = conn.execute(select(audit_cosignatures).where(audit_cosignatures.c.size.in_(list(sizes))))
        for row in rows:
            out[int(row.size)][row.nation] = row.line
    return out


def _checkpoints(conn: Connection, query: Any) -> list[CheckpointRow]:
    rows = list(conn.execute(query))
    cosigned = _cosignatures(conn, [int(r.size) for r in rows])
    return [
        CheckpointRow(int(r.size), bytes(r.root_hash), r.issued_at, r.note, _proof(r.proof), cosigned[int(r.size)])
        for r in rows
    ]


def latest_checkpoint(conn: Connection) -> CheckpointRow | None:
    found = _checkpoints(conn, select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1))
    return found[0] if found else None


def checkpoint_at(conn: Connection, size: int) -> CheckpointRow | None:
    found = _checkpoints(conn, select(audit_checkpoints).where(audit_checkpoints.c.size == size))
    return found[0] if found else None


def all_checkpoints(conn: Connection, up_to: int | None = None) -> list[CheckpointRow]:
    query = select(audit_checkpoints).order_by(audit_checkpoints.c.size)
    if up_to is not None:
        query = query.where(audit_checkpoints.c.size <= up_to)
    return _checkpoints(conn, query)


def smallest_covering(conn: Connection, seq: int, nations: Sequence[str]) -> int | None:
    """The smallest checkpoint size covering entry `seq` that every one of `nations` cosigned."""
    if not nations:
        return None
    c = audit_cosignatures.c
    query = (
        select(c.size)
        .where(c.size > seq, c.nation.in_(list(nations)))
        .group_by(c.size)
        .having(func.count(func.distinct(c.nation)) == len(set(nations)))
        .order_by(c.size)
        .limit(1)
    )
    found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


def largest_cosigned_by_all(conn: Connection, nations: Sequence[str]) -> int:
    """The size of the largest checkpoint every one of `nations` cosigned (0 if none): entries
    below it are witnessed by every nation."""
    if not nations:
        return 0
    c = audit_cosignatures.c
    query = select(func.max(c.size)).where(
        c.size.in_(
            select(c.size)
            .where(c.nation.in_(list(nations)))
            .group_by(c.size)
            .having(func.count(func.distinct(c.nation)) == len(set(nations)))
        )
    )
    found = conn.execute(query).scalar_one_or_none()
    return 0 if found is None else int(found)


def add_cosignature(conn: Connection, size: int, nation: str, line: str, signed_at: datetime) -> None:
    c = audit_cosignatures.c
    conn.execute(audit_cosignatures.delete().where(c.size == size, c.nation == nation))
    conn.execute(insert(audit_cosignatures).values(size=size, nation=nation, line=line, signed_at=signed_at))


def witness_keys(conn: Connection) -> dict[str, str]:
    return {row.nation: row.vkey for row in conn.execute(select(audit_witnesses))}


def set_witness_key(conn: Connection, nation: str, vkey: str, at: datetime, by: int | None) -> None:
    conn.execute(audit_witnesses.delete().where(audit_witnesses.c.nation == nation))
    conn.execute(insert(audit_witnesses).values(nation=nation, vkey=vkey, registered_at=at, registered_by=by))
