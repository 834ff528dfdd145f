"""Activity records: reading CSV and JSON, the whole-inventory checks, and computing them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecocredit.carbon import catalog, checks, inventory, records, summary
from ecocredit.carbon.model import Facility, Factor, Intensity
from ecocredit.errors import InvalidParameter

HEADER = "facility,period_start,period_end,scope,category,activity,quantity,unit,factor_id,evidence_sha256,note\n"  # noqa: E501
GOOD = "F1,2024-01-01,2024-01-31,1,stationary_combustion,diesel,12.5,t,,,January\n"
SHA = "ab" * 32
SITES = {code: Facility(code, code, province) for code, province in
         (("F1", "河北"), ("F2", None), ("F3", "广东"))}  # fmt: skip
OWN = Factor("acme/boiler-steam", "steam", "GJ", {"CO2": 70.0, "CH4": 0.01}, "user", "user",
             "supplier declaration", status="user", published=False, owner="acme")  # fmt: skip


def read(body: str | bytes, year: int = 2024, name: str = "march.csv"):
    data = body if isinstance(body, bytes) else (HEADER + body).encode()
    return records.from_csv(data, name, year)


def compute(body: str, gwp: str = "AR6", factors: dict[str, Factor] | None = None):
    options = inventory.ReportOptions(2024, gwp)
    table = dict(catalog.published()) | ({OWN.factor_id: OWN} if factors is None else factors)
    computed, _ = inventory.compute_frame(read(body), table, SITES, options, "march.csv")
    return computed


def test_a_good_file_is_read_with_lines_counted_from_the_header() -> None:
    body = GOOD + (
        f"F1,2024-02-01,2024-02-29,2,purchased_electricity,electricity,1200,MWh,,{SHA},\n"
        "F2,2024-03-01,2024-03-31,3,cat06_business_travel,flight,3,t,acme/flight,,\n"
    )
    frame = read(body)
    assert frame.get_column("line").to_list() == [2, 3, 4]
    first = frame.row(0, named=True)
    assert first["quantity"] == 12.5 and first["scope"] == 1 and first["note"] == "January"
    assert first["factor_id"] is None and first["evidence_sha256"] is None
    assert frame.get_column("evidence_sha256").to_list()[1] == SHA
    assert frame.get_column("factor_id").to_list()[2] == "acme/flight"
    # The optional columns may be left out, and a BOM is no problem.
    short = "facility,period_start,period_end,scope,category,activity,quantity,unit\n"
    bare = read(("\ufeff" + short + "F1,2024-01-01,2024-01-31,1,process,lime,2,t\n").encode())
    assert bare.height == 1 and bare.row(0, named=True)["note"] == ""


ROW = "F1,2024-03-01,2024-03-31,1,stationary_combustion,diesel,10,t,,,\n"
LATIN1 = (HEADER + GOOD + ROW.replace(",,,\n", ",,caf\xe9\n")).encode("latin-1")


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        pytest.param(
            (HEADER.replace(",unit", "") + GOOD.replace(",t,", ",")).encode(), 1, "unit",
            id="missing column",
        ),
        pytest.param(
            (HEADER.replace("note", "colour") + GOOD).encode(), 1, "colour",
            id="unknown column",
        ),
        pytest.param(GOOD + ROW.replace("2024-03-01", "2024-03-32"), 3, "period_start", id="date"),
        pytest.param(GOOD + ROW.replace("2024-03-01", "01/03/2024"), 3, "period_start",
                     id="date format"),
        pytest.param(GOOD + ROW.replace("2024-03-01", "2023-12-01"), 3, "period_start",
                     id="outside the year"),
        pytest.param(GOOD + ROW.replace("2024-03-31", "2024-02-28"), 3, "period_end",
                     id="end before start"),
        pytest.param(GOOD + ROW.replace(",1,", ",4,"), 3, "scope", id="scope 4"),
        pytest.param(GOOD + ROW.replace(",1,", ",2,"), 3, "category", id="category of scope 1"),
        pytest.param(GOOD + ROW.replace(",10,", ",-1,"), 3, "quantity", id="negative"),
        pytest.param(GOOD + ROW.replace(",10,", ",NaN,"), 3, "quantity", id="nan"),
        pytest.param(GOOD + ROW.replace(",10,", ",inf,"), 3, "quantity", id="inf"),
        pytest.param(GOOD + ROW.replace(",10,", ",ten,"), 3, "quantity", id="text"),
        pytest.param(GOOD + ROW.replace(",t,", ",bananas,"), 3, "unit", id="unknown unit"),
        pytest.param(GOOD + ROW.replace(",,,", f",,{SHA[:-1]}X,"), 3, "evidence_sha256",
                     id="bad sha256"),
        pytest.param(GOOD + ROW.replace(",,,", ",my factor!,,"), 3, "factor_id", id="factor id"),
        pytest.param(LATIN1, 3, "file", id="not utf-8"),
    ],
)  # fmt: skip
def test_a_bad_record_names_file_line_and_field(body: str | bytes, line: int, field: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        read(body)
    message = caught.value.message
    assert "march.csv" in message and f"line {line}" in message and field in message, message
    assert caught.value.field == field


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\n\x00\x01\x02", b"", b'"unclosed\n', b"\x00\x00\x00\x00"]
)
def test_a_file_that_is_not_a_csv_is_refused_by_name(data: bytes) -> None:
    with pytest.raises(InvalidParameter) as caught:
        read(data)
    # Either it cannot be read as CSV at all, or its first line is no header we know.
    assert "march.csv" in caught.value.message
    assert caught.value.field in ("file", "facility"), caught.value.message


BASE = {"facility": "F1", "period_start": "2024-01-01", "period_end": "2024-01-31",
        "scope": 1, "category": "stationary_combustion", "activity": "diesel",
        "quantity": 10, "unit": "t"}  # fmt: skip


def test_json_rows_are_read_like_csv_lines() -> None:
    frame = records.from_rows([BASE, BASE | {"period_start": "2024-02-01",
                                             "period_end": "2024-02-29", "quantity": 2.5}],
                              "body", 2024)  # fmt: skip
    assert frame.get_column("line").to_list() == [1, 2]
    assert frame.get_column("quantity").to_list() == [10.0, 2.5]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"quantity": {"value": 10}}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"scope": False}, "scope"),
        ({"note": ["a"]}, "note"),
        ({"factor_id": {"id": "x"}}, "factor_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_json_row_names_its_position_and_field(bad: dict, field: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        records.from_rows([BASE, BASE | bad], "body", 2024)
    assert "body, line 2" in caught.value.message and field in caught.value.message
    assert caught.value.field == field


# --- checks of the whole inventory --------------------------------------------------------

DIESEL = "{site},{start},{end},1,stationary_combustion,diesel,1,t,,,\n"


def overlaps(*periods: tuple[str, str, str], kind: str = DIESEL) -> None:
    body = "".join(kind.format(site=s, start=a, end=b) for s, a, b in periods)
    checks.check_overlaps(read(body), "march.csv")


def test_overlapping_periods_of_one_stream_name_both_records() -> None:
    with pytest.raises(InvalidParameter) as caught:
        overlaps(("F1", "2024-01-01", "2024-01-31"), ("F1", "2024-02-01", "2024-02-29"),
                 ("F1", "2024-01-20", "2024-02-10"))  # fmt: skip
    message = caught.value.message
    assert "march.csv, line 4" in message and "line 2" in message
    assert caught.value.field == "period_start"


def test_touching_periods_other_facilities_scope3_and_instruments_may_coexist() -> None:
    overlaps(("F1", "2024-01-01", "2024-01-31"), ("F1", "2024-02-01", "2024-02-29"))
    overlaps(("F1", "2024-01-01", "2024-01-31"), ("F2", "2024-01-01", "2024-01-31"))
    travel = "{site},{start},{end},3,cat06_business_travel,flight,1,t,,,\n"
    overlaps(("F1", "2024-01-01", "2024-03-31"), ("F1", "2024-02-01", "2024-02-29"), kind=travel)
    certificate = "{site},{start},{end},2,green_certificate,electricity,5,MWh,,,\n"
    overlaps(("F1", "2024-01-01", "2024-12-31"), ("F1", "2024-06-01", "2024-06-30"),
             kind=certificate)  # fmt: skip
    with pytest.raises(InvalidParameter):  # a shared last day is an overlap
        overlaps(("F1", "2024-01-01", "2024-01-31"), ("F1", "2024-01-31", "2024-02-29"))


def test_electricity_must_be_energy() -> None:
    body = "F1,2024-01-01,2024-01-31,2,purchased_electricity,electricity,10,t,,,\n"
    with pytest.raises(InvalidParameter) as caught:
        checks.check_energy_units(read(GOOD + body), "march.csv")
    assert "march.csv, line 3" in caught.value.message and "'t'" in caught.value.message
    checks.check_energy_units(read(GOOD + body.replace(",t,", ",kWh,")), "march.csv")


# --- computing ----------------------------------------------------------------------------

ELECTRICITY = "F1,2024-01-01,2024-12-31,2,purchased_electricity,electricity,1000,MWh,,,\n"


def certificates(mwh: float) -> str:
    return f"F1,2024-01-01,2024-12-31,2,green_certificate,electricity,{mwh},MWh,,,\n"


def test_certificates_cover_part_of_the_electricity_under_the_market_method() -> None:
    computed = compute(ELECTRICITY + certificates(400))
    frame = computed.records
    assert frame.get_column("kg_co2e_location").sum() == pytest.approx(636_100)  # 2023 North
    # The 600 MWh not covered count at the 2023 residual 0.6096.
    assert frame.get_column("kg_co2e_market").sum() == pytest.approx(600_000 * 0.6096)
    assert computed.notes == []


def test_certificates_beyond_consumption_are_capped_with_a_note() -> None:
    computed = compute(ELECTRICITY + certificates(1400))
    assert computed.records.get_column("kg_co2e_market").sum() == 0
    assert computed.records.get_column("kg_co2e_location").sum() == pytest.approx(636_100)
    assert len(computed.notes) == 1 and "F1" in computed.notes[0]
    assert "1,400.000 MWh" in computed.notes[0] and "1,000.000 MWh" in computed.notes[0]


def test_a_users_own_factor_is_used_by_id() -> None:
    body = "F2,2024-01-01,2024-12-31,1,stationary_combustion,steam,1000,GJ,acme/boiler-steam,,\n"
    frame = compute(body).records
    assert frame.get_column("location_factor").to_list() == ["acme/boiler-steam"]
    assert frame.get_column("kg_CO2").to_list() == [70_000.0]
    assert frame.get_column("kg_CH4").to_list() == [pytest.approx(10.0)]
    assert frame.get_column("kg_co2e_location").to_list() == [pytest.approx(70_000 + 10 * 27.0)]


@pytest.mark.parametrize(("gwp", "ch4", "n2o"), [("AR5", 30, 265), ("AR6", 29.8, 273)])
def test_co2e_is_the_sum_of_gases_times_the_chosen_gwp(gwp: str, ch4: float, n2o: float) -> None:
    body = "F1,2024-01-01,2024-12-31,1,stationary_combustion,diesel,100,t,ipcc2006.diesel,,\n"
    computed = compute(body, gwp=gwp)
    row = computed.records.row(0, named=True)
    assert computed.gases == ("CO2", "CH4_fossil", "N2O")
    assert row["kg_CO2"] == pytest.approx(318_630)  # 43.0 GJ/t × 74.1 kg/GJ
    assert row["kg_CH4_fossil"] == pytest.approx(12.9)  # 4.3 TJ × 3 kg/TJ
    assert row["kg_N2O"] == pytest.approx(2.58)  # 4.3 TJ × 0.6 kg/TJ
    expected = row["kg_CO2"] + row["kg_CH4_fossil"] * ch4 + row["kg_N2O"] * n2o
    assert row["kg_co2e_location"] == pytest.approx(expected)
    assert computed.gwp == {"CO2": 1.0, "CH4_fossil": ch4, "N2O": n2o}


def test_an_unknown_factor_id_names_its_line() -> None:
    body = GOOD + "F1,2024-02-01,2024-02-29,1,stationary_combustion,diesel,1,t,acme/nothing,,\n"
    with pytest.raises(InvalidParameter) as caught:
        compute(body)
    assert "line 3" in caught.value.message and "acme/nothing" in caught.value.message
    assert caught.value.field == "factor_id"


def test_a_unit_the_factor_cannot_take_names_the_line_and_both_units() -> None:
    body = GOOD + "F1,2024-02-01,2024-02-29,1,stationary_combustion,diesel,5,m^3,,,\n"
    with pytest.raises(InvalidParameter) as caught:
        compute(body)
    message = caught.value.message
    assert "line 3" in message and "'m^3'" in message and "'t'" in message
    assert caught.value.field == "unit"


def test_a_fuel_in_gj_gives_the_same_co2_as_in_tonnes() -> None:
    row = "F1,2024-01-01,2024-12-31,1,stationary_combustion,diesel,{},{},{},,\n"
    for factor_id, ncv in (("cn.gbt32150-2015.diesel", 42.652), ("ipcc2006.diesel", 43.0)):
        in_t = compute(row.format(100, "t", factor_id)).records
        in_gj = compute(row.format(100 * ncv, "GJ", factor_id)).records
        assert in_gj.get_column("kg_CO2").sum() == pytest.approx(in_t.get_column("kg_CO2").sum())
    china = compute(row.format(4265.2, "GJ", "")).records.get_column("kg_CO2").sum()
    assert china / 1000 == pytest.approx(309.59, abs=0.005)


def test_an_inventory_of_certificates_only_computes_to_zero() -> None:
    computed = compute(certificates(5))
    assert computed.records.get_column("kg_co2e_market").to_list() == [0.0]
    assert len(computed.notes) == 1  # 5 MWh of certificates, no electricity


# --- property: the report adds up -----------------------------------------------------------

KINDS = [
    "1,stationary_combustion,diesel,{q},t,",
    "1,stationary_combustion,natural_gas,{q},10^4 Nm^3,",
    "1,mobile_combustion,gasoline,{q},kg,ipcc2006.gasoline",
    "2,purchased_electricity,electricity,{q},MWh,",
    "2,green_certificate,electricity,{q},MWh,",
    "3,cat01_purchased_goods,steam,{q},GJ,acme/boiler-steam",
]
RECORD = st.tuples(
    st.sampled_from(sorted(SITES)),
    st.integers(1, 12),
    st.sampled_from(KINDS),
    st.floats(0, 1e6, allow_nan=False).map(lambda q: round(q, 3)),
)


@settings(max_examples=40)
@given(st.lists(RECORD, min_size=1, max_size=25))
def test_the_total_is_the_sum_of_facilities_and_of_sources(rows: list) -> None:
    body = GOOD + "".join(
        f"{site},2024-{month:02d}-01,2024-{month:02d}-28,{kind.format(q=q)},,\n"
        for site, month, kind, q in rows
    )
    report = summary.summarise(compute(body), SITES, Intensity())
    totals = {k: float(v) for k, v in report["totals_t"].items()}
    for method in ("location", "market"):
        facilities = sum(
            float(f["scope1"]) + float(f[f"scope2_{method}"]) + float(f["scope3"])
            for f in report["by_facility"]
        )
        sources = sum(float(s[f"t_co2e_{method}"]) for s in report["by_source"])
        total = totals[f"total_{method}"]
        # Each shown figure is rounded to 0.001 t: half of that per term, and the total's own.
        terms = 3 * len(report["by_facility"]) + 1
        assert math.isclose(facilities, total, abs_tol=0.0005 * terms + 1e-9)
        assert math.isclose(sources, total, abs_tol=0.0005 * (len(report["by_source"]) + 1) + 1e-9)
    scopes = totals["scope1"] + totals["scope2_location"] + totals["scope3"]
    assert math.isclose(scopes, totals["total_location"], abs_tol=0.003)
