"""The registry's portal pages show what the API serves: supply, batches, certificates."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from ecocredit.registry import service as registry
from ecocredit.registry.model import RetirementRequest
from tests.registry.conftest import Registry


def test_the_registry_page_shows_totals_batches_retirements_and_chart_data(
    client: TestClient, reg: Registry
) -> None:
    request = RetirementRequest("CN-BJ", "neutrality", beneficiary_name="Beijing Marathon 2026")
    retired = reg.as_("alice", registry.retire, reg.batch, "12.345678", request)
    page = client.get("/registry")
    assert page.status_code == 200
    html = page.text
    assert reg.batch in html
    assert "Beijing Marathon 2026" in html
    assert f'href="/registry/retirements/{retired["ledger_index"]}"' in html
    data = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert data is not None
    chart = json.loads(data.group(1))
    assert chart["batches"] == [reg.batch]
    assert chart["by_batch"]["retired"] == [12.345678]
    assert chart["places"] == ["CN-NM"]
    assert client.get("/static/vendor/echarts/echarts.min.js").status_code == 200


def test_a_batch_page_and_a_certificate_with_its_proof(client: TestClient, reg: Registry) -> None:
    request = RetirementRequest("CN-GD", "voluntary", "office electricity 2026", "carol")
    retired = reg.as_("alice", registry.retire, reg.batch, "2", request)
    batch = client.get(f"/registry/batches/{reg.batch}")
    assert batch.status_code == 200
    assert "Xilingol grassland restoration" in batch.text
    index = retired["ledger_index"]
    reg.runtime.sign_checkpoint()
    cert = client.get(f"/registry/retirements/{index}").text
    assert f"{reg.batch}:1-2000000" in cert
    assert "CCER-14-001 version V01" in cert
    assert "carol" in cert and "office electricity 2026" in cert
    assert '<pre id="proof">' in cert
    assert client.get("/registry/retirements/999999").status_code == 404
    assert client.get("/registry/batches/C01-001-20260101-20261231-009").status_code == 404
