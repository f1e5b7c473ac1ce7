"""Complaint I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import StringConstraints, model_validator

from quartermaster.schema_base import Input, Output, ShortText

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class ComplaintCreate(Input):
    """A claim (to the buyer) or complaint (to the review body) against the tender, an award or a disqualification.

    ``award_id`` names the award of an award complaint; ``bid_id`` the complainant's own disqualified bid.
    """

    kind: Literal["claim", "complaint"]
    against: Literal["tender", "award", "disqualification"]
    award_id: Id | None = None
    bid_id: Id | None = None
    title: ShortText
    description: Text

    @model_validator(mode="after")
    def _target_matches(self) -> Self:
        if (self.against == "award") != (self.award_id is not None):
            raise ValueError("award_id is required for a complaint against an award, and only then")
        if (self.against == "disqualification") != (self.bid_id is not None):
            raise ValueError("bid_id is required for a complaint against a disqualification, and only then")
        return self


class ClaimAnswer(Input):
    """The buyer's answer to a claim: it agrees (resolved) or declines, with its reasons."""

    resolution: Literal["resolved", "declined"]
    answer: Text


class Admissibility(Input):
    """The review body's reason for accepting a complaint for review, or rejecting it as inadmissible."""

    reason: Text


class ComplaintDecision(Input):
    """The review body's decision on an accepted complaint; a satisfied one says what the buyer must correct."""

    outcome: Literal["satisfied", "declined"]
    reason: Text
    correction: Text | None = None

    @model_validator(mode="after")
    def _correction_when_satisfied(self) -> Self:
        if (self.outcome == "satisfied") != (self.correction is not None):
            raise ValueError("correction is required when the complaint is satisfied, and only then")
        return self


class Withdrawal(Input):
    """The complainant withdraws its claim or complaint."""

    reason: Text


class Resolution(Input):
    """The buyer reports how it carried out a satisfied complaint's decision."""

    resolution: Text


class ComplaintRead(Output):
    """A complaint as returned to those who may read it."""

    id: str
    tender_id: str
    kind: str
    against: str
    award_id: str | None
    bid_id: str | None
    complainant_id: str
    filed_by: str
    filed_at: datetime
    window_end: datetime | None
    marking: str
    status: str
    title: str
    description: str
    answer: str | None
    answered_at: datetime | None
    admissibility_reason: str | None
    admitted_at: datetime | None
    decision_reason: str | None
    decided_at: datetime | None
    required_action: str | None
    correction: str | None
    withdrawal_reason: str | None
    resolution: str | None
    resolved_at: datetime | None
    version: int
