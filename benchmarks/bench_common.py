"""What every benchmark shares: a throwaway PostgreSQL schema on the server `make bench` starts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.schema import CreateSchema, DropSchema

from ecocredit.db import make_engine


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """Create a throwaway schema; yield a URL whose search_path points at it; drop it after."""
    schema, admin = f"bench_{uuid.uuid4().hex[:12]}", make_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(CreateSchema(schema))
            conn.commit()
        try:
            yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        finally:
            with admin.connect() as conn:
                conn.execute(DropSchema(schema, cascade=True))
                conn.commit()
    finally:
        admin.dispose()
