"""Committee and opening-key I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from quartermaster.schema_base import Input, Output

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class MemberIn(Input):
    """One person named to the committee."""

    user_id: UserId
    role: Literal["chair", "member"] = "member"


class CommitteeIn(Input):
    """The committee of a draft tender: its members (one chair) and k, the shares needed to open the bids."""

    members: list[MemberIn] = Field(min_length=1, max_length=50)
    threshold: int = Field(ge=1, le=50, description="k: how many members must release their shares to open the bids")


class MemberRead(Output):
    """A committee member."""

    user_id: str
    role: str
    custody_key_id: str
    recused_at: datetime | None
    recusal_reason: str | None


class CommitteeRead(Output):
    """A tender's evaluation committee."""

    tender_id: str
    threshold: int
    appointed_by: str
    appointed_at: datetime
    members: list[MemberRead]


class OpeningKeyRead(Output):
    """A tender's opening key: the public half suppliers seal to; the private half appears once the bids are open."""

    tender_id: str
    mode: str = Field(description="threshold: the committee's k-of-n shares; platform: a platform-held key")
    public_key: str = Field(description="X25519, 32 bytes, unpadded base64url")
    threshold: int | None
    shares: int | None
    shares_released: int
    issued_at: datetime
    released_private_key: str | None = Field(description="Published with the opening record, so anyone can re-open")
    opened_at: datetime | None


class MyShareRead(Output):
    """The caller's share of the opening key, sealed to their custody key (open it on your own machine)."""

    tender_id: str
    index: int
    sealed_share: str
    released_at: datetime | None


class ShareRelease(Input):
    """A member's clear share (the canonical quartermaster.key-share JSON), released once bidding has closed."""

    share: Annotated[str, StringConstraints(min_length=2, max_length=2000)]


class OpenedValue(Output):
    """A price as opened."""

    lot_id: str
    amount: str
    currency: str


class OpenedDocumentRecord(Output):
    """A sealed bid document at the opening: the sealed version (``sha256`` as its upload logged it, the log's
    ``sealed-document`` entry; ``url`` serves the bytes stored now) and the version it opened to (None: not opened,
    the bid being invalid)."""

    document_key: str
    sealed_document_id: str
    sha256: str
    url: str
    opened_document_id: str | None
    opened_sha256: str | None


class OpenedBid(Output):
    """One sealed bid as the opening found it: its envelope, commitment, and prices or the reason it is invalid."""

    bid_id: str
    supplier_id: str
    commitment: str
    envelope: str
    sealed_lots: list[str]
    status: str
    status_reason: str | None
    values: list[OpenedValue]
    documents: list[OpenedDocumentRecord] = Field(default_factory=list)


class OpeningRecord(Output):
    """The opening record: the published private key and every sealed bid, so anyone can re-open and compare.

    ``quartermaster verify --opening <tender id>`` re-opens every envelope with ``private_key``, checks each
    commitment against the log's sealed-bid entries and the prices (or the invalidity) against this record, and
    each sealed document it can read against the log's sealed-document entries and the hash it opened to.
    """

    tender_id: str
    currency: str
    mode: str
    public_key: str
    private_key: str
    opened_at: datetime
    bids: list[OpenedBid]


class Recusal(Input):
    """Why a member steps down."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]


NationalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=40)]


class PersonDeclared(Input):
    """An owner, beneficial owner or director of a supplier (the identifier is kept only as a keyed digest)."""

    role: Literal["owner", "beneficial_owner", "director"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    national_id: NationalId = Field(description="RNOKPP (Ukraine) or the national identifier of another country")


class PeopleIn(Input):
    """A supplier's owners and directors (replaces the previous declaration)."""

    people: list[PersonDeclared] = Field(max_length=100)


class PersonRead(Output):
    """A declared person, without their identifier."""

    role: str
    name: str
    declared_at: datetime


class EmploymentDeclared(Input):
    """A past employer registered on the platform."""

    organization_id: UserId
    from_year: int = Field(ge=1950, le=2100)
    to_year: int | None = Field(default=None, ge=1950, le=2100)


class InterestsIn(Input):
    """What a person who may sit on committees declares about themself."""

    national_id: NationalId
    past_employers: list[EmploymentDeclared] = Field(default_factory=list, max_length=50)


class InterestsRead(Output):
    """A person's declared interests (the identifier never comes back)."""

    user_id: str
    past_employers: list[dict[str, object]]
    declared_at: datetime


class BidderForMember(Output):
    """A bidder, as a member sees it before declaring: who it is and what the platform knows ties them."""

    supplier_id: str
    name: str
    links: list[str]
    declared: bool
    conflict: bool | None


class DeclarationItem(Input):
    """A member's declaration about one bidder."""

    supplier_id: UserId
    conflict: bool
    justification: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None


class DeclarationsIn(Input):
    """Declarations about one or more bidders (each bidder once)."""

    declarations: list[DeclarationItem] = Field(min_length=1, max_length=500)


class DeclarationRead(Output):
    """A recorded declaration."""

    member_id: str
    supplier_id: str
    conflict: bool
    justification: str | None
    links: list[str]
    declared_at: datetime


class PeopleRead(Output):
    """A supplier's declared people."""

    people: list[PersonRead]


class DeclarationsRead(Output):
    """Recorded declarations."""

    declarations: list[DeclarationRead]


class ScoreItem(Input):
    """A member's assessment of one bid: technical compliance, and the findings the award method weighs (quality;
    best value may also weigh delivery days and life-cycle cost)."""

    bid_id: UserId
    compliant: bool
    quality: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2)
    delivery_days: int | None = Field(
        default=None, ge=1, le=3650, description="Delivery time the offer commits to, where best value weighs it."
    )
    life_cycle_cost: Decimal | None = Field(
        default=None, gt=0, max_digits=18, decimal_places=2, description="The offer's cost over the equipment's life."
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None


class ScoresIn(Input):
    """Assessments of one or more opened bids of a lot (each bid once; final)."""

    scores: list[ScoreItem] = Field(min_length=1, max_length=500)


class ScoreRead(Output):
    """An assessment as shown (to its member before consolidation, to the committee's readers after)."""

    member_id: str
    bid_id: str
    compliant: bool
    quality: Decimal | None
    delivery_days: int | None
    life_cycle_cost: Decimal | None
    note: str | None
    scored_at: datetime


class ConsolidationRead(Output):
    """The committee's consolidated assessment of a lot."""

    tender_id: str
    lot_id: str
    consolidated_by: str
    consolidated_at: datetime
    results: list[dict[str, object]]


class AssessmentsRead(Output):
    """A lot's assessments visible to the caller, and its consolidation once done."""

    scores: list[ScoreRead]
    consolidation: ConsolidationRead | None
