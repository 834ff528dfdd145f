"""A client of the carbon API for the tests: reporters acme and rival and a holder, by key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Role
from ecocredit.app import create_app
from ecocredit.carbon import tables
from ecocredit.ledger import store as ledger_store
from ecocredit.runtime import InitResult

API = "/v1/carbon"
ORG = f"{API}/organisations/ACME"
INVENTORY = f"{ORG}/inventories/2024"
USERS = (("acme", Role.REPORTER), ("rival", Role.REPORTER), ("holder", Role.HOLDER))
TABLES = ("organisations", "facilities", "factors", "inventories", "records", "processes",
          "exchanges")  # fmt: skip


class Api:
    """Requests as one of the accounts, and what the installation holds."""

    def __init__(self, client: TestClient, keys: dict[str, str], installed: InitResult) -> None:
        self.client, self.keys, self.installed = client, keys, installed

    def __call__(self, method: str, path: str, who: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return self.client.request(method, path, headers=headers, **kw)

    def records(self, body: str | bytes, kind: str = "text/csv", who: str = "acme", **kw: Any):
        data = body if isinstance(body, bytes) else body.encode()
        headers = {"Content-Type": kind} | kw.pop("headers", {})
        return self("POST", f"{INVENTORY}/records", who, content=data, headers=headers, **kw)

    def processes(self, body: Any, who: str = "acme") -> Any:
        return self("POST", f"{API}/processes", who, json={"processes": body})

    def state(self) -> tuple[int, ...]:
        """The log's size and the row count of every carbon table."""
        with self.installed.runtime.db.read() as session:
            size = ledger_store.read_head(session).size
            count = [select(func.count()).select_from(getattr(tables, t)) for t in TABLES]
            return (size, *(session.execute(c).scalar_one() for c in count))


@pytest.fixture
def api(installed: InitResult) -> Iterator[Api]:
    """An app on a fresh installation with the three accounts and their keys."""

    def setup(session: Any) -> dict[str, str]:
        return {n: accounts.create_account(session, n, [r], "system")[1] for n, r in USERS}

    keys = installed.runtime.db.write(setup)
    with TestClient(create_app(runtime=installed.runtime), raise_server_exceptions=False) as c:
        yield Api(c, keys, installed)
