"""Published factors, GWP sets, units and the default selection, against the worked examples.

Worked examples: A (scope 2 electricity at the MEE/NBS and ETS factors), B (fuel combustion
by the Chinese guideline formula and by IPCC 2006 Tier 1) and C (intensity over ten years).
The numbers a user would check by hand are computed here through the engine
(``compute_frame``) and through each factor's own published parameters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecocredit.carbon import catalog, inventory, records, resolve, selection, summary, units
from ecocredit.carbon.model import Facility, Factor, Intensity
from ecocredit.errors import InvalidParameter

HEADER = "facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id\n"
SITES = {
    "HB": Facility("HB", "Hebei plant", "河北"),
    "NM": Facility("NM", "Inner Mongolia plant", "内蒙古"),
    "XX": Facility("XX", "Somewhere", None),
}


def compute(rows: str, year: int, factors: dict[str, Factor] | None = None, gwp: str = "AR6"):
    """The computed records of ``rows`` (CSV lines without the header) for ``year``."""
    frame = records.from_csv((HEADER + rows).encode(), "test.csv", year)
    options = inventory.ReportOptions(year, gwp)
    computed, _ = inventory.compute_frame(
        frame, factors or dict(catalog.published()), SITES, options, "test.csv"
    )
    return computed


def tonnes(rows: str, year: int, column: str = "kg_co2e_location", **kw) -> float:
    return compute(rows, year, **kw).records.get_column(column).sum() / 1000.0


def pick(year: int, province: str | None = None, **kw) -> str:
    choice = selection.Choice("electricity", year, kw.pop("method", "average"), province, **kw)
    preference = list(catalog.defaults()["series"])
    found = selection.select(catalog.published().values(), choice, preference, catalog.provinces())
    return found.factor_id


# --- B: fuel combustion -------------------------------------------------------------------


def test_b1_diesel_with_the_chinese_guideline() -> None:
    factor = catalog.published()["cn.gbt32150-2015.diesel"]
    p = factor.parameters
    energy_gj = 100 * p["ncv"]
    carbon_t = energy_gj * p["carbon_content"]
    assert energy_gj == pytest.approx(4265.2)
    assert carbon_t == pytest.approx(86.16, abs=0.005)
    assert carbon_t * p["oxidation"] * 44 / 12 == pytest.approx(309.59, abs=0.005)
    assert factor.gases == {"CO2": pytest.approx(3095.9, abs=0.05)}  # kg per t
    row = "HB,2024-01-01,2024-12-31,1,stationary_combustion,diesel,100,t,cn.gbt32150-2015.diesel\n"
    assert tonnes(row, 2024) == pytest.approx(309.59, abs=0.005)


def test_b2_diesel_with_ipcc_tier1_and_the_gap_to_b1() -> None:
    row = "HB,2024-01-01,2024-12-31,1,stationary_combustion,diesel,100,t,{}\n"
    ipcc = compute(row.format("ipcc2006.diesel"), 2024).records
    co2 = ipcc.get_column("kg_CO2").sum() / 1000.0
    assert co2 == pytest.approx(318.63, abs=0.005)  # 100 t × 43.0 GJ/t × 74,100 kg/TJ, OF = 1
    china = tonnes(row.format("cn.gbt32150-2015.diesel"), 2024)
    assert co2 / china - 1 == pytest.approx(0.03, abs=0.002)  # the two frameworks stay apart


def test_b3_natural_gas_per_ten_thousand_normal_cubic_metres() -> None:
    factor = catalog.published()["cn.gbt32150-2015.natural_gas"]
    # The data ships carbon content 0.0153 tC/GJ (two page-level tables print 15.3 tC/TJ);
    # the reference's 0.01532 would give 389.31 × 0.01532 × 0.99 × 44/12 = 21.65 t.
    assert factor.parameters["carbon_content"] == 0.0153
    reference = 389.31 * 0.01532 * 0.99 * 44 / 12
    assert reference == pytest.approx(21.65, abs=0.005)
    for quantity, unit in (("1", "10^4 Nm^3"), ("1", "万Nm3"), ("10000", "Nm3")):
        row = f"HB,2024-01-01,2024-12-31,1,stationary_combustion,natural_gas,{quantity},{unit},"
        row += "cn.gbt32150-2015.natural_gas\n"
        assert tonnes(row, 2024) == pytest.approx(21.62, abs=0.005), unit


def test_a_fuel_given_in_gj_goes_through_the_ncv() -> None:
    row = "HB,2024-01-01,2024-12-31,1,stationary_combustion,diesel,4265.2,GJ,\n"
    assert tonnes(row, 2024) == pytest.approx(309.59, abs=0.005)


# --- A: purchased electricity -------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor_id", "expected"),
    [
        ("cn.mee-nbs.2022.national.average", 536.6),  # A1
        ("cn.ets.2022.national.average", 570.3),  # A2
        ("cn.mee-nbs.2023.national.average", 530.6),  # A3
    ],
)
def test_a1_to_a3_one_thousand_mwh(factor_id: str, expected: float) -> None:
    row = f"XX,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,{factor_id}\n"
    assert tonnes(row, 2024) == pytest.approx(expected, abs=0.0005)
    same_in_kwh = row.replace(",1000,MWh,", ",1000000,kWh,")
    assert tonnes(same_in_kwh, 2024) == pytest.approx(expected, abs=0.0005)


def test_a4_market_traded_non_fossil_share_from_the_2021_factors() -> None:
    published = catalog.published()
    average = published["cn.mee-nbs.2021.national.average"].gases["CO2"]
    residual = published["cn.mee-nbs.2021.national.residual"].gases["CO2"]
    assert (average, residual) == (pytest.approx(0.5568), pytest.approx(0.5942))
    # average = E/G, residual = E/(G − M): the share M/G is 1 − average/residual. The reference's
    # 6.7 % is residual/average − 1 = M/(G − M), a share of the remaining generation.
    assert round((1 - average / residual) * 100, 2) == 6.29
    assert round((residual / average - 1) * 100, 1) == 6.7


# --- C: intensity -------------------------------------------------------------------------


def test_c1_intensity_falls_26_4_percent_through_the_report_arithmetic() -> None:
    # Energy +3 %/yr, GDP +6.2 %/yr over 10 years: the report's per-revenue intensity of the
    # last year over the first is (1.03/1.062)^10 = 0.7364, a 26.4 % fall.
    own = Factor("me/energy", "energy", "GJ", {"CO2": 1.0}, "user", "user", "test", published=False)
    factors = dict(catalog.published()) | {own.factor_id: own}

    def per_revenue(energy_gj: float, revenue: float) -> float:
        row = f"XX,2024-01-01,2024-12-31,1,process,energy,{energy_gj},GJ,me/energy\n"
        report = summary.summarise(
            compute(row, 2024, factors=factors), SITES, Intensity(revenue_wan_cny=revenue)
        )
        return float(report["intensity"]["per_revenue"]["location"])

    ratio = per_revenue(100_000 * 1.03**10, 5_000 * 1.062**10) / per_revenue(100_000, 5_000)
    assert ratio == pytest.approx(0.7364, abs=0.00005)
    assert round((1 - ratio) * 100, 1) == 26.4


# --- GWP sets -----------------------------------------------------------------------------


def test_gwp_sets_of_the_four_assessment_reports() -> None:
    sets = catalog.gwp_sets()
    assert [sets[r]["CH4"] for r in ("SAR", "AR4", "AR5", "AR6")] == [21, 25, 28, 27.0]
    assert [sets[r]["N2O"] for r in ("SAR", "AR4", "AR5", "AR6")] == [310, 298, 265, 273]
    assert sets["AR6"]["CH4_fossil"] == 29.8
    assert all(sets[r]["CO2"] == 1 for r in sets)


# --- units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ("kWh", "MWh", 0.001),
        ("MWh", "kWh", 1000),
        ("t", "kg", 1000),
        ("kg", "t", 0.001),
        ("万Nm3", "Nm3", 10_000),
        ("10⁴ Nm³", "10^4 Nm^3", 1),
        ("10^4 Nm^3", "Nm3", 10_000),
        ("tce", "GJ", 29.3076),
        ("万千瓦时", "MWh", 10),
    ],
)
def test_unit_conversions(source: str, target: str, factor: float) -> None:
    assert units.multiplier(source, target) == pytest.approx(factor)


def test_an_impossible_conversion_names_both_units() -> None:
    with pytest.raises(InvalidParameter) as caught:
        units.multiplier("kg", "kWh")
    assert "'kg'" in caught.value.message and "'kWh'" in caught.value.message


@pytest.mark.parametrize("garbage", ["foo", "kg/", "", "k" * 41, "10**1000", "t/0", "°°"])
def test_garbage_units_are_invalid_parameters(garbage: str) -> None:
    with pytest.raises(InvalidParameter):
        units.parse(garbage)


@given(st.text(max_size=45) | st.text(alphabet="kgtWhJNm0123456789^*/() .万元-", max_size=20))
def test_any_text_either_parses_or_is_an_invalid_parameter(text: str) -> None:
    with contextlib.suppress(InvalidParameter):
        units.parse(text)


def test_a_conversion_that_overflows_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameter):
        units.multiplier("kg**999", "g**999")
    with pytest.raises(InvalidParameter, match="exponent"):
        units.parse("m**9")


def test_a_chained_exponent_is_refused_quickly() -> None:
    # In a child process, so that a regression hangs the child, not the test run.
    code = (
        "from ecocredit.carbon import units\n"
        "from ecocredit.errors import InvalidParameter\n"
        "try:\n    units.parse('9**9**9')\n"
        "except InvalidParameter as exc:\n    assert 'exponent' in exc.message\n"
        "else:\n    raise SystemExit('9**9**9 was taken for a unit')\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], timeout=5, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("units.parse('9**9**9') took more than 5 s")


# --- default selection ----------------------------------------------------------------------


def test_a_province_gets_its_own_factor_then_its_regional_grid() -> None:
    assert pick(2022, "河北") == "cn.mee-nbs.2022.hebei.average"
    assert pick(2024, "河北") == "cn.mee-nbs.2023.north.average"  # no 2023 provincial value


def test_no_province_or_no_regional_mapping_gets_the_national_average() -> None:
    assert pick(2024) == "cn.mee-nbs.2023.national.average"
    assert catalog.provinces()["内蒙古"].regions == {}
    assert pick(2024, "内蒙古") == "cn.mee-nbs.2023.national.average"


def test_a_year_before_the_mee_nbs_series_falls_back_to_the_next_series() -> None:
    order = list(catalog.defaults()["series"])
    assert order.index("MEE-NBS") < order.index("NDRC")
    assert pick(2019, "河北") == "cn.ndrc.2012.north.average"
    assert pick(2021, "河北") == "cn.mee-nbs.2021.national.average"


def test_series_override_and_publication_date() -> None:
    assert pick(2024, "河北", series="ETS") == "cn.ets.2022.national.average"
    # The 2023 factors were published 2025-12-31, the 2022 ones 2024-12-20.
    assert pick(2024, "河北", as_of=dt.date(2025, 6, 30)) == "cn.mee-nbs.2022.hebei.average"
    assert pick(2024, as_of=dt.date(2024, 6, 30)) == "cn.mee-nbs.2021.national.average"
    with pytest.raises(InvalidParameter):
        pick(2024, as_of=dt.date(2020, 1, 1))


def _resolved(year: int, province: str | None, series: str | None = None):
    row = f"S,{year}-01-01,{year}-12-31,2,purchased_electricity,electricity,1000,MWh,\n"
    frame = records.from_csv((HEADER + row).encode(), "test.csv", year)
    return resolve.resolve(
        frame, catalog.published(), {"S": province}, resolve.Options(year, series)
    )


def test_market_based_electricity_uses_the_residual_of_the_same_series() -> None:
    found = _resolved(2022, "河北")
    assert found.location.to_list() == ["cn.mee-nbs.2022.hebei.average"]
    assert found.market.to_list() == ["cn.mee-nbs.2022.national.residual"]
    later = _resolved(2024, "河北")
    assert later.location.to_list() == ["cn.mee-nbs.2023.north.average"]
    assert later.market.to_list() == ["cn.mee-nbs.2023.national.residual"]
    rows = "HB,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,\n"
    assert tonnes(rows, 2024, column="kg_co2e_market") == pytest.approx(609.6)


def test_an_ets_report_computes_its_electricity() -> None:
    found = _resolved(2024, "河北", series="ETS")
    assert found.location.to_list() == ["cn.ets.2022.national.average"]
    # ETS publishes no residual: the location factor stands in, and a note says so.
    assert found.market.to_list() == ["cn.ets.2022.national.average"]
    assert any("no residual factor of ETS 2022" in note for note in found.notes)


def test_a_2019_inventory_computes_its_electricity() -> None:
    found = _resolved(2019, "河北")
    assert found.location.to_list() == ["cn.ndrc.2012.north.average"]
    # No residual is published for 2019 or earlier: the location factor stands in, with a note.
    assert found.market.to_list() == ["cn.ndrc.2012.north.average"]
    assert any("no residual factor" in note for note in found.notes)
