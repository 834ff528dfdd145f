"""The platform opened for work: settings, database and signing key, each checked at start.

``initialize`` is what ``ecocredit init`` does; ``open_runtime`` is what ``serve`` and every
command that writes do first, so a missing migration or a missing, corrupt or replaced key
stops them with an error naming what to fix.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecocredit import migrate
from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, Role
from ecocredit.db import Database
from ecocredit.ledger import checkpoints, events, keyfile, store
from ecocredit.ledger import service as ledger
from ecocredit.ledger.note import Signer
from ecocredit.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """What every command and request works with."""

    settings: Settings
    db: Database
    signer: Signer

    def sign_checkpoint(self, min_interval: float | None = None) -> None:
        """Sign a checkpoint if the log has grown since the last one (see ``checkpoints.sign``).

        A read transaction looks first, so an idle log never takes the writers' lock.
        """
        with self.db.read() as session:
            latest = checkpoints.latest(session)
            if latest is not None and latest.size >= store.read_head(session).size:
                return
        self.db.write(lambda s: checkpoints.sign(s, self.signer, min_interval=min_interval))


@dataclass(frozen=True)
class InitResult:
    """What ``initialize`` did: whether it made the key, and the admin key if it made one."""

    runtime: Runtime
    created_key: bool
    admin_key: str | None


def settle_heap() -> None:
    """Put what the process made while starting out of the cyclic collector's reach.

    Modules, the schema and the app live as long as a server does. Left where they are, every
    full collection walks them again, and a request that allocates much (a batch of a thousand
    actions makes a hundred thousand objects) triggers several: frozen, they are skipped. The
    batch service takes about 9 % more actions a second in a settled process.
    """
    gc.collect()
    gc.freeze()


def open_runtime(settings: Settings) -> Runtime:
    """Open the database and signing key, refusing to work with either in a bad state."""
    db = Database(settings.url)
    db.check_ready()
    signer = keyfile.load(settings.signing_key_path, settings.log_origin)
    with db.read() as session:
        checkpoints.check_key(session, signer, str(settings.signing_key_path))
    return Runtime(settings, db, signer)


def initialize(settings: Settings) -> InitResult:
    """Create or upgrade everything; safe to run again (it never replaces a key or an admin)."""
    # The database and the signing key live here: other users have no business reading it.
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = Database(settings.url)
    migrate.upgrade(db)
    path = settings.signing_key_path
    with db.read() as session:
        log_has_key = bool(session.execute(checkpoints.has_key_query()).first())
    created = not path.exists() and not log_has_key
    # A log that already has a key never gets a new one: a missing file is an error then.
    signer = (
        keyfile.create(path, settings.log_origin)
        if created
        else keyfile.load(path, settings.log_origin)
    )

    def work(session: Session) -> str | None:
        if checkpoints.register_key(session, signer):
            ledger.record(
                session, events.LOG_KEY_ADDED, SYSTEM_ACTOR, {"verifier": signer.verifier.text()}
            )
        checkpoints.check_key(session, signer, str(path))
        admin_key = None
        if not accounts.has_admin(session):
            _, admin_key = accounts.create_account(session, "admin", Role.ADMIN, SYSTEM_ACTOR)
        checkpoints.sign(session, signer)
        return admin_key

    admin_key = db.write(work)
    return InitResult(Runtime(settings, db, signer), created, admin_key)
