"""Signed tree heads in the C2SP formats: checkpoints, signed notes, cosignatures and keys (no I/O).

* c2sp.org/tlog-checkpoint: the note text is the origin line, the tree size in decimal, the
  base64 root hash, then optional extension lines, each ending in a newline.
* c2sp.org/signed-note: the text, a blank line, then one line per signature:
  "— <key name> base64(4-byte key id || signature)". Key id = SHA-256(name || 0x0A || type || key)[:4].
  Ed25519 signatures (type 0x01) sign the note text. Verifier keys ("vkeys") are written
  "<name>+<key id hex>+base64(type || public key)";
  signer keys "PRIVATE+KEY+<name>+<id>+base64(type || seed)".
* c2sp.org/tlog-cosignature: a cosignature/v1 (type 0x04) signs
  "cosignature/v1\\ntime <POSIX seconds>\\n" followed by the checkpoint text, and its signature bytes
  are the 8-byte big-endian timestamp followed by the Ed25519 signature.

Verifiers ignore signature lines from unknown keys (signed-note §Signatures), so a checkpoint
carries the centre's signature and any number of cosignatures side by side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from concord.domain.errors import Invalid

EM_DASH = "\u2014"
ED25519 = 0x01  # signed-note: Ed25519 over the note text
COSIGNATURE_V1 = 0x04  # tlog-cosignature: timestamped Ed25519 cosignature
_KEY_TYPES = frozenset({ED25519, COSIGNATURE_V1})
_MAX_SIGNATURES = 64  # signed-note: verifiers must accept at least 16
_NAME = re.compile(r"^[^\s+]+$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,19})$")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Invalid(f"{what} is not valid base64", field=what) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise Invalid(f"key name {name!r} must be non-empty without spaces or '+'", field="key_name")
    return name


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifierKey:
    name: str
    key_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)

    def encode(self) -> str:
        """The C2SP vkey string."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([self.key_type]) + self.public_key)}"

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        parts = vkey.strip().split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise Invalid("a verifier key is written name+keyid+base64key", field="vkey")
        name, hex_id, b64 = parts
        check_key_name(name)
        raw = _b64decode(b64, "vkey")
        if len(raw) != 33 or raw[0] not in _KEY_TYPES:
            raise Invalid("verifier key must be an Ed25519 (0x01) or cosignature/v1 (0x04) key", field="vkey")
        key = cls(name, raw[0], raw[1:])
        if key.key_id.hex() != hex_id.lower() or len(hex_id) != 8:
            raise Invalid(f"key id {hex_id} does not match the key named {name}", field="vkey")
        return key


@dataclass(frozen=True)
class SignerKey:
    name: str
    key_type: int
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, name: str, key_type: int = ED25519) -> SignerKey:
        check_key_name(name)
        if key_type not in _KEY_TYPES:
            raise Invalid(f"unsupported key type {key_type:#04x}", field="key_type")
        return cls(name, key_type, Ed25519PrivateKey.generate())

    def verifier(self) -> VerifierKey:
        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, self.key_type, public)

    def encode(self) -> str:
        """The signer key string (keep it secret: it holds the private seed)."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{_b64(bytes([self.key_type]) + seed)}"

    @classmethod
    def parse(cls, skey: str) -> SignerKey:
        parts = skey.strip().split("+", 4) if isinstance(skey, str) else []
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise Invalid("a signer key is written PRIVATE+KEY+name+keyid+base64seed", field="skey")
        name, hex_id, b64 = parts[2:]
        check_key_name(name)
        raw = _b64decode(b64, "skey")
        if len(raw) != 33 or raw[0] not in _KEY_TYPES:
            raise Invalid("signer key must hold a 32-byte Ed25519 seed", field="skey")
        key = cls(name, raw[0], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key.verifier().key_id.hex() != hex_id.lower():
            raise Invalid(f"key id {hex_id} does not match the key named {name}", field="skey")
        return key


# --- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not isinstance(text, str) or not text.endswith("\n"):
            raise Invalid("a checkpoint is newline-terminated text", field="checkpoint")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise Invalid("a checkpoint has an origin, a size and a root hash line", field="checkpoint")
        origin, size_text, root_b64, *extensions = lines
        if not origin:
            raise Invalid("the checkpoint origin line is empty", field="checkpoint.origin")
        if not _DECIMAL.match(size_text) or int(size_text) >= 2**63:
            raise Invalid(
                f"checkpoint tree size {size_text!r} is not a decimal number", field="checkpoint.size"
            )
        root_hash = _b64decode(root_b64, "checkpoint.root_hash")
        if len(root_hash) != 32:
            raise Invalid("the checkpoint root hash is not 32 bytes", field="checkpoint.root_hash")
        if any(not line for line in extensions):
            raise Invalid("checkpoint extension lines must not be empty", field="checkpoint.extensions")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


# --- signed notes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # without the key id; for cosignatures, timestamp || Ed25519 signature

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        return SignedNote(self.text, (*self.signatures, signature))

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        if not isinstance(note, str) or not note.endswith("\n"):
            raise Invalid("a signed note is newline-terminated text", field="note")
        if any(ch < " " and ch != "\n" for ch in note):
            raise Invalid("a signed note must not contain control characters", field="note")
        split = note.rfind("\n\n")
        if split < 0:
            raise Invalid("a signed note has a blank line before its signatures", field="note")
        text, sig_block = note[: split + 1], note[split + 2 :]
        lines = sig_block[:-1].split("\n")
        if not sig_block or len(lines) > _MAX_SIGNATURES:
            raise Invalid("a signed note has between 1 and 64 signature lines", field="note")
        signatures = []
        for line in lines:
            prefix, _, rest = line.partition(" ")
            name, _, b64 = rest.partition(" ")
            if prefix != EM_DASH or not name or not b64:
                raise Invalid(f"malformed signature line {line!r}", field="note")
            check_key_name(name)
            raw = _b64decode(b64, "note.signature")
            if len(raw) < 5:
                raise Invalid("a note signature is a key id and signature bytes", field="note")
            signatures.append(NoteSignature(name, raw[:4], raw[4:]))
        return cls(text, tuple(signatures))

    def signatures_by(self, key: VerifierKey) -> list[NoteSignature]:
        """The signature lines whose name and key id both match `key` (others are ignored)."""
        return [s for s in self.signatures if s.name == key.name and s.key_id == key.key_id]


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def sign(text: str, signer: SignerKey, *, timestamp: int | None = None) -> NoteSignature:
    """Sign a note text: a plain Ed25519 note signature, or a cosignature/v1 at `timestamp`."""
    kid = signer.verifier().key_id
    if signer.key_type == ED25519:
        return NoteSignature(signer.name, kid, signer.private_key.sign(text.encode()))
    if timestamp is None or not 0 <= timestamp < 2**63:
        raise Invalid("a cosignature needs a POSIX timestamp", field="timestamp")
    sig = signer.private_key.sign(cosigned_message(text, timestamp))
    return NoteSignature(signer.name, kid, struct.pack(">Q", timestamp) + sig)


def verify(text: str, signature: NoteSignature, key: VerifierKey) -> bool:
    """True if `signature` over `text` verifies with `key` (name and key id must match too)."""
    if signature.name != key.name or signature.key_id != key.key_id:
        return False
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    if key.key_type == ED25519:
        message, sig = text.encode(), signature.signature
    else:
        if len(signature.signature) != 8 + 64:
            return False
        (timestamp,) = struct.unpack(">Q", signature.signature[:8])
        if timestamp >= 2**63:
            return False
        message, sig = cosigned_message(text, timestamp), signature.signature[8:]
    try:
        public.verify(sig, message)
    except InvalidSignature:
        return False
    return True


def cosignature_time(signature: NoteSignature) -> int:
    """The POSIX timestamp a cosignature/v1 signature was made at."""
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    return int(timestamp)
