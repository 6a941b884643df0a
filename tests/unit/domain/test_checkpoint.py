"""C2SP signed notes, checkpoints, cosignatures and keys."""

from __future__ import annotations

import base64

import pytest

from concord.domain import checkpoint as notes
from concord.domain.errors import Invalid

# Known answers from the reference implementation of the format (Go's sumdb/note documentation).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIG = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
# The example in the C2SP signed-note specification.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = notes.SignerKey.parse(GO_SKEY)
    assert signer.encode() == GO_SKEY
    assert signer.verifier().encode() == GO_VKEY
    note = notes.SignedNote(GO_TEXT, (notes.sign(GO_TEXT, signer),))
    assert note.encode() == f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIG}\n"


def test_the_specification_example_verifies() -> None:
    note = notes.SignedNote.parse(SPEC_NOTE)
    key = notes.VerifierKey.parse(SPEC_VKEY)
    assert note.text == "This is an example message.\n"
    (sig,) = note.signatures_by(key)
    assert notes.verify(note.text, sig, key)
    assert not notes.verify(note.text + "x\n", sig, key)


def test_checkpoint_round_trip_with_extension_lines() -> None:
    cp = notes.Checkpoint("concord.example/audit", 20852163, bytes(range(32)), ("time 1700000000",))
    text = cp.text()
    assert text.splitlines()[:2] == ["concord.example/audit", "20852163"]
    assert base64.b64decode(text.splitlines()[2]) == bytes(range(32))
    assert notes.Checkpoint.parse(text) == cp


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("origin\n12\n", "checkpoint"),
        ("\n12\n" + base64.b64encode(bytes(32)).decode() + "\n", "checkpoint.origin"),
        ("o\n012\n" + base64.b64encode(bytes(32)).decode() + "\n", "checkpoint.size"),
        ("o\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "checkpoint.size"),
        ("o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "checkpoint.root_hash"),
        ("o\n1\nnot base64!\n", "checkpoint.root_hash"),
        ("o\n1\n" + base64.b64encode(bytes(32)).decode(), "checkpoint"),
    ],
)
def test_malformed_checkpoints_name_the_field(text: str, field: str) -> None:
    with pytest.raises(Invalid) as err:
        notes.Checkpoint.parse(text)
    assert err.value.field == field


def test_centre_signature_and_cosignatures_side_by_side() -> None:
    centre = notes.SignerKey.generate("concord.example/audit")
    tur = notes.SignerKey.generate("tur.concord.example/witness", notes.COSIGNATURE_V1)
    irq = notes.SignerKey.generate("irq.concord.example/witness", notes.COSIGNATURE_V1)
    text = notes.Checkpoint("concord.example/audit", 7, bytes(32)).text()
    note = notes.SignedNote(text, (notes.sign(text, centre),))
    note = note.with_signature(notes.sign(text, tur, timestamp=1_700_000_000))
    note = note.with_signature(notes.sign(text, irq, timestamp=1_700_000_001))
    parsed = notes.SignedNote.parse(note.encode())
    assert parsed == note
    for key in (centre, tur, irq):
        vkey = notes.VerifierKey.parse(key.verifier().encode())
        (sig,) = parsed.signatures_by(vkey)
        assert notes.verify(parsed.text, sig, vkey)
    (tur_sig,) = parsed.signatures_by(tur.verifier())
    assert notes.cosignature_time(tur_sig) == 1_700_000_000
    # A cosignature signs the cosignature/v1 message, not the bare text: it is no note signature.
    raw = notes.NoteSignature(tur_sig.name, tur_sig.key_id, tur_sig.signature[8:])
    as_plain = notes.VerifierKey(tur.name, notes.ED25519, tur.verifier().public_key)
    assert not notes.verify(parsed.text, raw, as_plain)
    # Changing the timestamp breaks it.
    later = (1_700_000_005).to_bytes(8, "big")
    moved = notes.NoteSignature(tur_sig.name, tur_sig.key_id, later + raw.signature)
    assert not notes.verify(parsed.text, moved, tur.verifier())


def test_cosignature_key_ids_use_type_0x04() -> None:
    witness = notes.SignerKey.generate("w.example/1", notes.COSIGNATURE_V1)
    vkey = witness.verifier()
    assert notes.key_id(vkey.name, 0x04, vkey.public_key) == vkey.key_id
    assert notes.key_id(vkey.name, 0x01, vkey.public_key) != vkey.key_id
    assert notes.SignerKey.parse(witness.encode()).verifier() == vkey
    with pytest.raises(Invalid):
        notes.sign("x\n", witness)  # a cosignature needs its timestamp


def test_signatures_from_unknown_keys_are_ignored_not_trusted() -> None:
    centre = notes.SignerKey.generate("concord.example/audit")
    impostor = notes.SignerKey.generate("concord.example/audit")  # same name, other key
    text = "concord.example/audit\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    note = notes.SignedNote(text, (notes.sign(text, impostor),))
    assert note.signatures_by(centre.verifier()) == []


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong key id
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in the name
        "PeterNeumann+c74f20a3",
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(Invalid):
        notes.VerifierKey.parse(vkey)


@pytest.mark.parametrize(
    "note",
    [
        "text\n",  # no signatures
        "text\n\n",  # blank line but no signature line
        "text\n\n- name AAAAAAA=\n",  # not an em dash
        "te\x01xt\n\n\u2014 name AAAAAAA=\n",  # control character
        "text\n\n\u2014 name AA==\n",  # too short to hold a key id
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(Invalid):
        notes.SignedNote.parse(note)
