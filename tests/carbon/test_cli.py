"""``ecocredit carbon …``: without a database (compute) and on an installation (both backends)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_helpers import Outcome, installation_cli, run_cli

Cli = Callable[..., Outcome]
DATA = Path(__file__).parent / "data" / "activity.csv"
RECORDS = (
    "facility,period_start,period_end,scope,category,activity,quantity,unit\n"
    "kiln,2025-01-01,2025-12-31,1,stationary_combustion,diesel,100,t\n"
    "kiln,2025-01-01,2025-12-31,2,purchased_electricity,electricity,1000,MWh\n"
)
PRODUCTS = {
    "processes": [
        {"code": "power", "name": "Power", "unit": "kWh",
         "inputs": [{"supplier": "coal", "amount": 0.1, "unit": "kg"}],
         "emissions": [{"gas": "CO2", "amount": 0.8, "unit": "kg"}]},
        {"code": "coal", "name": "Coal", "unit": "kg",
         "inputs": [{"supplier": "power", "amount": 50, "unit": "Wh"}],
         "emissions": [{"gas": "CO2", "amount": 0.1, "unit": "kg"}]},
        {"code": "widget", "name": "Widget", "unit": "piece", "kind": "product",
         "inputs": [{"supplier": "power", "amount": 2, "unit": "kWh"}]},
    ]
}  # fmt: skip


def test_compute_needs_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "results.csv"
    args = ["carbon", "compute", str(DATA), "--year", "2025", "--facility", "plant=河北"]
    done = run_cli([*args, "-o", str(out)], monkeypatch, capsys)
    assert done.code == 0, done.err
    totals = json.loads(done.out)["totals_t"]
    # 100 t diesel 309.591 (worked example B1) + 20 t gasoline + 1 x 10^4 Nm^3 natural gas
    assert float(totals["scope1"]) == pytest.approx(309.591 + 58.502 + 21.622, abs=0.002)
    # 1,000 MWh at North China's 2023 average; 250 MWh of certificates count zero market-based
    assert totals["scope2_location"] == "636.100"
    assert totals["scope2_market"] == f"{750 * 0.6096:.3f}"
    assert out.read_text().startswith("line,facility")
    assert not (tmp_path / "var").exists()


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    run = installation_cli(database_url, tmp_path, monkeypatch, capsys)
    assert run("accounts create acme --role reporter").code == 0
    return run


def test_an_inventory_from_registration_to_verification(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(RECORDS, encoding="utf-8")
    assert cli("carbon org-add acme --name 'ACME Cement' --as acme").code == 0
    assert cli("carbon facility-add acme kiln --name Kiln --province 河北 --as acme").code == 0
    imported = cli("carbon import acme 2025 a.csv --as acme")
    assert imported.code == 0 and "2 records added" in imported.out
    submitted = cli("carbon submit acme 2025 --as acme")
    assert submitted.code == 0 and "945.691 t CO2e location-based" in submitted.out
    assert cli("carbon verify acme 2025").code == 0
    report = json.loads(cli("carbon report acme 2025 --format json").out)
    assert report["summary"]["totals_t"]["scope1"] == "309.591"
    again = cli("carbon import acme 2025 a.csv --as acme")
    assert again.code == 1 and "submitted" in again.err
    assert cli("carbon correct acme 2025 --reason 'meter re-read' --as acme").code == 0
    assert cli("carbon report acme 2025 --version 2").code == 0


def test_a_bad_file_is_refused_by_line_and_field(cli: Cli, tmp_path: Path) -> None:
    cli("carbon org-add acme --name ACME --as acme")
    cli("carbon facility-add acme kiln --name Kiln --as acme")
    (tmp_path / "bad.csv").write_text(RECORDS.replace(",100,", ",-100,"), encoding="utf-8")
    refused = cli("carbon import acme 2025 bad.csv --as acme")
    assert refused.code == 1
    assert "bad.csv, line 2, field quantity" in refused.err


def test_own_factor_and_a_product_footprint(cli: Cli, tmp_path: Path) -> None:
    added = cli("carbon factor-add steel --activity steel --unit t --gas CO2=1850 "
                "--source 'mill EPD 2025' --as acme")  # fmt: skip
    assert added.code == 0 and "acme/steel" in added.out
    assert "acme/steel" in cli("carbon factors --activity steel").out
    (tmp_path / "p.json").write_text(json.dumps(PRODUCTS), encoding="utf-8")
    assert cli("carbon process-define p.json --as acme").code == 0
    found = json.loads(cli("carbon footprint widget --json").out)
    # power = 0.8 + 0.1 coal; coal = 0.1 + 0.05 power: power = (0.8 + 0.01) / (1 - 0.005)
    power = (0.8 + 0.1 * 0.1) / (1 - 0.1 * 0.05)
    assert found["kg_co2e"] == pytest.approx(2 * power, rel=1e-12)
