"""Tender I/O: TenderCreate / TenderUpdate / TenderRead and the command bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quartermaster.schema_base import AwareDatetime, Input, LongText, MoneyIO, Output, ShortText
from quartermaster.types import MarkingName

Category = Literal["goods", "services", "works"]
Procedure = Literal["open", "selective", "negotiated", "limited", "framework", "framework.mini-competition"]
CpvCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8}-\d$")]


class ItemIn(Input):
    """One line of what is bought."""

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    cpv: CpvCode
    nsn: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3)]
    quantity: Decimal = Field(gt=0, le=Decimal("1e12"), max_digits=16, decimal_places=3)
    delivery_region: ShortText | None = None
    delivery_locality: ShortText | None = None
    delivery_address: ShortText | None = None
    delivery_date: date | None = None
    marking: MarkingName | None = Field(default=None, description="Security marking if higher than the lot's.")


# Award methods (docs/award-methods.md) and the best-value criteria a tender may weigh (the rulebook may allow fewer).
AwardMethod = Literal["lowest_price", "best_value", "price_per_quality_point"]
AwardWeights = Annotated[
    dict[
        Literal["price", "quality", "delivery", "life_cycle_cost"],
        Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)],
    ],
    Field(min_length=1),
]


class LotIn(Input):
    """A lot with its items."""

    title: ShortText
    description: LongText | None = None
    value: MoneyIO
    items: list[ItemIn] = Field(min_length=1, max_length=200)
    marking: MarkingName | None = Field(default=None, description="Security marking if higher than the tender's.")


class TenderCreate(Input):
    """A draft tender as the buyer prepares it."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    description: LongText | None = None
    procedure: Procedure
    category: Category
    award_criteria: Annotated[str, StringConstraints(max_length=32)] = "priceOnly"
    award_method: AwardMethod | None = Field(default=None, description="None: the default for award_criteria.")
    award_weights: AwardWeights | None = Field(default=None, description="best_value only; None: the rulebook's.")
    justification: Annotated[str, StringConstraints(max_length=48)] | None = None
    justification_details: LongText | None = None
    plan_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    framework_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    lots: list[LotIn] = Field(min_length=1, max_length=100)
    marking: MarkingName = Field(default="public", description="Security marking of the whole process.")
    declassify_on: date | None = Field(default=None, description="From this date the process is published in full.")


class TenderUpdate(Input):
    """Changes to a draft; omitted fields stay as they are, ``lots`` replaces all lots and items."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
    description: LongText | None = None
    category: Category | None = None
    award_criteria: Annotated[str, StringConstraints(max_length=32)] | None = None
    award_method: AwardMethod | None = None
    award_weights: AwardWeights | None = None
    justification: Annotated[str, StringConstraints(max_length=48)] | None = None
    justification_details: LongText | None = None
    lots: list[LotIn] | None = Field(default=None, min_length=1, max_length=100)
    marking: MarkingName | None = None
    declassify_on: date | None = None


class PublishTender(Input):
    """Periods chosen at publication; each must meet the rulebook's minimum."""

    prequalification_end: AwareDatetime | None = None
    enquiry_end: AwareDatetime | None = None
    tender_end: AwareDatetime | None = None


class InviteTenderers(Input):
    """End of the tender period for the shortlisted candidates."""

    tender_end: AwareDatetime


class CancelTender(Input):
    """Why the tender is cancelled."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class QuestionIn(Input):
    """A supplier's question."""

    title: ShortText
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    lot_id: Annotated[str, StringConstraints(max_length=32)] | None = None


class AnswerIn(Input):
    """The buyer's answer, published to all."""

    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class ItemRead(Output):
    """An item as returned."""

    id: str
    lot_id: str
    description: str
    cpv: str
    nsn: str | None
    unit: str
    quantity: Decimal
    delivery_region: str | None
    delivery_locality: str | None
    delivery_address: str | None
    delivery_date: date | None
    marking: str | None


class LotRead(Output):
    """A lot as returned."""

    id: str
    title: str
    description: str | None
    status: str
    value: MoneyIO
    marking: str | None


class EnquiryRead(Output):
    """A question and its answer."""

    id: str
    lot_id: str | None
    title: str
    description: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class TenderRead(Output):
    """A tender as returned, with the commands the caller's state allows."""

    id: str
    title: str
    description: str | None
    buyer_id: str
    procedure: str
    rulebook_version: str | None
    status: str
    category: str
    value: MoneyIO
    award_criteria: str
    award_method: str | None
    award_weights: dict[str, Decimal] | None
    justification: str | None
    justification_details: str | None
    plan_id: str | None
    framework_id: str | None
    prequalification_end: datetime | None
    enquiry_end: datetime | None
    tender_start: datetime | None
    tender_end: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    marking: str
    declassify_on: date | None
    lots: list[LotRead]
    items: list[ItemRead]
    allowed_commands: list[str]


class PeriodsRead(Output):
    """The earliest ends the rulebook allows for a procedure published at ``start``."""

    procedure: str
    rulebook_version: str
    start: datetime
    prequalification_end: datetime | None
    enquiry_end: datetime | None
    tender_end: datetime | None
    standstill_days: int | None
    min_bids: int
    award_criteria: list[str]
    justifications: list[str]


def lot_read(lot: Any) -> LotRead:
    """LotRead from a Lot row."""
    return LotRead(
        id=lot.id,
        title=lot.title,
        description=lot.description,
        status=lot.status,
        value=MoneyIO.of(lot.value_amount, lot.currency),
        marking=lot.marking,
    )


def tender_read(tender: Any, allowed: list[str]) -> TenderRead:
    """TenderRead from a Tender row."""
    return TenderRead(
        id=tender.id,
        title=tender.title,
        description=tender.description,
        buyer_id=tender.buyer_id,
        procedure=tender.procedure,
        rulebook_version=tender.rulebook_version,
        status=tender.status,
        category=tender.category,
        value=MoneyIO.of(tender.value_amount, tender.currency),
        award_criteria=tender.award_criteria,
        award_method=tender.award_method,
        award_weights=tender.award_weights,
        justification=tender.justification,
        justification_details=tender.justification_details,
        plan_id=tender.plan_id,
        framework_id=tender.framework_id,
        prequalification_end=tender.prequalification_end,
        enquiry_end=tender.enquiry_end,
        tender_start=tender.tender_start,
        tender_end=tender.tender_end,
        published_at=tender.published_at,
        created_at=tender.created_at,
        updated_at=tender.updated_at,
        version=tender.version,
        marking=tender.marking,
        declassify_on=tender.declassify_on,
        lots=[lot_read(lot) for lot in tender.lots],
        items=[ItemRead.model_validate(i) for i in tender.items],
        allowed_commands=allowed,
    )
