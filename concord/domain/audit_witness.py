"""A nation's witness: what it checks before it cosigns a checkpoint (no I/O).

The witness keeps, outside the centre, its own key and the last checkpoint it cosigned. It cosigns a
new checkpoint only if the centre signed it and it is consistent with that last one (RFC 9162
§2.1.4.2), so a centre that rewrote history cannot obtain a nation's cosignature on the new story.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from concord.domain import checkpoint as notes
from concord.domain.errors import Invalid, StateConflict
from concord.domain.merkle import verify_consistency


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last checkpoint this witness cosigned (size 0: none yet)."""

    size: int
    root_hash: bytes
    note: str

    def to_json(self) -> str:
        return json.dumps({"size": self.size, "root_hash": self.root_hash.hex(), "note": self.note})

    @classmethod
    def from_json(cls, text: str) -> WitnessState:
        try:
            data = json.loads(text)
            return cls(int(data["size"]), bytes.fromhex(data["root_hash"]), str(data["note"]))
        except (ValueError, KeyError, TypeError):
            raise Invalid("the witness state file is damaged", field="state") from None


def cosign(
    *,
    state: WitnessState | None,
    note: str,
    proof: Sequence[bytes],
    log_key: notes.VerifierKey,
    witness: notes.SignerKey,
    origin: str,
    now: int,
) -> tuple[str, WitnessState]:
    """Check `note` (the centre's latest checkpoint) against `state` and return it cosigned.

    `proof` is the consistency proof from `state.size` to the note's size.
    """
    parsed = notes.SignedNote.parse(note)
    checkpoint = notes.Checkpoint.parse(parsed.text)
    if checkpoint.origin != origin:
        raise Invalid(f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}", field="origin")
    centre = parsed.signatures_by(log_key)
    if not centre or not all(notes.verify(parsed.text, sig, log_key) for sig in centre):
        raise StateConflict("the checkpoint does not carry a valid centre signature: not cosigned")
    if state is not None and state.size > 0:
        if checkpoint.size < state.size:
            raise StateConflict(f"the log shrank from size {state.size} to {checkpoint.size}: not cosigned")
        if not verify_consistency(state.size, checkpoint.size, state.root_hash, checkpoint.root_hash, proof):
            raise StateConflict(
                f"the checkpoint of size {checkpoint.size} is not consistent with the one of size "
                f"{state.size} this witness cosigned: the log's history was rewritten; not cosigned"
            )
    signature = notes.sign(parsed.text, witness, timestamp=now)
    cosigned = notes.SignedNote(parsed.text, (*centre, signature)).encode()
    return cosigned, WitnessState(checkpoint.size, checkpoint.root_hash, cosigned)
