"""Fixtures: each database test runs on SQLite and on the throwaway PostgreSQL of `make test`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine
from sqlalchemy.schema import CreateSchema, DropSchema

from ecocredit.app import create_app
from ecocredit.runtime import InitResult, initialize
from ecocredit.settings import Settings

PG_URL = os.environ.get("ECOCREDIT_TEST_POSTGRES_URL")
PG_SKIP = os.environ.get(
    "ECOCREDIT_TEST_POSTGRES_SKIP",
    "ECOCREDIT_TEST_POSTGRES_URL is not set: run the tests with `make test`",
)
ORIGIN = "test.ecocredit.example/log"

# Tests run in parallel next to a database server: timing says nothing about correctness here.
hypothesis_settings.register_profile("ecocredit", deadline=None)
hypothesis_settings.load_profile("ecocredit")


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres", marks=[pytest.mark.postgres, pytest.mark.skipif(PG_URL is None, reason=PG_SKIP)]
    ),
]


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'ecocredit.db'}"
        return
    assert PG_URL is not None
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(CreateSchema(schema))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of an installation in a temporary directory."""
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        log_origin=ORIGIN,
        checkpoint_interval=0.2,
    )


@pytest.fixture
def installed(settings: Settings) -> Iterator[InitResult]:
    """An initialised installation: database, signing key, admin account."""
    result = initialize(settings)
    yield result
    result.runtime.db.dispose()


@pytest.fixture
def client(installed: InitResult) -> Iterator[TestClient]:
    """An API client of the installation (the app's lifespan runs)."""
    with TestClient(create_app(runtime=installed.runtime)) as test_client:
        yield test_client


@pytest.fixture
def admin_headers(installed: InitResult) -> dict[str, str]:
    """Headers that authenticate as the admin."""
    assert installed.admin_key is not None
    return {"Authorization": f"Bearer {installed.admin_key}"}
