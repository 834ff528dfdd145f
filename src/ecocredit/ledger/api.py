"""HTTP API of the log: checkpoints, entries, proofs, notices, and the tlog-tiles layout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecocredit.api_deps import Admin, ReadSession, RuntimeDep
from ecocredit.errors import NotFound
from ecocredit.idempotency import run_once
from ecocredit.ledger import checkpoints, service, store, tiles
from ecocredit.ledger.model import LedgerEntry
from ecocredit.ledger.tiles import TilePathError

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
tiles_router = APIRouter(tags=["tlog-tiles"])

MAX_INDEX = 2**63 - 1
Index = Annotated[int, Query(ge=0, le=MAX_INDEX)]
Size = Annotated[int, Query(ge=1, le=MAX_INDEX)]
TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter is invalid; the body names it."}
}
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key."},
    403: {"description": "The key's account is not an admin."},
}


class EntryOut(BaseModel):
    """One log entry: its index, its exact bytes as text and its leaf hash in hex."""

    index: int
    entry: str = Field(description="The exact entry bytes: RFC 8785 canonical JSON.")
    leaf_hash: str = Field(description="SHA-256(0x00 || entry), lowercase hex.")

    @classmethod
    def of(cls, entry: LedgerEntry) -> EntryOut:
        """Render a stored entry."""
        return cls(index=entry.index, entry=entry.text, leaf_hash=entry.leaf_hash.hex())


class EntriesPage(BaseModel):
    """A page of entries; empty past the end of the log."""

    size: int = Field(description="The log's size when the page was read.")
    entries: list[EntryOut]


class InclusionProof(BaseModel):
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size``."""

    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyProof(BaseModel):
    """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""

    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class NoticeIn(BaseModel):
    """An operator's public notice."""

    text: str = Field(min_length=1, max_length=service.MAX_NOTICE_CHARS)


def _hex(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


@router.get("/checkpoint", response_class=PlainTextResponse)
def get_checkpoint(session: ReadSession) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint signed note)."""
    note = checkpoints.require_latest(session).note
    return Response(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@router.post("/checkpoint", response_class=PlainTextResponse, responses=ADMIN_ERRORS)
def sign_checkpoint(runtime: RuntimeDep, _caller: Admin) -> Response:
    """Sign a checkpoint of the current log now (admin); returns the latest signed note."""

    def work(session: Session) -> str:
        checkpoints.sign(session, runtime.signer)
        return checkpoints.require_latest(session).note

    return Response(runtime.db.write(work), media_type=TEXT)


@router.get("/key", response_class=PlainTextResponse)
def get_key(session: ReadSession) -> Response:
    """The log's public key in signed-note verifier-key form."""
    return Response(checkpoints.public_key(session) + "\n", media_type=TEXT)


@router.get("/entries", response_model=EntriesPage, responses=ERRORS)
def get_entries(
    session: ReadSession,
    start: Index = 0,
    end: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
) -> EntriesPage:
    """Entries ``[start, end)``, at most 1,000 a page."""
    stop = start + service.MAX_PAGE if end is None else end
    entries = service.read_entries(session, start, stop)
    return EntriesPage(
        size=store.read_head(session).size, entries=[EntryOut.of(e) for e in entries]
    )


@router.get("/proof/inclusion", response_model=InclusionProof, responses=ERRORS)
def get_inclusion(session: ReadSession, index: Index, size: Size) -> InclusionProof:
    """The inclusion proof of entry ``index`` in the tree of ``size`` entries."""
    proof = store.inclusion_proof(session, index, size)
    leaf = store.read_entries(session, index, index + 1)[0][2]
    return InclusionProof(
        index=index,
        size=size,
        leaf_hash=leaf.hex(),
        root=store.root_at(session, size).hex(),
        proof=_hex(proof),
    )


@router.get("/proof/consistency", response_model=ConsistencyProof, responses=ERRORS)
def get_consistency(session: ReadSession, first: Size, second: Size) -> ConsistencyProof:
    """The consistency proof from the tree of ``first`` entries to the tree of ``second``."""
    proof = store.consistency_proof(session, first, second)
    return ConsistencyProof(
        first=first,
        second=second,
        first_root=store.root_at(session, first).hex(),
        second_root=store.root_at(session, second).hex(),
        proof=_hex(proof),
    )


@router.post(
    "/notices",
    status_code=201,
    response_model=EntryOut,
    responses={
        **ERRORS,
        401: {"description": "No valid API key."},
        403: {"description": "Not an admin."},
        409: {"description": "Idempotency-Key reused for another request."},
    },
)
def post_notice(
    notice: NoticeIn,
    runtime: RuntimeDep,
    caller: Admin,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Record an operator's public notice in the log (admin)."""

    def work(session: Session) -> tuple[int, object]:
        def publish() -> tuple[int, object]:
            entry = service.publish_notice(session, caller, notice.text)
            return 201, EntryOut.of(entry).model_dump()

        return run_once(session, caller, idempotency_key, notice.model_dump(), publish)

    status, body = runtime.db.submit(work)  # group commit with concurrent writes
    return JSONResponse(body, status_code=status)


@tiles_router.get("/checkpoint", response_class=PlainTextResponse)
def tlog_checkpoint(session: ReadSession) -> Response:
    """The latest checkpoint, at the tlog-tiles path."""
    return get_checkpoint(session)


@tiles_router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        404: {"description": "Not a tile, or not in the log yet."},
    },
)
def tlog_tile(path: str, session: ReadSession) -> Response:
    """A tlog-tiles hash tile ``tile/<L>/<N>[.p/<W>]`` or entry bundle ``tile/entries/<N>…``."""
    try:
        ref = tiles.parse_tile_path(path)
    except TilePathError as exc:
        raise NotFound(f"tile/{path} is not a tile path: {exc}", field="path") from exc
    data = service.tile(session, ref)
    return Response(
        data, media_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE}
    )
