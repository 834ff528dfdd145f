"""Demo data of the marine-plastic chain of custody: the Blue Circle (蓝色循环) in Taizhou.

Twelve fishermen of Taizhou and Wenzhou harbours bring in lots of marine plastic over two
weeks of October 2026, each with a GPS fix and a small photo. The Jiaojiang collection station
weighs every lot (one scale reads off and is flagged), a truck takes them to the recycler,
which makes pellets at a declared 80 % yield; a maker turns the pellets into three products,
sells them, and the fund pays its share of the sales to the fishermen by their kilograms.
Everything goes through the services, so every step is logged as a live one would be.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Principal, Role
from ecocredit.inclusion.custody_model import Coordinates
from ecocredit.inclusion.demo import plate
from ecocredit.inclusion.ops import custody, fund

STATION, TRUCK, RECYCLER, MAKER = "bc-station", "bc-truck", "bc-recycler", "bc-maker"
FUND_OPERATOR = "bc-fund"
DECLARED_YIELD_BP = 8000  # the recycler's declared yield of pellets from washed, sorted plastic
FIRST_DAY = dt.datetime(2026, 10, 8, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# Harbours the fishermen land at: (name, lon, lat), WGS 84.
HARBOURS = (
    ("椒江 大陈岛", 121.90, 28.45),
    ("温岭 石塘", 121.61, 28.26),
    ("玉环 坎门", 121.37, 28.08),
    ("三门 健跳", 121.66, 29.03),
    ("洞头 东屏", 121.16, 27.84),
)
FISHERMEN = (
    "chen-dahai", "lin-asheng", "wang-haibo", "zheng-yulan", "huang-jianguo", "li-xiaomei",
    "zhou-qiang", "wu-chunhua", "xu-minghui", "jiang-ahua", "ye-guobao", "cai-lihong",
)  # fmt: skip
PRODUCTS = (  # (product id, kg of pellets, kg of product, sales in cents)
    ("BC-CHAIR-0001", 40, 38, (128_000, 128_000)),
    ("BC-BAG-0001", 12, 11, (19_900, 19_900, 24_900)),
    ("BC-CASE-0001", 3, 3, (8_800,)),
)


def _accounts(session: Session) -> dict[str, Principal]:
    """The fishermen (people) and the chain's organisations, each able to hold plastic."""
    people = [(name, AccountKind.PERSON, Role.HOLDER) for name in FISHERMEN]
    orgs = [(n, AccountKind.ORGANISATION, Role.HOLDER) for n in (STATION, TRUCK, RECYCLER, MAKER)]
    fund_op = (FUND_OPERATOR, AccountKind.ORGANISATION, Role.OPERATOR)
    for name, kind, role in [*people, *orgs, fund_op]:
        accounts.create_account(session, name, [role], SYSTEM_ACTOR, kind=kind)
    return {name: accounts.principal(session, name) for name, _, _ in [*people, *orgs, fund_op]}


def _hand(
    session: Session, who: dict[str, Principal], lot: str, by: str, to: str, grams: int,
    stage: str | None = None,
) -> str:  # fmt: skip
    offered = custody.offer(session, who[by], lot, to, grams, stage)
    return str(custody.confirm(session, who[to], offered["handoff_id"])["new_lot_id"])


def _lots(session: Session, who: dict[str, Principal]) -> list[tuple[str, int]]:
    """Every fisherman's lots collected, weighed at the station and trucked to the recycler."""
    rng = np.random.default_rng(2026)
    at_recycler: list[tuple[str, int]] = []
    for n, fisher in enumerate(FISHERMEN):
        _, lon, lat = HARBOURS[n % len(HARBOURS)]
        for trip in range(2 + n % 3):
            grams = int(rng.integers(8, 60)) * 1000 + int(rng.integers(0, 1000))
            when = FIRST_DAY + dt.timedelta(days=int(rng.integers(0, 14)), minutes=37 * trip)
            fix = Coordinates(round(lon + rng.uniform(-0.02, 0.02), 5), round(lat, 5))
            photo = hashlib.sha256(plate(10_000 + 10 * n + trip, side=32)).hexdigest()
            lot = custody.collect(session, who[fisher], fix, when, grams, photo)["lot_id"]
            station = _hand(session, who, lot, fisher, STATION, grams)
            # The scale reads a few grams off the declared mass; lin-asheng's first bag was wet.
            wet = fisher == "lin-asheng" and trip == 0
            measured = grams * 93 // 100 if wet else grams - int(rng.integers(0, 400))
            custody.weigh(session, who[STATION], station, measured)
            trucked = _hand(session, who, station, STATION, TRUCK, measured, "transport")
            at_recycler.append((_hand(session, who, trucked, TRUCK, RECYCLER, measured), measured))
    return at_recycler


def load_custody(session: Session) -> str:
    """Load the Blue Circle chain from the beach to the fund's payout (once)."""
    if accounts.exists(session, STATION):
        return "custody: already loaded"
    who = _accounts(session)
    inputs = _lots(session, who)
    total = sum(grams for _, grams in inputs)
    output = total * (DECLARED_YIELD_BP - 100) // 10_000  # a little under the declared yield
    pellets = custody.process(session, who[RECYCLER], inputs, output, DECLARED_YIELD_BP)["lot_id"]
    needed = sum(kg for _, kg, _, _ in PRODUCTS) * 1000
    at_maker = _hand(session, who, pellets, RECYCLER, MAKER, needed)
    sold = 0
    for product_id, pellet_kg, kg, cents in PRODUCTS:
        made = custody.make_product(
            session, who[MAKER], [(at_maker, pellet_kg * 1000)], product_id, kg * 1000
        )
        for amount in cents:
            fund.record_sale(session, who[MAKER], made["product_code"], amount)
            sold += 1
    run = fund.pay_fund(session, who[FUND_OPERATOR])
    return (
        f"custody: {len(inputs)} lots from {len(FISHERMEN)} fishermen ({total / 1000:,.1f} kg), "
        f"{output / 1000:,.1f} kg of pellets, {len(PRODUCTS)} products, {sold} sales; "
        f"fund run {run['run']} paid {run['fund_cents'] / 100:,.2f} yuan"
    )
