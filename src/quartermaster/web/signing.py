"""Signing decisions in the page: the draft a decision form signs, and the signature the form posts.

A decision form (award, bid disqualification, award cancellation, contract signature) of a person with an enrolled
signing key carries ``data-qm-sign`` (``templates/partials/sign.html``). ``static/sign.js`` first posts the very same
form to the command's ``/draft`` address, which answers with the decision document built by the same server
function as ``POST /api/v1/decisions/draft`` (``awards.decisions.draft_*``, ``contracts.service.draft_signature``),
from the form read exactly as the command reads it. The page checks the document, signs its canonical bytes with
the person's key file (WebCrypto Ed25519: the private key never leaves the page) and posts the form with the
signature in its ``signature`` field; the command checks it as the API does (``identity.signatures``).

A draft address is session-authenticated and CSRF-checked like every form; it changes nothing and answers JSON (a
refusal as problem+json, so the page can post the form unsigned and let the command explain it).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.api.problems import problem, status_of
from quartermaster.decisions import ED25519, schemes
from quartermaster.decisions.schemas import SignatureIn
from quartermaster.errors import QMError, ValidationFailed
from quartermaster.identity.keys import b64url
from quartermaster.identity.signatures import current_signing_key

FIELD = "signature"
# The signature a decision form posts (unpadded base64url of 64 bytes is 86 characters).
SignatureField = Annotated[str, Form(max_length=200)]
_B64URL = re.compile(r"[A-Za-z0-9_-]+")

Draft = tuple[dict[str, Any], bytes, str | None]


def signature_of(text: str) -> SignatureIn | None:
    """The form's ``signature`` field as the command's signature (None when empty: an unsigned decision)."""
    text = text.strip()
    if not text:
        return None
    if not _B64URL.fullmatch(text):
        why = "the signature is not unpadded base64url"
        raise ValidationFailed(why, errors=[{"field": FIELD, "message": why}], code="decision.bad_signature")
    return SignatureIn(scheme=ED25519, signature=text)


def signing_public_key(session: Session, person: Actor) -> str | None:
    """The person's current enrolled signing public key (unpadded base64url), or None: then the page does not sign."""
    key = current_signing_key(session, person.user_id)
    return None if key is None else key.public_key


def draft_response(made: Draft, public_key: str | None) -> JSONResponse:
    """What a draft address answers: the document, its exact bytes, the schemes, the key id and its public key."""
    document, data, key_id = made
    body = {
        "document": document,
        "canonical": b64url(data),
        "schemes": schemes(),
        "key_id": key_id,
        "public_key": public_key,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def draft_refused(request: Request, exc: QMError | ValidationError) -> JSONResponse:
    """A draft the server refuses (the form as typed is not a decision it could take), as problem+json."""
    if isinstance(exc, ValidationError):
        errors = [{"field": ".".join(str(p) for p in err["loc"]), "message": str(err["msg"])} for err in exc.errors()]
        return problem(
            request,
            status=422,
            code="validation.failed",
            title="Invalid input",
            detail=f"{len(errors)} field(s) are invalid",
            errors=errors,
        )
    return problem(request, status=status_of(exc), code=exc.code, title=exc.title, detail=exc.message, **exc.fields)
