"""The demo's parties and people: procuring entities with their staff, suppliers with a user each, an auditor,
an administrator. Every identifier is synthetic and valid (EDRPOU check digit, NCAGE alphabet and structure)."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.client import PersonKeys, new_keys, save_keys
from quartermaster.committees import interests
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.identifiers import edrpou_check_digit, validate_ncage
from quartermaster.identity import keys as person_keys
from quartermaster.identity import service as identity
from quartermaster.identity.models import User
from quartermaster.seed import names

# A defence buyer's procurement staff hold a security clearance: they sit on the committees of classified tenders.
STAFF_CLEARANCE = "secret"
NCAGE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class OrgSpec:
    """An organization to register, with the people who act for it."""

    slug: str
    name: str
    name_uk: str | None
    scheme: str
    identifier: str
    kind: str
    party_roles: list[str]
    country: str
    region: str | None
    locality: str
    contact_name: str
    staff: list[tuple[str, Role, str]] = field(default_factory=list)  # (username, role, person's name)
    id: str = ""
    actors: dict[Role, Actor] = field(default_factory=dict)

    @property
    def is_foreign(self) -> bool:
        """True for suppliers registered abroad (identified by NCAGE)."""
        return self.scheme == "NCAGE"


def edrpou(rng: random.Random, taken: set[str], low: int = 10_000, high: int = 2_599_999) -> str:
    """A fresh valid EDRPOU code (7 random digits + the check digit)."""
    while True:
        first7 = f"{rng.randint(low, high):07d}"
        code = first7 + str(edrpou_check_digit(first7))
        if code not in taken:
            taken.add(code)
            return code


def ncage(rng: random.Random, structure: str, taken: set[str]) -> str:
    """A fresh NCAGE code following ``structure`` (``#`` digit, ``*`` any allowed character, letters literal)."""
    while True:
        code = "".join(
            str(rng.randrange(10)) if ch == "#" else rng.choice(NCAGE_ALPHABET) if ch == "*" else ch for ch in structure
        )
        if code not in taken:
            taken.add(code)
            return validate_ncage(code)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _person(rng: random.Random) -> str:
    return f"{rng.choice(names.GIVEN_NAMES)[0]} {rng.choice(names.FAMILY_NAMES)[0]}"


def plan_buyers(rng: random.Random, count: int, idents: set[str], slugs: set[str]) -> list[OrgSpec]:
    """Defence agencies first, then military units, each with a buyer, an approver and an evaluator."""
    out: list[OrgSpec] = []
    units = 0
    for i in range(count):
        city, _city_uk, region = rng.choice(names.CITIES)
        if i < len(names.AGENCIES) and (i < 2 or count >= 12):
            name, name_uk, slug = names.AGENCIES[i]
            kind = "defence_agency" if i < 2 else "ministry"
            slugs.add(slug)
            city, region = "Kyiv", "Kyiv"
        else:
            units += 1
            number = f"A{rng.randint(1000, 7999)}"
            kind_en, kind_uk = rng.choice(names.UNIT_KINDS)
            name, name_uk = f"Military unit {number} ({kind_en}, {city})", f"Військова частина {number} ({kind_uk})"
            slug = _slug(number, slugs)
            kind = "military_unit"
        spec = OrgSpec(
            slug=slug,
            name=name,
            name_uk=name_uk,
            scheme="UA-EDR",
            identifier=edrpou(rng, idents),
            kind=kind,
            party_roles=["buyer", "procuringEntity"],
            country="UA",
            region=region,
            locality=city,
            contact_name=_person(rng),
        )
        spec.staff = [
            (f"{slug}.{role.value}", role, _person(rng)) for role in (Role.BUYER, Role.APPROVER, Role.EVALUATOR)
        ]
        out.append(spec)
    return out


def plan_suppliers(rng: random.Random, count: int, idents: set[str], slugs: set[str]) -> list[OrgSpec]:
    """About three in four Ukrainian companies (EDRPOU), the rest foreign (NCAGE); one supplier user each."""
    out: list[OrgSpec] = []
    used_names: set[str] = set()
    for i in range(count):
        foreign = i % 4 == 2  # a steady mix, so even small scales have foreign suppliers
        while True:
            if foreign:
                country, structure, firsts, trades, forms, cities = rng.choice(names.FOREIGN)
                name = f"{rng.choice(firsts)} {rng.choice(trades)} {rng.choice(forms)}"
                name_uk, locality, region = None, rng.choice(cities), None
            else:
                place, trade, form = (
                    rng.choice(names.UA_COMPANY_PLACES),
                    rng.choice(names.UA_COMPANY_TRADES),
                    rng.choice(names.UA_COMPANY_FORMS),
                )
                name = f"{place[0]} {trade[0]} {form[0]}"
                name_uk = f"{form[1]} «{place[1]} {trade[1]}»"
                locality, _uk, region = rng.choice(names.CITIES)
            if name not in used_names:
                used_names.add(name)
                break
        slug = _slug(name.rsplit(" ", 1)[0], slugs)
        if foreign:
            scheme, ident, contact = "NCAGE", ncage(rng, structure, idents), rng.choice(names.FOREIGN_PEOPLE)
        else:  # company codes from 30,000,000 use the shifted check-digit weights
            scheme, ident, country = "UA-EDR", edrpou(rng, idents, 3_000_000, 4_499_999), "UA"
            contact = _person(rng)
        spec = OrgSpec(
            slug=slug,
            name=name,
            name_uk=name_uk,
            scheme=scheme,
            identifier=ident,
            kind="company",
            party_roles=["supplier", "tenderer"],
            country=country,
            region=region,
            locality=locality,
            contact_name=contact,
        )
        spec.staff = [(f"{slug}.supplier", Role.SUPPLIER, contact)]
        out.append(spec)
    return out


def register(session: Session, *, admin: Actor, now: datetime, spec: OrgSpec) -> None:
    """Register an organization and its staff through the identity service; fills ``spec.id``/``actors``."""
    email_domain = f"{spec.slug}.example" if spec.is_foreign else f"{spec.slug}.example.ua"
    org = identity.create_organization(
        session,
        actor=admin,
        now=now,
        name=spec.name,
        name_uk=spec.name_uk,
        identifier_scheme=spec.scheme,
        identifier_id=spec.identifier,
        kind=spec.kind,
        party_roles=spec.party_roles,
        country=spec.country,
        region=spec.region,
        locality=spec.locality,
        contact_name=spec.contact_name,
        contact_email=f"procurement@{email_domain}",
    )
    spec.id = org.id
    for username, role, person in spec.staff:
        user = identity.create_user(
            session,
            actor=admin,
            now=now,
            username=username,
            name=person,
            role=role,
            organization_id=org.id,
            clearance=STAFF_CLEARANCE if "buyer" in spec.party_roles else "public",
        )
        spec.actors[role] = identity.actor_of(user)


def enrol_staff_keys(
    session: Session, *, now: datetime, orgs: list[OrgSpec], keys_dir: Path | None, vault: OpeningKeyVault
) -> dict[str, PersonKeys]:
    """Give every buyer staff member a key file and enrol its public keys (each person enrols their own), and
    declare their interests (a synthetic identifier, no past employers) so that they can sit on committees.

    With ``keys_dir`` the key files are written there as ``<username>.json`` (0600) for the demo's people to use.
    """
    out: dict[str, PersonKeys] = {}
    if keys_dir is not None:
        keys_dir.mkdir(parents=True, exist_ok=True)
        keys_dir.chmod(0o700)
    for org in orgs:
        for username, role, _ in org.staff:
            actor = org.actors[role]
            user = session.get(User, actor.user_id)
            assert user is not None
            keys = new_keys()
            person_keys.enrol_keys(session, actor=actor, now=now, user=user, **keys.enrolment(user.id))
            national_id = f"{int(hashlib.sha256(username.encode()).hexdigest(), 16) % 10**10:010d}"
            interests.declare_interests(
                session, actor=actor, now=now, national_id=national_id, past_employers=(), vault=vault
            )
            if keys_dir is not None:
                save_keys(keys, keys_dir / f"{username}.json", overwrite=True)
            out[actor.user_id] = keys
    return out
