"""Who acts: an authenticated person or the platform's own scheduler. Passed explicitly into every command."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user may do; one role per account (a person with two roles holds two accounts)."""

    BUYER = "buyer"  # prepares plans, tenders, answers questions, manages deliveries
    APPROVER = "approver"  # publishes, awards, signs; never on a tender they prepared
    EVALUATOR = "evaluator"  # opens bids and evaluates them
    SUPPLIER = "supplier"  # bids, signs its contracts, reports deliveries
    AUDITOR = "auditor"  # reads everything, including events
    ADMIN = "admin"  # manages users and organizations; no procurement powers
    REVIEWER = "reviewer"  # a member of the review body: admits and decides complaints it is cleared for
    SYSTEM = "system"  # the scheduler applying period ends


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of a command."""

    user_id: str
    name: str
    role: Role
    organization_id: str | None
    clearance: str = "public"  # the highest security marking the caller may read (types.MARKINGS)

    @property
    def is_system(self) -> bool:
        """True for the platform's scheduler."""
        return self.role is Role.SYSTEM


SCHEDULER = Actor(user_id="system:scheduler", name="Quartermaster scheduler", role=Role.SYSTEM, organization_id=None)
