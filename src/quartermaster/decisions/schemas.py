"""Decision signature I/O: the signature a decision request carries, and the draft a client asks to sign."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from quartermaster.schema_base import Input, Output

SchemeName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Base64Url = Annotated[str, StringConstraints(min_length=1, max_length=16_384, pattern=r"^[A-Za-z0-9_-]+$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]


class SignatureIn(Input):
    """The acting person's signature over the decision's canonical document (``POST /api/v1/decisions/draft``)."""

    scheme: SchemeName = Field(description="Signature scheme; 'ed25519' with the person's enrolled signing key.")
    signature: Base64Url = Field(description="The signature, unpadded base64url.")


class SignedReason(Input):
    """A reasoned decision the acting person signs (disqualify a bid, cancel an award)."""

    reason: Reason
    signature: SignatureIn | None = Field(
        default=None, description="Required once the person has enrolled a signing key."
    )


class SignIn(Input):
    """The signature of a party signing a contract (the body may be omitted by a person without a signing key)."""

    signature: SignatureIn | None = None


DraftCommand = Literal["award", "disqualify_bid", "cancel_award", "sign_contract", "sign_report"]


class DraftIn(Input):
    """Which decision to draft: the command, the object it acts on and the request body it will be sent with."""

    command: DraftCommand
    object_id: Id = Field(
        description="The lot awarded, bid disqualified, award cancelled, contract signed or tender reported on."
    )
    body: dict[str, Any] = Field(
        default_factory=dict, description="The command's request body (its signature, if any, is ignored)."
    )


class DraftRead(Output):
    """The document to sign, as a JSON value and as the exact bytes (unpadded base64url of its RFC 8785 form)."""

    document: dict[str, Any]
    canonical: str = Field(description="Unpadded base64url of the RFC 8785 canonical bytes a signature covers.")
    schemes: list[str] = Field(description="Signature schemes the platform accepts.")
    key_id: str | None = Field(description="The caller's current signing key, which the signature must be made with.")


def decision_content(body: BaseModel) -> dict[str, Any]:
    """The content of a decision taken by a request: its body as JSON values, without the signature."""
    return body.model_dump(mode="json", exclude={"signature"})
