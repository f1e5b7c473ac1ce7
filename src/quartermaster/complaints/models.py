"""Complaint rows and their state machine: claims answered by the buyer, complaints decided by the review body.

A claim goes to the buyer, who answers it (resolved: the buyer agrees; declined). A complaint goes to the review
body: admitted (accepted) or not (rejected), then decided (satisfied or declined); a satisfied complaint obliges the
buyer to correct its decision and is resolved only once the correction is made. The complainant may withdraw
(stopped) until a decision. Prozorro's draft step is left out: filing is the submission.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.actors import Role
from quartermaster.db.base import Base, new_id
from quartermaster.statemachine import StateMachine, t

B, A, S, R = Role.BUYER, Role.APPROVER, Role.SUPPLIER, Role.REVIEWER

CLAIM, COMPLAINT = "claim", "complaint"
KINDS = (CLAIM, COMPLAINT)

# What a complaint is against: the tender's conditions, an award, or the disqualification of the complainant's bid.
AGAINST_TENDER, AGAINST_AWARD, AGAINST_DISQUALIFICATION = "tender", "award", "disqualification"
AGAINSTS = (AGAINST_TENDER, AGAINST_AWARD, AGAINST_DISQUALIFICATION)

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
SATISFIED, DECLINED, STOPPED, RESOLVED = "satisfied", "declined", "stopped", "resolved"

# States in which a complaint still holds up the contract (Prozorro refuses activation while a complaint is in
# claim/answered/pending/accepted/satisfied): until decided against, withdrawn, or the correction is made.
UNRESOLVED = (PENDING, ACCEPTED, SATISFIED)

# The correction a satisfied complaint requires, per what it is against (checked on resolve, never trusted).
CORRECTIONS = {
    AGAINST_TENDER: "cancel_tender",  # published conditions cannot be amended: the tender is cancelled
    AGAINST_AWARD: "cancel_award",  # the award (or the whole tender) is cancelled and the lot re-decided
    AGAINST_DISQUALIFICATION: "reinstate_bid",  # the bid is no longer disqualified (or the tender is cancelled)
}

COMPLAINT_MACHINE = StateMachine(
    "complaint",
    ("none", PENDING, ACCEPTED, REJECTED, SATISFIED, DECLINED, STOPPED, RESOLVED),
    [
        t("file_complaint", ["none"], [PENDING], "ComplaintFiled", S),
        t("answer_claim", [PENDING], [RESOLVED, DECLINED], "ClaimAnswered", B, A),
        t("accept_complaint", [PENDING], [ACCEPTED], "ComplaintAccepted", R),
        t("reject_complaint", [PENDING], [REJECTED], "ComplaintRejected", R),
        t("decide_complaint", [ACCEPTED], [SATISFIED, DECLINED], "ComplaintDecided", R),
        t("withdraw_complaint", [PENDING, ACCEPTED], [STOPPED], "ComplaintWithdrawn", S),
        t("resolve_complaint", [SATISFIED], [RESOLVED], "ComplaintResolved", B, A),
    ],
)

# Which commands apply to which kind: the buyer answers claims, the review body hears complaints.
CLAIM_COMMANDS = frozenset({"file_complaint", "answer_claim", "withdraw_complaint"})
COMPLAINT_COMMANDS = frozenset(COMPLAINT_MACHINE.transitions) - {"answer_claim"}


class Complaint(Base):
    """A claim or complaint by a supplier against a tender's conditions, an award, or its bid's disqualification.

    ``marking`` is the process's marking when filed: a complaint about a classified process is itself classified.
    Texts live only here; the events that record each step carry their SHA-256 digests, never the texts.
    """

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_tender_status", "tender_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"))
    kind: Mapped[str] = mapped_column(String(16))
    against: Mapped[str] = mapped_column(String(24))
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id"), index=True)
    bid_id: Mapped[str | None] = mapped_column(ForeignKey("bids.id"))
    complainant_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(32))
    filed_at: Mapped[datetime]
    window_end: Mapped[datetime | None]  # the end of the window it was filed in
    marking: Mapped[str] = mapped_column(String(16), default="public")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)  # the buyer's answer to a claim
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    admissibility_reason: Mapped[str | None] = mapped_column(Text)  # why the review body accepted or rejected it
    admitted_by: Mapped[str | None] = mapped_column(String(32))
    admitted_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    required_action: Mapped[str | None] = mapped_column(String(24))  # CORRECTIONS[against] once satisfied
    correction: Mapped[str | None] = mapped_column(Text)  # what the review body orders the buyer to correct
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)  # how the buyer carried out the decision
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def unresolved(self) -> bool:
        """Whether the complaint still holds up the contracts it concerns."""
        return self.status in UNRESOLVED
