"""Canary processes for the open-data tests: classified processes with a distinct canary in every field one can set.

``Canaries`` records every planted string and number and says which may never leave the system (``hidden``), which a
public outlet must show (``required``: the test can fail) and which it may show (``allowed``). ``CanaryDriver`` runs the
processes through the HTTP API with a cast of its own (per-process buyers and suppliers created by the administrator,
cleared to secret), so an organization's name is a canary of exactly one process and one marking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.ocds.values import number
from quartermaster.types import FixedClock
from support.flows import Flow, ok, upload_text
from support.world import World, edrpou

Json = dict[str, Any]
MARK = "qmcanary"
_TOKEN = re.compile(rf"{MARK}[-a-z0-9_]*", re.IGNORECASE)
# A planted number or identifier counts only as a whole token: not inside a hash, a base64 string or a longer number.
_BEFORE = r"(?<![0-9A-Za-z.+/=])"
_AFTER = r"(?![0-9A-Za-z])"

HIDDEN, REQUIRED, ALLOWED = "hidden", "required", "allowed"


def unmapped(kind: str) -> str:
    """The kind of a canary in a field the OCDS mapping does not publish: hidden stays hidden, public is allowed."""
    return HIDDEN if kind == HIDDEN else ALLOWED


@dataclass(frozen=True)
class Findings:
    """What one scan found: hidden canaries (leaks) and required ones (proof the outlet carries the fields)."""

    leaks: frozenset[str]
    seen: frozenset[str]


@dataclass
class Canaries:
    """Every canary planted, by kind; each names where it was planted, for the failure message."""

    strings: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (kind, where)
    literals: dict[str, tuple[str, str]] = field(default_factory=dict)  # number or identifier -> (kind, where)

    def text(self, tag: str, name: str, kind: str = HIDDEN) -> str:
        """A new canary string ``qmcanary-<tag>-<name>``."""
        token = f"{MARK}-{tag}-{name}".lower()
        assert token not in self.strings, token
        self.strings[token] = (kind, f"{tag}:{name}")
        return token

    def literal(self, value: str, where: str, kind: str = HIDDEN) -> str:
        """Record a distinctive number or identifier (its published spelling) as a canary; returns it."""
        previous = self.literals.get(value)
        assert previous is None or previous[0] == kind, (value, previous, where)
        self.literals[value] = (kind, where)
        return value

    def amount(self, value: str, where: str, kind: str = HIDDEN) -> str:
        """An amount for a request body; its OCDS spelling (a JSON number) becomes a canary."""
        self.literal(str(number(Decimal(value))), where, kind)
        return value

    def of(self, kind: str) -> set[str]:
        """Every canary of one kind."""
        return {t for t, (k, _) in (*self.strings.items(), *self.literals.items()) if k == kind}

    def where(self, canary: str) -> str:
        """Where a canary was planted."""
        found = self.strings.get(canary.lower()) or self.literals.get(canary)
        return found[1] if found else "unknown (a truncated or altered canary)"

    def _literal_pattern(self) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(v) for v in sorted(self.literals, key=len, reverse=True))
        return re.compile(f"{_BEFORE}(?:{alternatives}){_AFTER}")

    def scan(self, text: str) -> Findings:
        """The canaries in ``text``: any ``qmcanary`` token that is not a known public one is a leak."""
        leaks: set[str] = set()
        seen: set[str] = set()
        for match in _TOKEN.finditer(text):
            token = match.group(0).lower()
            kind = self.strings.get(token, (HIDDEN, ""))[0]
            (leaks if kind == HIDDEN else seen).add(token)
        if self.literals:
            for match in self._literal_pattern().finditer(text):
                kind = self.literals[match.group(0)][0]
                (leaks if kind == HIDDEN else seen).add(match.group(0))
        return Findings(frozenset(leaks), frozenset(seen))


@dataclass
class Party:
    """An organization of the cast and the usernames of its people."""

    org_id: str
    party_id: str  # the OCDS party id: UA-EDR-<code>
    users: dict[str, str]  # role -> username


@dataclass
class CanaryProcess:
    """One process the driver ran: its tender, ocid, marking, buyer and suppliers."""

    key: str
    tender_id: str
    marking: str
    buyer: Party
    suppliers: list[Party]
    lot_ids: list[str] = field(default_factory=list)
    contract_ids: list[str] = field(default_factory=list)
    lines: dict[str, tuple[str | None, Decimal]] = field(default_factory=dict)  # line id -> (item id, unit price)
    line_contract: dict[str, str] = field(default_factory=dict)  # line id -> contract id
    signed_at: dict[str, str] = field(default_factory=dict)  # contract id -> date_signed


class CanaryDriver(Flow):
    """Runs canary processes through the HTTP API as a cast of its own, cleared to secret."""

    def __init__(self, client: TestClient, world: World, clock: FixedClock, db: Database) -> None:
        super().__init__(client, world, clock, db)
        self.canaries = Canaries()
        self.tokens: dict[str, str] = {}
        self.processes: dict[str, CanaryProcess] = {}
        self._codes = iter(range(7_700_001, 7_800_000))
        self._nsns = (f"{n:03d}-{n + 4000:04d}" for n in range(401, 1000))

    def h(self, who: str) -> dict[str, str]:
        """Auth headers of one of the cast (or of the shared world)."""
        if who in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[who]}"}
        return super().h(who)

    # --- the cast -----------------------------------------------------------------------------------------------

    def organization(self, tag: str, name: str, roles: list[str], kind: str, visibility: str = HIDDEN) -> Party:
        """Register an organization whose every free-text field is a canary of ``tag`` (the administrator does)."""
        code = edrpou(next(self._codes))
        t = self.canaries.text
        body = {
            "name": t(tag, f"{name}_name", visibility),
            "name_uk": t(tag, f"{name}_name_uk", unmapped(visibility)),  # not part of the OCDS mapping
            "identifier_scheme": "UA-EDR",
            "identifier_id": code,
            "kind": kind,
            "party_roles": roles,
            "region": t(tag, f"{name}_region", visibility),
            "locality": t(tag, f"{name}_locality", visibility),
            "street_address": t(tag, f"{name}_street", visibility),
            "postal_code": t(tag, f"{name[:4]}_zip", visibility),  # at most 20 characters
            "contact_name": t(tag, f"{name}_contact", visibility),
            "contact_email": f"{t(tag, f'{name}_email', visibility)}@example.org",
            "contact_phone": t(tag, f"{name}_phone", visibility),
        }
        org = ok(self.c.post("/api/v1/organizations", json=body, headers=self.h("admin")), 201)
        self.canaries.literal(code, f"{tag}:{name} identifier", visibility)
        return Party(org_id=org["id"], party_id=f"UA-EDR-{code}", users={})

    def person(self, username: str, role: str, org: Party | None, clearance: str = "secret") -> str:
        """Create a user with a token (the administrator does); returns the username."""
        body = {
            "username": username,
            "name": username,
            "role": role,
            "organization_id": org.org_id if org else None,
            "clearance": clearance,
        }
        ok(self.c.post("/api/v1/users", json=body, headers=self.h("admin")), 201)
        token = ok(self.c.post(f"/api/v1/users/{username}/tokens", headers=self.h("admin")), 201)
        self.tokens[username] = token["token"]
        if org is not None:
            org.users[role] = username
        return username

    def buyer(self, tag: str, visibility: str = HIDDEN) -> Party:
        """A buying organization with a buyer, an approver and an evaluator."""
        org = self.organization(tag, "buyer", ["buyer", "procuringEntity"], "defence_agency", visibility)
        for role in ("buyer", "approver", "evaluator"):
            self.person(f"{tag}-{role}", role, org)
        return org

    def supplier(self, tag: str, n: int, visibility: str = HIDDEN) -> Party:
        """A supplier with one user."""
        org = self.organization(tag, f"sup{n}", ["supplier", "tenderer"], "company", visibility)
        self.person(f"{tag}-sup{n}", "supplier", org)
        return org

    # --- steps ---------------------------------------------------------------------------------------------------

    def plan(self, tag: str, buyer: Party) -> str:
        """A published plan whose free text is canaries (``planning`` of the process's releases)."""
        t = self.canaries.text
        body = {
            "title": t(tag, "plan_title"),
            "description": t(tag, "plan_description"),
            "year": 2026,
            "budget_line": "KPKVK 2101020",
            "budget_source": t(tag, "plan_budget_source"),
            "procedure": "open",
            "category": "goods",
            "value": {"amount": self.canaries.amount(PLAN_VALUES[tag], f"{tag}: plan value"), "currency": "UAH"},
            "items": [{"description": t(tag, "plan_item"), "cpv": "35330000-6", "unit": "H87", "quantity": "10"}],
        }
        plan = ok(self.c.post("/api/v1/plans", json=body, headers=self.h(buyer.users["buyer"])), 201)
        ok(self.c.post(f"/api/v1/plans/{plan['id']}/publish", headers=self.h(buyer.users["approver"])))
        return str(plan["id"])

    def item(self, tag: str, name: str, quantity: str, *, kind: str = HIDDEN, marking: str | None = None) -> Any:
        """A tender item whose description, NATO Stock Number and delivery place are canaries."""
        t = self.canaries.text
        nsn = self.canaries.literal(f"1305-12-{next(self._nsns)}", f"{tag}:{name} NSN", kind)
        return {
            "description": t(tag, f"{name}_description", kind),
            "cpv": "35330000-6",
            "nsn": nsn,
            "unit": "H87",
            "quantity": quantity,
            "delivery_region": t(tag, f"{name}_region", unmapped(kind)),  # items carry no delivery place in OCDS
            "delivery_locality": t(tag, f"{name}_locality", unmapped(kind)),
            "delivery_address": t(tag, f"{name}_address", unmapped(kind)),
            "delivery_date": "2026-09-01",
            "marking": marking,
        }

    def upload(
        self, tag: str, related: str, related_id: str, who: str, name: str, kind: str, marking: str | None = None
    ) -> str:
        """Upload a document whose title and content are canaries."""
        doc_type = {
            "tender": "technicalSpecifications",
            "bid": "submissionDocuments",
            "award": "evaluationReports",
            "contract": "contractAnnexe",
        }[related]
        doc = upload_text(
            self.c,
            related,
            related_id,
            self.h(who),
            title=self.canaries.text(tag, f"{name}_title", kind),
            content=f"content: {self.canaries.text(tag, f'{name}_content', kind)}",
            document_type=doc_type,
            marking=marking,
        )
        return str(doc["id"])

    def publish_as(self, p: CanaryProcess, procedure: str = "open") -> dict[str, Any]:
        """Publish with the rulebook's shortest periods."""
        mins = ok(self.c.get(f"/api/v1/rules/{procedure}/periods", headers=self.h(p.buyer.users["buyer"])))
        body = {k: mins[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if mins[k]}
        url = f"/api/v1/tenders/{p.tender_id}/publish"
        published: dict[str, Any] = ok(self.c.post(url, json=body, headers=self.h(p.buyer.users["approver"])))
        return published

    def ask(self, p: CanaryProcess, tag: str, name: str, asker: Party, kind: str, lot_id: str | None = None) -> None:
        """A supplier asks, the buyer answers; all three texts are canaries."""
        t = self.canaries.text
        body: dict[str, Any] = {"title": t(tag, f"{name}_title", kind), "description": t(tag, f"{name}_text", kind)}
        if lot_id:
            body["lot_id"] = lot_id
        url = f"/api/v1/tenders/{p.tender_id}/questions"
        q = ok(self.c.post(url, json=body, headers=self.h(asker.users["supplier"])), 201)
        answer = {"answer": t(tag, f"{name}_answer", kind)}
        ok(self.c.post(f"{url}/{q['id']}/answer", json=answer, headers=self.h(p.buyer.users["buyer"])))

    def bid_on(self, p: CanaryProcess, supplier: Party, lot: int, amount: str) -> str:
        """A bid of ``amount`` on one lot; returns the bid id."""
        body = {"values": [{"lot_id": p.lot_ids[lot], "value": {"amount": amount, "currency": "UAH"}}]}
        url = f"/api/v1/tenders/{p.tender_id}/bids"
        return str(ok(self.c.post(url, json=body, headers=self.h(supplier.users["supplier"])), 201)["bid_id"])

    def evaluate(self, p: CanaryProcess, tag: str, bids: dict[str, int], kind: str) -> None:
        """Every bid compliant, with canary notes."""
        for n, (bid_id, lot) in enumerate(bids.items()):
            body = {
                "lot_id": p.lot_ids[lot],
                "compliant": True,
                "score": "80",
                "notes": self.canaries.text(tag, f"notes_{n}", kind),
            }
            ok(self.c.post(f"/api/v1/bids/{bid_id}/evaluations", json=body, headers=self.h(p.buyer.users["evaluator"])))

    def award(self, p: CanaryProcess, tag: str, lot: int, kind: str) -> str:
        """Award the lot's best bid with a canary rationale and an award document; returns the award id."""
        url = f"/api/v1/tenders/{p.tender_id}/lots/{p.lot_ids[lot]}"
        best = ok(self.c.get(f"{url}/ranking", headers=self.h(p.buyer.users["buyer"])))[0]["bid_id"]
        body = {"bid_ids": [best], "rationale": self.canaries.text(tag, f"award_rationale_{lot}", kind)}
        award = ok(self.c.post(f"{url}/award", json=body, headers=self.h(p.buyer.users["approver"])), 201)[0]
        self.upload(tag, "award", award["id"], p.buyer.users["buyer"], f"award_doc_{lot}", kind)
        return str(award["id"])

    def implement(
        self, p: CanaryProcess, tag: str, award_id: str, winner: Party, payment: str, *, secret: bool
    ) -> None:
        """Sign the award's contract, then a document, a delivery, its acceptance, a payment and an amendment.

        In a public contract, what the OCDS mapping publishes (amendment description, payment value) is required and
        the rest (documents, delivery place, notes, payment reference) allowed; in a classified one all is hidden.
        """
        mapped = HIDDEN if secret else REQUIRED
        other = unmapped(mapped)
        t = self.canaries.text
        who = winner.users["supplier"]
        page = ok(self.c.get("/api/v1/contracts", params={"tender_id": p.tender_id}, headers=self.h(who)))
        contract = next(c for c in page["data"] if c["award_id"] == award_id)
        cid, n = contract["id"], len(p.contract_ids)
        p.contract_ids.append(cid)
        if self.clock.now() < datetime.fromisoformat(contract["not_before"]):
            self.advance_to(contract["not_before"])
        if len(contract["items"]) > 1:
            self.price_lines(contract, who)
        ok(self.c.post(f"/api/v1/contracts/{cid}/sign", headers=self.h(p.buyer.users["approver"])))
        signed = ok(self.c.post(f"/api/v1/contracts/{cid}/sign", headers=self.h(who)))
        p.signed_at[cid] = signed["date_signed"]
        self.clock.advance(timedelta(hours=1))
        self.upload(tag, "contract", cid, who, f"contract{n}_doc", other)
        delivery = {
            "contract_item_id": contract["items"][0]["id"],
            "quantity": "1",
            "delivered_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
            "location": t(tag, f"contract{n}_delivery_location", other),
        }
        d = ok(self.c.post(f"/api/v1/contracts/{cid}/deliveries", json=delivery, headers=self.h(who)), 201)
        accept = {"reason": t(tag, f"contract{n}_acceptance", other)}
        ok(self.c.post(f"/api/v1/deliveries/{d['id']}/accept", json=accept, headers=self.h(p.buyer.users["buyer"])))
        pay = {
            "amount": {"amount": self.canaries.amount(payment, f"{tag}: payment", mapped), "currency": "UAH"},
            "paid_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
            "delivery_id": d["id"],
            "reference": t(tag, f"contract{n}_payment_reference", other),
        }
        ok(self.c.post(f"/api/v1/contracts/{cid}/payments", json=pay, headers=self.h(p.buyer.users["buyer"])), 201)
        amendment = {"rationale": "quality_improvement", "description": t(tag, f"contract{n}_amendment", mapped)}
        url = f"/api/v1/contracts/{cid}/amendments"
        ok(self.c.post(url, json=amendment, headers=self.h(p.buyer.users["approver"])), 201)
        final = ok(self.c.get(f"/api/v1/contracts/{cid}", headers=self.h(who)))
        for line in final["items"]:
            p.lines[line["id"]] = (line["item_id"], Decimal(line["unit_price"]["amount"]))
            p.line_contract[line["id"]] = cid

    def price_lines(self, contract: Json, who: str) -> None:
        """The supplier prices a contract of two lines: 70 % on the first, the remainder on the second (one unit)."""
        lines = contract["items"]
        assert len(lines) == 2
        assert Decimal(lines[1]["quantity"]) == 1
        total = Decimal(contract["value"]["amount"])
        first = (total * Decimal("0.7") / Decimal(lines[0]["quantity"])).quantize(Decimal("0.01"))
        last = total - first * Decimal(lines[0]["quantity"])
        body = {
            "items": [
                {"contract_item_id": line["id"], "unit_price": {"amount": str(price), "currency": "UAH"}}
                for line, price in zip(lines, (first, last), strict=True)
            ]
        }
        ok(self.c.post(f"/api/v1/contracts/{contract['id']}/unit-prices", json=body, headers=self.h(who)))

    # --- whole processes -----------------------------------------------------------------------------------------

    def classified(self, tag: str, marking: str, declassify_on: date | None = None) -> CanaryProcess:
        """A process marked ``marking`` from a plan to an amended contract with a delivery and a payment (tag ``x``:
        published, asked about and cancelled instead).

        Every canary is hidden, except what the restricted policy publishes exactly (the buyer's name and id) or
        generalises to a verbatim part (an address's region): those are required, so the run proves they flow.
        """
        t, amount = self.canaries.text, self.canaries.amount
        buyer = self.buyer(tag)
        suppliers = [self.supplier(tag, n) for n in range(2)]
        if marking == "restricted":
            for name in ("buyer_name", "buyer_region", "sup0_region", "sup1_region"):
                self.canaries.strings[f"{MARK}-{tag}-{name}"] = (REQUIRED, f"{tag}:{name} (public at restricted)")
            self.canaries.literals[buyer.party_id.removeprefix("UA-EDR-")] = (REQUIRED, f"{tag}: buyer.id")
        plan_id = self.plan(tag, buyer)
        body = {
            "title": t(tag, "tender_title"),
            "description": t(tag, "tender_description"),
            "justification_details": t(tag, "justification_details"),
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "plan_id": plan_id,
            "marking": marking,
            "declassify_on": declassify_on.isoformat() if declassify_on else None,
            "lots": [
                {
                    "title": t(tag, "lot_title"),
                    "description": t(tag, "lot_description"),
                    "value": {"amount": amount(LOT_VALUES[tag], f"{tag}: lot and tender value"), "currency": "UAH"},
                    "items": [self.item(tag, "item", "317")],
                }
            ],
        }
        tender = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h(buyer.users["buyer"])), 201)
        p = CanaryProcess(tag, tender["id"], marking, buyer, suppliers, lot_ids=[tender["lots"][0]["id"]])
        self.processes[tag] = p
        self.upload(tag, "tender", p.tender_id, buyer.users["buyer"], "tender_doc", HIDDEN)
        published = self.publish_as(p)
        self.ask(p, tag, "question", suppliers[0], HIDDEN)
        if tag == "x":
            reason = {"reason": t(tag, "cancellation_reason")}
            url = f"/api/v1/tenders/{p.tender_id}/cancel"
            ok(self.c.post(url, json=reason, headers=self.h(buyer.users["approver"])))
            return p
        self.advance_to(published["enquiry_end"])
        bids = {}
        for n, supplier in enumerate(suppliers):
            bids[self.bid_on(p, supplier, 0, amount(BIDS[tag][n], f"{tag}: bid {n}"))] = 0
        self.upload(tag, "bid", next(iter(bids)), suppliers[0].users["supplier"], "bid_doc", HIDDEN)
        self.advance_to(self.tender(p.tender_id, buyer.users["buyer"])["tender_end"])
        ok(self.c.post(f"/api/v1/tenders/{p.tender_id}/open-bids", headers=self.h(buyer.users["evaluator"])))
        self.evaluate(p, tag, bids, HIDDEN)
        award_id = self.award(p, tag, 0, HIDDEN)
        self.implement(p, tag, award_id, suppliers[0], PAYMENTS[tag], secret=True)
        for line_id, (_, price) in p.lines.items():
            self.canaries.literal(str(number(price)), f"{tag}: unit price of contract line {line_id}")
        return p

    def public_with_secret_parts(self) -> CanaryProcess:
        """A public process with a secret lot and, in its public lot, a secret item and a secret document.

        Public canaries (tag ``pp``) are required where the OCDS mapping publishes the field, allowed elsewhere;
        the secret parts' (tag ``ps``) are hidden, including the supplier who bid only on the secret lot.
        """
        t, amount = self.canaries.text, self.canaries.amount
        buyer = self.buyer("pp", REQUIRED)
        public_supplier = self.supplier("pp", 0, REQUIRED)
        secret_supplier = self.supplier("ps", 1, HIDDEN)
        body = {
            "title": t("pp", "tender_title", REQUIRED),
            "description": t("pp", "tender_description", REQUIRED),
            "justification_details": t("pp", "justification_details", REQUIRED),
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "lots": [
                {
                    "title": t("pp", "lot0_title", REQUIRED),
                    "description": t("pp", "lot0_description", REQUIRED),
                    "value": {"amount": amount("2765432.11", "pp: public lot value", REQUIRED), "currency": "UAH"},
                    "items": [
                        self.item("pp", "item0", "1201", kind=REQUIRED),
                        self.item("ps", "item1", "1", marking="secret"),
                    ],
                },
                {
                    "title": t("ps", "lot1_title"),
                    "description": t("ps", "lot1_description"),
                    "value": {"amount": amount("1876543.22", "ps: secret lot value"), "currency": "UAH"},
                    "marking": "secret",
                    "items": [self.item("ps", "item2", "89")],
                },
            ],
        }
        amount("4641975.33", "pp+ps: tender.value, a total over a secret lot")
        tender = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h(buyer.users["buyer"])), 201)
        lots = [lot["id"] for lot in tender["lots"]]
        p = CanaryProcess("p", tender["id"], "public", buyer, [public_supplier, secret_supplier], lot_ids=lots)
        self.processes["p"] = p
        secret_items = {i["id"] for i in tender["items"] if i["marking"] or i["lot_id"] == lots[1]}
        self.upload("pp", "tender", p.tender_id, buyer.users["buyer"], "public_doc", ALLOWED)
        self.upload("ps", "tender", p.tender_id, buyer.users["buyer"], "secret_doc", HIDDEN, marking="secret")
        published = self.publish_as(p)
        self.ask(p, "pp", "question0", public_supplier, REQUIRED, lot_id=lots[0])
        self.ask(p, "ps", "question1", secret_supplier, HIDDEN, lot_id=lots[1])
        self.advance_to(published["enquiry_end"])
        bids = {
            self.bid_on(p, public_supplier, 0, amount("2698765.43", "pp: public lot bid", REQUIRED)): 0,
            self.bid_on(p, secret_supplier, 1, amount("1798767.43", "ps: secret lot bid, 89 x 20210.87")): 1,
        }
        self.advance_to(self.tender(p.tender_id, buyer.users["buyer"])["tender_end"])
        ok(self.c.post(f"/api/v1/tenders/{p.tender_id}/open-bids", headers=self.h(buyer.users["evaluator"])))
        self.evaluate(p, "pp", dict(list(bids.items())[:1]), ALLOWED)
        self.evaluate(p, "ps", dict(list(bids.items())[1:]), HIDDEN)
        public_award = self.award(p, "pp", 0, ALLOWED)
        secret_award = self.award(p, "ps", 1, HIDDEN)
        self.implement(p, "pp", public_award, public_supplier, "45678.91", secret=False)
        self.implement(p, "ps", secret_award, secret_supplier, "56789.12", secret=True)
        # A line's price is as secret as the most secret line of its contract (else the difference gives it away).
        shared = {line for line, (item, _) in p.lines.items() if item in secret_items}
        contracts_with_secret = {p.line_contract[line] for line in shared}
        for line_id, (_item, price) in p.lines.items():
            kind = HIDDEN if p.line_contract[line_id] in contracts_with_secret else REQUIRED
            self.canaries.literal(str(number(price)), f"p: unit price of contract line {line_id}", kind)
        return p

    def framework_call_off(self, tag: str = "f") -> CanaryProcess:
        """A confidential framework agreement, concluded, and a mini-competition called off it and published."""
        t, amount = self.canaries.text, self.canaries.amount
        buyer = self.buyer(tag)
        suppliers = [self.supplier(tag, n) for n in range(3)]  # several parties: at least 3
        body = {
            "title": t(tag, "tender_title"),
            "description": t(tag, "tender_description"),
            "procedure": "framework",
            "category": "goods",
            "award_criteria": "priceOnly",
            "marking": "confidential",
            "lots": [
                {
                    "title": t(tag, "lot_title"),
                    "description": t(tag, "lot_description"),
                    "value": {"amount": amount("3321987.65", f"{tag}: framework value"), "currency": "UAH"},
                    "items": [self.item(tag, "item", "4000")],
                }
            ],
        }
        tender = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h(buyer.users["buyer"])), 201)
        p = CanaryProcess(tag, tender["id"], "confidential", buyer, suppliers, lot_ids=[tender["lots"][0]["id"]])
        self.processes[tag] = p
        published = self.publish_as(p, "framework")
        self.advance_to(published["enquiry_end"])
        prices = ("3210987.61", "3109876.52", "3298765.43")
        bids = {
            self.bid_on(p, s, 0, amount(v, f"{tag}: framework bid")): 0 for s, v in zip(suppliers, prices, strict=True)
        }
        self.advance_to(self.tender(p.tender_id, buyer.users["buyer"])["tender_end"])
        ok(self.c.post(f"/api/v1/tenders/{p.tender_id}/open-bids", headers=self.h(buyer.users["evaluator"])))
        self.evaluate(p, tag, bids, HIDDEN)
        url = f"/api/v1/tenders/{p.tender_id}/lots/{p.lot_ids[0]}"
        ranking = ok(self.c.get(f"{url}/ranking", headers=self.h(buyer.users["buyer"])))
        body = {"bid_ids": [r["bid_id"] for r in ranking]}
        awards = ok(self.c.post(f"{url}/award", json=body, headers=self.h(buyer.users["approver"])), 201)
        self.advance_to(max(a["standstill_end"] for a in awards))
        end = {"end": (self.clock.now() + timedelta(days=365)).isoformat()}
        url = f"/api/v1/tenders/{p.tender_id}/conclude-framework"
        fw = ok(self.c.post(url, json=end, headers=self.h(buyer.users["approver"])), 201)
        call_off = {
            "method": "mini_competition",
            "ordering_unit": t(tag, "ordering_unit"),
            "receiver": t(tag, "receiver"),
            "lines": [{"item_id": fw["catalogue"][0]["item_id"], "quantity": "40"}],
        }
        url = f"/api/v1/frameworks/{fw['id']}/call-offs"
        made = ok(self.c.post(url, json=call_off, headers=self.h(buyer.users["buyer"])), 201)
        mini = CanaryProcess("m", made["tender_id"], "public", buyer, suppliers)
        self.processes["m"] = mini
        self.publish_as(mini, "framework.mini-competition")
        return p


PLAN_VALUES = {"r": "5123456.78", "c": "5234567.89", "s": "5345678.91", "x": "5456789.12"}
LOT_VALUES = {"r": "4321987.65", "c": "4432198.76", "s": "4543219.87", "x": "4654321.98"}
# Winning bids are 317 units at a distinctive unit price (12579.35, 12227.27, 11878.17): one line, priced exactly.
BIDS = {"r": ("3987653.95", "4111222.33"), "c": ("3876044.59", "4222333.44"), "s": ("3765379.89", "4333444.55")}
PAYMENTS = {"r": "12345.67", "c": "23456.78", "s": "34567.89"}
