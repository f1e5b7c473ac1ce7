"""Committee members sign the evaluation report: each signature covers the report record's SHA-256 (the digest the
report prints), as a ``sign_report`` decision under the member's enrolled signing key. A report changed since (a
later evaluation, an award) has another digest, so a signature always names exactly what its signer saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.committees import service as committees
from quartermaster.decisions.schemas import SignatureIn
from quartermaster.errors import Conflict, ValidationFailed
from quartermaster.events.models import Event
from quartermaster.events.service import record_event
from quartermaster.identity import signatures
from quartermaster.identity.models import User
from quartermaster.reports import evaluation

COMMAND = "sign_report"


def sign_report(
    session: Session, *, actor: Actor, now: datetime, tender_id: str, digest: str, signature: SignatureIn | None
) -> dict[str, Any]:
    """An active committee member signs the current report (``digest`` must be the one it prints now)."""
    tender = committees.active_member(session, actor=actor, tender_id=tender_id)
    current = evaluation.build(session, tender, now)["digest"]
    if digest != current:
        raise ValidationFailed(
            "the report has changed since you read it: read it again and sign its current digest",
            errors=[{"field": "digest", "message": f"the report's digest is now {current}"}],
            code="report.stale_digest",
        )
    if any(s["member_id"] == actor.user_id for s in signed(session, tender.id, digest)):
        raise Conflict("you have already signed this report", code="report.already_signed")
    recorded = signatures.sign_off(
        session,
        actor=actor,
        command=COMMAND,
        object_id=tender.id,
        process_id=tender.id,
        content={"digest": digest},
        signature=signature,
    )
    record_event(
        session,
        actor=actor,
        now=now,
        command=COMMAND,
        event_type="ReportSigned",
        object_type="report",
        object_id=tender.id,
        process_id=tender.id,
        before=None,
        after=None,
        payload={"digest": digest, **recorded},
    )
    return {"digest": digest, "member_id": actor.user_id, "signature": recorded.get("signature")}


def draft(session: Session, *, actor: Actor, tender_id: str, digest: str) -> tuple[dict[str, Any], bytes, str | None]:
    """The document a member signs for the report with ``digest``."""
    tender = committees.active_member(session, actor=actor, tender_id=tender_id)
    return signatures.draft(
        session, actor=actor, command=COMMAND, object_id=tender.id, process_id=tender.id, content={"digest": digest}
    )


def signed(session: Session, tender_id: str, digest: str) -> list[dict[str, Any]]:
    """Who signed the report with ``digest``, when, with which key (oldest first)."""
    rows = session.scalars(
        select(Event).where(Event.process_id == tender_id, Event.command == COMMAND).order_by(Event.seq)
    )
    out = []
    for event in rows:
        if event.payload.get("digest") != digest:
            continue
        user = session.get(User, event.actor_id)
        recorded = event.payload.get("signature")
        out.append(
            {
                "member_id": event.actor_id,
                "name": user.name if user is not None else event.actor_id,
                "signed_at": event.recorded_at.isoformat(timespec="minutes"),
                "signature": _label(recorded),
            }
        )
    return out


def _label(recorded: Any) -> str | None:
    if not isinstance(recorded, dict):
        return None
    return f"{recorded.get('scheme')} · key {recorded.get('key_id')}"
