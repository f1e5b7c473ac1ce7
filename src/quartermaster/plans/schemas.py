"""Plan I/O: PlanCreate / PlanUpdate / PlanRead and the command bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from quartermaster.schema_base import AwareDatetime, Input, LongText, MoneyIO, Output

Category = Literal["goods", "services", "works"]
CpvCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8}-\d$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
BudgetLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
BudgetSource = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ProcedureName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class PlanItemIn(Input):
    """One line of what is planned: CPV code, description, UN/CEFACT unit and quantity."""

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    cpv: CpvCode
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3)]
    quantity: Decimal = Field(gt=0, le=Decimal("1e12"), max_digits=16, decimal_places=3)


class PlanCreate(Input):
    """A draft plan as the buyer prepares it; ``cpv_main`` defaults to the first item's code."""

    title: Title
    description: LongText | None = None
    year: Year
    budget_line: BudgetLine
    budget_source: BudgetSource | None = None
    procedure: ProcedureName
    category: Category
    value: MoneyIO
    cpv_main: CpvCode | None = None
    items: list[PlanItemIn] = Field(min_length=1, max_length=200)
    tender_start: AwareDatetime | None = None


class PlanUpdate(Input):
    """Changes to a draft plan; omitted fields stay as they are, ``items`` replaces all items."""

    title: Title | None = None
    description: LongText | None = None
    year: Year | None = None
    budget_line: BudgetLine | None = None
    budget_source: BudgetSource | None = None
    procedure: ProcedureName | None = None
    category: Category | None = None
    value: MoneyIO | None = None
    cpv_main: CpvCode | None = None
    items: list[PlanItemIn] | None = Field(default=None, min_length=1, max_length=200)
    tender_start: AwareDatetime | None = None


class CancelPlan(Input):
    """Why the plan is cancelled."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class PlanItemRead(Output):
    """A planned item as returned."""

    description: str
    cpv: str
    unit: str
    quantity: Decimal


class PlanRead(Output):
    """A plan as returned, with the commands its state allows."""

    id: str
    buyer_id: str
    year: int
    title: str
    description: str | None
    budget_line: str
    budget_source: str | None
    procedure: str
    category: str
    value: MoneyIO
    cpv_main: str
    items: list[PlanItemRead]
    tender_start: datetime | None
    status: str
    status_reason: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    allowed_commands: list[str]


def plan_read(plan: Any, allowed: list[str]) -> PlanRead:
    """PlanRead from a Plan row."""
    return PlanRead(
        id=plan.id,
        buyer_id=plan.buyer_id,
        year=plan.year,
        title=plan.title,
        description=plan.description,
        budget_line=plan.budget_line,
        budget_source=plan.budget_source,
        procedure=plan.procedure,
        category=plan.category,
        value=MoneyIO.of(plan.value_amount, plan.currency),
        cpv_main=plan.cpv_main,
        items=[PlanItemRead.model_validate(i) for i in plan.items],
        tender_start=plan.tender_start,
        status=plan.status,
        status_reason=plan.status_reason,
        published_at=plan.published_at,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        version=plan.version,
        allowed_commands=allowed,
    )
