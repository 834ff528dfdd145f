"""``ecocredit inclusion``: programmes, actions, reviews, points, credits and the dashboard.

Writes name the acting account (role ``operator``) with ``--as``. A programme is defined in a
TOML file: ``code``, ``name``, ``ownership``, ``validity_days``, ``[[rules]]`` (methodology,
version, points_per_action or grams_per_point, caps), ``[limits]`` and ``[[rewards]]`` (code,
name, points, stock). Exit codes: 0 done, 1 refused (the message names the field), 2 bad option.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from ecocredit import console
from ecocredit.accounts import service as accounts
from ecocredit.errors import InvalidParameter
from ecocredit.inclusion import bulk_checks, service
from ecocredit.inclusion.ops import year_import
from ecocredit.inclusion.ops.programmes import require_operator
from ecocredit.runtime import Runtime, open_runtime
from ecocredit.settings import get_settings

app = typer.Typer(
    help="Carbon-inclusion programmes: actions, points, credits.", no_args_is_help=True
)
Actor = Annotated[str, typer.Option("--as", help="The acting account (role operator).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Prog = Annotated[str, typer.Argument(help="Programme code.")]
File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The file to read.")]
Start = Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="First local day.")]
End = Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Last local day.")]
LIMITS = {"max_age_days", "clock_skew_minutes", "velocity_window_minutes", "velocity_max"}
RULE_FIELDS = {"methodology", "version", "points_per_action", "grams_per_point",
               "max_actions_per_day", "max_points_per_day"}  # fmt: skip


def _json(body: Any) -> None:
    console.raw(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")


def _write(runtime: Runtime, actor: str, work: Any) -> Any:
    """Run ``work(session, principal)`` as one write and sign a checkpoint over it."""
    result = runtime.db.write(lambda s: work(s, accounts.principal(s, actor)))
    runtime.sign_checkpoint()
    return result


def _unknown(found: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(found) - allowed)
    if extra:
        raise InvalidParameter(f"{where}: unknown field {extra[0]!r}", field=f"{where}.{extra[0]}")


def programme_from_toml(doc: dict[str, Any]) -> service.Programme:
    """The programme a TOML file defines (its rewards are read by the caller)."""
    _unknown(doc, {"code", "name", "ownership", "validity_days", "rules", "limits", "rewards"}, "")
    limits = doc.get("limits", {})
    _unknown(limits, LIMITS, "limits")
    rules = []
    for rule in doc.get("rules", []):
        _unknown(rule, RULE_FIELDS, "rules")
        fields = {k: v for k, v in rule.items() if k != "version"}
        rules.append((service.PointRule(**fields), rule.get("version")))
    try:
        return service.Programme(
            str(doc["code"]), str(doc["name"]), doc.get("ownership", "participant"),
            int(doc.get("validity_days", 3652)), rules,
            service.Limits(
                max_age=dt.timedelta(days=limits.get("max_age_days", 7)),
                clock_skew=dt.timedelta(minutes=limits.get("clock_skew_minutes", 5)),
                velocity_window=dt.timedelta(minutes=limits.get("velocity_window_minutes", 10)),
                velocity_max=int(limits.get("velocity_max", 5)),
            ),
        )  # fmt: skip
    except KeyError as exc:
        raise InvalidParameter(f"{exc.args[0]} is missing", field=str(exc.args[0])) from exc
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"the programme file is invalid: {exc}", field="file") from exc


@app.command("programme-create")
def programme_create(path: File, actor: Actor) -> None:
    """Create a programme (rules, limits, rewards) from a TOML file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"{path.name}: not TOML: {exc}", field="file") from exc
    spec = programme_from_toml(doc)
    rewards = doc.get("rewards", [])

    def work(s: Any, who: Any) -> None:
        service.create_programme(s, spec, who)
        for r in rewards:
            service.set_reward(s, spec.code, r["code"], r["name"], r["points"], r["stock"], who)

    _write(open_runtime(get_settings()), actor, work)
    console.show(
        f"programme {spec.code} created with {len(spec.rules)} rules, {len(rewards)} rewards"
    )


@app.command("reward-set")
def reward_set(
    programme: Prog,
    reward: Annotated[str, typer.Argument(help="Reward code.")],
    name: Annotated[str, typer.Option(help="What the participant gets.")],
    points: Annotated[int, typer.Option(min=1, help="Its price in points.")],
    stock: Annotated[int, typer.Option(min=0, help="How many are left.")],
    actor: Actor,
) -> None:
    """Add a reward, or change its price or stock."""
    _write(
        open_runtime(get_settings()),
        actor,
        lambda s, who: service.set_reward(s, programme, reward, name, points, stock, who),
    )
    console.show(f"reward {programme}/{reward}: {points} points, {stock} in stock")


def action_from_json(doc: Any, evidence: bytes) -> service.Action:
    """An action from its JSON (participant, key, methodology, at, inputs, evidence_kind)."""
    if not isinstance(doc, dict):
        raise InvalidParameter("the action file must hold a JSON object", field="file")
    try:
        at = dt.datetime.fromisoformat(str(doc["at"]))
        if at.tzinfo is None:
            raise InvalidParameter("at: give the time with its offset", field="at")
        return service.Action(
            str(doc["participant"]), str(doc["key"]), str(doc["methodology"]),
            at.astimezone(dt.UTC), dict(doc.get("inputs", {})), evidence,
            str(doc.get("evidence_kind", "photo")),
        )  # fmt: skip
    except KeyError as exc:
        raise InvalidParameter(f"{exc.args[0]} is missing", field=str(exc.args[0])) from exc
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"the action file is invalid: {exc}", field="file") from exc


@app.command("action")
def action_command(
    programme: Prog,
    path: File,
    photo: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The evidence.")],
    actor: Actor,
    as_json: AsJson = False,
) -> None:
    """Submit one action from a JSON file with its photo (or slip, or trip record)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"{path.name}: not JSON", field="file") from exc
    action = action_from_json(doc, photo.read_bytes())
    done = _write(open_runtime(get_settings()), actor,
                  lambda s, who: service.submit(s, programme, action, who))  # fmt: skip
    if as_json:
        _json(done)
        return
    why = f" ({done['reason']})" if done["reason"] else ""
    console.show(
        f"action {done['action']}: {done['status']}{why}; {done['grams_co2e']} g CO2e, "
        f"{done['points']} points"
    )


Files = Annotated[
    list[Path],
    typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet files, in time order."),
]


@app.command("import")
def import_command(
    programme: Prog,
    files: Files,
    actor: Actor,
    chunk_rows: Annotated[int, typer.Option(min=1000, max=2_000_000)] = 100_000,
    drop_indexes: Annotated[
        bool | None,
        typer.Option(
            "--drop-indexes/--keep-indexes",
            help="Take the action indexes down while loading (default: large loads).",
        ),
    ] = None,
) -> None:
    """Import actions in bulk from files, decided as the service would; resumes after a failure.

    Every row is checked before anything is written. Importing the same files again after a
    failure carries on after the last chunk written.
    """
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        who = accounts.principal(session, actor)
    paths = [str(f) for f in files]
    rows = bulk_checks.check_files(paths)
    with console.progress("importing actions", rows) as advance:
        totals = year_import.import_year(runtime.db, programme, paths, who, chunk_rows,
                                         progress=advance, drop_indexes=drop_indexes)  # fmt: skip
    runtime.sign_checkpoint()
    console.show(
        f"{totals['count']:,} actions: {totals['accepted']:,} accepted, "
        f"{totals['rejected']:,} rejected, {totals['review']:,} held; "
        f"{totals['grams_co2e'] / 1e6:,.3f} t CO2e, {totals['points']:,} points, "
        f"{totals['entries']:,} log entries"
        + (f"; {totals['skipped']:,} written by an earlier run" if totals["skipped"] else "")
    )


@app.command("import-finish")
def import_finish_command(programme: Prog, actor: Actor) -> None:
    """End an unfinished import whose files are lost: rebuild its indexes, keep its rows."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        require_operator(session, accounts.principal(session, actor), programme)
    built = year_import.finish_unfinished(runtime.db, programme)
    console.show(f"import of {programme} finished; indexes rebuilt: {', '.join(built) or 'none'}")


@app.command("review")
def review_command(programme: Prog, actor: Actor, as_json: AsJson = False) -> None:
    """List the actions held for review, oldest first."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        require_operator(session, accounts.principal(session, actor), programme)
        held = service.queue(session, programme, 1000)
    if as_json:
        _json(held)
        return
    for a in held:
        console.show(f"{a['id']} {a['participant']} {a['methodology']} {a['at']}: {a['reason']}")
    console.show(f"{len(held)} held for review")


@app.command("decide")
def decide_command(
    programme: Prog,
    action: Annotated[int, typer.Argument(min=1, help="The held action's id.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="The decision.")],
    note: Annotated[str, typer.Option(help="Why; kept in the log.")],
    actor: Actor,
) -> None:
    """Accept (it earns its points) or reject a held action."""
    done = _write(
        open_runtime(get_settings()),
        actor,
        lambda s, who: service.decide_held(s, programme, action, accept, note, who),
    )
    console.show(f"action {action}: {done['status']}, {done['points']} points")


@app.command("redeem")
def redeem_command(
    programme: Prog,
    participant: Annotated[str, typer.Argument(help="The participant's id.")],
    reward: Annotated[str, typer.Argument(help="Reward code.")],
    actor: Actor,
    quantity: Annotated[int, typer.Option(min=1, max=1000)] = 1,
) -> None:
    """Redeem a participant's points for a reward."""
    done = _write(open_runtime(get_settings()), actor, lambda s, who: service.redeem(
        s, programme, participant, reward, quantity, who))  # fmt: skip
    console.show(f"{participant} redeemed {quantity} × {reward} for {done['points']} points")


@app.command("expire")
def expire_command(programme: Prog, actor: Actor) -> None:
    """Expire every grant of the programme past its day."""
    points = _write(open_runtime(get_settings()), actor,
                    lambda s, who: service.expire(s, programme, who))  # fmt: skip
    console.show(f"{points} points expired in {programme}")


@app.command("aggregate")
def aggregate_command(programme: Prog, start: Start, end: End) -> None:
    """Print the period's verification document (JSON), then its SHA-256."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        document = service.aggregate(session, programme, start.date(), end.date())
    console.raw(service.document_json(document) + "\n")
    console.show(f"sha256 {document['sha256']}")


@app.command("issue")
def issue_command(
    programme: Prog,
    start: Start,
    end: End,
    report: Annotated[str, typer.Option(help="The verified registry report's id.")],
    actor: Actor,
) -> None:
    """Issue the period's reductions as the batch of a verified report."""
    done = _write(open_runtime(get_settings()), actor, lambda s, who: service.issue_credits(
        s, programme, start.date(), end.date(), report, who))  # fmt: skip
    document = done["document"]
    console.show(
        f"batch {done['batch']}: {document['tonnes']} t from {document['actions']} actions"
    )


@app.command("dashboard")
def dashboard_command(
    programme: Annotated[str | None, typer.Argument(help="Programme; all if omitted.")] = None,
    as_json: AsJson = False,
) -> None:
    """Participants, actions, food saved, plastic, CO2e, points and credits."""
    runtime = open_runtime(get_settings())
    with runtime.db.read() as session:
        found = service.dashboard(session, programme)
    if as_json:
        _json(found)
        return
    t = found["totals"]
    a = t["actions"]
    console.show(f"{programme or 'all programmes'}: {t['participants']:,} participants")
    console.show(f"  actions   {a['accepted']:,} accepted, {a['rejected']:,} rejected, "
                 f"{a['review']:,} held")  # fmt: skip
    food, plastic = t["food_saved_t"], t["plastic_recovered_t"]
    console.show(f"  food saved {food:,.3f} t · plastic {plastic:,.3f} t · "
                 f"recycled {t['recycled_t']:,.3f} t")  # fmt: skip
    console.show(f"  CO2e reduced {t['co2e_t']} t · credited {t['credited_t']} t")
    console.show(f"  points {t['points_granted']:,} granted, {t['points_redeemed']:,} redeemed")
