"""Organization, user and identity endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from quartermaster.actors import Actor, Role
from quartermaster.api.deps import After, Cmd, CurrentActor, Limit, ReadSession, next_cursor
from quartermaster.errors import PermissionDenied
from quartermaster.identity import keys, service
from quartermaster.identity.models import User
from quartermaster.identity.schemas import (
    EnrolledKeys,
    KeyEnrolment,
    MeRead,
    OrganizationCreate,
    OrganizationRead,
    PersonKeyRead,
    TokenIssued,
    UserCreate,
    UserRead,
)
from quartermaster.schema_base import Page

router = APIRouter(prefix="/api/v1", tags=["identity"])


@router.get("/me", response_model=MeRead, summary="Who am I")
def me(actor: CurrentActor) -> MeRead:
    """The caller behind the bearer token."""
    return MeRead(user_id=actor.user_id, name=actor.name, role=actor.role.value, organization_id=actor.organization_id)


@router.get("/organizations", response_model=Page[OrganizationRead], summary="List organizations")
def list_organizations(
    session: ReadSession,
    limit: Limit = 50,
    after: After = None,
    party_role: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[OrganizationRead]:
    """Parties are public."""
    rows = list(service.list_organizations(session, after=after, limit=limit, party_role=party_role))
    return Page[OrganizationRead](
        data=[OrganizationRead.model_validate(o) for o in rows], next=next_cursor(rows, limit)
    )


@router.get("/organizations/{organization_id}", response_model=OrganizationRead, summary="Read an organization")
def get_organization(organization_id: str, session: ReadSession) -> OrganizationRead:
    """One party."""
    return OrganizationRead.model_validate(service.get_organization(session, organization_id))


@router.post("/organizations", status_code=201, response_model=OrganizationRead, summary="Register an organization")
def create_organization(body: OrganizationCreate, cmd: Cmd) -> Response:
    """Administrators register parties; identifiers are validated (EDRPOU check digit, NCAGE pattern)."""
    return cmd.run(
        lambda s, now: OrganizationRead.model_validate(
            service.create_organization(s, actor=cmd.actor, now=now, **body.model_dump())
        ),
        status_code=201,
        location=lambda r: f"/api/v1/organizations/{r.id}",
    )


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only an administrator may manage users", code="auth.admin_only")


@router.post("/users", status_code=201, response_model=UserRead, summary="Create a user")
def create_user(body: UserCreate, cmd: Cmd) -> Response:
    """Administrators create accounts."""
    return cmd.run(
        lambda s, now: UserRead.model_validate(
            service.create_user(
                s,
                actor=cmd.actor,
                now=now,
                username=body.username,
                name=body.name,
                role=body.role,
                organization_id=body.organization_id,
                clearance=body.clearance,
            )
        ),
        status_code=201,
    )


@router.post("/users/{username}/tokens", status_code=201, response_model=TokenIssued, summary="Issue a token")
def issue_token(username: str, cmd: Cmd) -> Response:
    """Administrators issue a token; it is shown once and stored only as a hash."""
    _admin(cmd.actor)

    def go(s, now):  # type: ignore[no-untyped-def]
        user = service.find_user(s, username)
        return TokenIssued(user_id=user.id, token=service.issue_token(s, user=user, now=now))

    return cmd.run(go, status_code=201)


@router.put("/me/keys", response_model=EnrolledKeys, summary="Enrol my signing and custody keys")
def enrol_my_keys(body: KeyEnrolment, cmd: Cmd) -> Response:
    """Enrol (or rotate) the caller's Ed25519 signing key and X25519 custody key, with proof of possession.

    Only public keys travel; the private halves stay in the person's key file (``quartermaster keys new``).
    """

    def go(s, now):  # type: ignore[no-untyped-def]
        user = s.get(User, cmd.actor.user_id)
        if user is None:  # pragma: no cover - an authenticated actor always has a row
            raise PermissionDenied("no account", code="auth.no_account")
        signing, custody = keys.enrol_keys(s, actor=cmd.actor, now=now, user=user, **body.model_dump())
        return EnrolledKeys(
            signing=PersonKeyRead.model_validate(signing), custody=PersonKeyRead.model_validate(custody)
        )

    return cmd.run(go)


@router.get("/users/{user_id}/keys", response_model=list[PersonKeyRead], summary="A person's enrolled keys")
def list_keys(user_id: str, actor: CurrentActor, session: ReadSession) -> list[PersonKeyRead]:
    """Every public key a person has enrolled, newest first, so signatures can be checked (signed-in callers)."""
    del actor
    return [PersonKeyRead.model_validate(k) for k in keys.keys_of(session, user_id)]
