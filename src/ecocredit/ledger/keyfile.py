"""The log's signing key on disk: created once, mode 0600, never replaced silently.

The key file holds one line, the signer key in the ``PRIVATE+KEY+…`` form of signed notes. It
never leaves the data directory; only its public half is published (``ecocredit ledger key``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ecocredit.errors import SigningKeyError
from ecocredit.ledger.note import NoteError, Signer, parse_signer


def create(path: Path, name: str) -> Signer:
    """Create a new signing key at ``path``; refuse if any file is already there."""
    signer = Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: never overwrite a key, even one created a moment ago by another process.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SigningKeyError(
            f"{path}: a signing key already exists; it is never replaced"
        ) from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.text() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return signer


def load(path: Path, name: str) -> Signer:
    """Read the signing key at ``path``, checking its permissions, its form and its name."""
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"{path}: the log signing key is missing. It was created by `ecocredit init`; restore "
            "it from your backup. A new key would not match the log's published key."
        ) from exc
    except OSError as exc:
        raise SigningKeyError(f"{path}: cannot read the log signing key: {exc}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(
            f"{path}: the signing key is readable by others (mode {stat.S_IMODE(mode):o}); "
            "run `chmod 600` on it"
        )
    try:
        signer = parse_signer(text)
    except NoteError as exc:
        raise SigningKeyError(f"{path}: the signing key is corrupt: {exc}") from exc
    if signer.name != name:
        raise SigningKeyError(
            f"{path}: the key signs for log {signer.name!r}, but the log origin is {name!r} "
            "(ECOCREDIT_LOG_ORIGIN)"
        )
    return signer
