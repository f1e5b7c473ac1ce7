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


B64Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]
B64Signature = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{86}$")]


class KeyEnrolment(Input):
    """A person's two public keys and the signing key's signature over the enrolment document (proof of possession).

    The document is RFC 8785 JSON ``{"custody":<custody key>,"signing":<signing key>,
    "type":"quartermaster.key-enrolment","user":<user id>,"v":1}``; ``quartermaster keys new`` makes all three.
    """

    signing_public_key: B64Key = Field(description="Ed25519 public key, 32 bytes, unpadded base64url.")
    custody_public_key: B64Key = Field(description="X25519 public key, 32 bytes, unpadded base64url.")
    proof: B64Signature = Field(description="Ed25519 signature (64 bytes, base64url) over the enrolment document.")


class PersonKeyRead(Output):
    """An enrolled public key."""

    id: str
    user_id: str
    purpose: str
    algorithm: str
    public_key: str
    fingerprint: str
    enrolled_at: datetime
    retired_at: datetime | None


class EnrolledKeys(Output):
    """The two keys a person has just enrolled."""

    signing: PersonKeyRead
    custody: PersonKeyRead
