"""A marine-plastic product's page: every collector, the chain, the fund's payouts, its QR."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import segno
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from ecocredit.app import create_app
from ecocredit.inclusion.custody_tables import lots
from ecocredit.inclusion.demo_custody import FISHERMEN, RECYCLER, STATION, TRUCK, load_custody
from ecocredit.inclusion.ops import custody
from ecocredit.runtime import InitResult
from ecocredit.web.custody_pages import qr_svg


@pytest.fixture
def demo(installed: InitResult) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of an installation with the Blue Circle demo, and its products' codes."""
    rt = installed.runtime
    rt.db.write(load_custody)
    with rt.db.read() as session:
        rows = session.execute(
            select(lots.c.id, lots.c.product_code).where(lots.c.product_code.is_not(None))
        ).all()
    with TestClient(create_app(runtime=rt)) as client:
        yield client, {str(r.id): str(r.product_code) for r in rows}


def test_a_product_page_names_every_collector_with_kilograms_share_and_payout(
    installed: InitResult, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, codes = demo
    assert len(codes) == 3
    code = codes["BC-CHAIR-0001"]
    page = client.get(f"/inclusion/products/{code}")
    assert page.status_code == 200
    with installed.runtime.db.read() as session:
        trace = custody.trace(session, code)
    table = page.text.split('id="custody-collectors"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>\d+</td><td>([\d,.]+)</td><td>([\d.]+) %", table)
    assert {name for name, _, _ in rows} == set(FISHERMEN)  # all twelve fishermen
    for (name, kg, share), (traced, grams) in zip(rows, trace["collectors"], strict=True):
        assert name == traced and kg == f"{grams / 1000:,.3f}"
        assert abs(float(share) - 100 * grams / trace["grams"]) < 0.01
    for account in (STATION, TRUCK, RECYCLER):
        assert account in page.text
    payouts = page.text.split('id="custody-payouts"')[1].split("</table>")[0]
    assert payouts.count("<tr><td>1</td>") == len(FISHERMEN)  # run 1 paid each of them
    assert "run 1" in page.text.split('id="custody-sales"')[1]


def _dark_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG path of horizontal runs draws (M, m and h commands)."""
    found = re.search(r' d="([^"]+)"', svg)
    assert found is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", found.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(x) + i, int(y)) for i in range(int(float(a)))}
            x += float(a)
    return dark


def test_the_qr_code_encodes_the_pages_absolute_url(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, codes = demo
    code = codes["BC-BAG-0001"]
    page = client.get(f"/inclusion/products/{code}").text
    url = f"http://testserver/inclusion/products/{code}"
    svg = page[page.index("<svg") : page.index("</svg>")]
    # Read back from the page's SVG, the symbol is exactly the QR code of the URL (border 4).
    symbol = segno.make(url, error="m")
    expected = {
        (col + 4, row + 4)
        for row, line in enumerate(symbol.matrix)
        for col, bit in enumerate(line)
        if bit
    }
    assert _dark_modules(svg) == expected
    assert _dark_modules(str(qr_svg(url + "/other"))) != expected
    assert f'href="{escape(url)}"' in page


def test_unknown_and_malformed_codes(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = demo
    assert client.get("/inclusion/products/AAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/inclusion/products/not-a-code").status_code in (400, 404, 422)


def test_the_inclusion_page_lists_every_product_linked_to_its_page(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, codes = demo
    table = client.get("/inclusion").text.split('id="custody-products"')[1].split("</table>")[0]
    for product, code in codes.items():
        assert f'<a href="/inclusion/products/{code}">{product}</a>' in table
        assert client.get(f"/inclusion/products/{code}").status_code == 200
