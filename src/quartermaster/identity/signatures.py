"""Decision signatures against enrolled keys: a person with a signing key signs every decision they take.

Policy: when the acting person has a current signing key, a decision without a signature is refused
(``decision.signature_required``) and one that does not verify under that key is refused (``decision.bad_signature``).
A person who has enrolled no key (an account from before keys) can still act, and the event records
``"signature": null``. What is recorded (``{"scheme", "key_id", "signature"}`` and the signed document) goes into
the decision's event payload, so the auditor can check it against the ``KeysEnrolled`` events.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.decisions import decision_bytes, decision_document, scheme, schemes
from quartermaster.decisions.schemas import SignatureIn
from quartermaster.errors import ValidationFailed
from quartermaster.events.models import Event
from quartermaster.identity.keys import SIGNING, b64url
from quartermaster.identity.models import PersonKey


def current_signing_key(session: Session, user_id: str) -> PersonKey | None:
    """The person's current (not retired) signing key row, or None if they have enrolled none."""
    return session.scalar(
        select(PersonKey).where(
            PersonKey.user_id == user_id, PersonKey.purpose == SIGNING, PersonKey.retired_at.is_(None)
        )
    )


def _refuse(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": "signature", "message": message}], code=code)


def _raw(text: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        data = b""
    if not data or b64url(data) != text:
        raise _refuse("decision.bad_signature", "the signature is not unpadded base64url")
    return data


def check_decision_signature(
    session: Session, actor: Actor, document: dict[str, Any], signature: SignatureIn | None
) -> dict[str, str] | None:
    """Check ``signature`` over ``document`` against the actor's current signing key; what to record, or None.

    None means the actor has no signing key and sent no signature (a legacy account); every other unsigned or
    badly signed decision is a ValidationFailed with a ``decision.*`` code.
    """
    if document.get("actor") != actor.user_id:
        raise ValueError("a decision document names its acting person")  # a programming error, never a request's
    key = current_signing_key(session, actor.user_id)
    if signature is None:
        if key is None:
            return None
        raise _refuse(
            "decision.signature_required",
            "you have a signing key: sign this decision (POST /api/v1/decisions/draft gives the document to sign)",
        )
    adapter = scheme(signature.scheme)
    if adapter is None:
        raise _refuse(
            "decision.unknown_scheme",
            f"unknown signature scheme {signature.scheme!r}; the platform accepts {', '.join(schemes())}",
        )
    if key is None or key.algorithm != adapter.algorithm:
        raise _refuse(
            "decision.no_signing_key",
            f"you have no enrolled {adapter.algorithm} signing key to check a {adapter.name} signature against",
        )
    raw = _raw(signature.signature)
    public_key = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
    if not adapter.verify(public_key, decision_bytes(document), raw):
        raise _refuse(
            "decision.bad_signature",
            f"the signature does not verify under your current signing key {key.id} over this decision's document",
        )
    if _already_used(session, document, signature.signature):
        raise _refuse(
            "decision.replayed",
            "this signed decision was already taken once and a signature is used only once: to decide again, sign "
            "a new decision (say why in its rationale or reason)",
        )
    return {"scheme": adapter.name, "key_id": key.id, "signature": signature.signature}


def _already_used(session: Session, document: dict[str, Any], signature: str) -> bool:
    """Whether an event already records this signature over a decision of the same command on the same object.

    Someone holding a person's session or token but not their key could otherwise replay a decision the person
    signed earlier (re-award a lot after its award was cancelled, say) and have it recorded as theirs again.
    """
    stmt = select(Event.payload).where(Event.command == document["command"])
    if document["process"] is not None:
        stmt = stmt.where(Event.process_id == document["process"])
    else:
        stmt = stmt.where(Event.object_id == document["object"])
    for payload in session.scalars(stmt):
        recorded = payload.get("signature") if isinstance(payload, dict) else None
        if isinstance(recorded, dict) and recorded.get("signature") == signature:
            return True
    return False


def sign_off(
    session: Session,
    *,
    actor: Actor,
    command: str,
    object_id: str,
    process_id: str | None,
    content: dict[str, Any],
    signature: SignatureIn | None,
) -> dict[str, Any]:
    """Check a decision's signature and return what its event payload records about it.

    ``{"signature": null}`` for an unsigned decision of a person without a key; otherwise the recorded signature
    and the signed document, so the log holds everything needed to check it again.
    """
    document = decision_document(
        command=command, object_id=object_id, process_id=process_id, actor_id=actor.user_id, content=content
    )
    recorded = check_decision_signature(session, actor, document, signature)
    if recorded is None:
        return {"signature": None}
    return {"signature": recorded, "decision": document}


def draft(
    session: Session,
    *,
    actor: Actor,
    command: str,
    object_id: str,
    process_id: str | None,
    content: dict[str, Any],
) -> tuple[dict[str, Any], bytes, str | None]:
    """The document the actor would sign for this decision, its bytes, and their current signing key id."""
    document = decision_document(
        command=command, object_id=object_id, process_id=process_id, actor_id=actor.user_id, content=content
    )
    key = current_signing_key(session, actor.user_id)
    return document, decision_bytes(document), None if key is None else key.id
