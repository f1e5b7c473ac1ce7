"""Conflicts of interest: suppliers declare their owners and directors, members declare themselves and their past
employers, and before a member takes part in an opening they declare, bidder by bidder, whether they have a conflict
— checked against what the platform knows.

What the platform knows, for a member and a bidder (``links``):

* ``employed``: the bidder is one of the member's declared past employers;
* ``owner_or_director``: the member's identifier matches an owner, beneficial owner or director the bidder declared;
* ``shared_address``: the bidder is registered at the address of one of the member's past employers.

A member who declares no conflict where a link exists must say why (``justification``); the links and the
justification's digest go into the log, so overseers see every such call. A declared conflict recuses the member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.committees import service
from quartermaster.committees.models import (
    ConflictDeclaration,
    MemberInterests,
    OrganizationPerson,
)
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.errors import Conflict, PermissionDenied, ValidationFailed
from quartermaster.events.service import payload_hash, record_event
from quartermaster.identity.models import Organization

PERSON_ROLES = ("owner", "beneficial_owner", "director")
EMPLOYED, OWNER_OR_DIRECTOR, SHARED_ADDRESS = "employed", "owner_or_director", "shared_address"


@dataclass(frozen=True)
class PersonIn:
    """An owner, beneficial owner or director as a supplier declares them."""

    role: str
    name: str
    national_id: str


def declare_people(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    organization_id: str,
    people: Sequence[PersonIn],
    vault: OpeningKeyVault,
) -> list[OrganizationPerson]:
    """A supplier (re)declares its owners, beneficial owners and directors; replaces the previous declaration."""
    if actor.role is not Role.SUPPLIER or actor.organization_id != organization_id:
        raise PermissionDenied("a supplier declares its own owners and directors", code="interests.not_yours")
    bad = [
        {"field": f"people.{i}.role", "message": f"one of {', '.join(PERSON_ROLES)}"}
        for i, p in enumerate(people)
        if p.role not in PERSON_ROLES
    ]
    if bad:
        raise ValidationFailed("unknown roles", errors=bad, code="interests.invalid")
    session.execute(delete(OrganizationPerson).where(OrganizationPerson.organization_id == organization_id))
    rows = [
        OrganizationPerson(
            organization_id=organization_id,
            role=p.role,
            name=p.name,
            identifier_digest=vault.identifier_digest(p.national_id),
            declared_at=now,
        )
        for p in people
    ]
    session.add_all(rows)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="declare_people",
        event_type="OrganizationPeopleDeclared",
        object_type="organization",
        object_id=organization_id,
        process_id=None,
        before=None,
        after=None,
        payload={"roles": sorted(p.role for p in people)},
    )
    return rows


@dataclass(frozen=True)
class EmploymentIn:
    """A past employer: an organization registered on the platform, and the years."""

    organization_id: str
    from_year: int
    to_year: int | None = None


def declare_interests(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    national_id: str,
    past_employers: Sequence[EmploymentIn],
    vault: OpeningKeyVault,
) -> MemberInterests:
    """A person who may sit on committees declares their identifier and past employers (replacing the last one)."""
    if actor.role not in (Role.BUYER, Role.APPROVER, Role.EVALUATOR):
        raise PermissionDenied("only buyer staff sit on committees", code="interests.not_staff")
    errors = []
    for i, job in enumerate(past_employers):
        if session.get(Organization, job.organization_id) is None:
            errors.append({"field": f"past_employers.{i}.organization_id", "message": "no such organization"})
        if job.to_year is not None and job.to_year < job.from_year:
            errors.append({"field": f"past_employers.{i}.to_year", "message": "before from_year"})
    if errors:
        raise ValidationFailed("the declaration is invalid", errors=errors, code="interests.invalid")
    row = session.get(MemberInterests, actor.user_id)
    if row is None:
        row = MemberInterests(user_id=actor.user_id)
        session.add(row)
    row.identifier_digest = vault.identifier_digest(national_id)
    row.past_employers = [
        {"organization_id": j.organization_id, "from": j.from_year, "to": j.to_year} for j in past_employers
    ]
    row.declared_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="declare_interests",
        event_type="InterestsDeclared",
        object_type="user",
        object_id=actor.user_id,
        process_id=None,
        before=None,
        after=None,
        payload={"past_employers": sorted(j.organization_id for j in past_employers)},
    )
    return row


def links(session: Session, interests: MemberInterests, supplier_id: str) -> list[str]:
    """What the platform knows that ties the member to the bidder (see the module docstring)."""
    found = []
    employers = [str(j["organization_id"]) for j in interests.past_employers]
    if supplier_id in employers:
        found.append(EMPLOYED)
    digests = session.scalars(
        select(OrganizationPerson.identifier_digest).where(OrganizationPerson.organization_id == supplier_id)
    ).all()
    if interests.identifier_digest in digests:
        found.append(OWNER_OR_DIRECTOR)
    bidder = session.get(Organization, supplier_id)
    if bidder is not None and bidder.street_address:
        for employer in (session.get(Organization, e) for e in employers if e != supplier_id):
            if employer is not None and _address(employer) == _address(bidder):
                found.append(SHARED_ADDRESS)
                break
    return found


def _address(org: Organization) -> tuple[str, ...]:
    """Street, locality and country, case- and space-insensitive."""
    return tuple(" ".join((part or "").casefold().split()) for part in (org.street_address, org.locality, org.country))


@dataclass(frozen=True)
class DeclarationIn:
    """A member's declaration about one bidder."""

    supplier_id: str
    conflict: bool
    justification: str | None = None


def member_interests(session: Session, user_id: str) -> MemberInterests:
    """The person's declared interests, or Conflict asking them to declare first."""
    row = session.get(MemberInterests, user_id)
    if row is None:
        raise Conflict(
            "declare your identifier and past employers first (PUT /api/v1/me/interests)",
            code="interests.missing",
        )
    return row


def declare_conflicts(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    tender_id: str,
    bidders: Sequence[str],
    declarations: Sequence[DeclarationIn],
) -> list[ConflictDeclaration]:
    """Record a member's declarations about bidders of the tender (each once); a conflict recuses the member."""
    tender = service.active_member(session, actor=actor, tender_id=tender_id)
    interests = member_interests(session, actor.user_id)
    done = {
        d.supplier_id
        for d in session.scalars(
            select(ConflictDeclaration).where(
                ConflictDeclaration.tender_id == tender.id, ConflictDeclaration.member_id == actor.user_id
            )
        )
    }
    errors = []
    rows = []
    for i, d in enumerate(declarations):
        field = f"declarations.{i}"
        if d.supplier_id not in bidders:
            errors.append({"field": f"{field}.supplier_id", "message": "not a bidder of this tender"})
            continue
        if d.supplier_id in done:
            errors.append({"field": f"{field}.supplier_id", "message": "already declared"})
            continue
        found = links(session, interests, d.supplier_id)
        if found and not d.conflict and not (d.justification and d.justification.strip()):
            errors.append(
                {"field": f"{field}.justification", "message": f"the platform knows of: {', '.join(found)}; explain"}
            )
        done.add(d.supplier_id)
        rows.append(
            ConflictDeclaration(
                tender_id=tender.id,
                member_id=actor.user_id,
                supplier_id=d.supplier_id,
                conflict=d.conflict,
                justification=d.justification,
                links=found,
                declared_at=now,
            )
        )
    if errors:
        raise ValidationFailed(
            "the declarations cannot be recorded", errors=errors, code="committee.declarations_invalid"
        )
    session.add_all(rows)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="declare_conflicts",
        event_type="ConflictsDeclared",
        object_type="committee",
        object_id=tender.id,
        process_id=tender.id,
        before=None,
        after=None,
        payload={
            "declarations": [
                {
                    "supplier_id": r.supplier_id,
                    "conflict": r.conflict,
                    "links": r.links,
                    "justification_digest": payload_hash({"text": r.justification}) if r.justification else None,
                }
                for r in rows
            ]
        },
    )
    conflicted = [r.supplier_id for r in rows if r.conflict]
    if conflicted:
        service.recuse(
            session,
            actor=actor,
            now=now,
            tender_id=tender.id,
            reason=f"declared a conflict of interest with bidder(s) {', '.join(conflicted)}",
        )
    return rows


def declarations_of(session: Session, tender_id: str) -> list[ConflictDeclaration]:
    """Every declaration made on a tender."""
    return list(
        session.scalars(
            select(ConflictDeclaration)
            .where(ConflictDeclaration.tender_id == tender_id)
            .order_by(ConflictDeclaration.declared_at, ConflictDeclaration.id)
        )
    )
