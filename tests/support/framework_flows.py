"""HTTP helpers for framework agreements: a framework tender awarded to several bids, concluded, called off."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from support.flows import ITEM, Flow, ok

DRONE = {
    "description": "Reconnaissance UAV, quadcopter",
    "cpv": "35613000-4",
    "unit": "H87",
    "quantity": "500",
    "delivery_region": "Kharkiv",
}

# Bid prices for the lot (UAH). Ranked: supplier1, supplier2, supplier0, supplier3.
PRICES = {"supplier0": "900000.00", "supplier1": "850000.00", "supplier2": "870000.00", "supplier3": "950000.00"}


def framework_body(value: str = "1000000.00") -> dict[str, Any]:
    """A framework tender of one lot with two items: ammunition (100,000 pieces) and drones (500)."""
    return {
        "title": "Ammunition and drones framework",
        "procedure": "framework",
        "category": "goods",
        "award_criteria": "priceOnly",
        "lots": [{"title": "Lot 1", "value": {"amount": value, "currency": "UAH"}, "items": [ITEM, DRONE]}],
    }


class FrameworkFlow(Flow):
    """Drive a framework agreement through the API."""

    def awarded(
        self,
        parties: int = 3,
        *,
        value: str = "1000000.00",
        prices: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """A framework tender (``extra`` members added to its body) whose lot is awarded to the ``parties`` best
        bids; returns (tender id, awards)."""
        body = framework_body(value) | (extra or {})
        t = ok(self.c.post("/api/v1/tenders", json=body, headers=self.h("buyer")), 201)
        tid = str(t["id"])
        pub = self.publish(tid, "framework")
        self.advance_to(pub["enquiry_end"])
        for supplier, amount in (prices or PRICES).items():
            self.bid(tid, supplier, amount)
            self.clock.advance(timedelta(minutes=1))  # submission order breaks ties between equal prices
        assert self.open(tid)["status"] == "active.qualification"
        self.evaluate_all(tid)
        return tid, self.award_top(tid, parties)

    def award_top(self, tender_id: str, n: int) -> list[dict[str, Any]]:
        """Award the lot to the ``n`` best-ranked bids."""
        lot_id = self.tender(tender_id)["lots"][0]["id"]
        ranking = ok(self.c.get(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/ranking"))
        body = {"bid_ids": [r["bid_id"] for r in ranking[:n]]}
        made: list[dict[str, Any]] = ok(
            self.c.post(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/award", json=body, headers=self.h("approver")), 201
        )
        return made

    def after_standstill(self, awards: list[dict[str, Any]]) -> None:
        """Move the clock past every award's standstill."""
        self.advance_to(max(a["standstill_end"] for a in awards))

    def conclude(self, tender_id: str, *, years: int = 2, status: int = 201) -> dict[str, Any]:
        """Conclude the framework, ending ``years`` from now."""
        end = self.clock.now() + timedelta(days=365 * years)
        url = f"/api/v1/tenders/{tender_id}/conclude-framework"
        body: dict[str, Any] = ok(self.c.post(url, json={"end": end.isoformat()}, headers=self.h("approver")), status)
        return body

    def concluded(self, parties: int = 3, **kw: Any) -> dict[str, Any]:
        """A concluded framework (detail)."""
        tid, awards = self.awarded(parties, **kw)
        self.after_standstill(awards)
        return self.conclude(tid)

    def framework(self, framework_id: str) -> dict[str, Any]:
        """Read a framework anonymously (frameworks are public)."""
        body: dict[str, Any] = ok(self.c.get(f"/api/v1/frameworks/{framework_id}"))
        return body

    def items(self, fw: dict[str, Any]) -> tuple[str, str]:
        """The ids of the ammunition and drone items."""
        by_cpv = {c["cpv"]: c["item_id"] for c in fw["catalogue"]}
        return by_cpv[ITEM["cpv"]], by_cpv[DRONE["cpv"]]

    def call_off(self, framework_id: str, who: str = "buyer", **body: Any) -> Any:
        """POST a call-off and return the raw response."""
        full = {
            "method": "direct_order",
            "ordering_unit": "92nd Separate Assault Brigade",
            "receiver": "Brigade logistics point",
            **body,
        }
        return self.c.post(f"/api/v1/frameworks/{framework_id}/call-offs", json=full, headers=self.h(who))

    def supplier(self, who: str) -> str:
        """A supplier's organization id."""
        org = self.w[who].organization_id
        assert org is not None
        return org


def price(fw: dict[str, Any], supplier_id: str, item_id: str) -> Decimal:
    """A party's catalogue unit price for an item."""
    return next(
        Decimal(c["unit_price"]["amount"])
        for c in fw["catalogue"]
        if c["supplier_id"] == supplier_id and c["item_id"] == item_id
    )


def at(when: str) -> datetime:
    """Parse an ISO datetime from a response."""
    return datetime.fromisoformat(when)
