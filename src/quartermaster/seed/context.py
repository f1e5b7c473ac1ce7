"""What every seed flow shares: the simulation, the parties, the code lists, and the prices suppliers offered."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.client import PersonKeys
from quartermaster.codelists import CodeLists
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.documents.blobstore import BlobStore
from quartermaster.seed.parties import OrgSpec
from quartermaster.seed.sim import Simulation
from quartermaster.tenders.models import Item, Lot, Tender

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LotView:
    """A lot as the flows need it: ids and quantities of its items, and its estimated value."""

    id: str
    status: str
    value: Decimal
    items: tuple[tuple[str, Decimal], ...]  # (item id, quantity)


@dataclass(frozen=True)
class TenderView:
    """A snapshot of a tender taken inside a transaction (ORM rows do not outlive their session)."""

    id: str
    status: str
    rulebook_version: str | None
    tender_start: datetime | None
    enquiry_end: datetime | None
    tender_end: datetime | None
    lots: tuple[LotView, ...]


@dataclass
class SeedContext:
    """Shared state of one seed run."""

    sim: Simulation
    lists: CodeLists
    buyers: list[OrgSpec]
    suppliers: list[OrgSpec]
    end: datetime
    # (tender id, supplier id, lot id) -> {tender item id: unit price}: what a supplier offered, so that it can
    # price its contract lines exactly when it signs.
    offers: dict[tuple[str, str, str], dict[str, Decimal]] = field(default_factory=dict)
    supplier_index: dict[str, int] = field(default_factory=dict)
    # The platform's opening-key vault, and each buyer staff member's key file (user id -> keys): members open
    # their own shares with them at the opening, as they would on their own machines.
    vault: OpeningKeyVault | None = None
    keys: dict[str, PersonKeys] = field(default_factory=dict)
    # Where documents go (the served demo's blob store); None: bids carry no documents.
    blobs: BlobStore | None = None

    def view(self, tender_id: str) -> TenderView:
        """Read a tender's current state (column reads: loading the ORM graph each time is the slow part)."""

        def read(session: Session) -> TenderView:
            t = session.execute(
                select(
                    Tender.status, Tender.rulebook_version, Tender.tender_start, Tender.enquiry_end, Tender.tender_end
                ).where(Tender.id == tender_id)
            ).one()
            items: dict[str, list[tuple[str, Decimal]]] = {}
            for lot_id, item_id, qty in session.execute(
                select(Item.lot_id, Item.id, Item.quantity).where(Item.tender_id == tender_id).order_by(Item.position)
            ):
                items.setdefault(lot_id, []).append((item_id, qty))
            lots = tuple(
                LotView(lot_id, status, value, tuple(items[lot_id]))
                for lot_id, status, value in session.execute(
                    select(Lot.id, Lot.status, Lot.value_amount)
                    .where(Lot.tender_id == tender_id)
                    .order_by(Lot.position)
                )
            )
            return TenderView(
                tender_id, t.status, t.rulebook_version, t.tender_start, t.enquiry_end, t.tender_end, lots
            )

        return self.sim.read(read)


def offer_prices(lot: LotView, estimates: list[Decimal], factor: Decimal) -> dict[str, Decimal]:
    """Unit prices (in cents) for a lot's items at ``factor`` of the estimates; their sum is the exact offer."""
    return {
        item_id: max(CENT, (est * factor).quantize(CENT, rounding=ROUND_HALF_EVEN))
        for (item_id, _), est in zip(lot.items, estimates, strict=True)
    }


def even_estimates(lot: LotView) -> list[Decimal]:
    """Per-unit estimates that split a lot's value evenly over its items (when no finer estimate is known)."""
    share = lot.value / len(lot.items)
    return [share / qty for _, qty in lot.items]


def offer_total(lot: LotView, prices: dict[str, Decimal]) -> Decimal:
    """The offer on a lot: quantity x unit price over its items."""
    return sum((qty * prices[item_id] for item_id, qty in lot.items), Decimal(0)).quantize(CENT)


def days(rng: random.Random, low: float, high: float) -> timedelta:
    """A random span of ``low`` to ``high`` days."""
    return timedelta(days=rng.uniform(low, high))
