"""Person keys: enrol a person's Ed25519 signing key and X25519 custody key, look them up, check signatures.

A person proves possession when enrolling: the request carries an Ed25519 signature, by the new signing key, over the
canonical enrolment document (``enrolment_document``), so nobody can enrol a key they do not hold or replay another
person's enrolment. Every enrolment is an event, so the transparency log says which key was a person's when.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.errors import NotFound, PermissionDenied, ValidationFailed
from quartermaster.events.service import record_event
from quartermaster.identity.models import PersonKey, User
from quartermaster.transparency.canonical import canonical_json

SIGNING, CUSTODY = "signing", "custody"
ALGORITHMS = {SIGNING: "Ed25519", CUSTODY: "X25519"}
ENROLMENT_TYPE = "quartermaster.key-enrolment"


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str, field: str) -> bytes:
    """Bytes of unpadded base64url ``text``; anything else is a ValidationFailed naming ``field``."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        data = b""
    if not data or b64url(data) != text:
        raise ValidationFailed(
            f"{field} is not unpadded base64url",
            errors=[{"field": field, "message": "unpadded base64url expected"}],
            code="key.malformed",
        )
    return data


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of a raw public key, lowercase hex."""
    return hashlib.sha256(public_key).hexdigest()


def enrolment_document(user_id: str, signing_public_key: str, custody_public_key: str) -> bytes:
    """What the proof of possession signs: RFC 8785 JSON of the user and both public keys (base64url)."""
    return canonical_json(
        {"type": ENROLMENT_TYPE, "v": 1, "user": user_id, "signing": signing_public_key, "custody": custody_public_key}
    )


def _check_signing(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise _bad("signing_public_key", "an Ed25519 public key is 32 bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise _bad("signing_public_key", "not an Ed25519 public key") from None


def _check_custody(raw: bytes) -> None:
    if len(raw) != 32:
        raise _bad("custody_public_key", "an X25519 public key is 32 bytes")
    try:  # a low-order point gives an all-zero shared secret, which the exchange refuses
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        raise _bad("custody_public_key", "not a usable X25519 public key (low-order point)") from None


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}], code="key.invalid")


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def enrol_keys(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    user: User,
    signing_public_key: str,
    custody_public_key: str,
    proof: str,
) -> tuple[PersonKey, PersonKey]:
    """Enrol (or rotate) a person's two keys; the person themself or an administrator (at account creation) may."""
    if actor.user_id != user.id and actor.role is not Role.ADMIN:
        raise PermissionDenied("only the person or an administrator enrols a person's keys", code="key.not_yours")
    signing_raw = from_b64url(signing_public_key, "signing_public_key")
    custody_raw = from_b64url(custody_public_key, "custody_public_key")
    verifier = _check_signing(signing_raw)
    _check_custody(custody_raw)
    try:
        verifier.verify(
            from_b64url(proof, "proof"), enrolment_document(user.id, signing_public_key, custody_public_key)
        )
    except InvalidSignature:
        raise ValidationFailed(
            "the proof is not the signing key's signature over this person's enrolment document",
            errors=[{"field": "proof", "message": "signature does not verify"}],
            code="key.bad_proof",
        ) from None
    enrolled = []
    for purpose, text, raw in ((SIGNING, signing_public_key, signing_raw), (CUSTODY, custody_public_key, custody_raw)):
        for old in session.scalars(
            select(PersonKey).where(
                PersonKey.user_id == user.id, PersonKey.purpose == purpose, PersonKey.retired_at.is_(None)
            )
        ):
            old.retired_at = now
        key = PersonKey(
            user_id=user.id,
            purpose=purpose,
            algorithm=ALGORITHMS[purpose],
            public_key=text,
            fingerprint=fingerprint(raw),
            enrolled_at=now,
        )
        session.add(key)
        enrolled.append(key)
    session.flush()
    record_event(
        session,
        actor=actor,
        now=now,
        command="enrol_keys",
        event_type="KeysEnrolled",
        object_type="user",
        object_id=user.id,
        process_id=None,
        before=None,
        after="enrolled",
        payload={
            "signing": {"algorithm": "Ed25519", "public_key": signing_public_key, "key_id": enrolled[0].id},
            "custody": {"algorithm": "X25519", "public_key": custody_public_key, "key_id": enrolled[1].id},
        },
    )
    return enrolled[0], enrolled[1]


@dataclass(frozen=True)
class EnrolledKey:
    """A person's current key of one purpose, as raw bytes."""

    key_id: str
    user_id: str
    public_key: bytes


def current_key(session: Session, user_id: str, purpose: str) -> EnrolledKey | None:
    """The person's current (not retired) key of ``purpose``, or None if they have enrolled none."""
    row = session.scalar(
        select(PersonKey).where(
            PersonKey.user_id == user_id, PersonKey.purpose == purpose, PersonKey.retired_at.is_(None)
        )
    )
    if row is None:
        return None
    return EnrolledKey(row.id, row.user_id, from_b64url(row.public_key, "public_key"))


def key_by_id(session: Session, key_id: str) -> PersonKey:
    """An enrolled key (current or retired) by id, or NotFound."""
    row = session.get(PersonKey, key_id)
    if row is None:
        raise NotFound("no such key", code="key.not_found")
    return row


def keys_of(session: Session, user_id: str) -> list[PersonKey]:
    """Every key a person has enrolled, newest first."""
    return list(
        session.scalars(
            select(PersonKey).where(PersonKey.user_id == user_id).order_by(PersonKey.enrolled_at.desc(), PersonKey.id)
        )
    )
