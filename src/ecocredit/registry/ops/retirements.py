"""The claim half of a retirement: check it, normalise the beneficiary, record it.

A beneficiary is either an account of the registry or a named entity. Entity names are
normalised (Unicode NFKC, case, punctuation and spacing folded), so "Delta Air Lines, Inc."
and "delta air lines inc" are one beneficiary, shown with the spelling first recorded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ecocredit.errors import InvalidParameter
from ecocredit.registry import ids, lookup
from ecocredit.registry.model import BeneficiaryKind, ReasonCode, RetirementRequest
from ecocredit.registry.tables import entities, retirements

_FOLD = re.compile(r"[\W_]+", re.UNICODE)
MAX_KEY = 200  # registry_entities.key


@dataclass(frozen=True)
class Claim:
    """A checked retirement claim, ready for the log and the table."""

    beneficiary: str
    beneficiary_kind: BeneficiaryKind
    beneficiary_key: str
    reason_code: ReasonCode
    reason: str
    jurisdiction: str
    note: str

    def event_fields(self) -> dict[str, str]:
        """The claim's fields as the log records them."""
        return {
            "beneficiary": self.beneficiary,
            "beneficiary_kind": self.beneficiary_kind.value,
            "reason_code": self.reason_code.value,
            "reason": self.reason,
            "jurisdiction": self.jurisdiction,
            "note": self.note,
        }


def entity_key(name: str) -> str:
    """The normalised key of an entity name."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_FOLD.sub(" ", folded).split())


def check_request(request: RetirementRequest) -> RetirementRequest:
    """Stateless checks of a retirement request; errors name the field."""
    ids.check_jurisdiction(request.jurisdiction)
    try:
        ReasonCode(request.reason_code)
    except ValueError:
        names = ", ".join(c.value for c in ReasonCode)
        raise InvalidParameter(
            f"reason_code {request.reason_code!r} is not one of: {names}", field="reason_code"
        ) from None
    ids.check_text(request.reason, "reason", required=False)
    ids.check_text(request.note, "note", required=False)
    ids.check_text(request.beneficiary_name, "beneficiary_name", required=False, limit=200)
    if request.beneficiary_account and request.beneficiary_name.strip():
        raise InvalidParameter(
            "give beneficiary_account or beneficiary_name, not both", field="beneficiary_name"
        )
    if request.beneficiary_name.strip():
        folded = entity_key(request.beneficiary_name)
        if not folded:
            raise InvalidParameter(
                "beneficiary_name has no letters or digits", field="beneficiary_name"
            )
        if len(folded) > MAX_KEY:
            # Unicode folding can lengthen a name ("ß" → "ss"): the key has to fit too.
            raise InvalidParameter(
                f"beneficiary_name is {len(folded)} characters once normalised; at most "
                f"{MAX_KEY} are allowed",
                field="beneficiary_name",
            )
    return request


def claim(session: Session, request: RetirementRequest, holder: str) -> Claim:
    """Resolve the beneficiary (an account, a known entity, or a new entity)."""
    kind = BeneficiaryKind.ACCOUNT
    name = request.beneficiary_account or holder
    key = f"account:{name}"
    if request.beneficiary_name.strip():
        kind = BeneficiaryKind.ENTITY
        folded = entity_key(request.beneficiary_name)
        key = f"entity:{folded}"
        known = session.execute(select(entities.c.name).where(entities.c.key == folded)).scalar()
        if known is None:
            known = request.beneficiary_name.strip()
            session.execute(insert(entities).values(key=folded, name=known))
        name = str(known)
    elif request.beneficiary_account:
        lookup.account_id(session, name, "beneficiary_account")
    return Claim(
        name,
        kind,
        key,
        ReasonCode(request.reason_code),
        request.reason.strip(),
        request.jurisdiction,
        request.note.strip(),
    )


def record(
    session: Session,
    index: int,
    batch: int,
    holder: int,
    units: int,
    found: Claim,
    via: str,
    moment: datetime,
) -> None:
    """Insert the retirement record (its id is the ledger index of its entry)."""
    session.execute(
        insert(retirements).values(
            ledger_index=index,
            batch_id=batch,
            holder_id=holder,
            amount=units,
            beneficiary_kind=found.beneficiary_kind.value,
            beneficiary_key=found.beneficiary_key,
            beneficiary=found.beneficiary,
            reason_code=found.reason_code.value,
            reason=found.reason,
            jurisdiction=found.jurisdiction,
            note=found.note,
            via=via,
            retired_at=moment,
        )
    )
