"""HTTP helpers that drive a tender through its lifecycle, asserting each step's status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.scheduler import run_due
from quartermaster.types import FixedClock
from support.sealing import sealed_body
from support.world import World

ITEM = {
    "description": "5.56 mm ammunition",
    "cpv": "35330000-6",
    "unit": "H87",
    "quantity": "100000",
    "nsn": "1305-12-345-6789",
    "delivery_region": "Kyiv",
    "delivery_date": "2026-06-01",
}


def tender_body(procedure: str = "open", *, lots: int = 1, **extra: Any) -> dict[str, Any]:
    """A valid draft tender body."""
    body: dict[str, Any] = {
        "title": f"Ammunition ({procedure})",
        "procedure": procedure,
        "category": "goods",
        "award_criteria": "priceOnly",
        "lots": [
            {"title": f"Lot {i + 1}", "value": {"amount": "1000000.00", "currency": "UAH"}, "items": [ITEM]}
            for i in range(lots)
        ],
    }
    body.update(extra)
    return body


def ok(resp: Any, status: int = 200) -> Any:
    """Assert a status and return the JSON body."""
    assert resp.status_code == status, f"{resp.status_code}: {resp.text}"
    return resp.json()


class Flow:
    """Drive one process through the API."""

    def __init__(self, client: TestClient, world: World, clock: FixedClock, db: Database) -> None:
        self.c, self.w, self.clock, self.db = client, world, clock, db

    def h(self, who: str) -> dict[str, str]:
        """Auth headers of a person."""
        return self.w[who].headers

    def create(self, procedure: str = "open", **extra: Any) -> dict[str, Any]:
        """Draft a tender as the buyer."""
        return ok(self.c.post("/api/v1/tenders", json=tender_body(procedure, **extra), headers=self.h("buyer")), 201)

    def minimum(self, procedure: str) -> dict[str, Any]:
        """The rulebook's earliest period ends from now."""
        return ok(self.c.get(f"/api/v1/rules/{procedure}/periods", headers=self.h("buyer")))

    def publish(self, tender_id: str, procedure: str = "open") -> dict[str, Any]:
        """Publish with the shortest allowed periods."""
        mins = self.minimum(procedure)
        body = {k: mins[k] for k in ("prequalification_end", "enquiry_end", "tender_end") if mins[k]}
        return ok(self.c.post(f"/api/v1/tenders/{tender_id}/publish", json=body, headers=self.h("approver")))

    def advance_to(self, when: str | datetime, extra: timedelta = timedelta(seconds=1)) -> None:
        """Move the clock past ``when`` and let the scheduler apply what is due."""
        moment = datetime.fromisoformat(when) if isinstance(when, str) else when
        self.clock.set(moment + extra)
        run_due(self.db, self.clock)

    def tender(self, tender_id: str, who: str | None = None) -> dict[str, Any]:
        """Read a tender."""
        return ok(self.c.get(f"/api/v1/tenders/{tender_id}", headers=self.h(who) if who else {}))

    def bid(self, tender_id: str, supplier: str, amount: str, lot: int = 0) -> dict[str, Any]:
        """Submit a bid on one lot."""
        t = self.tender(tender_id, "buyer")
        body = {"values": [{"lot_id": t["lots"][lot]["id"], "value": {"amount": amount, "currency": "UAH"}}]}
        return ok(
            self.c.post(
                f"/api/v1/tenders/{tender_id}/bids", json=self.seal(tender_id, supplier, body), headers=self.h(supplier)
            ),
            201,
        )

    def seal(self, tender_id: str, supplier: str, body: dict[str, Any]) -> dict[str, Any]:
        """A ``{"values": [...]}`` body sealed on the supplier's side when the tender has an opening key."""
        org = self.w[supplier].organization_id
        assert org is not None
        return sealed_body(self.c, tender_id, org, body, self.h(supplier))

    def to_tendering(self, procedure: str = "open") -> str:
        """A published tender whose bidding is open."""
        t = self.create(procedure)
        pub = self.publish(t["id"], procedure)
        if pub["enquiry_end"]:
            self.advance_to(pub["enquiry_end"])
        assert self.tender(t["id"])["status"] == "active.tendering"
        return str(t["id"])

    def open(self, tender_id: str) -> dict[str, Any]:
        """Close bidding at the deadline and open the bids."""
        self.advance_to(self.tender(tender_id)["tender_end"])
        return ok(self.c.post(f"/api/v1/tenders/{tender_id}/open-bids", headers=self.h("evaluator")))

    def evaluate_all(self, tender_id: str, lot: int = 0) -> None:
        """Evaluator marks every opened bid compliant."""
        t = self.tender(tender_id)
        for b in ok(self.c.get(f"/api/v1/tenders/{tender_id}/bids")):
            ok(
                self.c.post(
                    f"/api/v1/bids/{b['id']}/evaluations",
                    json={"lot_id": t["lots"][lot]["id"], "compliant": True, "score": "80"},
                    headers=self.h("evaluator"),
                )
            )

    def award_best(self, tender_id: str, lot: int = 0) -> list[dict[str, Any]]:
        """Award the best-ranked bid."""
        t = self.tender(tender_id)
        lot_id = t["lots"][lot]["id"]
        ranking = ok(self.c.get(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/ranking"))
        body = {"bid_ids": [ranking[0]["bid_id"]]}
        return ok(
            self.c.post(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/award", json=body, headers=self.h("approver")), 201
        )  # type: ignore[no-any-return]


def upload_text(
    client: TestClient,
    related: str,
    related_id: str,
    headers: dict[str, str],
    *,
    title: str,
    content: str,
    document_type: str,
    marking: str | None = None,
) -> dict[str, Any]:
    """Upload a plain-text document to a tender, bid, award or contract (with a security marking if given)."""
    params = {"title": title, "document_type": document_type} | ({"marking": marking} if marking else {})
    resp = client.post(
        f"/api/v1/{related}s/{related_id}/documents",
        params=params,
        content=content.encode(),
        headers={**headers, "Content-Type": "text/plain"},
    )
    return ok(resp, 201)  # type: ignore[no-any-return]
