"""Federation: this node's identity, its peers by mutual consent, and pulling intelligence from them.

See docs/federation.md. A node's identity is an Ed25519 key and a self-signed TLS certificate for that
key, made at first start and kept beside the centre's other keys (DATA_DIR/keys, 0600). Requests
between nodes are signed with the node key (RFC 9421 HTTP Message Signatures): the receiving node
knows the caller by the key an administrator added, whatever proxy or TLS terminator sits between.

Intelligence flows over TAXII 2.1: this node pulls each peer's national collection with `added_after`
(the `date_added` of the last object it took, kept in the same transaction as what it took), so a
restart resumes after the last page committed, and then reads the peer's manifest to remove what
the peer no longer releases to it (narrowed or deleted there). Both checks of the boundary apply: the
peer's policy filters what it serves to this node's nation, and this node refuses (and records) any
object the peer could not have released to it (`domain.federation.refusal`).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from concord.bus.base import EventBus
from concord.clock import Clock
from concord.domain import federation as rules
from concord.domain import intel_markings
from concord.domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from concord.domain.federation import Peer
from concord.domain.intel import collection_id
from concord.domain.markings import Caveat, Level, Marking, Tlp
from concord.domain.people import Actor, Role
from concord.domain.stix import RawItem
from concord.private_files import private_dir, write_private
from concord.services.follow import Follower, Followers, Progress
from concord.services.intel import IntelService
from concord.storage import federation as store
from concord.storage.db import Database
from concord.storage.events import append_event

log = logging.getLogger("concord.federation")

TAXII = "application/taxii+json;version=2.1"
#: Components every node-to-node request signs: a signature for one request on one node fits no other.
COVERED = ("@method", "@authority", "@path", "@query")
#: Components every response to a peer signs: its status and content, bound to the request it answers.
COVERED_RESPONSE = ("@status", "content-digest", '"@method";req', '"@authority";req', '"@path";req', '"@query";req')
#: A signed request older than this is refused (with the verifier's clock-skew tolerance).
MAX_AGE = timedelta(seconds=60)
INTEL = "intel_object"


class NodeIdentity:
    """The node key (Ed25519) and its TLS certificate, created at first use, kept 0600 in `directory`."""

    def __init__(self, directory: Path, hostnames: Sequence[str] = ("localhost", "127.0.0.1")) -> None:
        self.directory = directory
        self.hostnames = tuple(hostnames)
        self._key: Ed25519PrivateKey | None = None

    @property
    def key_path(self) -> Path:
        return self.directory / "node.key"

    @property
    def certificate_path(self) -> Path:
        return self.directory / "node.crt"

    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            if not self.key_path.exists():
                private_dir(self.directory)
                pem = Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
                try:  # exclusive: of two processes starting at once, one creates the key, both use it
                    descriptor = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    time.sleep(0.1)
                else:
                    with os.fdopen(descriptor, "wb") as handle:
                        handle.write(pem)
            loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise Invalid(f"{self.key_path} does not hold an Ed25519 key", field="node_key")
            self._key = loaded
        return self._key

    def public_raw(self) -> bytes:
        return self.key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def node_id(self) -> str:
        return rules.node_id(self.public_raw())

    @property
    def fingerprint(self) -> str:
        return rules.fingerprint(self.public_raw())

    def certificate(self) -> x509.Certificate:
        """The node's TLS certificate (self-signed with the node key; peers pin it by fingerprint)."""
        if not self.certificate_path.exists():
            key = self.key()
            now = datetime.now(UTC)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"concord-node-{self.node_id}")])
            names: list[x509.GeneralName] = []
            for host in self.hostnames:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            certificate = (
                x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(key, None)
            )
            write_private(self.certificate_path, certificate.public_bytes(serialization.Encoding.PEM))
        return x509.load_pem_x509_certificate(self.certificate_path.read_bytes())

    def certificate_fingerprint(self) -> str:
        digest = self.certificate().fingerprint(hashes.SHA256()).hex()
        return "SHA256:" + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


@dataclass(frozen=True, slots=True)
class PeerView:
    peer: Peer
    link: Mapping[str, object]


class _PeerKeys(HTTPSignatureKeyResolver):
    """Public keys of the peers this node holds now (a removed peer's key is gone at once)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.found: Peer | None = None

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        with self.db.read() as conn:
            peer = store.peer_by_node(conn, key_id)
        if peer is None:
            raise InvalidSignature("no peer node holds this key")
        self.found = peer
        return Ed25519PublicKey.from_public_bytes(peer.key)

    def resolve_private_key(self, key_id: str) -> Any:
        raise InvalidSignature("this resolver holds no private key")


class _OwnKey(HTTPSignatureKeyResolver):
    def __init__(self, identity: NodeIdentity) -> None:
        self.identity = identity

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return self.identity.key().public_key()

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        return self.identity.key()


class PeerKey(HTTPSignatureKeyResolver):
    """The one key a peer's answers must be signed with: the one its administrator gave."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        if key_id != self.peer.node_id:
            raise InvalidSignature("signed by another node's key")
        return Ed25519PublicKey.from_public_bytes(self.peer.key)

    def resolve_private_key(self, key_id: str) -> Any:
        raise InvalidSignature("this resolver holds no private key")


@dataclass(frozen=True, slots=True)
class _Reply:
    """A response as the signer reads it (RFC 9421's message interface), its headers written here."""

    status_code: int
    headers: dict[str, str]
    request: SignedRequest


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the verifier reads of a request (RFC 9421's message interface)."""

    method: str
    url: str
    headers: Mapping[str, str]


class FederationService:
    def __init__(self, db: Database, clock: Clock, identity: NodeIdentity, intel: IntelService,
                 partners: Callable[[], Mapping[str, str]], *, nation: str | None, page_size: int = 500,
                 timeout_seconds: float = 30.0) -> None:
        self.db = db
        self.clock = clock
        self.identity = identity
        self.intel = intel
        self.partners = partners
        self.nation = nation
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds
        self._http = requests.Session()

    # --- peers, by an administrator of this node's nation --------------------------------------
    def _require_admin(self, actor: Actor) -> str:
        """An administrator of the node's nation (the nation returned)."""
        self._require_viewer(actor)
        if self.nation is None:
            raise Invalid("this node has no nation: set CONCORD_NODE_NATION before adding peers", field="nation")
        return self.nation

    def _require_viewer(self, actor: Actor) -> None:
        """An administrator of the node's nation; on a node with no nation yet (and so no peers), any
        administrator may see that and the node's public identity."""
        actor.require(Role.ADMINISTRATOR, action="managing peer nodes")
        if self.nation is not None and actor.nation != self.nation:
            raise Forbidden(f"peer nodes are managed by {self.nation}'s administrators", field="nation")

    def add_peer(self, actor: Actor, *, name: str, nation: str, url: str, key: str, level: str) -> Peer:
        own = self._require_admin(actor)
        name, nation, url, raw, lvl = rules.new_peer_fields(name, nation, url, key, level)
        if raw == self.identity.public_raw():
            raise Invalid("that is this node's own key", field="key")
        if nation not in self.partners():
            raise Invalid(f"{nation} is not a partner nation of this node: add it first", field="nation")
        now = self.clock.now()
        with self.db.write() as tx:
            peer = store.add_peer(tx.conn, name=name, nation=nation, url=url, key=raw, node_id=rules.node_id(raw),
                                  level=lvl, at=now, by=actor.person_id)
            if peer is None:
                raise Invalid(f"a peer named {name!r} or with this key is held already", field="name")
            self._event(tx, actor, own, "peer.added", peer)
        return peer

    def remove_peer(self, actor: Actor, name: str) -> None:
        """Cut the peer at once: its requests are refused and nothing more is pulled from it. What it
        sent stays, marked as it was, and cannot be changed here (its originator node is gone)."""
        own = self._require_admin(actor)
        with self.db.write() as tx:
            peer = store.peer_named(tx.conn, name)
            if peer is None:
                raise NotFound(f"no peer named {name!r}", field="name")
            store.remove_peer(tx.conn, peer.id)
            self._event(tx, actor, own, "peer.removed", peer)

    def peers(self, actor: Actor) -> list[PeerView]:
        self._require_viewer(actor)
        with self.db.read() as conn:
            return [PeerView(p, link) for p, link in store.list_peers(conn)]

    def public_key(self) -> str:
        return rules.encode_key(self.identity.public_raw())

    def _event(self, tx: Any, actor: Actor, own: str, kind: str, peer: Peer) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="peer", item_id=peer.id,
                     marking=Marking.build(Level.UNCLASSIFIED, own, (), Tlp.AMBER), actor_id=actor.person_id,
                     actor_nation=actor.nation,
                     payload={"name": peer.name, "nation": peer.nation, "url": peer.url,
                              "fingerprint": peer.fingerprint, "level": peer.level.name})

    # --- the sending side: who is asking ------------------------------------------------------
    def authenticate(self, request: SignedRequest) -> Actor:
        """The peer node that signed this request, as the reader it is; Unauthenticated otherwise."""
        keys = _PeerKeys(self.db)
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=keys)
        try:
            verifier.verify(request, max_age=MAX_AGE, expect_tag=rules.SIGNATURE_TAG, require_components=COVERED)
        except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
            raise Unauthenticated(f"the node signature does not verify: {exc}") from None
        if keys.found is None:
            raise Unauthenticated("the node signature does not verify")
        return rules.actor_of(keys.found)

    def sign_response(self, request: SignedRequest, status: int, body: bytes) -> dict[str, str]:
        """The headers that sign a response to a peer node's request (Content-Digest, Signature-Input,
        Signature): the peer checks them with this node's key before it takes anything."""
        reply = _Reply(status, {}, request)
        signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey(self.identity))
        signer.sign(reply, key_id=self.identity.node_id, tag=rules.SIGNATURE_TAG,
                    covered_component_ids=COVERED_RESPONSE, created=datetime.now(UTC), body=body)
        return reply.headers

    # --- the receiving side: pulling ------------------------------------------------------------
    def _get(self, peer: Peer, path: str, params: Mapping[str, str]) -> requests.Response:
        return self.get_signed(peer, path, params, accept=TAXII)

    def get_signed(self, peer: Peer, path: str, params: Mapping[str, str], *, accept: str) -> requests.Response:
        """GET `path` from `peer`, signed with this node's key; the answer only if it is a 200 signed by
        the peer's node key (PeerUnavailable otherwise)."""
        url = f"{peer.url}{path}" + (f"?{urlencode(params)}" if params else "")
        prepared = self.signed(requests.Request("GET", url, headers={"Accept": accept}).prepare())
        response = self._http.send(prepared, timeout=self.timeout_seconds, allow_redirects=False)
        if response.status_code != 200:
            raise PeerUnavailable(f"{peer.name} answered {response.status_code} to GET {path}: "
                                  f"{response.text[:300]}", status=response.status_code)
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=PeerKey(peer))
        try:
            verifier.verify(response, max_age=MAX_AGE, expect_tag=rules.SIGNATURE_TAG,
                            require_components=COVERED_RESPONSE, body=response.content)
        except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
            raise PeerUnavailable(f"{peer.name}'s answer to GET {path} is not signed by its node key: {exc}") from None
        return response

    def signed(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        """`prepared` with this node's RFC 9421 signature (Signature-Input and Signature headers)."""
        signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OwnKey(self.identity))
        signer.sign(prepared, key_id=self.identity.node_id, tag=rules.SIGNATURE_TAG, covered_component_ids=COVERED,
                    nonce=secrets.token_urlsafe(12), created=datetime.now(UTC))
        return prepared

    def pull(self, peer: Peer) -> int:
        """Take what `peer` added since the last pull, then remove what it no longer releases here.
        Returns how many objects were received."""
        if self.nation is None:
            raise Invalid("this node has no nation: set CONCORD_NODE_NATION", field="nation")
        base = f"/taxii2/concord/collections/{collection_id(peer.nation)}/"
        received = 0
        while True:
            with self.db.read() as conn:
                held, cursor = store.cursor_of(conn, peer.id)
            if not held:
                return received  # removed meanwhile: cut at once
            params = {"limit": str(self.page_size), "match[version]": "all"}
            if cursor is not None:
                params["added_after"] = cursor
            response = self._get(peer, base + "objects/", params)
            envelope = response.json()
            objects = envelope.get("objects", []) if isinstance(envelope, dict) else []
            last = response.headers.get("X-TAXII-Date-Added-Last")
            received += self._take(peer, objects, last)
            if not (isinstance(envelope, dict) and envelope.get("more")) or not objects or last is None:
                break
        self._reconcile(peer, base)
        return received

    def _take(self, peer: Peer, objects: Sequence[Any], last: str | None) -> int:
        """One page: check each object at the boundary, ingest the accepted ones as the peer's nation,
        and move the cursor, in one transaction."""
        partners = frozenset(self.partners())
        definitions = _concord_definitions(partners | {peer.nation, self.nation or peer.nation})
        items: list[RawItem] = []
        refusals: list[str] = []
        for obj in objects:
            if not isinstance(obj, dict):
                refusals.append("not a STIX object")
                continue
            refs = [r for r in obj.get("object_marking_refs", []) if isinstance(r, str)]
            try:
                marking = intel_markings.from_stix(refs, peer.nation, partners, definitions)
            except Invalid as exc:
                refusals.append(f"{obj.get('id')}: {exc.message}")
                continue
            if obj.get("type") == "marking-definition" and not refs:
                marking = Marking.build(Level.UNCLASSIFIED, peer.nation, partners, Tlp.CLEAR)
            reason = rules.refusal(peer, self.nation or "", marking)
            if reason is not None:
                refusals.append(f"{obj.get('id')}: {reason}")
                continue
            items.append(RawItem(json.dumps(obj, ensure_ascii=False), obj))
        known = [definitions[r] for o in items for r in o.value.get("object_marking_refs", []) if r in definitions]
        actor = rules.actor_of(peer)
        now = self.clock.now()
        with self.db.write() as tx:
            held, _ = store.lock_cursor(tx.conn, peer.id)
            if not held:
                return 0
            result = self.intel.ingest_in(tx, actor, items, known=known) if items else None
            if result is not None:
                store.record_items(tx.conn, peer, INTEL, result.object_ids, now)
                refusals += [f"{f.get('id')}: {f.get('message')}" for f in result.failures]
            store.save_pull(tx.conn, peer.id, until=last, at=now, received=len(result.successes) if result else 0,
                            refused=len(refusals), last_refusal=refusals[-1] if refusals else None)
        for reason in refusals:
            log.warning("refused from peer %s: %s", peer.name, reason)
        return len(items)

    def _reconcile(self, peer: Peer, base: str) -> None:
        """Remove what came from `peer` that its manifest no longer lists for this node (narrowed,
        deleted or no longer releasable here): the peer's current release decides."""
        listed: set[str] = set()
        params: dict[str, str] = {"limit": str(self.page_size)}
        while True:
            body = self._get(peer, base + "manifest/", params).json()
            listed.update(str(o.get("id")) for o in body.get("objects", []) if isinstance(o, dict))
            if not body.get("more") or not body.get("next"):
                break
            params = {"limit": str(self.page_size), "next": str(body["next"])}
        actor = rules.actor_of(peer)
        with self.db.write() as tx:
            held, _ = store.lock_cursor(tx.conn, peer.id)
            if not held:
                return
            gone = [(object_id, stix_id) for object_id, stix_id in
                    self.intel.stix_ids_of(tx, actor, store.items_from(tx.conn, peer, INTEL)) if stix_id not in listed]
            for object_id, _ in gone:
                self.intel.discard_in(tx, actor, object_id)
            store.forget_items(tx.conn, INTEL, [object_id for object_id, _ in gone])
        if gone:
            log.info("removed %d object(s) that peer %s no longer releases here", len(gone), peer.name)

    def pull_all(self, also: Callable[[Peer], int] | None = None) -> int:
        """One round over every peer. A peer that fails is recorded on its link (`/api/peers`, `/metrics`)
        and the others go on; a link that is down does not make this node unready (`/readyz` reports
        this node's own failures: a round that cannot read or write its database fails the follower)."""
        with self.db.read() as conn:
            peers = [p for p, _ in store.list_peers(conn)]
        total = 0
        for peer in peers:
            try:
                total += self.pull(peer)
                if also is not None:  # the event-log feed (services/federation_feed.py)
                    total += also(peer)
            except Exception as exc:  # a peer down or misbehaving must not stop the others
                reason = f"{type(exc).__name__}: {exc}"
                log.warning("pull from peer %s failed: %s", peer.name, reason)
                with self.db.write() as tx:
                    store.save_failure(tx.conn, peer.id, reason, self.clock.now())
        return total

    def follower(self, bus: EventBus, followers: Followers, poll_seconds: float,
                 also: Callable[[Peer], int] | None = None) -> Follower:
        """The supervised puller: a round every `poll_seconds` (its lag per peer is in /metrics); `also`
        pulls each peer's event-log feed after its intelligence."""
        async def step(_position: int, latest: int) -> Progress:
            await asyncio.to_thread(self.pull_all, also)
            return Progress(latest)

        return followers.follow("federation-pull", bus, step, start=lambda: 0, poll_seconds=poll_seconds,
                                pause_seconds=poll_seconds)


class PeerUnavailable(RuntimeError):
    """A peer did not answer as a Concord node should (down, refusing us, or not speaking TAXII)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status it answered with, if it answered


@functools.lru_cache(maxsize=8)
def _concord_definitions(nations: frozenset[str]) -> dict[str, Mapping[str, Any]]:
    """Concord's releasability marking definitions over `nations`, by id.

    A Concord definition is derived from its content (the same content, the same id) and is not a
    stored object, so a peer's feed names it without carrying it; the receiver rebuilds the ones a
    known set of nations can form. A release naming a nation this node does not know stays
    unresolved, which reads as originator-only: refused, never widened."""
    found: dict[str, Mapping[str, Any]] = {}
    ordered = sorted(nations)
    for size in range(1, len(ordered) + 1):
        for group in combinations(ordered, size):
            for level in Level:
                for caveats in ((), (Caveat.ORCON,)):
                    definition = intel_markings.releasability_marking_definition(level, group, caveats)
                    found[definition["id"]] = definition
    return found


class PeerCollector(Collector):
    """Per peer: objects received and refused, seconds since the last good pull, and whether it failed."""

    def __init__(self, service: FederationService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        received = CounterMetricFamily("concord_peer_received", "Objects received from a peer node", labels=["peer"])
        refused = CounterMetricFamily("concord_peer_refused", "Objects refused at the boundary from a peer node",
                                      labels=["peer"])
        behind = GaugeMetricFamily("concord_peer_pull_age_seconds", "Seconds since the last complete pull from a "
                                   "peer node (how far this node may be behind it)", labels=["peer"])
        failing = GaugeMetricFamily("concord_peer_failing", "1 when the last pull from the peer failed",
                                    labels=["peer"])
        now = self.service.clock.now()
        try:
            with self.service.db.read() as conn:
                rows = store.list_peers(conn)
        except Exception:  # metrics must answer even while the database does not
            rows = []
        for peer, link in rows:
            received.add_metric([peer.name], float(link["received"] or 0))  # type: ignore[arg-type]
            refused.add_metric([peer.name], float(link["refused"] or 0))  # type: ignore[arg-type]
            pulled = link["pulled_at"]
            if isinstance(pulled, datetime):
                at = pulled if pulled.tzinfo else pulled.replace(tzinfo=UTC)
                behind.add_metric([peer.name], max(0.0, (now - at).total_seconds()))
            failed = link["failed_at"]
            failing.add_metric([peer.name], 1.0 if link["last_error"] and failed else 0.0)
        yield received
        yield refused
        yield behind
        yield failing
