"""Random sequences of every registry operation against a model a reader can check by hand.

A hypothesis state machine issues batches (filing a report first), transfers, transfers with
retirement on receipt, retires, cancels, cancels buffer credits, and tries operations that
must be refused. It keeps its own model, units per (batch, account, state), and after every
step checks that the tables hold exactly that, that each batch's supply is conserved and its
serial blocks partition it, and that replaying the log alone gives the same state.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ecocredit.errors import EcocreditError
from ecocredit.registry import audit
from ecocredit.registry import service as registry
from ecocredit.registry.amounts import format_amount
from ecocredit.registry.model import RetirementRequest, Supply
from ecocredit.runtime import initialize
from ecocredit.settings import Settings
from tests.conftest import BACKENDS, ORIGIN, fresh_database
from tests.registry.conftest import SHA, Registry, populate
from tests.registry.test_rules import check_registry, holdings, snapshot, supply

C = 1_000_000
HOLDERS = ("alice", "bob", "carol", "developer", "issuer")
POOL = "registry"
UNKNOWN_BATCH = "C01-001-20260101-20261231-999"
MAX_BATCHES = 4  # few batches, so that operations meet the same holdings often

# An amount is a number of units, or half, all, or one unit more than all the holder has.
amounts = st.one_of(
    st.sampled_from(["half", "all", "over"]), st.integers(1, 5 * C), st.integers(1, 400 * C)
)
# A holder by name, or (an integer) one of the holders that hold tradable credits of the batch.
holders = st.one_of(st.sampled_from(HOLDERS), st.integers(0, 99))
batch_picks = st.integers(0, 50)
requests = st.builds(
    RetirementRequest,
    jurisdiction=st.sampled_from(["CN", "CN-BJ", "CN-GD 518000", "US-WA"]),
    reason_code=st.sampled_from(["voluntary", "neutrality", "corsia"]),
    beneficiary_name=st.sampled_from(["", "Delta Air Lines, Inc.", "delta air lines inc"]),
)


class RegistryMachine(RuleBasedStateMachine):
    """One fresh registry per example (the fixture's batch), driven by random operations."""

    backend: ClassVar[str] = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self._stack = ExitStack()
        directory = Path(tempfile.mkdtemp(prefix="ecocredit-stateful-"))
        self._stack.callback(shutil.rmtree, directory, ignore_errors=True)
        url = self._stack.enter_context(fresh_database(self.backend, directory))
        config = Settings(
            data_dir=directory / "var", database_url=url, log_origin=ORIGIN, checkpoint_interval=1
        )
        result = initialize(config)
        self._stack.callback(result.runtime.db.dispose)
        self.reg: Registry = populate(result.runtime, result.admin_key)
        self.batches = [self.reg.batch]
        self.issued = {self.reg.batch: 1000 * C}
        self.model: Counter[tuple[str, str, str]] = Counter(
            {
                (self.reg.batch, "alice", "tradable"): 600 * C,
                (self.reg.batch, "bob", "tradable"): 300 * C,
                (self.reg.batch, POOL, "buffer"): 100 * C,
            }
        )

    def teardown(self) -> None:
        self._stack.close()

    # Helpers -------------------------------------------------------------------------

    def _batch(self, pick: int) -> str:
        return self.batches[pick % len(self.batches)]

    def _holder(self, batch: str, choice: str | int) -> str:
        if isinstance(choice, str):
            return choice
        holding = [h for h in HOLDERS if self.model[(batch, h, "tradable")]] or list(HOLDERS)
        return holding[choice % len(holding)]

    def _units(self, choice: int | str, have: int) -> int:
        if choice == "half":
            return max(have // 2, 1)
        if choice == "all":
            return max(have, 1)
        if choice == "over":
            return have + 1
        assert isinstance(choice, int)
        return choice

    def _refused(self, code: str, name: str, op: Callable[..., Any], *args: Any) -> None:
        """``op`` as ``name`` must fail with ``code`` and leave every table as it was."""
        with self.reg.runtime.db.read() as session:
            before = snapshot(session)
        try:
            self.reg.as_(name, op, *args)
        except EcocreditError as exc:
            assert exc.code == code, f"{op.__name__}: {exc.code} ({exc.message}), not {code}"
        else:
            raise AssertionError(f"{op.__name__} as {name} succeeded; expected {code}")
        with self.reg.runtime.db.read() as session:
            assert snapshot(session) == before, f"refused {op.__name__} wrote something"

    def _move(
        self, batch: str, source: tuple[str, str], target: tuple[str, str], units: int
    ) -> None:
        self.model[(batch, *source)] -= units
        self.model[(batch, *target)] += units

    # Operations ----------------------------------------------------------------------

    @precondition(lambda self: len(self.batches) < MAX_BATCHES)
    @rule(
        recipients=st.lists(
            st.tuples(st.sampled_from(HOLDERS), st.integers(1, 300 * C)),
            min_size=1,
            max_size=3,
            unique_by=lambda r: r[0],
        ),
        share=st.sampled_from(["0", "0.1", "0.25"]),
        slack=st.integers(-3, 5 * C),
    )
    def issue(self, recipients: list[tuple[str, int]], share: str, slack: int) -> None:
        granted = sum(u for _, u in recipients)
        fraction = Fraction(share)
        withheld = math.ceil(granted * fraction / (1 - fraction))
        total = granted + withheld
        verified = max(1, total + slack)
        report = self.reg.as_(
            "verifier",
            registry.file_report,
            self.reg.project,
            "2026-01-01",
            "2026-12-31",
            format_amount(verified, 6),
            SHA,
        )["report"]
        pairs = [(name, format_amount(u, 6)) for name, u in recipients]
        if total > verified:
            self._refused("invalid_parameter", "issuer", registry.issue, report, pairs, share)
            return
        out = self.reg.as_("issuer", registry.issue, report, pairs, share)
        batch = str(out["batch"])
        self.batches.append(batch)
        self.issued[batch] = total
        for name, u in recipients:
            self.model[(batch, name, "tradable")] += u
        self.model[(batch, POOL, "buffer")] += withheld

    @rule(
        sender=holders,
        offset=st.integers(1, len(HOLDERS) - 1),
        pick=batch_picks,
        amount=amounts,
        retire=st.one_of(st.none(), requests),
    )
    def transfer(
        self,
        sender: str | int,
        offset: int,
        pick: int,
        amount: int | str,
        retire: RetirementRequest | None,
    ) -> None:
        batch = self._batch(pick)
        sender = self._holder(batch, sender)
        recipient = HOLDERS[(HOLDERS.index(sender) + offset) % len(HOLDERS)]
        have = self.model[(batch, sender, "tradable")]
        units = self._units(amount, have)
        args = (batch, recipient, format_amount(units, 6), retire)
        if units > have:
            self._refused("insufficient_balance", sender, registry.transfer, *args)
        else:
            self.reg.as_(sender, registry.transfer, *args)
            state = "tradable" if retire is None else "retired"
            self._move(batch, (sender, "tradable"), (recipient, state), units)

    @rule(holder=holders, pick=batch_picks, amount=amounts, request=requests)
    def retire(
        self, holder: str | int, pick: int, amount: int | str, request: RetirementRequest
    ) -> None:
        batch = self._batch(pick)
        holder = self._holder(batch, holder)
        have = self.model[(batch, holder, "tradable")]
        units = self._units(amount, have)
        args = (batch, format_amount(units, 6), request)
        if units > have:
            self._refused("insufficient_balance", holder, registry.retire, *args)
        else:
            self.reg.as_(holder, registry.retire, *args)
            self._move(batch, (holder, "tradable"), (holder, "retired"), units)

    @rule(holder=holders, pick=batch_picks, amount=amounts)
    def cancel(self, holder: str | int, pick: int, amount: int | str) -> None:
        batch = self._batch(pick)
        holder = self._holder(batch, holder)
        have = self.model[(batch, holder, "tradable")]
        units = self._units(amount, have)
        args = (batch, format_amount(units, 6), "moved to another registry")
        if units > have:
            self._refused("insufficient_balance", holder, registry.cancel, *args)
        else:
            self.reg.as_(holder, registry.cancel, *args)
            self._move(batch, (holder, "tradable"), (holder, "cancelled"), units)

    @rule(pick=batch_picks, amount=amounts)
    def cancel_buffer(self, pick: int, amount: int | str) -> None:
        batch = self._batch(pick)
        have = self.model[(batch, POOL, "buffer")]
        units = self._units(amount, have)
        args = (batch, format_amount(units, 6), "reversal: grassland fire")
        if units > have:
            self._refused("insufficient_balance", "admin", registry.cancel_buffer, *args)
        else:
            self.reg.as_("admin", registry.cancel_buffer, *args)
            self._move(batch, (POOL, "buffer"), (POOL, "cancelled"), units)

    @rule(pick=batch_picks, case=st.integers(0, 9))
    def refused(self, pick: int, case: int) -> None:
        """Operations the rules forbid, whatever the state."""
        batch = self._batch(pick)
        ok = RetirementRequest("CN-BJ")
        cases: list[tuple[str, str, Callable[..., Any], tuple[Any, ...]]] = [
            ("precision_exceeded", "alice", registry.transfer, (batch, "bob", "0.0000001")),
            ("invalid_parameter", "bob", registry.transfer, (batch, "bob", "1")),
            ("not_found", "alice", registry.retire, (UNKNOWN_BATCH, "1", ok)),
            ("permission_denied", "verifier", registry.transfer, (batch, "alice", "1")),
            ("permission_denied", "alice", registry.transfer, (batch, "verifier", "1")),
            (
                "invalid_parameter",
                "alice",
                registry.retire,
                (batch, "1", RetirementRequest("cn-nm")),
            ),
            ("invalid_parameter", "bob", registry.cancel, (batch, "1", " ")),
            ("permission_denied", "alice", registry.cancel_buffer, (batch, "1", "reversal")),
            ("already_issued", "issuer", registry.issue, (self.reg.report, [("alice", "1")])),
        ]
        if case < len(cases):
            code, name, op, args = cases[case]
            self._refused(code, name, op, *args)
        else:  # only a class issuer issues, even against a report nobody has used yet
            fresh = self._unused_report()
            self._refused("permission_denied", "alice", registry.issue, fresh, [("bob", "1")])

    def _unused_report(self) -> str:
        return str(
            self.reg.as_(
                "verifier",
                registry.file_report,
                self.reg.project,
                "2026-01-01",
                "2026-12-31",
                "1",
                SHA,
            )["report"]
        )

    # What must hold after every step ------------------------------------------------------

    @invariant()
    def tables_match_the_model_and_the_log(self) -> None:
        with self.reg.runtime.db.read() as session:
            held = holdings(session)
            supplies = {batch: supply(session, batch) for batch in self.batches}
            check_registry(session)
            report = audit.replay_check(session)
        assert +held == +self.model
        for batch, found in supplies.items():
            mine = {
                state: sum(v for (b, _, s), v in self.model.items() if b == batch and s == state)
                for state in ("tradable", "retired", "cancelled", "buffer")
            }
            assert found == Supply(self.issued[batch], **mine), batch
        assert report.batches == len(self.batches)


STEPS = 25


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_operations_keep_tables_model_and_log_in_step(backend: str) -> None:
    machine = type(f"RegistryMachine_{backend}", (RegistryMachine,), {"backend": backend})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30 if backend == "sqlite" else 15,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
