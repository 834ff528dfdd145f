"""Every event type the log records, declared once with its payload fields.

This file is the list a reader needs to understand the whole history. A ledger entry is the
RFC 8785 canonical JSON of ``{"type", "time", "actor", "data"}``: ``type`` is one of the names
below, ``time`` is UTC in ISO 8601 with milliseconds and a ``Z``, ``actor`` is the account that
caused the change (or ``system``), and ``data`` has exactly the declared fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from ecocredit.errors import EntryTooLarge, InvalidParameter

MAX_ENTRY_BYTES = 65_535  # a tlog-tiles entry bundle prefixes each entry with a uint16 length


@dataclass(frozen=True)
class EventType:
    """One kind of state change: its name, what it means and its payload fields."""

    name: str
    doc: str
    fields: Mapping[str, type]


EVENTS: dict[str, EventType] = {}


def _declare(event_name: str, doc: str, /, **fields: type) -> EventType:
    event = EventType(event_name, doc, fields)
    EVENTS[event_name] = event
    return event


LOG_KEY_ADDED = _declare(
    "ledger.key_added",
    "The log signs its checkpoints with this public key (signed-note verifier key form).",
    verifier=str,
)
NOTICE = _declare(
    "ledger.notice",
    "An operator's public notice: a methodology update, a correction, an announcement.",
    text=str,
)
ACCOUNT_CREATED = _declare(
    "account.created",
    "An account was opened: its kind (person, organisation, programme, registry) and roles.",
    account=str,
    kind=str,
    roles=list,
)
ACCOUNT_ROLES_SET = _declare(
    "account.roles_set",
    "An account's roles were replaced by these.",
    account=str,
    roles=list,
)
API_KEY_ISSUED = _declare(
    "account.key_issued",
    "A new API key was issued to an account (the key itself is never logged).",
    account=str,
    key_id=int,
)


_MAX_EXACT = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what Python's json writes exactly as RFC 8785 does."""
    # Iterative, exact types first: an issuance chunk holds a thousand small lists.
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_MAX_EXACT <= item <= _MAX_EXACT:
                continue
            return False
        if kind is list:
            pending.extend(item)
        elif kind is dict:
            if not all(type(k) is str and k.isascii() for k in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, str) and not isinstance(item, bool):
            continue  # a StrEnum member is written as its text
        else:
            return False
    return True


def canonical(body: Mapping[str, Any]) -> bytes:
    """Return the RFC 8785 canonical JSON of ``body``.

    For payloads of strings, safe integers, booleans, lists and objects with ASCII keys,
    Python's json module with sorted keys, no spaces and no ASCII escaping writes exactly the
    RFC 8785 bytes (ASCII keys sort the same by code point and by UTF-16 unit; strings are
    escaped the same way), ten times faster than the general encoder; anything else (floats,
    non-ASCII keys) goes through the general encoder. A lone surrogate fails either way.
    """
    if _plain(body):
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8")
    return bytes(rfc8785.dumps(body))


def format_time(moment: datetime) -> str:
    """Return ``moment`` as the log writes times: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode(event: EventType, actor: str, data: Mapping[str, Any], moment: datetime) -> bytes:
    """Return the canonical entry bytes of one event, checking its payload against the schema."""
    missing = [f for f in event.fields if f not in data]
    extra = [f for f in data if f not in event.fields]
    if missing or extra:
        wrong = (missing or extra)[0]
        what = "is missing" if missing else "is not a field of this event"
        raise InvalidParameter(f"{event.name}: field {wrong!r} {what}", field=wrong)
    for name, kind in event.fields.items():
        value = data[name]
        # bool is an int in Python; a count must not silently accept True.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidParameter(
                f"{event.name}: field {name!r} must be {kind.__name__}", field=name
            )
    body: dict[str, Any] = {
        "type": event.name,
        "time": format_time(moment),
        "actor": actor,
        "data": dict(data),
    }
    try:
        entry = canonical(body)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        raise InvalidParameter(f"{event.name}: payload cannot be canonicalised: {exc}") from exc
    if len(entry) > MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            f"{event.name}: entry is {len(entry)} bytes; a log entry holds at most "
            f"{MAX_ENTRY_BYTES}: keep large evidence off the log and record its hash"
        )
    return entry


# The registry. Amounts and serial numbers are integers of the credit type's smallest unit
# (grams for the tonne credit `C`); a block is [first, last] of one batch, both inclusive.
CREDIT_TYPE_ADDED = _declare(
    "registry.credit_type_added",
    "A credit type: its abbreviation, name, unit and precision (decimal places of a unit).",
    abbrev=str,
    name=str,
    unit=str,
    precision=int,
)
CLASS_CREATED = _declare(
    "registry.class_created",
    "A credit class under one methodology and version, with its admin and issuers.",
    class_id=str,
    credit_type=str,
    name=str,
    methodology=str,
    methodology_version=str,
    admin=str,
    issuers=list,
)
CLASS_ISSUERS_SET = _declare(
    "registry.class_issuers_set",
    "The class admin replaced the class's issuers with these.",
    class_id=str,
    issuers=list,
)
PROJECT_CREATED = _declare(
    "registry.project_created",
    "A project of a class: developer (its admin), ISO 3166-2 jurisdiction, location, status.",
    project=str,
    class_id=str,
    name=str,
    admin=str,
    jurisdiction=str,
    location=str,
    reference_id=str,
    status=str,
)
PROJECT_STATUS_SET = _declare(
    "registry.project_status_set",
    "A project's status changed (listed, registered, suspended, terminated), with the reason.",
    project=str,
    status=str,
    reason=str,
)
REPORT_FILED = _declare(
    "registry.report_filed",
    "A verifier's report: monitoring period, verified quantity and the report's SHA-256.",
    report=str,
    project=str,
    verifier=str,
    period_start=str,
    period_end=str,
    verified=int,
    document_sha256=str,
)
BATCH_ISSUED = _declare(
    "registry.batch_issued",
    "A batch issued against a report; `issued` units numbered 1..issued, the buffer block "
    "(empty when none) withheld into the registry account. Blocks follow in credits_issued.",
    batch=str,
    project=str,
    report=str,
    issuer=str,
    vintage_start=str,
    vintage_end=str,
    reference=str,
    issued=int,
    buffer=list,
    recipients=int,
)
CREDITS_ISSUED = _declare(
    "registry.credits_issued",
    "Tradable blocks of a new batch, as [account, first, last]; a batch's chunks follow its "
    "batch_issued entry in the same transaction.",
    batch=str,
    blocks=list,
)
TRANSFERRED = _declare(
    "registry.transferred",
    "Tradable units moved from sender to recipient: the sender's lowest serials first.",
    batch=str,
    sender=str,
    recipient=str,
    amount=int,
    blocks=list,
)
# What a retirement claims, in the events that retire credits.
_CLAIM: dict[str, type] = {
    "beneficiary": str,
    "beneficiary_kind": str,
    "reason_code": str,
    "reason": str,
    "jurisdiction": str,
    "note": str,
}
ISSUED_RETIRED = _declare(
    "registry.issued_retired",
    "A recipient's credits retired on issuance by the batch's issuer, in the recipient's name; "
    "these entries follow the batch's credits_issued entries. This entry's index is the "
    "retirement's id.",
    batch=str,
    holder=str,
    amount=int,
    blocks=list,
    **_CLAIM,
)
TRANSFERRED_RETIRED = _declare(
    "registry.transferred_retired",
    "Units moved from sender to recipient and retired on receipt; this entry's index is the "
    "retirement's id.",
    batch=str,
    sender=str,
    recipient=str,
    amount=int,
    blocks=list,
    **_CLAIM,
)
RETIRED = _declare(
    "registry.retired",
    "A holder retired units against a claim, for a beneficiary (an account or a named "
    "entity); final. This entry's index is the retirement's id.",
    batch=str,
    holder=str,
    amount=int,
    blocks=list,
    **_CLAIM,
)
CANCELLED = _declare(
    "registry.cancelled",
    "A holder cancelled units without a claim (moved to another registry, withdrawn); final "
    "and never a retirement.",
    batch=str,
    holder=str,
    amount=int,
    blocks=list,
    reason=str,
)
BUFFER_CANCELLED = _declare(
    "registry.buffer_cancelled",
    "The registry admin cancelled buffer units of a batch to cover a reversal; final.",
    batch=str,
    amount=int,
    blocks=list,
    reason=str,
)

AIR_STATION_REGISTERED = _declare(
    "air.station_registered",
    "A monitoring station was registered or its description changed.",
    code=str,
    name=str,
    city=str,
    province=str,
    longitude=float,
    latitude=float,
    kind=str,
)
AIR_FILE_IMPORTED = _declare(
    "air.file_imported",
    "One file of an import: its name, SHA-256, layout, data rows and rows or cells rejected.",
    import_id=int,
    name=str,
    sha256=str,
    layout=str,
    rows=int,
    rejected=int,
)
AIR_IMPORTED = _declare(
    "air.imported",
    "An import of monitoring data (real-time or audited) after its files' entries: how many "
    "files, values written, rejects, and the first and last hour (UTC) it holds.",
    import_id=int,
    status=str,
    files=int,
    values=int,
    rejected=int,
    first_hour=str,
    last_hour=str,
)
AIR_TARGET_SET = _declare(
    "air.target_set",
    "An air-quality target was set for a city or station, e.g. an annual PM2.5 goal.",
    subject=str,
    pollutant=str,
    year=int,
    value=float,
    baseline_year=int,
    baseline=float,
    source=str,
)

# Carbon accounting. Quantities of gas are kilograms; "totals" are tonnes CO2e as decimal
# strings with three places (kilogram resolution), so the entry shows what the report shows.
CARBON_FACTOR_ADDED = _declare(
    "carbon.factor_added",
    "A user's own emission factor (kg of each gas per unit). Its id starts with the owner's "
    "account name, so it can never replace a published factor; it is never changed.",
    factor_id=str,
    owner=str,
    activity=str,
    unit=str,
    gases=dict,
    method=str,
    source=str,
    data_year=int,
    region=str,
)
CARBON_ORGANISATION_REGISTERED = _declare(
    "carbon.organisation_registered",
    "An organisation that reports greenhouse-gas inventories, and the account reporting for it.",
    organisation=str,
    name=str,
    account=str,
    industry=str,
)
CARBON_FACILITY_REGISTERED = _declare(
    "carbon.facility_registered",
    "A facility of an organisation, with the province that chooses its grid factors.",
    organisation=str,
    facility=str,
    name=str,
    province=str,
)
CARBON_RECORDS_IMPORTED = _declare(
    "carbon.records_imported",
    "Activity records added to (or replacing those of) a draft inventory: the file's name and "
    "SHA-256, and how many records it held.",
    organisation=str,
    year=int,
    version=int,
    name=str,
    sha256=str,
    records=int,
    replaced=bool,
)
CARBON_OPTIONS_SET = _declare(
    "carbon.options_set",
    "A draft inventory's report choices: GWP set, preferred factor series (empty: the default "
    "order), output with its unit and revenue in 10,000 CNY (0: not given).",
    organisation=str,
    year=int,
    version=int,
    gwp=str,
    series=str,
    output_quantity=float,
    output_unit=str,
    revenue_wan_cny=float,
)
CARBON_CORRECTION_OPENED = _declare(
    "carbon.correction_opened",
    "A submitted inventory is being corrected: the next version opens as a draft copy of it, "
    "with the reason. The submitted version stays as it was.",
    organisation=str,
    year=int,
    version=int,
    reason=str,
)
CARBON_INVENTORY_SUBMITTED = _declare(
    "carbon.inventory_submitted",
    "A version of an organisation's inventory for a year, frozen: the SHA-256 of its records "
    "(as the CSV report lists them) and of the whole report, its totals, the GWP set and the "
    "factors used. A later version corrects it; both stay readable.",
    organisation=str,
    year=int,
    version=int,
    reason=str,
    records=int,
    records_sha256=str,
    sha256=str,
    gwp=str,
    totals=dict,
    factors=list,
)
CARBON_PROCESS_DEFINED = _declare(
    "carbon.process_defined",
    "A process or product of a product system was defined or redefined: the SHA-256 of its "
    "definition (inputs, outputs and direct emissions) and how many exchanges it has.",
    code=str,
    name=str,
    kind=str,
    unit=str,
    output=float,
    exchanges=int,
    sha256=str,
)

# Carbon inclusion. Participants are the programme's own ids; reductions are whole grams CO2e.
INCLUSION_PROGRAMME_CREATED = _declare(
    "inclusion.programme_created",
    "A carbon-inclusion programme: its operator, who owns its reductions (participant or "
    "operator), point validity in days, its rules per methodology and its limits on actions.",
    programme=str,
    name=str,
    operator=str,
    ownership=str,
    validity_days=int,
    rules=list,
    limits=dict,
)
INCLUSION_REWARD_SET = _declare(
    "inclusion.reward_set",
    "A reward of a programme's catalogue, its price in points and its stock.",
    programme=str,
    reward=str,
    name=str,
    points=int,
    stock=int,
)
INCLUSION_ACTION_DECIDED = _declare(
    "inclusion.action_decided",
    "An action was accepted (with the points granted), rejected or held for review, with the "
    "reduction its methodology gives and the SHA-256 of its evidence.",
    programme=str,
    participant=str,
    action=int,
    methodology=str,
    version=str,
    status=str,
    reason=str,
    grams_co2e=int,
    points=int,
    evidence_sha256=str,
)
INCLUSION_POINTS_REDEEMED = _declare(
    "inclusion.points_redeemed",
    "A participant redeemed points for a reward; the grants whose points it cancelled.",
    programme=str,
    participant=str,
    reward=str,
    quantity=int,
    points=int,
    grants=list,
)
INCLUSION_POINTS_EXPIRED = _declare(
    "inclusion.points_expired",
    "Points that reached their expiry: [grant, points] pairs (at most a page per entry).",
    programme=str,
    at=str,
    points=int,
    grants=list,
)

# Marine-plastic chain of custody (Blue Circle). Masses are integer grams, money integer cents;
# lot and handoff ids are LOT-000001 and HO-000002 (one sequence); a product has its maker's id.
INCLUSION_LOT_COLLECTED = _declare(
    "inclusion.lot_collected",
    "A collector declared a lot: where (a geo: URI or a place name), when (UTC), its grams and "
    "the SHA-256 of the photo taken.",
    lot_id=str,
    collector=str,
    place=str,
    time=str,
    grams=int,
    photo_sha256=str,
)
INCLUSION_LOT_WEIGHED = _declare(
    "inclusion.lot_weighed",
    "A station's scale replaced the declared mass of a lot it holds.",
    lot_id=str,
    station=str,
    declared_grams=int,
    measured_grams=int,
)
INCLUSION_HANDOFF_OFFERED = _declare(
    "inclusion.handoff_offered",
    "A holder offered grams of a lot to another account, for the stage it moves to; pending "
    "until that account confirms.",
    handoff_id=str,
    lot_id=str,
    from_account=str,
    to_account=str,
    grams=int,
    to_stage=str,
)
INCLUSION_HANDOFF_CONFIRMED = _declare(
    "inclusion.handoff_confirmed",
    "The receiver confirmed a handoff: its grams split off the lot into the receiver's new lot.",
    handoff_id=str,
    lot_id=str,
    new_lot_id=str,
    to_account=str,
    grams=int,
)
INCLUSION_HANDOFF_CANCELLED = _declare(
    "inclusion.handoff_cancelled",
    "The offerer withdrew, or the receiver declined, a pending handoff; its grams are free.",
    handoff_id=str,
    lot_id=str,
    by_account=str,
)
INCLUSION_LOT_PROCESSED = _declare(
    "inclusion.lot_processed",
    "A recycler turned input lots ([lot, grams] pairs) into a lot of pellets at a declared "
    "yield and tolerance, in basis points.",
    lot_id=str,
    recycler=str,
    inputs=list,
    output_grams=int,
    declared_yield_bp=int,
    tolerance_bp=int,
)
INCLUSION_PRODUCT_MADE = _declare(
    "inclusion.product_made",
    "A maker turned pellets ([lot, grams] pairs) into a product; its QR code opens its page.",
    product_id=str,
    product_code=str,
    maker=str,
    inputs=list,
    grams=int,
)
INCLUSION_MASS_FLAGGED = _declare(
    "inclusion.mass_flagged",
    "A mass accepted but out of line, for review: weighing_differs, above_declared_yield or "
    "below_plausible_yield, with the grams expected and found and the tolerance in bp.",
    lot_id=str,
    reason=str,
    expected_grams=int,
    actual_grams=int,
    tolerance_bp=int,
)
INCLUSION_SALE_RECORDED = _declare(
    "inclusion.sale_recorded",
    "A maker sold a product; share_bp of the sale (rounded down to the cent) is owed to the "
    "shared-prosperity fund.",
    sale=int,
    product_code=str,
    sale_cents=int,
    fund_cents=int,
    share_bp=int,
)
INCLUSION_FUND_PAID = _declare(
    "inclusion.fund_paid",
    "A payout run of the fund: the unpaid sales' fund share paid to collectors in proportion to "
    "their grams in the products sold; [collector, cents] pairs (at most a page per entry), "
    "fund_cents the whole run's total.",
    run=int,
    at=str,
    fund_cents=int,
    sales=int,
    payouts=list,
)
INCLUSION_ACTIONS_DECIDED = _declare(
    "inclusion.actions_decided",
    "A batch or bulk chunk of actions was decided: the ids first_action .. first_action + "
    "count - 1, how many were accepted, rejected or held for review, the grams CO2e of the "
    "accepted ones, the points granted, and the SHA-256 of the decisions as CSV (header "
    "action,participant,methodology,version,status,grams_co2e,points,evidence_sha256, one "
    "row per action in id order, LF line ends), which is served beside the entry.",
    programme=str,
    first_action=int,
    count=int,
    accepted=int,
    rejected=int,
    review=int,
    grams_co2e=int,
    points=int,
    sha256=str,
)
