"""Use cases for organizations, users and tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from quartermaster.events.service import record_event
from quartermaster.identifiers import validate_identifier
from quartermaster.identity import passwords
from quartermaster.identity.models import ApiToken, LoginFailure, Organization, User
from quartermaster.types import utc

TOKEN_PREFIX = "qm_"  # noqa: S105 - a public prefix, not a secret
PARTY_ROLES = frozenset({"buyer", "procuringEntity", "supplier", "tenderer", "reviewBody", "payer", "payee"})
ORG_KINDS = frozenset({"defence_agency", "military_unit", "ministry", "company", "review_body", "other"})


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise PermissionDenied("only an administrator may manage organizations and users", code="auth.admin_only")


def create_organization(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    name: str,
    identifier_scheme: str,
    identifier_id: str,
    kind: str,
    party_roles: Sequence[str],
    name_uk: str | None = None,
    country: str = "UA",
    region: str | None = None,
    locality: str | None = None,
    street_address: str | None = None,
    postal_code: str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
) -> Organization:
    """Register a party after validating its identifier (EDRPOU check digit, NCAGE pattern, ...)."""
    _require_admin(actor)
    try:
        ident = validate_identifier(identifier_scheme, identifier_id)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc),
            errors=[{"field": "identifier_id", "message": str(exc)}],
            code="organization.bad_identifier",
        ) from exc
    bad_roles = sorted(set(party_roles) - PARTY_ROLES)
    if bad_roles or not party_roles:
        msg = f"party roles must be some of {sorted(PARTY_ROLES)}"
        raise ValidationFailed(msg, errors=[{"field": "party_roles", "message": msg}])
    if kind not in ORG_KINDS:
        msg = f"kind must be one of {sorted(ORG_KINDS)}"
        raise ValidationFailed(msg, errors=[{"field": "kind", "message": msg}])
    dup = session.scalar(
        select(Organization).where(
            Organization.identifier_scheme == identifier_scheme, Organization.identifier_id == ident
        )
    )
    if dup is not None:
        raise Conflict(
            f"an organization with {identifier_scheme} {ident} already exists",
            code="organization.duplicate",
            organization_id=dup.id,
        )
    org = Organization(
        name=name,
        name_uk=name_uk,
        identifier_scheme=identifier_scheme,
        identifier_id=ident,
        party_roles=sorted(set(party_roles)),
        kind=kind,
        country=country,
        region=region,
        locality=locality,
        street_address=street_address,
        postal_code=postal_code,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        created_at=now,
    )
    session.add(org)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="create_organization",
        event_type="OrganizationRegistered",
        object_type="organization",
        object_id=org.id,
        process_id=None,
        before=None,
        after="active",
        payload={"name": name, "scheme": identifier_scheme, "id": ident, "roles": org.party_roles},
    )
    return org


def get_organization(session: Session, organization_id: str) -> Organization:
    """One organization or NotFound."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("organization not found", code="organization.not_found")
    return org


def list_organizations(
    session: Session, *, after: str | None, limit: int, party_role: str | None = None
) -> Sequence[Organization]:
    """Organizations ordered by id, keyset-paged."""
    stmt = select(Organization).order_by(Organization.id).limit(limit)
    if after:
        stmt = stmt.where(Organization.id > after)
    rows = session.scalars(stmt).all()
    if party_role:
        rows = [o for o in rows if party_role in o.party_roles]
    return rows


def create_user(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    username: str,
    name: str,
    role: Role,
    organization_id: str | None,
    clearance: str = "public",
) -> User:
    """Create an account; organizational roles need an organization. ``clearance``: the highest marking it reads."""
    _require_admin(actor)
    if role is Role.SYSTEM:
        raise ValidationFailed("the system role cannot be given to a person", code="user.bad_role")
    needs_org = role in (Role.BUYER, Role.APPROVER, Role.EVALUATOR, Role.SUPPLIER)
    if needs_org and organization_id is None:
        raise ValidationFailed(
            f"a {role.value} must belong to an organization",
            errors=[{"field": "organization_id", "message": "required for this role"}],
            code="user.organization_required",
        )
    if organization_id is not None:
        get_organization(session, organization_id)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"username '{username}' is taken", code="user.duplicate")
    user = User(
        username=username,
        name=name,
        role=role.value,
        organization_id=organization_id,
        clearance=clearance,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="create_user",
        event_type="UserCreated",
        object_type="user",
        object_id=user.id,
        process_id=None,
        before=None,
        after="active",
        payload={"username": username, "role": role.value, "organization_id": organization_id},
    )
    return user


def find_user(session: Session, username: str) -> User:
    """A user by username or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", code="user.not_found")
    return user


def issue_token(session: Session, *, user: User, now: datetime, label: str | None = None) -> str:
    """Create a token for ``user`` and return it; only its hash is stored, so this is the one time it is seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:10], label=label, created_at=now))
    session.flush()
    return token


@cache
def _token_owner() -> Select[str, str, str, str | None, str]:
    # Built once (with a bound parameter) rather than per request: constructing the statement and its cache key
    # costs more than running it. Columns, not entities: no ORM identity bookkeeping either.
    return (
        select(User.id, User.name, User.role, User.organization_id, User.clearance)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active.is_(True))
    )


def authenticate(session: Session, token: str) -> Actor:
    """The actor behind a bearer token, or Unauthenticated."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated("malformed token")
    row = session.execute(_token_owner(), {"token_hash": hash_token(token)}).first()
    if row is None:
        raise Unauthenticated("unknown or revoked token")
    return Actor(
        user_id=row.id, name=row.name, role=Role(row.role), organization_id=row.organization_id, clearance=row.clearance
    )


def actor_of(user: User) -> Actor:
    """The Actor a user acts as."""
    return Actor(
        user_id=user.id,
        name=user.name,
        role=Role(user.role),
        organization_id=user.organization_id,
        clearance=user.clearance,
    )


def revoke_tokens(session: Session, *, user: User, now: datetime) -> int:
    """Revoke every live token of ``user``; returns how many."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


# --- passwords and the second factor (web login) -----------------------------------------------------------------

LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5  # per username within LOGIN_WINDOW


def set_password(session: Session, *, actor: Actor, user: User, password: str, now: datetime) -> None:
    """Give ``user`` a new password (at least 12 characters, not containing the username), stored as Argon2id."""
    passwords.check_policy(password, username=user.username)
    user.password_hash = passwords.hash_password(password)
    record_event(
        session,
        actor=actor,
        now=now,
        command="set_password",
        event_type="PasswordSet",
        object_type="user",
        object_id=user.id,
        process_id=None,
        before=None,
        after=None,
        payload={"username": user.username},
    )


@dataclass(frozen=True, slots=True)
class LoginCheck:
    """What a login attempt came to: the user when the password was right, else the refusal's code.

    A result rather than an exception, because the failure it records must be committed, not rolled back.
    Refusals: ``auth.bad_credentials`` (unknown user, no password or a wrong one: deliberately one answer),
    ``auth.inactive``, ``auth.rate_limited`` (with ``retry_after`` seconds), ``auth.bad_second_factor``.
    """

    user: User | None
    refusal: str | None = None
    retry_after: int = 0


def check_password(session: Session, *, username: str, password: str, now: datetime) -> LoginCheck:
    """Check a username and password, counting failures per username (at most 5 in 15 minutes).

    An unknown username is checked against a dummy hash, so it takes as long as a wrong password. A right
    password whose hash was made with older Argon2 parameters is rehashed.
    """
    username = username.strip()[:64]
    retry = _rate_limited(session, username, now)
    if retry:
        return LoginCheck(None, "auth.rate_limited", retry)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    stored = user.password_hash if user is not None and user.password_hash else None
    ok = passwords.verify_password(stored or passwords.dummy_hash(), password)
    if user is None or stored is None or not ok:
        _record_failure(session, username, now)
        return LoginCheck(None, "auth.bad_credentials")
    if not user.active:
        return LoginCheck(None, "auth.inactive")
    if passwords.needs_rehash(stored):
        user.password_hash = passwords.hash_password(password)
    if user.totp_secret is None:
        _clear_failures(session, username)
    return LoginCheck(user)


def check_second_factor(session: Session, *, user: User, code: str, now: datetime) -> LoginCheck:
    """Check the one-time code of a user whose password was right; a code is accepted once (RFC 6238 5.2)."""
    retry = _rate_limited(session, user.username, now)
    if retry:
        return LoginCheck(None, "auth.rate_limited", retry)
    if not user.active:
        return LoginCheck(None, "auth.inactive")
    if user.totp_secret is None:
        _clear_failures(session, user.username)
        return LoginCheck(user)
    step = passwords.match_totp(passwords.decode_secret(user.totp_secret), code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        _record_failure(session, user.username, now)
        return LoginCheck(None, "auth.bad_second_factor")
    user.totp_last_step = step
    _clear_failures(session, user.username)
    return LoginCheck(user)


def enable_second_factor(session: Session, *, actor: Actor, user: User, now: datetime) -> str:
    """Give ``user`` a new TOTP key and return it (base32, for an authenticator app); shown once."""
    secret = passwords.new_totp_secret()
    user.totp_secret, user.totp_last_step = secret, None
    record_event(
        session,
        actor=actor,
        now=now,
        command="enable_second_factor",
        event_type="SecondFactorEnabled",
        object_type="user",
        object_id=user.id,
        process_id=None,
        before=None,
        after=None,
        payload={"username": user.username},
    )
    return secret


def _rate_limited(session: Session, username: str, now: datetime) -> int:
    """Seconds until the next attempt is allowed (0: allowed now)."""
    recent = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.username == username, LoginFailure.at > now - LOGIN_WINDOW
        )
    ).one()
    if recent[0] < LOGIN_MAX_FAILURES:
        return 0
    oldest = utc(recent[1])
    return max(1, math.ceil((oldest + LOGIN_WINDOW - now).total_seconds()))  # it stops counting then


def _record_failure(session: Session, username: str, now: datetime) -> None:
    # Rows older than the window count for nothing: drop them here rather than in a separate job.
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - LOGIN_WINDOW))
    session.add(LoginFailure(username=username, at=now))
    session.flush()


def _clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
