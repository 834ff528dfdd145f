"""The marine-plastic chain of custody as a service: each verb is one logged transaction.

Every write takes the log's lock first, so lot and handoff ids (one sequence, the largest in
the tables plus one) are never handed out twice. It then loads into a
:class:`~ecocredit.inclusion.custody_model.Chain` just the lots and pending handoffs the verb
touches, calls the pure function of :mod:`ecocredit.inclusion.custody`, writes the lots and
handoffs that changed and logs each event it returned. A refusal raises before anything is
written, and the caller's transaction rolls back whatever would otherwise be left.

Who may act: every verb needs an account with the role ``holder`` (custody is holding plastic;
an operator or a verifier account holds none), and a handoff's receiver must hold that role
too. Beyond the role, the chain's rules are the permissions: only the account holding a lot
weighs it, offers it, processes it or makes a product of it, and only a handoff's receiver
confirms it.

Mass balance at the recycler: the output may be at most inputs × the declared yield, which
must be above 0 and at most 100 %. Above that, up to ``YIELD_TOLERANCE_BP`` more (a scale's
error) is accepted and flagged, but never more than the inputs weighed; anything beyond is
refused. An output below inputs × yield × (1 − tolerance) is accepted and flagged as a loss.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import Principal, Role
from ecocredit.errors import Conflict, InvalidParameter, NotFound, PermissionDenied
from ecocredit.inclusion import custody
from ecocredit.inclusion.custody_model import (
    Chain,
    Coordinates,
    Event,
    Handoff,
    HandoffState,
    Inputs,
    Lot,
    MassFlagged,
    Origin,
    Place,
    Stage,
    Step,
)
from ecocredit.inclusion.custody_tables import handoffs, lot_parents, lots
from ecocredit.inclusion.ops.custody_checks import (
    YIELD_TOLERANCE_BP,
    check_grams,
    check_place,
    check_time,
    mass_balance,
)
from ecocredit.ledger import service as ledger
from ecocredit.ledger import store
from ecocredit.ledger.events import EVENTS

WEIGH_TOLERANCE_BP = 500  # a station's scale may differ from the declared mass by 5 %
_SEQUENCED = re.compile(r"(LOT|HO)-\d+")  # ids the chain issues; never a product's id
_STAGE_ORDER = list(Stage)

# Loading a chain from the tables.


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lot(row: Row[Any], parents: tuple[tuple[str, int], ...]) -> Lot:
    origin = None
    if row.collector is not None:
        place: Place = Coordinates(row.lon, row.lat) if row.lon is not None else row.place
        origin = Origin(row.collector, place, _utc(row.collected_at), row.photo_sha256)
    return Lot(
        row.id, Stage(row.stage), row.holder, int(row.mass), int(row.grams), parents, origin,
        bool(row.weighed), row.product_code,
    )  # fmt: skip


def load_lots(session: Session, ids: Iterable[str]) -> dict[str, Lot]:
    """The lots ``ids`` that exist, with their parents."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    links: dict[str, list[tuple[str, int]]] = {}
    query = select(lot_parents).where(lot_parents.c.child.in_(wanted))
    for child, parent, grams in session.execute(query.order_by(lot_parents.c.parent)).all():
        links.setdefault(child, []).append((parent, int(grams)))
    rows = session.execute(select(lots).where(lots.c.id.in_(wanted))).all()
    return {row.id: _lot(row, tuple(links.get(row.id, ()))) for row in rows}


def _handoffs(session: Session, where: Any) -> dict[str, Handoff]:
    rows = session.execute(select(handoffs).where(where)).all()
    return {
        r.id: Handoff(r.id, r.lot_id, r.from_account, r.to_account, int(r.grams),
                      Stage(r.to_stage), HandoffState(r.state), r.new_lot_id)
        for r in rows
    }  # fmt: skip


def _next_seq(session: Session) -> int:
    top = [session.scalar(select(func.max(table.c.seq))) for table in (lots, handoffs)]
    return max(int(value or 0) for value in top) + 1


def _chain(session: Session, lot_ids: Iterable[str], handoff_id: str | None = None) -> Chain:
    """The lots named, the handoff named (and its lot), and every pending handoff of them."""
    found = _handoffs(session, handoffs.c.id == handoff_id) if handoff_id else {}
    loaded = load_lots(session, [*lot_ids, *(h.lot_id for h in found.values())])
    pending = handoffs.c.lot_id.in_(list(loaded)) & (handoffs.c.state == HandoffState.PENDING)
    found |= _handoffs(session, pending) if loaded else {}
    return Chain(loaded, found, _next_seq(session))


def ancestry(session: Session, roots: Iterable[str]) -> Chain:
    """The lots ``roots`` and every lot they were made from, back to the collected lots."""
    found: dict[str, Lot] = {}
    frontier = set(roots)
    while frontier:
        loaded = load_lots(session, frontier)
        found |= loaded
        frontier = {p for lot in loaded.values() for p, _ in lot.parents} - found.keys()
    return Chain(found)


# Writing a step back.


def _payload(event: Event) -> dict[str, Any]:
    # A Stage is a StrEnum; the log gets its plain text.
    return {k: str(v) if isinstance(v, str) else v for k, v in event.data().items()}


def _lot_row(lot: Lot, flags: list[str], index: int) -> dict[str, Any]:
    origin = lot.origin
    place = origin.place if origin else None
    row: dict[str, Any] = {
        "id": lot.id, "stage": lot.stage.value, "holder": lot.holder, "mass": lot.mass,
        "grams": lot.grams, "weighed": lot.weighed, "product_code": lot.product_code,
        "flags": json.dumps(flags), "ledger_index": index,
        "seq": int(lot.id[4:]) if _SEQUENCED.fullmatch(lot.id) else None,
        "collector": origin.collector if origin else None,
        "place": place.uri() if isinstance(place, Coordinates) else place,
        "lon": place.lon if isinstance(place, Coordinates) else None,
        "lat": place.lat if isinstance(place, Coordinates) else None,
        "collected_at": origin.time if origin else None,
        "photo_sha256": origin.photo_sha256 if origin else None,
    }  # fmt: skip
    return row


def _write_lot(session: Session, old: Lot | None, lot: Lot, flags: list[str], index: int) -> None:
    if old is None:
        session.execute(lots.insert().values(**_lot_row(lot, flags, index)))
        if lot.parents:
            links = [{"child": lot.id, "parent": p, "grams": g} for p, g in lot.parents]
            session.execute(lot_parents.insert(), links)
        return
    values: dict[str, Any] = {"grams": lot.grams, "mass": lot.mass, "weighed": lot.weighed}
    if flags:
        known = session.scalar(select(lots.c.flags).where(lots.c.id == lot.id)) or "[]"
        values["flags"] = json.dumps([*json.loads(known), *flags])
    session.execute(update(lots).where(lots.c.id == lot.id).values(**values))


def _write_handoff(session: Session, old: Handoff | None, handoff: Handoff, index: int) -> None:
    if old is None:
        session.execute(handoffs.insert().values(
            id=handoff.id, seq=int(handoff.id[3:]), lot_id=handoff.lot_id,
            from_account=handoff.from_account, to_account=handoff.to_account,
            grams=handoff.grams, to_stage=handoff.to_stage.value, state=handoff.state.value,
            new_lot_id=handoff.new_lot_id, ledger_index=index,
        ))  # fmt: skip
    else:
        session.execute(
            update(handoffs)
            .where(handoffs.c.id == handoff.id)
            .values(state=handoff.state.value, new_lot_id=handoff.new_lot_id)
        )


def _commit(session: Session, before: Chain, step: Step, actor: str) -> dict[str, Any]:
    """Log the step's events, write what changed; the first event's payload and index."""
    indices = [ledger.record(session, EVENTS[e.name], actor, _payload(e)) for e in step.events]
    flags: dict[str, list[str]] = {}
    for event in step.events:
        if isinstance(event, MassFlagged):
            flags.setdefault(event.lot_id, []).append(event.reason)
    for lot_id, lot in step.chain.lots.items():
        old = before.lots.get(lot_id)
        if old != lot or lot_id in flags:
            _write_lot(session, old, lot, flags.get(lot_id, []), indices[0])
    for handoff_id, handoff in step.chain.handoffs.items():
        old_handoff = before.handoffs.get(handoff_id)
        if old_handoff != handoff:
            _write_handoff(session, old_handoff, handoff, indices[0])
    flagged = [reason for reasons in flags.values() for reason in reasons]
    return _payload(step.events[0]) | {"ledger_index": indices[0], "flags": flagged}


def _holder(session: Session, name: str, field: str) -> str:
    """The account ``name`` as it stands in this write, refused unless it may hold plastic."""
    current = accounts.principal(session, name)
    if not current.has(Role.HOLDER):
        raise PermissionDenied(
            f"account {name!r} may not hold plastic in the chain of custody: it needs the role "
            f"'holder' (it has {current.describe_roles()})",
            field=field,
        )
    return current.name


def _begin(session: Session, actor: Principal) -> str:
    """Queue behind the log, then the actor's name, refused unless it may hold plastic."""
    store.read_head(session, lock=True)
    return _holder(session, actor.name, "actor")


# The verbs.


def collect(
    session: Session, actor: Principal, place: Place, time: datetime, grams: int,
    photo_sha256: str,
) -> dict[str, Any]:  # fmt: skip
    """The actor declares a lot it collected; returns its ``lot_id``."""
    check_place(place)
    check_time(time)
    check_grams(grams, "grams")
    name = _begin(session, actor)
    before = _chain(session, ())
    step = custody.collect(before, name, place, time, grams, photo_sha256)
    return _commit(session, before, step, name)


def weigh(
    session: Session, actor: Principal, lot_id: str, measured_grams: int,
    tolerance_bp: int = WEIGH_TOLERANCE_BP,
) -> dict[str, Any]:  # fmt: skip
    """The station holding a lot weighs it; a difference beyond tolerance is flagged.

    ``tolerance_bp`` may be tightened below ``WEIGH_TOLERANCE_BP``, never widened.
    """
    check_grams(measured_grams, "measured_grams")
    if isinstance(tolerance_bp, bool) or not 0 <= tolerance_bp <= WEIGH_TOLERANCE_BP:
        raise InvalidParameter(
            f"tolerance_bp: 0 to {WEIGH_TOLERANCE_BP} basis points, not {tolerance_bp!r}",
            field="tolerance_bp",
        )
    name = _begin(session, actor)
    before = _chain(session, [lot_id])
    step = custody.weigh(before, lot_id, name, measured_grams, tolerance_bp)
    return _commit(session, before, step, name)


def _stage(value: Stage | str | None) -> Stage | None:
    if value is None or isinstance(value, Stage):
        return value
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(Stage)
        raise InvalidParameter(f"to_stage: one of {names}", field="to_stage") from None


def offer(
    session: Session, actor: Principal, lot_id: str, to_account: str, grams: int,
    to_stage: Stage | str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The holder offers grams of a lot to an account; returns the pending ``handoff_id``."""
    stage = _stage(to_stage)
    name = _begin(session, actor)
    if not accounts.exists(session, to_account):
        raise NotFound(f"no account named {to_account!r}", field="to_account")
    _holder(session, to_account, "to_account")
    before = _chain(session, [lot_id])
    step = custody.offer(before, lot_id, name, to_account, grams, stage)
    return _commit(session, before, step, name)


def confirm(session: Session, actor: Principal, handoff_id: str) -> dict[str, Any]:
    """The receiver confirms a handoff; returns the ``new_lot_id`` it now holds."""
    name = _begin(session, actor)
    before = _chain(session, (), handoff_id)
    step = custody.confirm(before, handoff_id, name)
    return _commit(session, before, step, name)


def cancel(session: Session, actor: Principal, handoff_id: str) -> dict[str, Any]:
    """Either party withdraws a pending handoff; its grams are free again."""
    name = _begin(session, actor)
    before = _chain(session, (), handoff_id)
    step = custody.cancel(before, handoff_id, name)
    return _commit(session, before, step, name)


def process(
    session: Session, actor: Principal, inputs: Inputs, output_grams: int,
    declared_yield_bp: int, tolerance_bp: int = YIELD_TOLERANCE_BP,
) -> dict[str, Any]:  # fmt: skip
    """The recycler turns lots it holds into pellets at a declared yield; returns ``lot_id``.

    ``tolerance_bp`` may be tightened below ``YIELD_TOLERANCE_BP``, never widened.
    """
    floor_bp = mass_balance(inputs, output_grams, declared_yield_bp, tolerance_bp)
    name = _begin(session, actor)
    before = _chain(session, [lot_id for lot_id, _ in inputs])
    step = custody.process(
        before, name, inputs, output_grams, declared_yield_bp, tolerance_bp, floor_bp
    )
    return _commit(session, before, step, name)


def make_product(
    session: Session, actor: Principal, inputs: Inputs, product_id: str, grams: int
) -> dict[str, Any]:
    """The maker turns pellets into a product; returns its ``product_code`` and portal path."""
    if len(product_id) > 64 or not product_id.isprintable() or _SEQUENCED.fullmatch(product_id):
        raise InvalidParameter(
            f"product id {product_id!r}: at most 64 printable characters, not LOT-n or HO-n",
            field="product_id",
        )
    name = _begin(session, actor)
    if session.execute(select(lots.c.id).where(lots.c.id == product_id)).first():
        raise Conflict(f"product {product_id!r} already exists", field="product_id")
    before = _chain(session, [lot_id for lot_id, _ in inputs])
    step = custody.make_product(before, name, inputs, product_id, grams)
    done = _commit(session, before, step, name)
    return done | {"portal_path": custody.portal_path(str(done["product_code"]))}


def product_id_of(session: Session, product_code: str) -> str:
    """The product whose QR code is ``product_code``, or NotFound."""
    row = session.execute(select(lots.c.id).where(lots.c.product_code == product_code)).first()
    if row is None:
        raise NotFound(f"no product with code {product_code!r}", field="product_code")
    return str(row[0])


def _lot_view(lot: Lot) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": lot.id, "stage": lot.stage.value, "holder": lot.holder, "mass": lot.mass,
        "parents": [[parent, grams] for parent, grams in lot.parents],
    }  # fmt: skip
    if lot.origin is not None:
        place = lot.origin.place
        view["collector"] = lot.origin.collector
        view["place"] = place.uri() if isinstance(place, Coordinates) else place
        view["time"] = lot.origin.time.isoformat()
    return view


def trace(session: Session, product_code: str) -> dict[str, Any]:
    """A product's custody: its collectors with the grams of it each brought, and every lot."""
    product_id = product_id_of(session, product_code)
    chain = ancestry(session, [product_id])
    product = chain.lot(product_id)
    order = sorted(chain.lots.values(), key=lambda lot: (_STAGE_ORDER.index(lot.stage), lot.id))
    return {
        "product_id": product_id, "product_code": product_code, "maker": product.holder,
        "grams": product.mass, "portal_path": custody.portal_path(product_code),
        "collectors": [list(pair) for pair in custody.trace(chain, product_id)],
        "lots": [_lot_view(lot) for lot in order],
    }  # fmt: skip


def lot(session: Session, lot_id: str) -> dict[str, Any]:
    """A lot: stage, holder, mass and grams still held, flags, parents and its handoffs."""
    row = session.execute(select(lots).where(lots.c.id == lot_id)).first()
    if row is None:
        raise NotFound(f"no lot {lot_id!r}", field="lot")
    found = load_lots(session, [lot_id])[lot_id]
    moves = _handoffs(session, handoffs.c.lot_id == lot_id)
    return _lot_view(found) | {
        "grams": found.grams, "weighed": found.weighed, "flags": json.loads(row.flags),
        "product_code": found.product_code, "ledger_index": int(row.ledger_index),
        "handoffs": [
            {"id": h.id, "to_account": h.to_account, "grams": h.grams,
             "to_stage": h.to_stage.value, "state": h.state.value, "new_lot_id": h.new_lot_id}
            for h in sorted(moves.values(), key=lambda h: h.id)
        ],
    }  # fmt: skip
