"""The one error tree of ecocredit; every error has a stable code and a message a person can act on.

::

    EcocreditError                        (code)                 HTTP
    ├── InvalidInput                      invalid_input          400
    │   ├── InvalidParameter              invalid_parameter      400  names the parameter
    │   │   └── PrecisionExceeded         precision_exceeded     400  names the precision
    │   └── EntryTooLarge                 entry_too_large        400
    ├── NotAuthenticated                  not_authenticated      401
    ├── PermissionDenied                  permission_denied      403
    ├── NotFound                          not_found              404
    ├── Conflict                          conflict               409
    │   ├── IdempotencyConflict           idempotency_conflict   409
    │   ├── InsufficientBalance           insufficient_balance   409  names what is held
    │   └── AlreadyIssued                 already_issued         409  double issuance
    └── SetupError                        setup_error            503  the operator must act
        ├── SigningKeyError               signing_key_error      503  names the key file
        ├── DatabaseNotReady              database_not_ready     503
        ├── CommitOutcomeUnknown          commit_outcome_unknown 503  retry with the same key
        ├── LedgerCorrupt                 ledger_corrupt         503  names the first bad index
        └── ReplayMismatch                replay_mismatch        503  names the first difference

Code below the API raises these; ``app.py`` maps ``status`` to the HTTP response in one
handler and the CLI prints the message and exits non-zero. Nothing below the API raises HTTP
errors, and low-level errors (database, file system) are translated at the boundary where they
happen.
"""

from __future__ import annotations


class EcocreditError(Exception):
    """Root of every error ecocredit raises on purpose."""

    code = "error"
    status = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Keep the message and, where one parameter or field is to blame, its name."""
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        """Return the error as the API's JSON body shows it."""
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class InvalidInput(EcocreditError):
    """The request or file is malformed; nothing was written."""

    code = "invalid_input"
    status = 400


class InvalidParameter(InvalidInput):
    """One named parameter or field has a value that cannot be used."""

    code = "invalid_parameter"


class PrecisionExceeded(InvalidParameter):
    """An amount has more decimal places than its credit type's precision."""

    code = "precision_exceeded"


class EntryTooLarge(InvalidInput):
    """A ledger entry is longer than the 65,535 bytes a tlog entry bundle can carry."""

    code = "entry_too_large"


class NotAuthenticated(EcocreditError):
    """No API key, or one that is unknown or revoked."""

    code = "not_authenticated"
    status = 401


class PermissionDenied(EcocreditError):
    """The caller's role does not allow this action."""

    code = "permission_denied"
    status = 403


class NotFound(EcocreditError):
    """The thing asked for does not exist (yet)."""

    code = "not_found"
    status = 404


class Conflict(EcocreditError):
    """The action clashes with the current state (a duplicate name, say)."""

    code = "conflict"
    status = 409


class IdempotencyConflict(Conflict):
    """An idempotency key was reused for a different request."""

    code = "idempotency_conflict"


class InsufficientBalance(Conflict):
    """An account tries to move, retire or cancel more than it holds in that state."""

    code = "insufficient_balance"


class AlreadyIssued(Conflict):
    """A report or an external reference would back credits a second time."""

    code = "already_issued"


class Busy(EcocreditError):
    """The data a request needs is taken by maintenance for a while (a bulk import, say)."""

    code = "busy"
    status = 503


class SetupError(EcocreditError):
    """The installation is not usable as it is; the operator has to act."""

    code = "setup_error"
    status = 503


class SigningKeyError(SetupError):
    """The log signing key is missing, unreadable, corrupt or not the log's key."""

    code = "signing_key_error"


class DatabaseNotReady(SetupError):
    """The database has not been created or its migrations are not applied."""

    code = "database_not_ready"


class CommitOutcomeUnknown(SetupError):
    """The database connection was lost during a commit: the change may or may not be saved."""

    code = "commit_outcome_unknown"


class LedgerCorrupt(SetupError):
    """A stored entry, hash or checkpoint does not match what the entries prove."""

    code = "ledger_corrupt"

    def __init__(self, message: str, *, index: int | None = None) -> None:
        """Keep the first leaf index found bad, where there is one."""
        super().__init__(message)
        self.index = index


class ReplayMismatch(SetupError):
    """The registry's tables differ from what replaying the log gives, or the log breaks a rule."""

    code = "replay_mismatch"
