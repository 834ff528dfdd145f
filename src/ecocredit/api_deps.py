"""FastAPI dependencies every capability's router shares: the runtime, sessions, the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import EntryTooLarge, NotAuthenticated, PermissionDenied
from ecocredit.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer eco_…`")


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A read-only transaction for the length of the request."""
    with runtime.db.read() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]


def require(*roles: Role) -> Callable[..., Principal]:
    """Return a dependency that authenticates the caller and checks they hold one of ``roles``."""

    def dependency(
        runtime: RuntimeDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise NotAuthenticated("this action needs an API key: Authorization: Bearer <key>")
        with runtime.db.read() as session:
            caller = accounts.authenticate(session, credentials.credentials)
        if roles and not any(caller.has(r) for r in roles):
            allowed = " or ".join(r.value for r in roles)
            raise PermissionDenied(
                f"this action needs the role {allowed}; {caller.name} has {caller.describe_roles()}"
            )
        return caller

    return dependency


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Caller = Annotated[Principal, Depends(require())]  # any account; the service checks authority


# The OpenAPI body of uploads that take a CSV file or a JSON array of objects.
CSV_OR_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (``entry_too_large``) when longer than ``limit`` bytes.

    A declared length over the limit is refused before anything is read, and the body is read
    in pieces, so an oversized upload never sits in memory whole.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise EntryTooLarge(f"the body is {declared} bytes; send at most {limit} per request")
    pieces, size = [], 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise EntryTooLarge(f"the body is over {limit} bytes; send at most that per request")
        pieces.append(piece)
    return b"".join(pieces)
