"""Organization and user I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from quartermaster.actors import Role
from quartermaster.schema_base import Input, Output, ShortText
from quartermaster.types import MarkingName

Opt = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None


class OrganizationCreate(Input):
    """A party to register."""

    name: ShortText
    name_uk: Opt = None
    identifier_scheme: Annotated[str, StringConstraints(max_length=16)]
    identifier_id: Annotated[str, StringConstraints(max_length=40)]
    kind: Annotated[str, StringConstraints(max_length=32)]
    party_roles: list[Annotated[str, StringConstraints(max_length=32)]] = Field(min_length=1, max_length=8)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "UA"
    region: Opt = None
    locality: Opt = None
    street_address: Opt = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    contact_name: Opt = None
    contact_email: Opt = None
    contact_phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class OrganizationRead(Output):
    """A party as published."""

    id: str
    name: str
    name_uk: str | None
    identifier_scheme: str
    identifier_id: str
    kind: str
    party_roles: list[str]
    country: str
    region: str | None
    locality: str | None


class UserCreate(Input):
    """A new account."""

    username: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
    name: ShortText
    role: Role
    organization_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    clearance: MarkingName = Field(default="public", description="The highest security marking this person may read.")


class UserRead(Output):
    """An account (never its tokens)."""

    id: str
    username: str
    name: str
    role: str
    organization_id: str | None
    clearance: str
    active: bool
    created_at: datetime


class TokenIssued(Output):
    """A token, shown only in this response."""

    user_id: str
    token: str


class MeRead(Output):
    """Who the caller is."""

    user_id: str
    name: str
    role: str
    organization_id: str | None
