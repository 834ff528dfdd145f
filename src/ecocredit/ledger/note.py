"""C2SP signed notes, Ed25519 note keys and tlog checkpoints, with no I/O.

Formats (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint):

- a signed note is its text (UTF-8, ending in a newline), a blank line, then one line per
  signature: ``— <key name> base64(key id[4] || signature)``;
- the key id is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` for Ed25519 (type 0x01);
- a verifier key is ``<name>+<key id hex>+base64(0x01 || public key)``, and a signer key is
  ``PRIVATE+KEY+<name>+<key id hex>+base64(0x01 || seed)`` as in golang.org/x/mod/sumdb/note;
- a checkpoint's text is the log's origin, the decimal tree size and the base64 root hash,
  one per line.

Verifiers ignore signatures by keys they do not know, so a note can carry witness cosignatures
or the signature of a rotated-in key without any change of format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # em dash and a space, as the format requires
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A malformed key, note or checkpoint, or a signature that does not verify."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, with no spaces and no '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte id of an Ed25519 note key named ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public note key: checks signatures made by the matching :class:`Signer`."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte id that signature lines carry."""
        return key_id(self.name, self.public_key)

    def text(self) -> str:
        """Return the verifier key string ``<name>+<id>+<base64>``."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private note key (Ed25519 seed) and its name."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        """Make a new random key called ``name``."""
        _check_name(name)
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(name, seed)

    @property
    def verifier(self) -> Verifier:
        """The public half of this key."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def text(self) -> str:
        """Return the signer key string ``PRIVATE+KEY+<name>+<id>+<base64>`` (keep it secret)."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{blob}"

    def sign(self, message: bytes) -> bytes:
        """Return the Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _split_key(text: str, parts: int, what: str) -> list[str]:
    # The base64 part may itself contain '+', so split from the left only.
    fields = text.strip().split("+", parts - 1)
    if len(fields) != parts:
        raise NoteError(f"{what} must have {parts} '+'-separated fields")
    return fields


def _key_material(name: str, id_hex: str, blob_b64: str, what: str) -> bytes:
    _check_name(name)
    blob = _b64decode(blob_b64, what)
    if len(blob) != 33 or blob[0] != ALG_ED25519:
        raise NoteError(f"{what} is not an Ed25519 key (type 0x01 and 32 bytes)")
    if len(id_hex) != 8:
        raise NoteError(f"{what} key id must be 8 hex digits")
    return blob[1:]


def parse_verifier(text: str) -> Verifier:
    """Parse a verifier key string, checking that its key id matches its key."""
    name, id_hex, blob = _split_key(text, 3, "verifier key")
    verifier = Verifier(name, _key_material(name, id_hex, blob, "verifier key"))
    if verifier.key_id.hex() != id_hex.lower():
        raise NoteError("verifier key id does not match the key")
    return verifier


def parse_signer(text: str) -> Signer:
    """Parse a ``PRIVATE+KEY+…`` signer key string, checking that its key id matches."""
    private, key, name, id_hex, blob = _split_key(text, 5, "signer key")
    if (private, key) != ("PRIVATE", "KEY"):
        raise NoteError("signer key must start with PRIVATE+KEY+")
    seed = _key_material(name, id_hex, blob, "signer key")
    try:
        signer = Signer(name, seed)
        computed = signer.verifier.key_id.hex()
    except ValueError as exc:
        raise NoteError("signer key is not a valid Ed25519 seed") from exc
    if computed != id_hex.lower():
        raise NoteError("signer key id does not match the key")
    return signer


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in text):
        raise NoteError("note text must not contain control characters other than newline")


def sign_note(text: str, signer: Signer) -> str:
    """Return ``text`` signed by ``signer`` as a signed note."""
    _check_text(text)
    signature = signer.sign(text.encode())
    blob = base64.b64encode(signer.verifier.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{signer.name} {blob}\n"


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[str]]:
    """Check a signed note against known keys; return its text and the names that signed it.

    Signatures by unknown keys are ignored; a signature by a known key that does not verify, or
    a note with no signature by any known key, is an error.
    """
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("signed note has no blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteError("signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    known = {(v.name, v.key_id): v for v in verifiers}
    signed_by: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line {number} does not start with '— '")
        name, _, blob_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        _check_name(name)
        blob = _b64decode(blob_b64, f"signature line {number}")
        if len(blob) < 5:
            raise NoteError(f"signature line {number} is too short")
        verifier = known.get((name, blob[:4]))
        if verifier is None:
            continue
        if name in signed_by:
            raise NoteError(f"note carries two signatures by {name}")
        if not verifier.verify(text.encode(), blob[4:]):
            raise NoteError(f"signature by {name} does not verify")
        signed_by.append(name)
    if not signed_by:
        raise NoteError("note carries no signature by a known key")
    return text, signed_by


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: the log's origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """Return the checkpoint body, the text that is signed."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the text of a signed note)."""
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs an origin, a size and a root hash")
    origin, size_text, root_b64, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin is empty")
    if (
        not size_text.isdigit()
        or not size_text.isascii()
        or (size_text != "0" and size_text.startswith("0"))
    ):
        raise NoteError(f"checkpoint size {size_text!r} is not a decimal number")
    if int(size_text) > 2**64 - 1:
        raise NoteError(f"checkpoint size {size_text} is beyond 2^64-1")
    root = _b64decode(root_b64, "checkpoint root hash")
    if len(root) != 32:
        raise NoteError("checkpoint root hash is not 32 bytes")
    if any(not line for line in extensions):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint with the log's key and return it."""
    text, _ = open_note(note, [verifier])
    checkpoint = parse_checkpoint(text)
    expected = origin if origin is not None else verifier.name
    if checkpoint.origin != expected:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {expected!r}")
    return checkpoint
