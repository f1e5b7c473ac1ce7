"""An evaluation committee per tender, its members, the tender's opening key and the members' sealed shares of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quartermaster.db.base import Base, new_id

CHAIR, MEMBER = "chair", "member"
THRESHOLD, PLATFORM = "threshold", "platform"


class Committee(Base):
    """The evaluation committee of one tender: who holds the opening key's shares and how many open it (k)."""

    __tablename__ = "committees"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), unique=True)
    threshold: Mapped[int] = mapped_column(Integer)  # k: shares needed to open the bids; also the quorum
    appointed_by: Mapped[str] = mapped_column(String(32))
    appointed_at: Mapped[datetime]

    members: Mapped[list[CommitteeMember]] = relationship(
        back_populates="committee", cascade="all, delete-orphan", lazy="selectin", order_by="CommitteeMember.position"
    )

    def active_members(self) -> list[CommitteeMember]:
        """Members who have not recused themselves."""
        return [m for m in self.members if m.recused_at is None]


class CommitteeMember(Base):
    """One member: a person of the buyer's organization with an enrolled custody key."""

    __tablename__ = "committee_members"
    __table_args__ = (Index("ix_committee_members_committee_user", "committee_id", "user_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    committee_id: Mapped[str] = mapped_column(ForeignKey("committees.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)  # chair | member
    custody_key_id: Mapped[str] = mapped_column(ForeignKey("person_keys.id"))  # the key their share is sealed to
    recused_at: Mapped[datetime | None]
    recusal_reason: Mapped[str | None] = mapped_column(Text)

    committee: Mapped[Committee] = relationship(back_populates="members")


class OpeningKey(Base):
    """A tender's X25519 opening key: the public half for suppliers; the private half never stored in the clear.

    ``threshold`` mode: split k-of-n, each share sealed to one member (``KeyShare``); ``platform`` mode: the private
    half wrapped (AES-256-GCM) under the platform's opening-key vault key, which lives outside the database. Once the
    bids are open the private key is published (``released_private_key``) so anyone can re-open and check them.
    """

    __tablename__ = "opening_keys"

    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))  # unpadded base64url
    threshold: Mapped[int | None] = mapped_column(Integer)
    shares: Mapped[int | None] = mapped_column(Integer)
    wrapped_private_key: Mapped[str | None] = mapped_column(String(200))  # platform mode only
    issued_at: Mapped[datetime]
    released_private_key: Mapped[str | None] = mapped_column(String(64))  # after opening
    opened_at: Mapped[datetime | None]


class KeyShare(Base):
    """One member's share of a tender's opening key, sealed to their custody key; released in the clear at opening."""

    __tablename__ = "opening_key_shares"
    __table_args__ = (Index("ix_opening_key_shares_tender_member", "tender_id", "member_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("opening_keys.tender_id"), index=True)
    member_id: Mapped[str] = mapped_column(String(32))  # the member's user id
    index: Mapped[int] = mapped_column(Integer)
    sealed_share: Mapped[str] = mapped_column(Text)  # canonical quartermaster.sealed-share envelope
    released_share: Mapped[str | None] = mapped_column(Text)  # the clear share, accepted only once bidding has closed
    released_at: Mapped[datetime | None]


class OrganizationPerson(Base):
    """An owner, beneficial owner or director a supplier declares, for the committee's conflict-of-interest checks.

    The person's national identifier is kept only as a keyed digest (``OpeningKeyVault.identifier_digest``): enough
    to match the same person declared by a committee member, useless to anyone holding only a database dump.
    """

    __tablename__ = "organization_people"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))  # owner | beneficial_owner | director
    name: Mapped[str] = mapped_column(String(200))
    identifier_digest: Mapped[str] = mapped_column(String(64), index=True)
    declared_at: Mapped[datetime]


class MemberInterests(Base):
    """What a (prospective) committee member declares about themself: their identifier digest and past employers."""

    __tablename__ = "member_interests"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    identifier_digest: Mapped[str] = mapped_column(String(64), index=True)
    past_employers: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)  # organization_id, from, to
    declared_at: Mapped[datetime]


class ConflictDeclaration(Base):
    """A member's declaration about one bidder of one tender, made before they take part in the opening."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (
        Index("ix_conflict_declarations_tender_member_supplier", "tender_id", "member_id", "supplier_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    conflict: Mapped[bool] = mapped_column(Boolean)
    justification: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)  # what the platform knew when it was declared
    declared_at: Mapped[datetime]


class MemberScore(Base):
    """One member's independent assessment of one bid on one lot, sealed from the other members until consolidation."""

    __tablename__ = "member_scores"
    __table_args__ = (Index("ix_member_scores_bid_lot_member", "bid_id", "lot_id", "member_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    bid_id: Mapped[str] = mapped_column(ForeignKey("bids.id"))
    member_id: Mapped[str] = mapped_column(String(32))
    compliant: Mapped[bool] = mapped_column(Boolean)
    quality: Mapped[Decimal | None]  # 0-100 where the award method weighs quality; None otherwise
    delivery_days: Mapped[int | None] = mapped_column(Integer)  # the delivery time the offer commits to, as read
    life_cycle_cost: Mapped[Decimal | None]  # the offer's cost over the equipment's life, tender currency, as read
    note: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime]


class Consolidation(Base):
    """The committee's consolidated assessment of a lot: majority compliance and the median of each finding (quality,
    delivery days, life-cycle cost) per bid. It is the lot's evaluation of record: the award ranks by it."""

    __tablename__ = "consolidations"
    __table_args__ = (Index("ix_consolidations_tender_lot", "tender_id", "lot_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tender_id: Mapped[str] = mapped_column(ForeignKey("tenders.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"))
    consolidated_by: Mapped[str] = mapped_column(String(32))
    consolidated_at: Mapped[datetime]
    results: Mapped[list[dict[str, object]]] = mapped_column(JSON)
