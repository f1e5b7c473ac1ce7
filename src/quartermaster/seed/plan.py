"""Deterministic plans of the demo tenders: what each buys, how, how far it gets, who bids and at what price.

Everything random is drawn here (or in the flows) from ``random.Random`` instances seeded by the seed number and
the tender's index, so the same seed gives the same tenders however the simulation interleaves them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final

from quartermaster.seed.catalogue import FAMILIES, Family, ItemTemplate, make_nsn, pick_family, round_quantity

PROCEDURE_WEIGHTS: Final = {"open": 44, "limited": 20, "selective": 10, "negotiated": 10, "framework": 6}

# How far tenders have got by "now", per procedure (weights). Contract stages need the contracts service and
# framework.active the frameworks service; without them the flows stop at "awarded".
STAGE_WEIGHTS: Final[dict[str, dict[str, int]]] = {
    "open": {
        "draft": 5,
        "enquiries": 3,
        "tendering": 6,
        "opening": 2,
        "qualification": 5,
        "awarded": 5,
        "contract.active": 16,
        "contract.amended": 4,
        "complete": 34,
        "unsuccessful": 13,
        "cancelled": 9,
    },
    "selective": {
        "draft": 3,
        "prequalification": 6,
        "prequalification.review": 3,
        "tendering": 6,
        "opening": 2,
        "qualification": 5,
        "awarded": 5,
        "contract.active": 16,
        "complete": 32,
        "unsuccessful": 14,
        "cancelled": 8,
    },
    "negotiated": {
        "draft": 3,
        "tendering": 8,
        "opening": 2,
        "negotiation": 6,
        "qualification": 5,
        "awarded": 5,
        "contract.active": 16,
        "complete": 32,
        "unsuccessful": 14,
        "cancelled": 9,
    },
    "limited": {
        "draft": 5,
        "qualification": 6,
        "awarded": 8,
        "contract.active": 22,
        "contract.amended": 5,
        "complete": 48,
        "cancelled": 7,
    },
    "framework": {
        "draft": 3,
        "enquiries": 3,
        "tendering": 6,
        "qualification": 4,
        "awarded": 8,
        "framework.active": 60,
        "unsuccessful": 8,
        "cancelled": 8,
    },
}

# Planned first so that even a tiny data set shows every procedure and every stage.
COVERAGE: Final[tuple[tuple[str, str], ...]] = (
    ("open", "complete"),
    ("open", "tendering"),
    ("selective", "prequalification"),
    ("negotiated", "negotiation"),
    ("limited", "contract.active"),
    ("framework", "framework.active"),
    ("open", "enquiries"),
    ("open", "opening"),
    ("open", "qualification"),
    ("open", "unsuccessful"),
    ("open", "cancelled"),
    ("open", "draft"),
    ("selective", "prequalification.review"),
    ("limited", "complete"),
    ("open", "awarded"),
    ("open", "contract.amended"),
    ("selective", "complete"),
    ("negotiated", "complete"),
    ("limited", "qualification"),
    ("open", "contract.active"),
    ("selective", "unsuccessful"),
    ("negotiated", "unsuccessful"),
)

BID_COUNTS: Final = ((1, 28), (2, 24), (3, 19), (4, 13), (5, 8), (6, 5), (7, 3))  # noticeable single-bid share
JUSTIFICATIONS: Final = (
    ("extreme_urgency", "Urgent replacement of equipment lost in combat; no time for a competitive procedure."),
    ("exclusive_rights_or_technical_reasons", "Only the original manufacturer can supply compatible parts."),
    ("security_of_supply_or_classified", "The item is classified; suppliers with security clearance only."),
    ("additional_deliveries", "Additional deliveries by the original supplier to keep the fleet uniform."),
    ("no_suitable_tenders", "The previous open procedure received no suitable tenders."),
)
EUR_RATE: Final = Decimal(45)  # UAH per EUR, for estimates of imported items
CENT: Final = Decimal("0.01")


@dataclass
class ItemPlan:
    """A tender item."""

    template: ItemTemplate
    nsn: str | None
    quantity: Decimal
    unit_price: Decimal  # the buyer's estimate


@dataclass
class LotPlan:
    """A lot and its estimated value."""

    title: str
    items: list[ItemPlan]

    @property
    def value(self) -> Decimal:
        """Estimated value: sum of quantity x estimated unit price."""
        return sum((i.quantity * i.unit_price for i in self.items), Decimal(0)).quantize(CENT)


@dataclass
class BidderPlan:
    """One supplier's behaviour on a tender."""

    supplier: int
    factors: dict[int, Decimal]  # lot position -> price as a share of the lot's estimate
    compliant: dict[int, bool]
    score: Decimal
    abnormally_low: bool = False
    disqualify: bool = False  # the approver rejects the bid (abnormally low price not explained)
    qualifies: bool = True  # selective: the candidacy is accepted
    bids: bool = True  # selective: a qualified candidate may still not bid


@dataclass
class TenderPlan:
    """Everything decided about one tender before the simulation runs."""

    index: int
    procedure: str
    target: str
    buyer: int
    family: Family
    currency: str
    title: str
    award_criteria: str
    lots: list[LotPlan]
    bidders: list[BidderPlan] = field(default_factory=list)
    justification: tuple[str, str] | None = None
    questions: int = 0
    late_answer: bool = False
    seed: str = ""
    marking: str = "public"  # security marking of the process
    declassify_after_days: int | None = None  # classified processes that become public later

    @property
    def value(self) -> Decimal:
        """The tender's estimated value."""
        return sum((lot.value for lot in self.lots), Decimal(0))


def _stage(rng: random.Random, procedure: str) -> str:
    weights = STAGE_WEIGHTS[procedure]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _items(rng: random.Random, family: Family, currency: str, count: int) -> list[ItemPlan]:
    out = []
    for template in rng.sample(family.items, min(count, len(family.items))):
        price = Decimal(rng.randint(*template.price))
        if currency == "EUR":
            price = (price / EUR_RATE).quantize(CENT, rounding=ROUND_HALF_EVEN)
        nsn = make_nsn(rng, template.fsc) if template.fsc and rng.random() < 0.85 else None
        out.append(ItemPlan(template, nsn, round_quantity(rng, *template.quantity), price))
    return out


def _bidders(rng: random.Random, plan: TenderPlan, pool: list[int], n_suppliers: int) -> None:
    target, proc = plan.target, plan.procedure
    if proc == "limited":
        supplier = rng.choice(pool or range(n_suppliers))
        factor = Decimal(rng.uniform(0.93, 1.0)).quantize(CENT)
        plan.bidders = [BidderPlan(supplier, {0: factor}, {0: True}, Decimal(0))]
        return
    count = rng.choices([c for c, _ in BID_COUNTS], weights=[w for _, w in BID_COUNTS])[0]
    need = 2 if proc in ("selective", "negotiated") else 1
    fails_by_count = target == "unsuccessful" and rng.random() < 0.6
    count = need - 1 if fails_by_count else max(count, need)  # too few: open gets none, the others one
    extra = rng.randint(1, 2) if proc == "selective" else 0  # rejected candidates, or qualified non-bidders
    chosen = _pick_suppliers(rng, pool, n_suppliers, count + extra)
    mean = Decimal("0.99") - Decimal("0.025") * (len(chosen) - 1)
    for k, supplier in enumerate(chosen):
        lots = list(range(len(plan.lots)))
        if len(lots) > 1 and rng.random() < 0.3:
            lots = sorted(rng.sample(lots, rng.randint(1, len(lots) - 1)))
        low = rng.random() < 0.06
        factors = {
            lot: Decimal(
                rng.uniform(0.45, 0.62) if low else min(1.05, max(0.72, rng.gauss(float(mean), 0.06)))
            ).quantize(Decimal("0.0001"))
            for lot in lots
        }
        b = BidderPlan(
            supplier,
            factors,
            {lot: rng.random() > 0.08 for lot in lots},
            Decimal(rng.randint(55, 95)),
            abnormally_low=low,
            disqualify=low and rng.random() < 0.6,
        )
        if k >= count:  # the extra selective candidates: rejected, or qualified but not bidding
            b.qualifies, b.bids = rng.random() < 0.5, False
        plan.bidders.append(b)
    bidding = [b for b in plan.bidders if b.bids]
    if target == "unsuccessful" and not fails_by_count:
        for b in bidding:  # every offer fails evaluation
            b.compliant = dict.fromkeys(b.compliant, False)
    elif target != "unsuccessful":
        _ensure_lots_covered(plan, bidding, need)


def _pick_suppliers(rng: random.Random, pool: list[int], n_suppliers: int, count: int) -> list[int]:
    """Suppliers weighted towards the big ones (a few firms bid everywhere), specialists first."""
    candidates = pool if len(pool) >= count else list(range(n_suppliers))
    weights = [1 / (s + 3) ** 0.8 for s in candidates]
    chosen: list[int] = []
    while len(chosen) < min(count, len(candidates)):
        s = rng.choices(candidates, weights=weights)[0]
        if s not in chosen:
            chosen.append(s)
    return chosen


def _ensure_lots_covered(plan: TenderPlan, bidding: list[BidderPlan], need: int) -> None:
    """Every lot gets at least ``need`` offers and one that passes evaluation, so the plan can reach an award."""
    for lot in range(len(plan.lots)):
        offers = [b for b in bidding if lot in b.factors]
        for b in bidding:
            if len(offers) >= need:
                break
            if lot not in b.factors:
                b.factors[lot], b.compliant[lot] = Decimal("0.9500"), True
                offers.append(b)
        if not any(b.compliant[lot] and not b.disqualify for b in offers) and offers:
            offers[0].compliant[lot], offers[0].disqualify = True, False


def plan_tender(
    seed: int, index: int, n_buyers: int, n_suppliers: int, specialists: dict[str, list[int]]
) -> TenderPlan:
    """The plan of tender number ``index``."""
    rng = random.Random(f"{seed}:tender:{index}")
    if index < len(COVERAGE):
        procedure, target = COVERAGE[index]
    else:
        procedure = rng.choices(list(PROCEDURE_WEIGHTS), weights=list(PROCEDURE_WEIGHTS.values()))[0]
        target = _stage(rng, procedure)
    family = pick_family(rng)
    lead_imported = any(t.imported for t in family.items)
    currency = "EUR" if lead_imported and procedure != "limited" and rng.random() < 0.15 else "UAH"
    n_lots = 1 if procedure == "limited" or rng.random() < 0.78 else rng.randint(2, 3)
    lots = [LotPlan("", _items(rng, family, currency, 1 if rng.random() < 0.75 else 2)) for _ in range(n_lots)]
    for pos, lot in enumerate(lots):
        lot.title = lot.items[0].template.name if n_lots == 1 else f"Lot {pos + 1}: {lot.items[0].template.name}"
    lead = lots[0].items[0].template
    title = f"Supply of {lead.name[0].lower()}{lead.name[1:]}" if family.category == "goods" else lead.name
    if n_lots > 1:
        title = f"{title} and related items, {n_lots} lots"
    criteria = "ratedCriteria" if procedure != "limited" and rng.random() < 0.18 else "priceOnly"
    buyer = index % n_buyers if index < n_buyers else rng.randrange(n_buyers)
    if target == "draft" and rng.random() < 0.5:
        buyer = 0  # the first buyer's demo users see drafts of their own
    plan = TenderPlan(
        index=index,
        procedure=procedure,
        target=target,
        buyer=buyer,
        family=family,
        currency=currency,
        title=title,
        award_criteria=criteria,
        lots=lots,
        seed=f"{seed}:{index}",
    )
    if procedure == "limited":
        plan.justification = rng.choice(JUSTIFICATIONS)
    if procedure in ("open", "framework") and rng.random() < 0.35:
        plan.questions = rng.randint(1, 2)
        plan.late_answer = target in ("complete", "contract.active", "unsuccessful") and rng.random() < 0.25
    _bidders(rng, plan, specialists.get(family.name, []), n_suppliers)
    _classify(plan)
    return plan


def _classify(plan: TenderPlan) -> None:
    """Mark about one process in five; some classified ones are declassified after a while.

    A separate random stream (keyed by the plan's seed), so markings never shift the rest of the demo data.
    """
    rng = random.Random(f"{plan.seed}:marking")
    roll = rng.random()
    shares = (("secret", 0.03), ("confidential", 0.08), ("restricted", 0.2))  # cumulative shares of all processes
    plan.marking = next((marking for marking, below in shares if roll < below), "public")
    if plan.marking != "public" and rng.random() < 0.3:
        plan.declassify_after_days = rng.choice((30, 90, 180))


def specialisations(seed: int, n_suppliers: int, foreign: set[int]) -> dict[str, list[int]]:
    """Which suppliers serve which families: each supplier two or three, foreign ones the imported kinds."""
    rng = random.Random(f"{seed}:specialisations")
    out: dict[str, list[int]] = {f.name: [] for f in FAMILIES}
    imported = [f.name for f in FAMILIES if any(t.imported for t in f.items)]
    for s in range(n_suppliers):
        choices = imported if s in foreign else [f.name for f in FAMILIES]
        for name in {choices[s % len(choices)], *rng.sample(choices, min(2, len(choices)))}:
            out[name].append(s)
    for members in out.values():
        members.sort()
    return out
