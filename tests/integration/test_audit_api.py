"""The audit log through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.audit_verify import verify_bundle
from concord.domain.audit_witness import WitnessState, cosign
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.merkle import verify_consistency, verify_inclusion
from concord.domain.people import Actor, Role
from concord.services.audit import ReadItem
from concord.storage.events import append_event
from tests.factories import ApiClient, person, sign_in


def _root(note: str) -> tuple[int, bytes]:
    checkpoint = notes.Checkpoint.parse(notes.SignedNote.parse(note).text)
    return checkpoint.size, checkpoint.root_hash


def _witness(centre: Centre, admin: ApiClient, nation: str) -> notes.SignerKey:
    key = notes.SignerKey.generate(f"{nation.lower()}.witness.example/audit", notes.COSIGNATURE_V1)
    response = admin.put(f"/api/audit/witnesses/{nation}", json={"vkey": key.verifier().encode()})
    assert response.status_code == 204, response.text
    return key


def _cosign(
    client: ApiClient, centre: Centre, nation: str, key: notes.SignerKey, state: WitnessState | None
) -> WitnessState:
    latest = client.get("/api/audit/checkpoint").json()
    size = latest["size"]
    proof: list[bytes] = []
    if state is not None and 0 < state.size < size:
        body = client.get("/api/audit/proof/consistency", params={"old": state.size, "new": size}).json()
        proof = [bytes.fromhex(h) for h in body["proof"]]
    note, new_state = cosign(
        state=state,
        note=latest["checkpoint"],
        proof=proof,
        log_key=notes.VerifierKey.parse(latest["log_key"]),
        witness=key,
        origin=centre.audit.origin,
        now=1_790_000_000,
    )
    response = client.post(f"/api/audit/witnesses/{nation}/cosignatures", json={"size": size, "note": note})
    assert response.status_code == 204, response.text
    return new_state


def _checkpoint_now(centre: Centre) -> int:
    """Issue a checkpoint covering everything so far; the server's own loop may have done it first."""
    centre.audit.issue_checkpoint()
    return centre.audit.latest()[1].size


def test_every_change_is_an_entry_with_proofs_that_verify(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    tur = sign_in(client, "tur.admin")
    centre.audit.integrate()  # on PostgreSQL leaves wait in a queue for the sequencer (docs/audit.md)
    with centre.db.read() as conn:
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
        entries = conn.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar_one()
    assert events == entries > 0
    first = _checkpoint_now(centre)
    person(centre, "TUR", username="tur.analyst")
    second = _checkpoint_now(centre)
    assert second > first
    assert centre.audit.issue_checkpoint() is None  # nothing new: no new checkpoint

    latest = tur.get("/api/audit/checkpoint").json()
    log_key = notes.VerifierKey.parse(latest["log_key"])
    note = notes.SignedNote.parse(latest["checkpoint"])
    assert notes.verify(note.text, note.signatures_by(log_key)[0], log_key)
    size, root = _root(latest["checkpoint"])
    assert size == latest["size"] == second
    assert tur.get("/api/audit/checkpoint.txt").text == latest["checkpoint"]

    for index in range(size):
        body = tur.get(f"/api/audit/proof/inclusion/{index}").json()
        proof = [bytes.fromhex(h) for h in body["proof"]]
        assert verify_inclusion(index, size, bytes.fromhex(body["leaf_hash"]), proof, root)
        if body["entry"] is not None:
            assert AuditEntry.from_dict(body["entry"]).leaf_hash().hex() == body["leaf_hash"]
    old_size, old_root = _root(tur.get(f"/api/audit/checkpoints/{first}").text)
    proof = tur.get("/api/audit/proof/consistency", params={"old": first, "new": second}).json()["proof"]
    assert verify_consistency(old_size, size, old_root, root, [bytes.fromhex(h) for h in proof])


def test_a_nation_reads_only_what_it_may_but_every_leaf_hash(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    secret = Marking.build(Level.SECRET, "IRQ", [], Tlp.AMBER_STRICT)
    with centre.db.write() as tx:
        append_event(
            tx,
            at=centre.clock.now(),
            kind="intel.created",
            item_type="intel",
            item_id="irq-1",
            marking=secret,
            payload={"title": "IRQ only"},
            actor_id=None,
            actor_nation="IRQ",
        )
    centre.audit.issue_checkpoint()
    tur, irq = sign_in(client, "tur.admin"), sign_in(client, "irq.admin")
    size = tur.get("/api/audit/checkpoint").json()["size"]
    seen_by_tur = tur.get("/api/audit/entries", params={"start": 0, "end": size}).json()
    seen_by_irq = irq.get("/api/audit/entries", params={"start": 0, "end": size}).json()
    assert [e["leaf_hash"] for e in seen_by_tur] == [e["leaf_hash"] for e in seen_by_irq]
    secret_index = next(e["index"] for e in seen_by_irq if e["entry"] and e["entry"]["item_id"] == "irq-1")
    assert seen_by_tur[secret_index]["entry"] is None
    assert "irq-1" not in str(tur.get(f"/api/audit/proof/inclusion/{secret_index}").json())
    assert "irq-1" not in str(tur.get("/api/audit/export").json())
    # TUR's bundle still verifies: the hidden entry is there as its leaf hash.
    report = verify_bundle(tur.get("/api/audit/export").json(), trusted_log_key=centre.audit.public_key())
    assert report.ok, report.problem
    # The server's checkpoint loop may have signed a larger tree since `size` was read (sign-ins
    # after it are entries too), so the bundle covers at least that tree.
    assert report.entries >= size and report.visible_entries < report.entries


def test_witnesses_cosign_and_coverage_is_reported(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    tur, irq = sign_in(client, "tur.admin"), sign_in(client, "irq.admin")
    # An administrator registers only their own nation's witness key.
    other = notes.SignerKey.generate("x.example/w", notes.COSIGNATURE_V1).verifier().encode()
    assert tur.put("/api/audit/witnesses/IRQ", json={"vkey": other}).status_code == 403
    tur_key, irq_key = _witness(centre, tur, "TUR"), _witness(centre, irq, "IRQ")
    # Registering a key is a change like any other: an event, hence an audit entry, seen by both.
    for client_ in (tur, irq):
        registered = [
            e
            for e in client_.get("/api/events", params={"limit": 1000}).json()
            if e["kind"] == "audit.witness_registered"
        ]
        assert sorted(e["item_id"] for e in registered) == ["IRQ", "TUR"]
    centre.audit.issue_checkpoint()
    tur_state = _cosign(tur, centre, "TUR", tur_key, None)
    assert tur.get("/api/audit/proof/inclusion/0").json()["witnessed_by_all_at"] is None
    irq_state = _cosign(irq, centre, "IRQ", irq_key, None)
    first = tur_state.size
    assert tur.get("/api/audit/proof/inclusion/0").json()["witnessed_by_all_at"] == first
    latest = tur.get("/api/audit/checkpoint").json()
    assert latest["cosigned_by"] == ["IRQ", "TUR"]

    person(centre, "TUR", username="tur.later")
    centre.audit.issue_checkpoint()
    tur_state = _cosign(tur, centre, "TUR", tur_key, tur_state)
    irq_state = _cosign(irq, centre, "IRQ", irq_key, irq_state)
    assert tur_state.size > first
    last = tur_state.size - 1
    assert tur.get(f"/api/audit/proof/inclusion/{last}").json()["witnessed_by_all_at"] == tur_state.size
    person(centre, "TUR", username="tur.unwitnessed")
    centre.audit.issue_checkpoint()
    _cosign(tur, centre, "TUR", tur_key, tur_state)  # IRQ has not cosigned this one yet
    size = tur.get("/api/audit/checkpoint").json()["size"]
    listed = tur.get("/api/audit/entries", params={"start": 0, "end": size}).json()
    assert [e["witnessed_by_all"] for e in listed] == [i < tur_state.size for i in range(size)]

    # A cosignature that does not verify is refused and not stored.
    forged = notes.SignerKey.generate(tur_key.name, notes.COSIGNATURE_V1)
    note = tur.get("/api/audit/checkpoint").json()["checkpoint"]
    text = notes.SignedNote.parse(note).text
    forged_sig = notes.sign(text, forged, timestamp=1).signature
    bad_line = notes.NoteSignature(tur_key.name, tur_key.verifier().key_id, forged_sig)
    bad = notes.SignedNote(text, (bad_line,)).encode()
    response = tur.post("/api/audit/witnesses/TUR/cosignatures", json={"size": tur_state.size, "note": bad})
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "note"

    report = verify_bundle(
        tur.get("/api/audit/export").json(),
        trusted_log_key=centre.audit.public_key(),
        trusted_witness_keys={"TUR": tur_key.verifier().encode(), "IRQ": irq_key.verifier().encode()},
    )
    assert report.ok, report.problem
    assert report.witnessed_size == tur_state.size


def test_reads_above_the_configured_level_are_audited(centre: Centre) -> None:
    reader_id, _ = person(centre, "TUR", (Role.ANALYST,), username="tur.reader")
    actor = Actor(reader_id, "tur.reader", "Reader", "TUR", Level.SECRET, frozenset({Role.ANALYST}))
    confidential = Marking.build(Level.CONFIDENTIAL, "TUR", ["IRQ"], Tlp.AMBER)
    restricted = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    before = centre.audit.entries(actor.reader, 0, 1000)
    recorded = centre.audit.record_reads(
        actor,
        [
            ReadItem("intel", "c-1", confidential, {"title": "confidential report"}),
            ReadItem("intel", "r-1", restricted, {"title": "restricted report"}),
        ],
        request_id="req-42",
    )
    assert recorded == 1  # the default level is CONFIDENTIAL
    after = centre.audit.entries(actor.reader, 0, 1000)
    ((new_entry, _),) = after[len(before) :]
    assert new_entry is not None
    assert (new_entry.action, new_entry.item_id, new_entry.actor_person, new_entry.request_id) == (
        "read",
        "c-1",
        reader_id,
        "req-42",
    )


def test_bad_requests_name_the_field(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    tur = sign_in(client, "tur.admin")
    centre.audit.issue_checkpoint()
    size = tur.get("/api/audit/checkpoint").json()["size"]
    assert tur.get(f"/api/audit/proof/inclusion/{size}").status_code == 404
    assert tur.get("/api/audit/proof/consistency", params={"old": 0, "new": size}).status_code == 422
    assert tur.get("/api/audit/proof/consistency", params={"old": 1, "new": size + 5}).status_code == 404
    assert tur.get("/api/audit/entries", params={"start": 5, "end": 2}).status_code == 422
    response = tur.put("/api/audit/witnesses/TUR", json={"vkey": "not a key"})
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "vkey"
    plain = notes.SignerKey.generate("tur.example/w").verifier().encode()  # not a cosignature key
    assert tur.put("/api/audit/witnesses/TUR", json={"vkey": plain}).status_code == 422
    assert client.get("/api/audit/checkpoint").status_code == 401


def test_entries_carry_the_request_id_of_the_change(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    target, _ = person(centre, "TUR", username="tur.target")
    tur = sign_in(client, "tur.admin")
    response = tur.post(f"/api/people/{target}/disable", headers={"X-Request-Id": "req-audit-7"})
    assert response.status_code == 204
    centre.audit.issue_checkpoint()
    size = tur.get("/api/audit/checkpoint").json()["size"]
    entries = [e["entry"] for e in tur.get("/api/audit/entries", params={"start": 0, "end": size}).json()]
    (disabled,) = [e for e in entries if e and e["action"] == "person.disabled"]
    assert disabled["request_id"] == "req-audit-7" and disabled["item_id"] == str(target)
