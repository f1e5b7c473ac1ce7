"""A small world of parties and people, created through the services, with API tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.db.tx import Database
from quartermaster.identifiers import edrpou_check_digit
from quartermaster.identity import service as identity


def edrpou(n: int) -> str:
    """A valid EDRPOU code derived from ``n``."""
    first7 = f"{n:07d}"
    return first7 + str(edrpou_check_digit(first7))


@dataclass
class Person:
    """A user with their token and actor."""

    username: str
    role: Role
    organization_id: str | None
    token: str
    actor: Actor

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this person."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """Who exists in a test."""

    buyer_org: str
    other_buyer_org: str
    suppliers: list[str]
    people: dict[str, Person] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Person:
        return self.people[username]


def build_world(db: Database, now: datetime, n_suppliers: int = 4) -> World:
    """Two buyer organizations with staff, ``n_suppliers`` suppliers with one user each, an auditor, an admin."""
    with db.unit_of_work() as s:

        def org(name: str, n: int, kind: str, roles: list[str]) -> str:
            return identity.create_organization(
                s,
                actor=SCHEDULER,
                now=now,
                name=name,
                identifier_scheme="UA-EDR",
                identifier_id=edrpou(n),
                kind=kind,
                party_roles=roles,
                region="Kyiv",
                locality="Kyiv",
            ).id

        buyer = org("Defence Procurement Agency", 1000001, "defence_agency", ["buyer", "procuringEntity"])
        other = org("State Logistics Operator", 1000002, "defence_agency", ["buyer", "procuringEntity"])
        suppliers = [org(f"Supplier {i}", 2000000 + i, "company", ["supplier", "tenderer"]) for i in range(n_suppliers)]
        world = World(buyer_org=buyer, other_buyer_org=other, suppliers=suppliers)
        specs: list[tuple[str, Role, str | None]] = [
            ("buyer", Role.BUYER, buyer),
            ("buyer2", Role.BUYER, buyer),
            ("approver", Role.APPROVER, buyer),
            ("approver2", Role.APPROVER, buyer),
            ("evaluator", Role.EVALUATOR, buyer),
            ("evaluator2", Role.EVALUATOR, buyer),
            ("other_buyer", Role.BUYER, other),
            ("other_approver", Role.APPROVER, other),
            ("auditor", Role.AUDITOR, None),
            ("admin", Role.ADMIN, None),
        ] + [(f"supplier{i}", Role.SUPPLIER, sid) for i, sid in enumerate(suppliers)]
        for username, role, org_id in specs:
            add_person(s, world, now, username, role, org_id)
    return world


def add_person(
    session: Session, world: World, now: datetime, username: str, role: Role, org: str | None, clearance: str = "public"
) -> Person:
    """Create a user (with a security clearance) and a token in the session, and add them to the world."""
    user = identity.create_user(
        session,
        actor=SCHEDULER,
        now=now,
        username=username,
        name=username.title(),
        role=role,
        organization_id=org,
        clearance=clearance,
    )
    token = identity.issue_token(session, user=user, now=now)
    world.people[username] = Person(username, role, org, token, identity.actor_of(user))
    return world.people[username]
