"""Property-based API testing from the OpenAPI schema: no input makes the API answer 5xx.

Schemathesis generates requests for every operation, valid and invalid, and checks each
response: never a server error, status codes and content types as documented, bodies that
match their schemas, and invalid input rejected. Its pytest plugin does not run under this
pytest, so each operation's strategy is driven with Hypothesis directly.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.air import service as air
from ecocredit.air.model import DataStatus, Station
from ecocredit.app import create_app
from ecocredit.carbon.demo import load_carbon
from ecocredit.ledger import store
from ecocredit.registry import service as registry
from ecocredit.registry.model import RetirementRequest
from ecocredit.runtime import InitResult
from tests.registry.conftest import populate

EXAMPLES = 60


def test_no_input_makes_the_api_fail(installed: InitResult, admin_headers: dict[str, str]) -> None:
    rt = installed.runtime
    rt.db.write(lambda s: store.append(s, [b'{"n":%d}' % i for i in range(600)]))
    # A registry with a batch, holders and a retirement, so reads reach real rows too.
    reg = populate(rt, installed.admin_key)
    reg.as_("alice", registry.retire, reg.batch, "1", RetirementRequest("CN-BJ"))
    rt.db.write(_air)
    rt.db.write(load_carbon)  # inventories, versions and a product system to read
    rt.sign_checkpoint()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime=rt))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /v1/ledger/proof/inclusion",
        "GET /v1/ledger/proof/consistency",
        "GET /v1/ledger/entries",
        "POST /v1/ledger/notices",
        "GET /tile/{path}",
        "POST /v1/registry/transfers",
        "POST /v1/registry/batches",
        "GET /v1/registry/retirements/{index}",
        "GET /v1/registry/serials/{batch}/{unit}",
        "GET /v1/registry/audit",
        "POST /v1/air/observations",
        "GET /v1/air/stations/{code}/days",
        "GET /v1/air/cities/{city}/evaluation",
        "POST /v1/carbon/organisations/{code}/inventories/{year}/records",
        "GET /v1/carbon/organisations/{code}/inventories/{year}",
        "POST /v1/carbon/processes",
        "GET /v1/carbon/products/{code}/footprint",
        "GET /v1/carbon/products/{code}/what-if",
    }
    for operation in operations:
        for headers in (admin_headers, {}):
            _exercise(operation.as_strategy(), headers)


def _air(session: Session) -> None:
    """Two stations of one city with a day of hours, so air reads reach real rows."""
    admin = accounts.principal(session, "admin")
    air.register_stations(
        session,
        [
            Station("1001A", "a", "北京", "", 116.4, 39.9),
            Station("1003A", "b", "北京", "", 116.4, 39.9),
        ],
        admin,
    )
    rows = "".join(
        f"{c},2026-11-20T{h:02d}:00,80,120,8,40,0.9,60\n"
        for c in ("1001A", "1003A")
        for h in range(1, 24)
    )
    data = ("station,time,PM2.5,PM10,SO2,NO2,CO,O3\n" + rows).encode()
    air.import_files(
        session, [air.SourceFile("a.csv", data)], status=DataStatus.REALTIME, actor=admin
    )


def _exercise(strategy: object, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=strategy)
    def call(case: schemathesis.Case) -> None:
        # A request can fit the schema and still ask for the impossible (index >= size); such
        # requests get 400 naming the parameter by design, so schema-valid does not mean 2xx.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    call()
