"""Helpers for contract tests: an awarded tender through HTTP, and signed contracts built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quartermaster.contracts import implementation
from quartermaster.contracts import service as contracts
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.types import FixedClock
from support.flows import ITEM, Flow, ok
from support.world import World


def _ok(resp: Any, status: int = 200) -> dict[str, Any]:
    body: dict[str, Any] = ok(resp, status)
    return body


class ContractFlow(Flow):
    """Drive a tender to its award through the API, then its contract."""

    def __init__(self, client: TestClient, world: World, clock: FixedClock, db: Database) -> None:
        super().__init__(client, world, clock, db)

    def awarded(
        self,
        *,
        quantity: str = "1000",
        items: int = 1,
        lot_value: str = "200000.00",
        winning: str = "100000.00",
        losing: str = "150000.00",
    ) -> dict[str, Any]:
        """An open tender with one lot of ``items`` lines, two bids, awarded to supplier1; returns its contract."""
        body = {
            "title": "Ration packs",
            "procedure": "open",
            "category": "goods",
            "award_criteria": "priceOnly",
            "lots": [
                {
                    "title": "Lot 1",
                    "value": {"amount": lot_value, "currency": "UAH"},
                    "items": [{**ITEM, "description": f"line {n}", "quantity": quantity} for n in range(items)],
                }
            ],
        }
        tender = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h("buyer")), 201)
        pub = self.publish(tender["id"])
        if pub["enquiry_end"]:
            self.advance_to(pub["enquiry_end"])
        self.bid(tender["id"], "supplier0", losing)
        self.bid(tender["id"], "supplier1", winning)
        self.open(tender["id"])
        self.evaluate_all(tender["id"])
        self.award_best(tender["id"])
        page = ok(self.c.get("/api/v1/contracts", params={"tender_id": tender["id"]}))
        assert len(page["data"]) == 1
        first: dict[str, Any] = page["data"][0]
        return first

    def contract(self, contract_id: str) -> dict[str, Any]:
        """Read a contract anonymously (contracts are public)."""
        return _ok(self.c.get(f"/api/v1/contracts/{contract_id}"))

    def sign(self, contract_id: str, who: str, status: int = 200) -> dict[str, Any]:
        """Sign as ``who``, expecting ``status``."""
        return _ok(self.c.post(f"/api/v1/contracts/{contract_id}/sign", headers=self.h(who)), status)

    def signed(self, **kw: Any) -> dict[str, Any]:
        """An active contract: awarded, standstill over, signed by both sides."""
        contract = self.awarded(**kw)
        self.advance_to(contract["not_before"])
        self.sign(contract["id"], "approver")
        signed = self.sign(contract["id"], "supplier1")
        self.clock.set(self.clock.now() + timedelta(hours=1))  # implementation starts after the signature
        return signed

    def deliver(
        self, contract_id: str, quantity: str, who: str = "supplier1", status: int = 201, item: int = 0
    ) -> dict[str, Any]:
        """Report a delivery of ``quantity`` of a line, delivered a minute ago."""
        line = self.contract(contract_id)["items"][item]["id"]
        body = {
            "contract_item_id": line,
            "quantity": quantity,
            "delivered_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
            "location": "Kyiv depot",
        }
        return _ok(self.c.post(f"/api/v1/contracts/{contract_id}/deliveries", json=body, headers=self.h(who)), status)

    def accept(self, delivery_id: str, who: str = "buyer", status: int = 200) -> dict[str, Any]:
        """Accept a delivery."""
        return _ok(
            self.c.post(
                f"/api/v1/deliveries/{delivery_id}/accept", json={"reason": "counted and checked"}, headers=self.h(who)
            ),
            status,
        )

    def pay(
        self, contract_id: str, amount: str, who: str = "buyer", status: int = 201, delivery_id: str | None = None
    ) -> dict[str, Any]:
        """Record a payment made a minute ago."""
        body: dict[str, Any] = {
            "amount": {"amount": amount, "currency": "UAH"},
            "paid_at": (self.clock.now() - timedelta(minutes=1)).isoformat(),
        }
        if delivery_id:
            body["delivery_id"] = delivery_id
        return _ok(self.c.post(f"/api/v1/contracts/{contract_id}/payments", json=body, headers=self.h(who)), status)


@dataclass(frozen=True)
class Line:
    """A contract line for a directly created contract: quantity and unit price."""

    quantity: str
    unit_price: str


def active_contract(db: Database, world: World, now: datetime, lines: list[Line], supplier: str = "supplier0") -> str:
    """Create (as a framework call-off would, without a tender) and sign a contract; returns its id."""
    terms = [
        contracts.ItemTerms(
            item_id=None,
            description=f"line {n}",
            cpv="35330000-6",
            nsn=None,
            unit="H87",
            quantity=Decimal(ln.quantity),
            unit_price=Decimal(ln.unit_price),
        )
        for n, ln in enumerate(lines)
    ]
    value = sum((t.quantity * (t.unit_price or 0) for t in terms), Decimal(0))
    with db.unit_of_work() as s:
        c = contracts.create_contract(
            s,
            actor=world["approver"].actor,
            now=now,
            buyer_id=world.buyer_org,
            supplier_id=world[supplier].organization_id or "",
            title="Call-off",
            value=value,
            currency="UAH",
            items=terms,
            delivery_due=now + timedelta(days=30),
        )
        contract_id = c.id
    with db.unit_of_work() as s:
        contracts.sign_contract(s, actor=world["approver"].actor, now=now, contract_id=contract_id)
        contracts.sign_contract(s, actor=world[supplier].actor, now=now, contract_id=contract_id)
    return contract_id


def snapshot(db: Database, contract_id: str) -> dict[str, Any]:
    """Everything about a contract that a refused command must leave unchanged."""
    with db.unit_of_work(write=False) as s:
        c: Contract = contracts.load_contract(s, contract_id)
        return {
            "status": c.status,
            "version": c.version,
            "value": c.value_amount,
            "due": c.delivery_due,
            "signatures": (c.buyer_signed_by, c.supplier_signed_by),
            "items": [(i.id, i.quantity, i.unit_price, i.original_unit_price) for i in c.items],
            "amendments": len(contracts.list_amendments(s, actor=None, contract_id=c.id, after=0, limit=200)),
            "deliveries": [
                (d.id, d.status)
                for d in implementation.list_deliveries(s, actor=None, contract_id=c.id, after=0, limit=200)
            ],
            "paid": implementation.paid_total(s, c.id),
            "events": s.scalar(select(func.count()).select_from(Event)),
        }
