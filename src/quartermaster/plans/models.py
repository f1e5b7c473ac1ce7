"""Plan rows and the plan state machine."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.actors import Role
from quartermaster.db.base import Base, new_id
from quartermaster.statemachine import StateMachine, t

PLAN_DRAFT, PLAN_PUBLISHED, PLAN_COMPLETE, PLAN_CANCELLED = "draft", "published", "complete", "cancelled"

PLAN_MACHINE = StateMachine(
    "plan",
    (PLAN_DRAFT, PLAN_PUBLISHED, PLAN_COMPLETE, PLAN_CANCELLED),
    [
        t("update_plan", [PLAN_DRAFT], [PLAN_DRAFT], "PlanUpdated", Role.BUYER),
        t("publish_plan", [PLAN_DRAFT], [PLAN_PUBLISHED], "PlanPublished", Role.APPROVER),
        t("complete_plan", [PLAN_PUBLISHED], [PLAN_COMPLETE], "PlanCompleted", Role.APPROVER, Role.SYSTEM),
        t("cancel_plan", [PLAN_DRAFT, PLAN_PUBLISHED], [PLAN_CANCELLED], "PlanCancelled", Role.APPROVER),
    ],
)


class Plan(Base):
    """A planned purchase: year, budget line, items, planned procedure and estimated value."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    budget_line: Mapped[str] = mapped_column(String(120))  # e.g. KPKVK 2101020 (budget programme code)
    budget_source: Mapped[str | None] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    value_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    cpv_main: Mapped[str] = mapped_column(String(10), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    tender_start: Mapped[datetime | None]  # planned start of the procedure
    status: Mapped[str] = mapped_column(String(16), default=PLAN_DRAFT)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    published_by: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None]  # set once; a plan is public from then on, even when cancelled later
    status_reason: Mapped[str | None] = mapped_column(Text)  # why it was cancelled
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_published(self) -> bool:
        """True once an approver has published the plan (cancelling it later does not hide it again)."""
        return self.published_at is not None
