"""Hand-built (never persisted) domain objects of one complete contracting process, for the pure OCDS mapping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid, BidValue
from quartermaster.contracts.models import Amendment, Contract, ContractItem, Delivery, Payment
from quartermaster.identity.models import Organization
from quartermaster.ocds import Change, Naming, Process
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Enquiry, Item, Lot, Tender

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NAMING = Naming(ocid_prefix="ocds-test01", cpv_names={"35330000-6": "Ammunition"}, unit_names={"H87": "piece"})


def at(hours: float) -> datetime:
    """T0 plus some hours."""
    return T0 + timedelta(hours=hours)


def org(oid: str, name: str, scheme: str = "UA-EDR", ident: str = "12345678", **extra: object) -> Organization:
    """An organization."""
    return Organization(
        id=oid, name=name, identifier_scheme=scheme, identifier_id=ident, kind="company", created_at=T0, **extra
    )


def process(*, tender_status: str = "complete", contract_status: str = "complete") -> Process:
    """Buyer, three suppliers, two lots, four bids (valid, disqualified, pending, withdrawn), an award, a contract."""
    buyer = org(
        "o-buyer", "Defence Procurement Agency", ident="43210987", region="Kyiv", contact_email="dpa@example.org"
    )
    s1 = org("o-s1", "Arsenal LLC", ident="11111111")
    s2 = org("o-s2", "Foreign Munitions GmbH", scheme="NCAGE", ident="C1234")
    s3 = org("o-s3", "Sealed Bidder SECRETCO", ident="33333333")
    s4 = org("o-s4", "Withdrawn Bidder WITHDRAWNCO", ident="44444444")
    lot1 = Lot(
        id="lot-1", position=0, title="Lot 1", value_amount=Decimal("1000000.00"), currency="UAH", status="complete"
    )
    lot2 = Lot(
        id="lot-2", position=1, title="Lot 2", value_amount=Decimal("500000.50"), currency="UAH", status="unsuccessful"
    )
    tender = Tender(
        id="t1",
        title="5.56 mm ammunition",
        description="Rifle ammunition for 2026",
        buyer_id=buyer.id,
        procedure="open",
        rulebook_version="2026.1",
        status=tender_status,
        category="goods",
        value_amount=Decimal("1500000.50"),
        currency="UAH",
        award_criteria="priceOnly",
        cpv_main="35330000-6",
        enquiry_end=at(24),
        tender_start=at(0),
        tender_end=at(48),
        created_by="u",
        created_at=at(-1),
        published_at=at(0),
        updated_at=at(0),
        plan_id="p1",
        lots=[lot1, lot2],
    )
    items = [
        Item(
            id="i1",
            tender_id="t1",
            lot_id="lot-1",
            position=0,
            description="5.56 mm cartridge",
            cpv="35330000-6",
            nsn="1305-12-345-6789",
            unit="H87",
            quantity=Decimal("100000"),
            delivery_date=date(2026, 6, 1),
        ),
        Item(
            id="i2",
            tender_id="t1",
            lot_id="lot-2",
            position=1,
            description="Magazine",
            cpv="35330000-6",
            nsn=None,
            unit="H87",
            quantity=Decimal("2.5"),
            delivery_date=None,
        ),
    ]
    enquiry = Enquiry(
        id="q1",
        tender_id="t1",
        lot_id="lot-1",
        author_organization_id=s3.id,
        author_user_id="u3",
        title="Packaging?",
        description="Which packaging?",
        asked_at=at(2),
        answer="Sealed tins",
        answered_at=at(3),
        answered_by="u",
    )

    def bid(bid_id: str, supplier: Organization, status: str, amount: str, opened: bool) -> Bid:
        b = Bid(
            id=bid_id,
            tender_id="t1",
            supplier_id=supplier.id,
            submitted_by="u",
            status=status,
            submitted_at=at(10),
            updated_at=at(10),
            opened_at=at(49) if opened else None,
        )
        b.values = [
            BidValue(
                id=f"bv-{bid_id}",
                lot_id="lot-1",
                amount=Decimal(amount),
                currency="UAH",
                initial_amount=Decimal(amount),
            )
        ]
        return b

    bids = [
        bid("b1", s1, "valid", "900000.10", True),
        bid("b2", s2, "disqualified", "850000.00", True),
        bid("b3", s3, "pending", "777777.77", False),
        bid("b4", s4, "withdrawn", "666666.66", False),
    ]
    award = Award(
        id="a1",
        tender_id="t1",
        lot_id="lot-1",
        bid_id="b1",
        supplier_id=s1.id,
        value_amount=Decimal("900000.10"),
        currency="UAH",
        status="active",
        decided_by="u",
        decided_at=at(50),
    )
    contract = Contract(
        id="c1",
        tender_id="t1",
        award_id="a1",
        lot_id="lot-1",
        buyer_id=buyer.id,
        supplier_id=s1.id,
        title="Contract for lot 1",
        status=contract_status,
        value_amount=Decimal("900000.10"),
        currency="UAH",
        date_signed=at(60),
        created_at=at(50),
        updated_at=at(60),
        items=[
            ContractItem(
                id="ci1",
                position=0,
                item_id="i1",
                description="5.56 mm cartridge",
                cpv="35330000-6",
                nsn="1305-12-345-6789",
                unit="H87",
                quantity=Decimal("100000"),
                unit_price=Decimal("9.0001"),
                currency="UAH",
            )
        ],
    )
    amendment = Amendment(
        id="am1",
        contract_id="c1",
        number=1,
        rationale="market_price_change",
        description="Unit price corrected",
        changes={},
        before={},
        after={},
        value_before=Decimal("900000.10"),
        value_after=Decimal("900010.00"),
        amended_at=at(70),
        amended_by="u",
    )
    deliveries = [
        Delivery(
            id="d1",
            contract_id="c1",
            number=1,
            contract_item_id="ci1",
            quantity=Decimal("50000"),
            delivered_at=at(80),
            location="Depot 7 SECRETPLACE",
            reported_by="u",
            status="accepted",
            decided_at=at(81),
        ),
        Delivery(
            id="d2",
            contract_id="c1",
            number=2,
            contract_item_id="ci1",
            quantity=Decimal("50000"),
            delivered_at=at(90),
            location="Depot 7 SECRETPLACE",
            reported_by="u",
            status="pending",
        ),
    ]
    payments = [
        Payment(
            id="pay1",
            contract_id="c1",
            number=1,
            delivery_id="d1",
            amount=Decimal("450000.05"),
            currency="UAH",
            paid_at=at(85),
            recorded_by="u",
        )
    ]
    plan = Plan(
        id="p1",
        buyer_id=buyer.id,
        year=2026,
        title="Ammunition 2026",
        budget_line="KPKVK 2101020",
        procedure="open",
        category="goods",
        value_amount=Decimal("1600000.00"),
        currency="UAH",
        cpv_main="35330000-6",
        created_by="u",
        created_at=at(-100),
        updated_at=at(-100),
    )
    return Process(
        tender=tender,
        organizations={o.id: o for o in (buyer, s1, s2, s3, s4)},
        items=items,
        enquiries=[enquiry],
        bids=bids,
        awards=[award],
        contracts=[contract],
        amendments=[amendment],
        deliveries=deliveries,
        payments=payments,
        plan=plan,
    )


def before_opening() -> Process:
    """The same process while bidding is open: no bid opened, no award, no contract."""
    full = process(tender_status="active.tendering")
    sealed = []
    for b in full.bids:
        b.status, b.opened_at = ("pending", None) if b.status in ("valid", "disqualified") else (b.status, None)
        sealed.append(b)
    for x in full.tender.lots:
        x.status = "active"
    return replace(full, bids=sealed, awards=[], contracts=[], amendments=[], deliveries=[], payments=[])


def change(seq: int, hours: float, *event_types: str) -> Change:
    """A change at T0 + hours."""
    return Change(seq, at(hours), event_types)
