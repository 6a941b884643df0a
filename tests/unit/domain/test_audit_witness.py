"""What a nation's witness checks before it cosigns."""

from __future__ import annotations

import pytest

from concord.domain import checkpoint as notes
from concord.domain.audit_bundle import issue_checkpoint
from concord.domain.audit_witness import WitnessState, cosign
from concord.domain.errors import Invalid, StateConflict
from concord.domain.merkle import MemoryTree, consistency_proof, leaf_hash

ORIGIN = "concord.example/audit"
CENTRE = notes.SignerKey.generate(ORIGIN)
WITNESS = notes.SignerKey.generate("tur.example/witness", notes.COSIGNATURE_V1)


def _tree(n: int, salt: bytes = b"") -> MemoryTree:
    tree = MemoryTree()
    tree.append(leaf_hash(salt + str(i).encode()) for i in range(n))
    return tree


def _cosign(state: WitnessState | None, note: str, proof: list[bytes]) -> tuple[str, WitnessState]:
    return cosign(
        state=state,
        note=note,
        proof=proof,
        log_key=CENTRE.verifier(),
        witness=WITNESS,
        origin=ORIGIN,
        now=1_790_000_000,
    )


def test_cosigns_a_consistent_history_and_remembers_it() -> None:
    tree = _tree(20)
    first, state = _cosign(None, issue_checkpoint(ORIGIN, 7, tree.root(7), CENTRE), [])
    (sig,) = notes.SignedNote.parse(first).signatures_by(WITNESS.verifier())
    assert notes.verify(notes.SignedNote.parse(first).text, sig, WITNESS.verifier())
    assert notes.cosignature_time(sig) == 1_790_000_000
    later = issue_checkpoint(ORIGIN, 20, tree.root(20), CENTRE)
    _, state = _cosign(WitnessState.from_json(state.to_json()), later, consistency_proof(tree, 7, 20))
    assert state.size == 20 and state.root_hash == tree.root(20)


def test_refuses_a_rewritten_history_a_shrunk_log_and_an_unsigned_checkpoint() -> None:
    honest, forked = _tree(20), _tree(20, salt=b"x")
    _, state = _cosign(None, issue_checkpoint(ORIGIN, 7, honest.root(7), CENTRE), [])
    rewritten = issue_checkpoint(ORIGIN, 20, forked.root(20), CENTRE)
    with pytest.raises(StateConflict, match="history was rewritten"):
        _cosign(state, rewritten, consistency_proof(forked, 7, 20))
    with pytest.raises(StateConflict, match="shrank"):
        _cosign(state, issue_checkpoint(ORIGIN, 5, honest.root(5), CENTRE), [])
    impostor = notes.SignerKey.generate(ORIGIN)
    with pytest.raises(StateConflict, match="centre signature"):
        _cosign(state, issue_checkpoint(ORIGIN, 20, honest.root(20), impostor), consistency_proof(honest, 7, 20))
    with pytest.raises(Invalid):
        _cosign(state, issue_checkpoint("other.example/log", 20, honest.root(20), CENTRE), [])


def test_a_damaged_state_file_is_a_clear_error() -> None:
    with pytest.raises(Invalid) as err:
        WitnessState.from_json("{not json")
    assert err.value.field == "state"
