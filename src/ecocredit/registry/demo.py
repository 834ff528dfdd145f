"""Demo data of the registry: China's 2023 CCER methodologies, projects, credits and claims.

The four classes follow the first methodologies the Ministry of Ecology and Environment
published for the relaunched CCER scheme in October 2023. Projects sit in seven provinces;
verifiers file reports (the hash of a made-up report text), issuers issue batches (forestry
and mangrove classes withhold a buffer share), and holders transfer, retire for named
beneficiaries, cancel, and the registry cancels buffer credits after a forest fire. Every
step goes through the registry service, so every event is on the log. The organisations
and people are invented.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecocredit.accounts import service as accounts
from ecocredit.accounts.model import SYSTEM_ACTOR, AccountKind, Principal, Role
from ecocredit.registry import amounts
from ecocredit.registry import service as registry
from ecocredit.registry.model import ProjectStatus, ReasonCode, RetirementRequest
from ecocredit.registry.tables import credit_types

OPERATOR = "registry-operator"  # the registry admin of the demo (an account with no key)
PRECISION = 6
CLASS_ADMIN = "ncsc"  # a national climate change strategy centre: it administers the classes
ISSUERS = ("ccer-registration", "mee-climate-office")
ORG, PERSON, PROGRAMME = AccountKind.ORGANISATION, AccountKind.PERSON, AccountKind.PROGRAMME
DEVELOPER = (Role.PROJECT_ADMIN, Role.HOLDER)

ACCOUNTS: list[tuple[str, tuple[Role, ...], AccountKind]] = [
    (CLASS_ADMIN, (Role.CLASS_ADMIN,), ORG),
    *((name, (Role.CLASS_ISSUER,), ORG) for name in ISSUERS),
    ("alxa-greening", DEVELOPER, ORG),
    ("puer-forestry", DEVELOPER, ORG),
    ("south-coast-blue-carbon", DEVELOPER, ORG),
    ("pingtan-offshore-wind", DEVELOPER, ORG),
    ("yangjiang-offshore-wind", DEVELOPER, ORG),
    ("haixi-solar-thermal", DEVELOPER, ORG),
    ("dunhuang-solar-thermal", DEVELOPER, ORG),
    ("huaxia-verification", (Role.VERIFIER,), ORG),
    ("lingnan-certification", (Role.VERIFIER,), ORG),
    ("minjiang-steel", (Role.HOLDER,), ORG),
    ("pearl-river-data", (Role.HOLDER,), ORG),
    ("south-sky-airlines", (Role.HOLDER,), ORG),
    ("shenzhen-carbon-inclusion", (Role.HOLDER,), PROGRAMME),
    ("li.na", (Role.HOLDER,), PERSON),
    ("wang.wei", (Role.HOLDER,), PERSON),
    ("zhang.min", (Role.HOLDER,), PERSON),
    ("chen.jie", (Role.HOLDER,), PERSON),
]

# key, name, methodology id, version (MEE, October 2023)
CLASSES = [
    ("forest", "Afforestation carbon sink (造林碳汇)", "CCER-14-001", "V01"),
    ("mangrove", "Mangrove creation (红树林营造)", "CCER-14-002", "V01"),
    ("csp", "Grid-connected solar thermal power (并网光热发电)", "CCER-01-001", "V01"),
    ("wind", "Grid-connected offshore wind power (并网海上风力发电)", "CCER-01-002", "V01"),
]


# project key: class key, developer, jurisdiction (ISO 3166-2), reference id
PROJECTS = {
    "alxa": ("forest", "alxa-greening", "CN-NM", "CCER-NM-2024-0031"),
    "puer": ("forest", "puer-forestry", "CN-YN", "CCER-YN-2024-0012"),
    "leizhou": ("mangrove", "south-coast-blue-carbon", "CN-GD", "CCER-GD-2024-0044"),
    "dongzhai": ("mangrove", "south-coast-blue-carbon", "CN-HI", "CCER-HI-2024-0007"),
    "pingtan": ("wind", "pingtan-offshore-wind", "CN-FJ", "CCER-FJ-2024-0019"),
    "yangjiang": ("wind", "yangjiang-offshore-wind", "CN-GD", "CCER-GD-2024-0051"),
    "delingha": ("csp", "haixi-solar-thermal", "CN-QH", "CCER-QH-2024-0003"),
    "dunhuang": ("csp", "dunhuang-solar-thermal", "CN-GS", "CCER-GS-2024-0009"),
}
# project key: name, location
PLACES = {
    "alxa": ("Alxa Left Banner desert-edge afforestation", "Alxa Left Banner, Inner Mongolia"),
    "puer": ("Simao mountain afforestation", "Simao District, Pu'er, Yunnan"),
    "leizhou": ("Leizhou Bay mangrove creation", "Leizhou Bay, Zhanjiang, Guangdong"),
    "dongzhai": ("Dongzhai Harbour mangrove creation", "Dongzhai Harbour, Haikou, Hainan"),
    "pingtan": ("Pingtan Strait offshore wind farm, phase II", "Pingtan, Fuzhou, Fujian"),
    "yangjiang": ("Yangjiang Shapa offshore wind farm", "Yangxi County, Yangjiang, Guangdong"),
    "delingha": ("Delingha 50 MW parabolic-trough solar thermal plant", "Delingha, Qinghai"),
    "dunhuang": ("Dunhuang 100 MW molten-salt tower solar thermal plant", "Dunhuang, Gansu"),
}

NOTICE = "registered after the 20-day public notice of its project design document"
YEAR, HALF_2025 = ("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-06-30")
HUAXIA, LINGNAN = "huaxia-verification", "lingnan-certification"
# batch key: project key, verifier, monitoring period, verified, buffer share, issuer
ISSUES = {
    "alxa24": ("alxa", HUAXIA, YEAR, "18640.25", "0.1", ISSUERS[0]),
    "puer24": ("puer", LINGNAN, YEAR, "9876.54321", "0.15", ISSUERS[0]),
    "leizhou24": ("leizhou", LINGNAN, YEAR, "3210.5", "0.2", ISSUERS[1]),
    "dongzhai24": ("dongzhai", HUAXIA, YEAR, "1845.75", "0.2", ISSUERS[1]),
    "pingtan24": ("pingtan", HUAXIA, YEAR, "412380.6", "0", ISSUERS[0]),
    "pingtan25": ("pingtan", LINGNAN, HALF_2025, "198214.123456", "0", ISSUERS[0]),
    "yangjiang24": ("yangjiang", LINGNAN, YEAR, "286950", "0", ISSUERS[1]),
    "delingha24": ("delingha", HUAXIA, YEAR, "121733.8", "0", ISSUERS[1]),
    "dunhuang24": ("dunhuang", HUAXIA, YEAR, "243118.054", "0", ISSUERS[0]),
}
# batch key: recipients (account, amount); a buffer share comes on top, within the verified
PAYOUTS = {
    "alxa24": [("alxa-greening", "16776")],
    "puer24": [("puer-forestry", "8000")],
    "leizhou24": [("south-coast-blue-carbon", "2068.4"), ("shenzhen-carbon-inclusion", "500")],
    "dongzhai24": [("south-coast-blue-carbon", "1476.6")],
    "pingtan24": [("pingtan-offshore-wind", "412380.6")],
    "pingtan25": [("pingtan-offshore-wind", "198214.123456")],
    "yangjiang24": [("yangjiang-offshore-wind", "286950")],
    "delingha24": [("haixi-solar-thermal", "121733.8")],
    "dunhuang24": [("dunhuang-solar-thermal", "243118.054")],
}

# batch key, sender, recipient, amount
TRANSFERS = [
    ("pingtan24", "pingtan-offshore-wind", "minjiang-steel", "50000"),
    ("yangjiang24", "yangjiang-offshore-wind", "pearl-river-data", "12000.5"),
    ("delingha24", "haixi-solar-thermal", "south-sky-airlines", "20000"),
    ("alxa24", "alxa-greening", "pearl-river-data", "1500.25"),
    ("puer24", "puer-forestry", "shenzhen-carbon-inclusion", "2000"),
    ("yangjiang24", "pearl-river-data", "li.na", "12.345678"),
    ("dunhuang24", "dunhuang-solar-thermal", "chen.jie", "3.5"),
]

COMPLIANCE = RetirementRequest(
    "CN-FJ", ReasonCode.COMPLIANCE, "national ETS 2024 compliance offset"
)
CAMPUS = RetirementRequest(
    "CN-GD",
    ReasonCode.NEUTRALITY,
    "carbon neutrality of 2025 operations",
    beneficiary_name="Pearl River Data Guangzhou Nansha campus",
)
MARATHON = RetirementRequest(
    "CN-FJ",
    ReasonCode.NEUTRALITY,
    "event footprint",
    beneficiary_name="Xiamen International Marathon 2026",
    note="Footprint of 1,480.3 tCO2e assessed by the organisers.",
)
CORSIA = RetirementRequest("CN", ReasonCode.CORSIA, "CORSIA first phase (2024-2026) offsetting")
RESIDENTS = RetirementRequest(
    "CN-GD",
    ReasonCode.INCLUSION,
    "carbon-inclusion points redeemed",
    beneficiary_name="Shenzhen residents' low-carbon actions, 2026 Q1",
    note="Clean-plate check-ins and household recycling, verified by the programme.",
)
PERSONAL = RetirementRequest("CN-GD", ReasonCode.VOLUNTARY, "personal footprint 2025: commuting")
GIFT = RetirementRequest(
    "CN-GS",
    ReasonCode.VOLUNTARY,
    "wedding footprint",
    beneficiary_account="wang.wei",
    note="A gift.",
)
BLUE_CARBON = RetirementRequest("CN-GD", ReasonCode.INCLUSION, "points redeemed for blue carbon")
HOUSEHOLD = RetirementRequest(
    "CN-QH", ReasonCode.VOLUNTARY, "household footprint 2025", note="Bought and retired at once."
)
# batch key, holder, amount, claim
RETIREMENTS = [
    ("pingtan24", "minjiang-steel", "45000", COMPLIANCE),
    ("yangjiang24", "pearl-river-data", "10000", CAMPUS),
    ("alxa24", "pearl-river-data", "1480.3", MARATHON),
    ("delingha24", "south-sky-airlines", "18500", CORSIA),
    ("puer24", "shenzhen-carbon-inclusion", "1200.75", RESIDENTS),
    ("yangjiang24", "li.na", "12.345678", PERSONAL),
    ("dunhuang24", "chen.jie", "3.5", GIFT),
]
# batch key, sender, recipient, amount, claim: credits retired on receipt by the recipient
RETIRED_ON_RECEIPT = [
    ("leizhou24", "shenzhen-carbon-inclusion", "zhang.min", "0.5", BLUE_CARBON),
    ("delingha24", "haixi-solar-thermal", "wang.wei", "150", HOUSEHOLD),
]

HOLDER_CANCEL = (
    "dongzhai24",
    "south-coast-blue-carbon",
    "476.6",
    "moved to another registry: the Hainan international blue-carbon registry",
)
BUFFER_CANCEL = (
    "puer24",
    "312.48",
    "reversal: forest fire on 2025-03-18 burned 41 ha of compartment 7, Simao District; "
    "loss measured in the 2025 monitoring report",
)


def _open_accounts(session: Session) -> None:
    accounts.create_account(session, OPERATOR, [Role.ADMIN], SYSTEM_ACTOR, with_key=False)
    for name, roles, kind in ACCOUNTS:
        accounts.create_account(session, name, roles, OPERATOR, kind, with_key=False)


def _classes(session: Session, actor: Callable[[str], Principal]) -> dict[str, str]:
    """Add credit type C if it is missing and create the four classes; return their ids."""
    known = select(credit_types.c.abbrev).where(credit_types.c.abbrev == "C")
    if session.execute(known).first() is None:
        registry.add_credit_type(
            session, actor(OPERATOR), "C", "Carbon dioxide equivalent", "tCO2e", 6
        )
    made = {}
    for key, name, methodology, version in CLASSES:
        created = registry.create_class(
            session, actor(OPERATOR), "C", name, methodology, version, CLASS_ADMIN, list(ISSUERS)
        )
        made[key] = str(created["class_id"])
    return made


def _projects(
    session: Session, actor: Callable[[str], Principal], classes: dict[str, str]
) -> dict[str, str]:
    """List every project, then register it; return their ids."""
    made, issuer = {}, actor(ISSUERS[0])
    for key, (cls, developer, jurisdiction, reference) in PROJECTS.items():
        name, location = PLACES[key]
        project = registry.create_project(
            session, issuer, classes[cls], name, developer, jurisdiction, location, reference
        )["project"]
        registry.set_project_status(session, issuer, project, ProjectStatus.REGISTERED, NOTICE)
        made[key] = str(project)
    return made


def report_text(project: str, verifier: str, period: tuple[str, str], verified: str) -> str:
    """The made-up verification report whose SHA-256 the demo files."""
    return (
        f"Verification report for project {project}\n"
        f"Monitoring period: {period[0]} to {period[1]}\n"
        f"Verified emission reductions and removals: {verified} tCO2e\n"
        f"Verification body: {verifier}\n"
        "Site visit, document review and monitoring data checked against the methodology.\n"
    )


def _issue(
    session: Session, actor: Callable[[str], Principal], projects: dict[str, str]
) -> tuple[dict[str, str], int]:
    """File each report and issue its batch; return the batch ids and the units issued."""
    batches, issued = {}, 0
    for key, (project_key, verifier, period, verified, share, issuer) in ISSUES.items():
        project = projects[project_key]
        text = report_text(project, verifier, period, verified)
        digest = hashlib.sha256(text.encode()).hexdigest()
        report = registry.file_report(
            session, actor(verifier), project, period[0], period[1], verified, digest
        )["report"]
        batch = registry.issue(session, actor(issuer), report, PAYOUTS[key], share)
        batches[key] = str(batch["batch"])
        issued += amounts.parse_amount(batch["issued"], PRECISION)
    return batches, issued


def _movements(
    session: Session, actor: Callable[[str], Principal], batches: dict[str, str]
) -> None:
    """Transfer, retire (also on receipt) and cancel, each as its holder."""
    for key, sender, recipient, amount in TRANSFERS:
        registry.transfer(session, actor(sender), batches[key], recipient, amount)
    for key, holder, amount, claim in RETIREMENTS:
        registry.retire(session, actor(holder), batches[key], amount, claim)
    for key, sender, recipient, amount, claim in RETIRED_ON_RECEIPT:
        registry.transfer(session, actor(sender), batches[key], recipient, amount, claim)
    key, holder, amount, reason = HOLDER_CANCEL
    registry.cancel(session, actor(holder), batches[key], amount, reason)
    key, amount, reason = BUFFER_CANCEL
    registry.cancel_buffer(session, actor(OPERATOR), batches[key], amount, reason)


def load_registry(session: Session) -> str:
    """Load the registry demo in the caller's transaction; do nothing if it is there."""
    if accounts.exists(session, CLASS_ADMIN):
        return "registry: already loaded"
    _open_accounts(session)

    def actor(name: str) -> Principal:
        return accounts.principal(session, name)

    classes = _classes(session, actor)
    projects = _projects(session, actor, classes)
    batches, issued = _issue(session, actor, projects)
    _movements(session, actor, batches)
    retired = len(RETIREMENTS) + len(RETIRED_ON_RECEIPT)
    return (
        f"registry: {len(classes)} CCER classes, {len(projects)} projects, {len(batches)} "
        f"batches ({amounts.format_amount(issued, PRECISION)} tCO2e issued), "
        f"{len(TRANSFERS)} transfers, {retired} retirements, 2 cancellations"
    )
