"""Classified contracting processes never leak through the operational API.

Each scenario runs a restricted, confidential or secret process (or a public tender with one secret lot, item,
document or contract; or a secret framework with a direct order and a mini-competition) from draft to a contract
with deliveries, payments and an amendment, with a canary string in every free-text field of its classified part.
Then every GET route of the app is crawled, with the ids of the process, with bogus ids and with list filters, by
callers who may not see it (anonymous, uncleared parties and outsiders, cleared outsiders, an administrator); no
canary may appear in any body or header, and the process may not appear in any list. Cleared parties and a cleared
auditor crawl the same routes and must find the canaries (every one of them, for the auditor), so the crawl
demonstrably reaches every field it checks."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import update

from quartermaster.actors import Role
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import ITEM, Flow, ok, upload_text
from support.world import World, add_person

MARK = "QMCANARY"
CANARY = re.compile(rf"{MARK}-[a-z_0-9]+")
BOGUS = "0" * 32
OCID_PREFIX = "ocds-qm0000"  # the Settings default the test app runs with

# Who may never see a classified process: no clearance, no need-to-know, or neither.
DENIED: tuple[str | None, ...] = (
    None,  # anonymous
    "buyer",  # the buyer's own staff, uncleared
    "supplier0",  # a bidder's staff, uncleared
    "supplier3",  # an uncleared supplier, not a party
    "auditor",  # an uncleared auditor
    "admin",
    "c_admin",  # cleared, but administrators have no need-to-know
    "c_other_buyer",  # cleared buyer of another unit
    "c_supplier2",  # cleared supplier, not a party
)
# Cleared parties, and a cleared auditor.
ALLOWED = ("c_buyer", "c_approver", "c_supplier0", "c_supplier1", "c_auditor")


# --- the cast ---------------------------------------------------------------------------------------------------------


def add_cleared(db: Database, world: World, now: datetime) -> None:
    """Cleared counterparts of the world's people: the same organizations, a security clearance."""
    cast: list[tuple[str, Role, str | None, str]] = [
        ("c_buyer", Role.BUYER, world.buyer_org, "secret"),
        ("c_approver", Role.APPROVER, world.buyer_org, "secret"),
        ("c_evaluator", Role.EVALUATOR, world.buyer_org, "secret"),
        ("c_other_buyer", Role.BUYER, world.other_buyer_org, "secret"),
        ("c_auditor", Role.AUDITOR, None, "secret"),
        ("conf_auditor", Role.AUDITOR, None, "confidential"),
        ("c_admin", Role.ADMIN, None, "secret"),
    ] + [(f"c_supplier{i}", Role.SUPPLIER, world.suppliers[i], "secret") for i in range(3)]
    with db.unit_of_work() as s:
        for username, role, org, clearance in cast:
            add_person(s, world, now, username, role, org, clearance)


# --- scenarios --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Where the marking sits, and so which parts of the process carry canaries."""

    name: str
    ceiling: str
    procedure: str = "open"
    tender: str = "public"
    lot: str | None = None
    item: str | None = None
    document: str | None = None
    contract: str | None = None

    @property
    def classified(self) -> set[str]:
        """The parts whose free text is classified (a marked tender makes all of it classified)."""
        if self.tender != "public":
            return {"tender", "lot", "item", "document", "contract"}
        marked = {"lot": self.lot, "item": self.item, "document": self.document, "contract": self.contract}
        parts = {part for part, marking in marked.items() if marking}
        return parts | ({"item"} if "lot" in parts else set())  # items inherit their lot's marking


FRAMEWORK = Scenario("secret-framework", "secret", procedure="framework", tender="secret")
SCENARIOS = [
    Scenario("restricted-selective", "restricted", procedure="selective", tender="restricted"),
    Scenario("confidential-open", "confidential", tender="confidential"),
    Scenario("secret-open", "secret", tender="secret"),
    Scenario("public-with-secret-lot", "secret", lot="secret"),
    Scenario("public-with-secret-item", "secret", item="secret"),
    Scenario("public-with-secret-document", "secret", document="secret"),
    Scenario("public-with-secret-contract", "secret", contract="secret"),
]


@dataclass
class Process:
    """What a scenario created: the ids the crawl fills in, and every canary planted."""

    scenario: Scenario
    tender_ids: list[str] = field(default_factory=list)  # the first is the process's own tender
    lot_ids: list[str] = field(default_factory=list)
    control_tender_id: str = ""
    framework_ids: list[str] = field(default_factory=list)
    bid_ids: list[str] = field(default_factory=list)
    award_ids: list[str] = field(default_factory=list)
    contract_ids: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)
    candidacy_ids: list[str] = field(default_factory=list)
    planted: set[str] = field(default_factory=set)

    @property
    def tender_id(self) -> str:
        """The process's tender."""
        return self.tender_ids[0]

    @property
    def lot_id(self) -> str:
        """Its first lot."""
        return self.lot_ids[0]

    @property
    def hidden_ids(self) -> list[str]:
        """Ids no list may show to a caller who may not see the process."""
        return [*self.tender_ids, *self.framework_ids, *self.contract_ids]

    def text(self, part: str, name: str) -> str:
        """A canary when ``part`` is classified in this scenario, plain text otherwise."""
        if part in self.scenario.classified:
            canary = f"{MARK}-{name}"
            self.planted.add(canary)
            return canary
        return f"plain {name.replace('_', ' ')}"


class Driver(Flow):
    """Runs one scenario's process through the API as the cleared cast."""

    def __init__(self, client: TestClient, world: World, clock: FixedClock, db: Database, scenario: Scenario) -> None:
        super().__init__(client, world, clock, db)
        self.p = Process(scenario)

    def upload(self, related: str, related_id: str, who: str, part: str, name: str, marking: str | None = None) -> str:
        """Upload a document whose title and content carry canaries when ``part`` is classified."""
        doc = upload_text(
            self.c,
            related,
            related_id,
            self.h(who),
            title=self.p.text(part, f"{name}_title"),
            content=f"content: {self.p.text(part, f'{name}_content')}",
            document_type=_doc_type(related),
            marking=marking,
        )
        self.p.document_ids.append(doc["id"])
        return str(doc["id"])

    def control(self) -> None:
        """A public tender in the same world: lists must keep showing it."""
        body = {
            "title": "Public boots tender",
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "lots": [{"title": "Boots", "value": {"amount": "1000.00", "currency": "UAH"}, "items": [ITEM]}],
        }
        t = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h("buyer")), 201)
        self.publish(t["id"])
        self.p.control_tender_id = t["id"]

    def draft(self) -> None:
        """The classified tender, drafted by the cleared buyer."""
        sc, t = self.p.scenario, self.p.text
        body = {
            "title": t("tender", "tender_title"),
            "description": t("tender", "tender_description"),
            "justification_details": t("tender", "justification_details"),
            "procedure": sc.procedure,
            "category": "goods",
            "award_criteria": "priceOnly",
            "marking": sc.tender,
            "lots": [
                {
                    "title": t("lot", "lot_title"),
                    "description": t("lot", "lot_description"),
                    "value": {"amount": "1000000.00", "currency": "UAH"},
                    "marking": sc.lot,
                    "items": [
                        {
                            **ITEM,
                            "description": t("item", "item_description"),
                            "delivery_region": t("item", "delivery_region"),
                            "delivery_locality": t("item", "delivery_locality"),
                            "delivery_address": t("item", "delivery_address"),
                            "marking": sc.item,
                        }
                    ],
                }
            ],
        }
        tender = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h("c_buyer")), 201)
        self.p.tender_ids.append(tender["id"])
        self.p.lot_ids.append(tender["lots"][0]["id"])
        self.upload("tender", self.p.tender_id, "c_buyer", "tender", "tender_doc")
        if sc.document:
            self.upload("tender", self.p.tender_id, "c_buyer", "document", "secret_doc", marking=sc.document)

    def publish_classified(self) -> dict[str, Any]:
        """Publish with the shortest periods, as the cleared approver."""
        mins = ok(self.c.get(f"/api/v1/rules/{self.p.scenario.procedure}/periods", headers=self.h("c_buyer")))
        body = {k: mins[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if mins[k]}
        url = f"/api/v1/tenders/{self.p.tender_id}/publish"
        published: dict[str, Any] = ok(self.c.post(url, json=body, headers=self.h("c_approver")))
        return published

    def ask_and_answer(self) -> None:
        """A cleared supplier asks; the cleared buyer answers."""
        body = {"title": self.p.text("tender", "question_title"), "description": self.p.text("tender", "question")}
        url = f"/api/v1/tenders/{self.p.tender_id}/questions"
        q = ok(self.c.post(url, json=body, headers=self.h("c_supplier0")), 201)
        answer = {"answer": self.p.text("tender", "answer")}
        ok(self.c.post(f"{url}/{q['id']}/answer", json=answer, headers=self.h("c_buyer")))

    def prequalify(self) -> None:
        """Two cleared suppliers apply, are qualified and invited."""
        for who in ("c_supplier0", "c_supplier1"):
            body = {"statement": self.p.text("tender", f"statement_{who[-1]}")}
            cand = ok(
                self.c.post(f"/api/v1/tenders/{self.p.tender_id}/candidacies", json=body, headers=self.h(who)), 201
            )
            self.p.candidacy_ids.append(cand["id"])
        self.advance_to(self.tender(self.p.tender_id, "c_buyer")["prequalification_end"])
        for n, cid in enumerate(self.p.candidacy_ids):
            reason = {"reason": self.p.text("tender", f"qualification_reason_{n}")}
            ok(self.c.post(f"/api/v1/candidacies/{cid}/qualify", json=reason, headers=self.h("c_evaluator")))
        end = (self.clock.now() + timedelta(days=36)).isoformat()
        url = f"/api/v1/tenders/{self.p.tender_id}/invite"
        ok(self.c.post(url, json={"tender_end": end}, headers=self.h("c_approver")))

    def bid_as(self, who: str, amount: str) -> str:
        """Submit a bid on the lot."""
        body = {"values": [{"lot_id": self.p.lot_id, "value": {"amount": amount, "currency": "UAH"}}]}
        receipt = ok(self.c.post(f"/api/v1/tenders/{self.p.tender_id}/bids", json=body, headers=self.h(who)), 201)
        self.p.bid_ids.append(receipt["bid_id"])
        return str(receipt["bid_id"])

    def to_award(self) -> None:
        """Bids, a bid document, opening, evaluation, award and an award document."""
        first = self.bid_as("c_supplier0", "900000.00")
        self.upload("bid", first, "c_supplier0", "tender", "bid_doc")
        self.bid_as("c_supplier1", "850000.00")
        self.advance_to(self.tender(self.p.tender_id, "c_buyer")["tender_end"])
        opened = ok(self.c.post(f"/api/v1/tenders/{self.p.tender_id}/open-bids", headers=self.h("c_evaluator")))
        assert opened["status"] == "active.qualification"
        for n, bid_id in enumerate(self.p.bid_ids):
            body = {
                "lot_id": self.p.lot_id,
                "compliant": True,
                "score": "80",
                "notes": self.p.text("tender", f"notes_{n}"),
            }
            ok(self.c.post(f"/api/v1/bids/{bid_id}/evaluations", json=body, headers=self.h("c_evaluator")))
        url = f"/api/v1/tenders/{self.p.tender_id}/lots/{self.p.lot_id}"
        best = ok(self.c.get(f"{url}/ranking", headers=self.h("c_buyer")))[0]["bid_id"]
        body = {"bid_ids": [best], "rationale": self.p.text("tender", "award_rationale")}
        awards = ok(self.c.post(f"{url}/award", json=body, headers=self.h("c_approver")), 201)
        self.p.award_ids = [a["id"] for a in awards]
        self.upload("award", self.p.award_ids[0], "c_buyer", "tender", "award_doc")

    def implement_contract(self) -> None:
        """Mark the awarded contract (if the scenario says so) and run it."""
        page = ok(self.c.get("/api/v1/contracts", params={"tender_id": self.p.tender_id}, headers=self.h("c_buyer")))
        contract = page["data"][0]
        if self.p.scenario.contract:  # no command sets a contract's marking yet: the row is marked directly
            with self.db.unit_of_work() as s:
                s.execute(
                    update(Contract).where(Contract.id == contract["id"]).values(marking=self.p.scenario.contract)
                )
        self.run_contract(contract)

    def run_contract(self, contract: dict[str, Any]) -> None:
        """Sign a pending contract, add a document, a delivery (accepted), a payment and an amendment."""
        cid = contract["id"]

        def t(name: str) -> str:
            return self.p.text("contract", name)

        self.p.contract_ids.append(cid)
        self.advance_to(contract["not_before"])
        for who in ("c_approver", "c_supplier1"):
            ok(self.c.post(f"/api/v1/contracts/{cid}/sign", headers=self.h(who)))
        self.clock.advance(timedelta(hours=1))
        self.upload("contract", cid, "c_supplier1", "contract", "contract_doc")
        delivery = {
            "contract_item_id": contract["items"][0]["id"],
            "quantity": "10",
            "delivered_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
            "location": t("delivery_location"),
        }
        d = ok(self.c.post(f"/api/v1/contracts/{cid}/deliveries", json=delivery, headers=self.h("c_supplier1")), 201)
        self.p.delivery_ids.append(d["id"])
        accept = {"reason": t("acceptance_note")}
        ok(self.c.post(f"/api/v1/deliveries/{d['id']}/accept", json=accept, headers=self.h("c_buyer")))
        payment = {
            "amount": {"amount": "1.00", "currency": "UAH"},
            "paid_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
            "delivery_id": d["id"],
            "reference": t("payment_reference"),
        }
        ok(self.c.post(f"/api/v1/contracts/{cid}/payments", json=payment, headers=self.h("c_buyer")), 201)
        amendment = {"rationale": "quality_improvement", "description": t("amendment")}
        ok(self.c.post(f"/api/v1/contracts/{cid}/amendments", json=amendment, headers=self.h("c_approver")), 201)

    def run(self) -> Process:
        """The whole process."""
        self.control()
        self.draft()
        published = self.publish_classified()
        if self.p.scenario.procedure == "selective":
            self.prequalify()
            self.ask_and_answer()  # invited bidders ask during tendering
        else:
            self.ask_and_answer()
            self.advance_to(published["enquiry_end"])
        self.to_award()
        self.implement_contract()
        return self.p


class FrameworkDriver(Driver):
    """A classified framework: its tender awarded and concluded, a direct order run to an amended contract, and a
    mini-competition published with its own marking lowered to public (it still holds the framework's)."""

    def call_off(self, method: str, item_id: str, **extra: str) -> dict[str, Any]:
        """Place a call-off as the cleared buyer."""
        body = {
            "method": method,
            "ordering_unit": self.p.text("tender", f"{method}_ordering_unit"),
            "receiver": self.p.text("tender", f"{method}_receiver"),
            "lines": [{"item_id": item_id, "quantity": "100"}],
            **extra,
        }
        url = f"/api/v1/frameworks/{self.p.framework_ids[0]}/call-offs"
        placed: dict[str, Any] = ok(self.c.post(url, json=body, headers=self.h("c_buyer")), 201)
        return placed

    def run(self) -> Process:
        """The whole process."""
        self.control()
        self.draft()
        self.advance_to(self.publish_classified()["enquiry_end"])
        self.to_award()
        awards = ok(self.c.get(f"/api/v1/tenders/{self.p.tender_id}/awards", headers=self.h("c_buyer")))
        self.advance_to(max(a["standstill_end"] for a in awards))
        end = (self.clock.now() + timedelta(days=730)).isoformat()
        url = f"/api/v1/tenders/{self.p.tender_id}/conclude-framework"
        fw = ok(self.c.post(url, json={"end": end}, headers=self.h("c_approver")), 201)
        self.p.framework_ids.append(fw["id"])
        item_id = fw["catalogue"][0]["item_id"]
        direct = self.call_off("direct_order", item_id, supplier_id=self.w["c_supplier1"].organization_id or "")
        self.run_contract(ok(self.c.get(f"/api/v1/contracts/{direct['contract_id']}", headers=self.h("c_buyer"))))
        mini = f"/api/v1/tenders/{self.call_off('mini_competition', item_id)['tender_id']}"
        draft = self.c.get(mini, headers=self.h("c_buyer"))
        assert ok(draft)["marking"] == "secret"  # it copies the framework's marking with its texts...
        lowered = {**self.h("c_buyer"), "If-Match": draft.headers["ETag"]}
        ok(self.c.patch(mini, json={"marking": "public"}, headers=lowered))  # ...and lowering its own changes nothing
        mins = ok(self.c.get("/api/v1/rules/framework.mini-competition/periods", headers=self.h("c_buyer")))
        body = {"tender_end": mins["tender_end"]}
        published = ok(self.c.post(f"{mini}/publish", json=body, headers=self.h("c_approver")))
        assert published["marking"] == "public"
        self.p.tender_ids.append(published["id"])
        self.p.lot_ids.append(published["lots"][0]["id"])
        return self.p


def _doc_type(related: str) -> str:
    return {
        "tender": "technicalSpecifications",
        "bid": "submissionDocuments",
        "award": "evaluationReports",
        "contract": "contractAnnexe",
    }[related]


# --- the crawl --------------------------------------------------------------------------------------------------------


# The feed's server-sent events never end; /feed serves the same entries as pages and is crawled.
ENDLESS = {"/api/v1/feed/stream"}


def get_paths(client: TestClient) -> list[str]:
    """Every GET path the app serves: its OpenAPI document, and the routes left out of it."""
    app: Any = client.app
    paths = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    paths |= {r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in (r.methods or set())}
    return sorted(paths - ENDLESS)


def _ids(p: Process, world: World, param: str, path: str) -> list[str]:
    """The real ids a path parameter takes (empty: only bogus values apply)."""
    if param == "related_id":
        kind = path.split("/")[3]  # /api/v1/<kind>s/{related_id}/documents
        return {
            "tenders": p.tender_ids,
            "bids": p.bid_ids,
            "awards": p.award_ids,
            "contracts": p.contract_ids,
        }.get(kind, [])
    return {
        "tender_id": p.tender_ids,
        "lot_id": p.lot_ids,
        "framework_id": p.framework_ids,
        "bid_id": p.bid_ids,
        "award_id": p.award_ids,
        "contract_id": p.contract_ids,
        "document_id": p.document_ids,
        "delivery_id": p.delivery_ids,
        "candidacy_id": p.candidacy_ids,
        "organization_id": [world.buyer_org, *world.suppliers],
        "procedure": [p.scenario.procedure],
        "ocid": [f"{OCID_PREFIX}-{t}" for t in p.tender_ids],
        "code": ["access.classified"],
    }.get(param, [])


def urls(client: TestClient, p: Process, world: World) -> list[str]:
    """Every GET route with the process's ids, each parameter also bogus, and the list endpoints with filters."""
    out: list[str] = []
    for path in get_paths(client):
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        real = [_ids(p, world, name, path) or [BOGUS] for name in params]
        variants = [dict(zip(params, combo, strict=True)) for combo in itertools.product(*real)]
        for name in params:  # one parameter at a time replaced by an id that names nothing
            variants.append({n: BOGUS if n == name else values[0] for n, values in zip(params, real, strict=True)})
        suffixes = ("", "?all_versions=true") if path.endswith("/documents") else ("",)
        out += [_fill(path, v) + suffix for v in variants for suffix in suffixes]
    t = p.tender_id
    out += [
        f"/api/v1/tenders?buyer_id={world.buyer_org}",
        "/api/v1/tenders?status=active.awarded",
        "/api/v1/tenders?procedure=" + p.scenario.procedure,
        "/api/v1/tenders?cpv=35",
        "/api/v1/tenders?limit=1",
        f"/api/v1/contracts?tender_id={t}",
        f"/api/v1/contracts?supplier_id={world.suppliers[1]}",
        f"/api/v1/contracts?buyer_id={world.buyer_org}",
        "/api/v1/contracts?status=active",
        f"/api/v1/frameworks?tender_id={t}",
        "/api/v1/events?after=0&limit=1000",
        f"/api/v1/tenders/{t}/events?limit=1000",
        "/api/v1/feed?limit=1000",
        "/api/v1/ocds/releases",
        "/api/v1/log/entries?start=0&end=1000",
    ]
    return sorted(set(out))


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values[m.group(1)], path)


@dataclass
class Seen:
    """What one caller's crawl returned."""

    canaries: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)  # "url: canaries" for every response that carried one
    listed: list[str] = field(default_factory=list)  # list responses naming the classified process
    errors: list[str] = field(default_factory=list)  # 5xx answers


OPEN_DATA = ("/api/v1/feed", "/api/v1/ocds", "/api/v1/log")
LIST_ROUTES = ("/api/v1/tenders", "/api/v1/contracts", "/api/v1/frameworks", "/api/v1/events")


def crawl(client: TestClient, all_urls: list[str], headers: dict[str, str], hidden_ids: list[str]) -> Seen:
    """GET every url; collect the canaries in bodies and headers, and list pages naming a hidden id."""
    seen = Seen()
    for url in all_urls:
        resp = client.get(url, headers=headers)
        if resp.status_code >= 500:
            seen.errors.append(f"{url}: {resp.status_code}")
        text = resp.content.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items())
        found = set(CANARY.findall(text))
        if MARK in text and not found:
            found = {MARK}
        if found:
            seen.canaries |= found
            seen.leaks.append(f"{url} -> {resp.status_code}: {sorted(found)}")
        if url.split("?")[0] in LIST_ROUTES and resp.status_code == 200 and any(i in text for i in hidden_ids):
            seen.listed.append(url)
    return seen


# --- the tests --------------------------------------------------------------------------------------------------------


@pytest.fixture
def cleared_world(world: World, database: Database, clock: FixedClock) -> World:
    """The test world plus cleared counterparts of its people."""
    add_cleared(database, world, clock.now())
    return world


def _headers(world: World, who: str | None) -> dict[str, str]:
    return world[who].headers if who else {}


def assert_reaches_only_cleared_parties_and_auditors(
    client: TestClient, world: World, process: Process, *, open_data: bool = True
) -> None:
    """Crawl as every caller: no canary (nor a list row) for the denied, canaries for the cleared.

    ``open_data=False`` leaves out the open-data outlets (feed, OCDS, log), which have a projection of their own.
    """
    all_urls = [u for u in urls(client, process, world) if open_data or not u.startswith(OPEN_DATA)]
    cleared_for_it = process.scenario.ceiling != "secret"  # the auditor cleared for confidential
    for who in (*DENIED, *(() if cleared_for_it else ("conf_auditor",))):
        seen = crawl(client, all_urls, _headers(world, who), process.hidden_ids)
        assert not seen.errors, (who, seen.errors)
        assert not seen.leaks, (who, seen.leaks)
        assert not seen.listed, (who, seen.listed)
    assert process.planted
    for who in (*ALLOWED, *(("conf_auditor",) if cleared_for_it else ())):
        seen = crawl(client, all_urls, _headers(world, who), [])
        assert not seen.errors, (who, seen.errors)
        assert seen.canaries, who
        assert seen.canaries <= process.planted
        if world[who].role is Role.AUDITOR:  # the auditor reads every field the crawl checks
            assert seen.canaries == process.planted, (who, sorted(process.planted - seen.canaries))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_classified_process_reaches_only_cleared_parties_and_auditors(
    client: TestClient, cleared_world: World, clock: FixedClock, database: Database, scenario: Scenario
) -> None:
    process = Driver(client, cleared_world, clock, database, scenario).run()
    assert_reaches_only_cleared_parties_and_auditors(client, cleared_world, process)


def test_a_classified_framework_its_orders_and_mini_competitions_reach_only_cleared_parties(
    client: TestClient, cleared_world: World, clock: FixedClock, database: Database
) -> None:
    process = FrameworkDriver(client, cleared_world, clock, database, FRAMEWORK).run()
    assert len(process.tender_ids) == 2  # the framework's own tender, and its mini-competition
    assert len(process.contract_ids) == 1  # the direct order
    assert_reaches_only_cleared_parties_and_auditors(client, cleared_world, process, open_data=False)


def test_a_mini_competition_of_a_classified_framework_stays_out_of_the_open_data(
    client: TestClient, cleared_world: World, clock: FixedClock, database: Database
) -> None:
    process = FrameworkDriver(client, cleared_world, clock, database, FRAMEWORK).run()
    outlets = [u for u in urls(client, process, cleared_world) if u.startswith(OPEN_DATA)]
    assert outlets
    for who in DENIED:
        seen = crawl(client, outlets, _headers(cleared_world, who), [])
        assert not seen.leaks, (who, seen.leaks)


@pytest.fixture
def published(client: TestClient, cleared_world: World, clock: FixedClock, database: Database) -> Process:
    """A public tender and a published tender with one secret item."""
    driver = Driver(client, cleared_world, clock, database, Scenario("secret-item", "secret", item="secret"))
    driver.control()
    driver.draft()
    driver.publish_classified()
    return driver.p


def test_lists_keep_public_processes_and_leave_out_classified_ones(
    client: TestClient, cleared_world: World, published: Process
) -> None:
    anonymous = ok(client.get("/api/v1/tenders", params={"limit": 200}))
    ids = {t["id"] for t in anonymous["data"]}
    assert published.control_tender_id in ids
    assert published.tender_id not in ids
    assert anonymous["next"] is None
    cleared = ok(client.get("/api/v1/tenders", params={"limit": 200}, headers=cleared_world["c_buyer"].headers))
    assert {published.control_tender_id, published.tender_id} <= {t["id"] for t in cleared["data"]}
    # A page of one: the classified tender neither takes a place in it nor shows through the cursor.
    outsider = cleared_world["c_supplier2"].headers
    first = ok(client.get("/api/v1/tenders", params={"limit": 1}, headers=outsider))
    assert [t["id"] for t in first["data"]] == [published.control_tender_id]
    assert first["next"] == published.control_tender_id
    rest = ok(client.get("/api/v1/tenders", params={"limit": 1, "after": first["next"]}, headers=outsider))
    assert rest == {"data": [], "next": None}


def test_the_refusal_names_nothing_but_the_public_record(
    client: TestClient, cleared_world: World, published: Process
) -> None:
    ocid = f"{OCID_PREFIX}-{published.tender_id}"
    for who in ("c_other_buyer", "supplier0", None):
        resp = client.get(f"/api/v1/tenders/{published.tender_id}", headers=_headers(cleared_world, who))
        assert resp.status_code == 403
        body = resp.json()
        assert body["code"] == "access.classified"
        assert body["detail"] == (
            f"this contracting process is classified; its public record is at /api/v1/ocds/records/{ocid}"
        )
        assert body["ocid"] == ocid
        assert "etag" not in {k.lower() for k in resp.headers}
        assert MARK not in resp.text
