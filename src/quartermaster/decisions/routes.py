"""``POST /api/v1/decisions/draft``: the exact document a decision's signature covers, so no client guesses bytes."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from quartermaster.api.deps import CurrentActor, ReadSession, State
from quartermaster.awards import decisions as award_decisions
from quartermaster.awards.schemas import AwardIn
from quartermaster.contracts import service as contracts
from quartermaster.decisions import schemes
from quartermaster.decisions.schemas import DraftIn, DraftRead, SignedReason
from quartermaster.identity.keys import b64url
from quartermaster.reports import signing as report_signing
from quartermaster.tenders import access

router = APIRouter(prefix="/api/v1", tags=["decisions"])

M = TypeVar("M", bound=BaseModel)


def _body(model: type[M], body: dict[str, Any]) -> M:
    """The command's request body, validated as the command itself validates it (its signature is not needed)."""
    try:
        return model.model_validate({k: v for k, v in body.items() if k != "signature"})
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


@router.post("/decisions/draft", response_model=DraftRead, summary="The document to sign for a decision")
def draft(body: DraftIn, session: ReadSession, actor: CurrentActor, state: State) -> DraftRead:
    """Give the command (award, disqualify_bid, cancel_award, sign_contract), the object it acts on and the body you
    will send; sign the returned ``canonical`` bytes with your signing key and send the command with
    ``"signature": {"scheme": "ed25519", "signature": <base64url>}``. Nothing is changed."""
    prefix = state.settings.ocid_prefix
    if body.command == "sign_report":
        made = report_signing.draft(
            session, actor=actor, tender_id=body.object_id, digest=str(body.body.get("digest", ""))
        )
        access.require_view(session, actor, body.object_id, ocid_prefix=prefix)
    elif body.command == "sign_contract":
        _, made = contracts.draft_signature(session, actor=actor, contract_id=body.object_id)
        access.require_view_of(session, actor, "contract", body.object_id, ocid_prefix=prefix)
    else:
        if body.command == "award":
            process_id, made = award_decisions.draft_award(
                session, actor=actor, lot_id=body.object_id, spec=_body(AwardIn, body.body)
            )
        elif body.command == "disqualify_bid":
            process_id, made = award_decisions.draft_disqualify(
                session, actor=actor, bid_id=body.object_id, spec=_body(SignedReason, body.body)
            )
        else:
            process_id, made = award_decisions.draft_cancel(
                session, actor=actor, award_id=body.object_id, spec=_body(SignedReason, body.body)
            )
        access.require_view(session, actor, process_id, ocid_prefix=prefix)
    document, data, key_id = made
    return DraftRead(document=document, canonical=b64url(data), schemes=schemes(), key_id=key_id)
