"""The FastAPI application: every capability's router, the portal, and the one error handler.

Errors raised below the API carry a stable code; :func:`_ecocredit_error` turns them into the
HTTP status and JSON body ``{"error": {"code", "message", "field"?}}``. Malformed parameters
get 400 naming the parameter, database trouble 503 without its details, and nothing a client
sends can make the API answer 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecocredit import __version__
from ecocredit.air.api import router as air_router
from ecocredit.carbon.api import router as carbon_router
from ecocredit.carbon.api_products import router as carbon_products_router
from ecocredit.errors import EcocreditError
from ecocredit.inclusion.api import router as inclusion_router
from ecocredit.inclusion.api_custody import router as custody_router
from ecocredit.ledger.api import router as ledger_router
from ecocredit.ledger.api import tiles_router
from ecocredit.registry.api import router as registry_router
from ecocredit.runtime import Runtime, open_runtime
from ecocredit.settings import Settings, get_settings
from ecocredit.web.air_pages import router as air_pages
from ecocredit.web.carbon_pages import router as carbon_pages
from ecocredit.web.custody_pages import router as custody_pages
from ecocredit.web.inclusion_pages import router as inclusion_pages
from ecocredit.web.registry_pages import router as registry_pages
from ecocredit.web.routes import STATIC_DIR
from ecocredit.web.routes import router as portal_router

log = logging.getLogger("ecocredit")


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _ecocredit_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EcocreditError)
    return _error(exc.status, exc.code, exc.message, exc.field)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":  # its location is a byte offset, not a field
        return _error(400, "invalid_parameter", "the request body is not valid JSON", "body")
    where = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path", "header")]
    field = ".".join(where) or None
    message = f"{field}: {first.get('msg', 'invalid value')}" if field else first.get("msg", "")
    return _error(400, "invalid_parameter", message, field)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    # Starlette's own refusals (an unreadable body, an unknown route) in the platform's shape.
    assert isinstance(exc, StarletteHTTPException)
    codes = {400: "invalid_parameter", 404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    field = "body" if exc.status_code == 400 else None
    return _error(exc.status_code, code, str(exc.detail), field)


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database error", exc_info=exc)
    return _error(503, "database_unavailable", "the database could not complete the request")


async def _checkpointer(runtime: Runtime) -> None:
    """Sign a checkpoint after each burst of writes, at most once per interval."""
    interval = runtime.settings.checkpoint_interval
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(runtime.sign_checkpoint, interval)
        except Exception:  # the loop must outlive a passing database fault
            log.exception("signing a checkpoint failed")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; opening the runtime first, so a bad key or database stops it here."""
    runtime = runtime or open_runtime(settings or get_settings())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_checkpointer(runtime))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="ecocredit",
        version=__version__,
        description="Environmental numbers the public can trust, and carbon credits never "
        "counted twice. Every state change is in a public Merkle log; verify it with "
        "`ecocredit ledger audit` and the log's public key (`GET /v1/ledger/key`).",
        lifespan=lifespan,
        docs_url=None,
    )
    app.state.runtime = runtime
    app.add_exception_handler(EcocreditError, _ecocredit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(ledger_router)
    app.include_router(tiles_router)
    app.include_router(registry_router)
    app.include_router(air_router)
    app.include_router(carbon_router)
    app.include_router(carbon_products_router)
    app.include_router(inclusion_router)
    app.include_router(custody_router)
    app.include_router(portal_router)
    app.include_router(registry_pages)
    app.include_router(air_pages)
    app.include_router(carbon_pages)
    app.include_router(inclusion_pages)
    app.include_router(custody_pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _offline_docs(app)
    return app


def _offline_docs(app: FastAPI) -> None:
    """Serve the interactive API docs from packaged Swagger UI files: no CDN, works offline."""
    import swagger_ui

    assets = Path(swagger_ui.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="ecocredit API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )
