"""Signed notes, note keys and checkpoints against the reference implementation's examples."""

from __future__ import annotations

import base64

import pytest

from ecocredit.ledger import note
from ecocredit.ledger.note import Checkpoint, NoteError, Signer

# golang.org/x/mod/sumdb/note documentation example (the reference implementation).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)
# C2SP signed-note specification, "Verifier keys" example.
SPEC_VERIFIER = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ON"
    "ncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = note.parse_signer(GO_SIGNER)
    assert signer.verifier.text() == GO_VERIFIER
    assert signer.text() == GO_SIGNER
    assert note.sign_note(GO_TEXT, signer) == GO_NOTE


def test_reference_notes_open_with_their_keys() -> None:
    assert note.open_note(GO_NOTE, [note.parse_verifier(GO_VERIFIER)]) == (
        GO_TEXT,
        ["PeterNeumann"],
    )
    text, names = note.open_note(SPEC_NOTE, [note.parse_verifier(SPEC_VERIFIER)])
    assert text == "This is an example message.\n"
    assert names == ["example.com/foo"]


def test_unknown_signatures_are_ignored_so_witnesses_can_cosign() -> None:
    log, witness = Signer.generate("log.example"), Signer.generate("witness.example")
    signed = note.sign_note("hello\n", log)
    cosigned = signed + note.sign_note("hello\n", witness).split("\n\n", 1)[1]
    assert note.open_note(cosigned, [log.verifier]) == ("hello\n", ["log.example"])
    assert note.open_note(cosigned, [log.verifier, witness.verifier])[1] == [
        "log.example",
        "witness.example",
    ]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda n: n.replace("cryptography", "cryptographY"), "does not verify"),
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
        (lambda n: n.replace("— ", "- "), "does not start"),
        (lambda n: n.rstrip("\n"), "must end with a newline"),
        (lambda n: n.replace("x08go", "!!!go"), "not valid base64"),
    ],
)
def test_tampered_or_malformed_notes_are_refused(mangle: object, message: str) -> None:
    assert callable(mangle)
    with pytest.raises(NoteError, match=message):
        note.open_note(mangle(GO_NOTE), [note.parse_verifier(GO_VERIFIER)])


def test_a_note_signed_by_nobody_we_know_is_refused() -> None:
    stranger = Signer.generate("PeterNeumann")  # same name, different key
    with pytest.raises(NoteError, match="no signature by a known key"):
        note.open_note(GO_NOTE, [stranger.verifier])


def test_more_than_100_signatures_are_refused() -> None:
    line = GO_NOTE.split("\n\n", 1)[1]
    with pytest.raises(NoteError, match="more than 100"):
        note.open_note(GO_TEXT + "\n" + line * 101, [note.parse_verifier(GO_VERIFIER)])


@pytest.mark.parametrize(
    "key",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3",
    ],
)
def test_malformed_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(NoteError):
        note.parse_verifier(key)


def test_checkpoint_round_trip() -> None:
    signer = Signer.generate("example.com/log")
    checkpoint = Checkpoint("example.com/log", 11, bytes(range(32)))
    assert checkpoint.text() == (
        "example.com/log\n11\n" + base64.b64encode(bytes(range(32))).decode() + "\n"
    )
    signed = note.sign_note(checkpoint.text(), signer)
    assert note.open_checkpoint(signed, signer.verifier) == checkpoint


def test_checkpoint_for_another_origin_is_refused() -> None:
    signer = Signer.generate("example.com/log")
    signed = note.sign_note(Checkpoint("other.example/log", 1, bytes(32)).text(), signer)
    with pytest.raises(NoteError, match="origin"):
        note.open_checkpoint(signed, signer.verifier)


@pytest.mark.parametrize(
    "body",
    [
        "o\n",
        "o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "o\n1\nAAAA\n",
        "o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "\n1\nAAAA\n",
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError):
        note.parse_checkpoint(body)


def test_two_signatures_by_the_same_key_are_refused() -> None:
    line = GO_NOTE.split("\n\n", 1)[1]
    with pytest.raises(NoteError, match="two signatures"):
        note.open_note(GO_NOTE + line, [note.parse_verifier(GO_VERIFIER)])


def test_checkpoint_size_beyond_uint64_is_refused() -> None:
    with pytest.raises(NoteError, match="2\\^64"):
        note.parse_checkpoint("o\n18446744073709551616\n" + "A" * 43 + "=\n")
