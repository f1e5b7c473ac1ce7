"""The inputs of the mapping: one contracting process's rows, already loaded, and the change a release records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid
from quartermaster.contracts.models import Amendment, Contract, Delivery, Payment
from quartermaster.frameworks.models import Framework
from quartermaster.identity.models import Organization
from quartermaster.plans.models import Plan
from quartermaster.tenders.models import Enquiry, Item, Tender


@dataclass(frozen=True)
class Process:
    """Everything the mapping reads about one tender's contracting process; the caller loads it (no queries here).

    ``organizations`` must hold every organization referred to (buyer, bidders, suppliers). ``items`` are the
    tender's items (``Tender.items`` is lazy, so they are passed in). ``parent_framework`` is set when the tender
    is a mini-competition under a framework agreement.
    """

    tender: Tender
    organizations: Mapping[str, Organization]
    items: Sequence[Item] = ()
    enquiries: Sequence[Enquiry] = ()
    bids: Sequence[Bid] = ()
    awards: Sequence[Award] = ()
    contracts: Sequence[Contract] = ()
    amendments: Sequence[Amendment] = ()
    deliveries: Sequence[Delivery] = ()
    payments: Sequence[Payment] = ()
    plan: Plan | None = None
    parent_framework: Framework | None = None

    def org(self, org_id: str) -> Organization:
        """An organization of this process; KeyError names the missing id."""
        try:
            return self.organizations[org_id]
        except KeyError:
            raise KeyError(f"organization {org_id} was not loaded for tender {self.tender.id}") from None


@dataclass(frozen=True)
class Change:
    """One public change: its sequence number in the publisher's log, its effective time and its event types.

    Several events written by one command (an award: AwardMade, LotAwarded, TenderAwarded) may form one change;
    its release carries the union of their tags.
    """

    seq: int
    occurred_at: datetime
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class Naming:
    """Publisher settings and optional code-list names used in releases."""

    ocid_prefix: str
    cpv_names: Mapping[str, str] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)
    language: str = "en"

    def ocid(self, tender_id: str) -> str:
        """The contracting process's Open Contracting ID."""
        return f"{self.ocid_prefix}-{tender_id}"


# Event type -> OCDS release tags (releaseTag codelist, closed). An event type absent from this table is not a
# public change: drafts (TenderCreated, TenderUpdated), sealed bids (BidSubmitted, BidAmended, BidWithdrawn),
# evaluation notes (BidEvaluated), candidacies, documents (not mapped yet) and framework bookkeeping.
RELEASE_TAGS: Mapping[str, tuple[str, ...]] = {
    "TenderPublished": ("tender",),
    "PrequalificationEnded": ("tenderUpdate",),
    "TenderersInvited": ("tenderUpdate",),
    "EnquiryPeriodEnded": ("tenderUpdate",),
    "QuestionAsked": ("tenderUpdate",),
    "QuestionAnswered": ("tenderUpdate",),
    "TenderPeriodEnded": ("tenderUpdate",),
    "BidOpened": ("tenderUpdate",),
    "BidsOpened": ("tenderUpdate",),
    "BidRevised": ("tenderUpdate",),
    "BidDisqualified": ("tenderUpdate",),
    "NegotiationClosed": ("tenderUpdate",),
    "LotDeclaredUnsuccessful": ("tenderUpdate",),
    "LotCancelled": ("tenderUpdate",),
    "LotCompleted": ("tenderUpdate",),
    "TenderUnsuccessful": ("tenderUpdate",),
    "TenderCompleted": ("tenderUpdate",),
    "TenderCancelled": ("tenderCancellation",),
    "AwardMade": ("award",),
    "LotAwarded": ("award",),
    "TenderAwarded": ("award",),
    "AwardCancelled": ("awardCancellation",),
    "LotReopened": ("awardUpdate",),
    "QualificationReopened": ("awardUpdate",),
    "FrameworkConcluded": ("awardUpdate",),
    "ContractCreated": ("contract",),
    "ContractUnitPricesSet": ("contractUpdate",),
    "ContractSigned": ("contractUpdate",),
    "ContractCancelled": ("contractUpdate",),
    "ContractAmended": ("contractAmendment",),
    "DeliveryRecorded": ("implementation",),
    "DeliveryAccepted": ("implementationUpdate",),
    "DeliveryRejected": ("implementationUpdate",),
    "PaymentRecorded": ("implementation",),
    "ContractCompleted": ("contractTermination",),
    "ContractTerminated": ("contractTermination",),
    # A scheduled re-publication: the disclosure policy now publishes more of the process than before.
    "DisclosureWidened": ("tenderUpdate",),
}


def release_tags(*event_types: str) -> tuple[str, ...] | None:
    """The release tags of a change (in order, without repeats), or None when none of its events is public."""
    tags = [tag for event_type in event_types for tag in RELEASE_TAGS.get(event_type, ())]
    return tuple(dict.fromkeys(tags)) or None
