"""The evaluation committee's scoring pages: each member's own assessments, then the chair's consolidation.

``/buyer/tenders/{id}/scoring`` shows, for each lot of a tender in qualification, the opened bids. An active
committee member who has declared about every bidder assesses each bid once (compliant or not, quality 0-100, the
delivery time and life-cycle cost the offer commits to, a note); assessments are final. What a person sees of the
assessments is what ``committees.scoring.visible_scores`` gives them: their own until the lot is consolidated, every
member's afterwards. The chair sees how many members have assessed every bid (a count, never the scores) and, once a
quorum (k) has, consolidates: the consolidated table (majority compliance, median findings) is then the lot's
evaluation of record, which the award follows (``awards.ranking``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.api.deps import AppState
from quartermaster.bids import service as bids
from quartermaster.bids.models import Bid
from quartermaster.committees import scoring
from quartermaster.committees import service as committees
from quartermaster.committees.models import CHAIR, Committee, MemberScore
from quartermaster.committees.schemas import ScoresIn
from quartermaster.errors import NotFound, PermissionDenied, QMError
from quartermaster.identity.models import Organization, User
from quartermaster.tenders import models as tm
from quartermaster.tenders.models import Lot, Tender
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.buyer import tender_not_found
from quartermaster.web.i18n import parse_decimal
from quartermaster.web.refusals import Link, Refusal, denied
from quartermaster.web.staff import is_staff, own_tender
from quartermaster.web.templating import language, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The form's fields per bid (``quality-<bid id>`` …) by the English label the refusal names them with.
FIELDS = {
    "compliant": "Compliance",
    "quality": "Quality score (0–100)",
    "delivery": "Delivery time, days",
    "cost": "Life-cycle cost",
    "note": "Note",
}
# The assessment schema's fields by the form's.
SCHEMA_FIELDS = {
    "compliant": "compliant",
    "quality": "quality",
    "delivery_days": "delivery",
    "life_cycle_cost": "cost",
    "note": "note",
}
# What the scoring page says for the committee's refusals (English msgids; the common ones are in refusals.py).
EXPLANATIONS = {
    "committee.not_assessing": "Bids are assessed after the opening and before the award.",
    "committee.consolidated": "The lot's assessments are already consolidated: they can no longer change.",
    "committee.scores_invalid": "The assessments cannot be recorded; see the notes below.",
    "committee.chair_only": "Only the committee's chair consolidates the assessments.",
    "committee.no_quorum": "Not enough members have assessed every bid yet: the chair consolidates once the quorum "
    "has.",
    "committee.no_bids": "There is no opened bid on this lot to assess.",
    "committee.not_a_member": "Only an active member of the tender's committee assesses bids.",
    "opening.recused": "A member who stepped down from the committee takes no part in the evaluation.",
}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _forbidden(request: Request) -> Response:
    return denied(
        request,
        heading="Committee assessments",
        message="The committee's assessments are for the staff of the buying organization. Your account may not use "
        "these pages.",
        links=[Link("/account", "Your account"), Link("/tenders", "Search tenders")],
    )


def _refusal(exc: QMError | ValidationError, bid_ids: list[str] | None = None) -> Refusal:
    """A refused command as this page explains it; a field of an assessment row is named by its form field."""

    def field_of(path: str) -> str:
        parts = path.split(".")
        if len(parts) >= 3 and parts[0] == "scores" and parts[1].isdigit() and bid_ids:
            i = int(parts[1])
            own = SCHEMA_FIELDS.get(parts[2], parts[2])
            return f"{own}-{bid_ids[i]}" if i < len(bid_ids) else own
        return parts[-1] if parts else ""

    if isinstance(exc, ValidationError):
        return Refusal.of_schema(exc, page="scoring", field_of=field_of)
    refusal = Refusal.of(exc, page="scoring", field_of=field_of)
    own = EXPLANATIONS.get(exc.code)
    return replace(refusal, text=own) if own else refusal


# --- the page -------------------------------------------------------------------------------------------------------


def _names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(user_ids))).all()}


def _complete(committee: Committee, scores: list[MemberScore], opened: list[str]) -> int:
    """How many active members have assessed every opened bid (what the quorum counts)."""
    active = {m.user_id for m in committee.active_members()}
    done = [m for m in active if {s.bid_id for s in scores if s.member_id == m} >= set(opened)]
    return len(done)


def _lot_view(session: Session, tender: Tender, lot: Lot, person: Actor, committee: Committee) -> dict[str, Any]:
    """One lot: its opened bids with my assessment (or a form row), the chair's count, the consolidation."""
    opened = bids.opened_on_lot(session, tender.id, lot.id)
    rows = session.scalars(select(Bid).where(Bid.id.in_(opened)).order_by(Bid.submitted_at, Bid.id)).all()
    visible = scoring.visible_scores(session, actor=person, tender_id=tender.id, lot_id=lot.id)
    consolidation = scoring.consolidation_of(session, tender.id, lot.id)
    mine = {s.bid_id: s for s in visible if s.member_id == person.user_id}
    offers = []
    for bid in rows:
        value = bid.value_for(lot.id)
        if value is None or not bids.can_read_contents(person, bid):
            continue
        offers.append({"bid": bid, "value": value, "mine": mine.get(bid.id)})
    member = next((m for m in committee.members if m.user_id == person.user_id), None)
    chair = member is not None and member.role == CHAIR and member.recused_at is None
    complete = _complete(committee, scoring.scores_of(session, tender.id, lot.id), opened) if chair else None
    return {
        "lot": lot,
        "offers": offers,
        "to_assess": [o for o in offers if o["mine"] is None],
        "visible": visible,  # my own until the consolidation, every member's afterwards
        "consolidation": consolidation,
        "results": {str(r["bid_id"]): r for r in consolidation.results} if consolidation else {},
        "complete": complete,
        "may_consolidate": chair
        and consolidation is None
        and tender.status == tm.QUALIFICATION
        and bool(opened)
        and (complete or 0) >= committee.threshold,
    }


def _scoring_page(
    request: Request,
    person: Actor,
    tender_id: str,
    *,
    refusal: Refusal | None = None,
    typed: dict[str, str] | None = None,
    lot_refused: str | None = None,
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        try:
            tender = own_tender(session, person, tender_id, join_lots=True)
        except (NotFound, PermissionDenied):
            return tender_not_found(request)
        committee = committees.get_committee(session, tender.id)
        context: dict[str, Any] = {"committee": committee, "lots": [], "names": {}, "member": None, "orgs": {}}
        if committee is not None:
            member = next((m for m in committee.members if m.user_id == person.user_id), None)
            lots = [
                _lot_view(session, tender, lot, person, committee)
                for lot in sorted(tender.lots, key=lambda x: x.position)
            ]
            shown = {o["bid"].supplier_id for view in lots for o in view["offers"]}
            undeclared = (
                committees.undeclared(
                    session, tender_id=tender.id, member_id=person.user_id, bidders=bids.bidders(session, tender.id)
                )
                if member is not None and member.recused_at is None
                else []
            )
            context = {
                "committee": committee,
                "lots": lots,
                "member": member,
                "active": member is not None and member.recused_at is None,
                "undeclared": bool(undeclared),
                "names": _names(session, {m.user_id for m in committee.members}),
                "orgs": {
                    o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(shown))).all()
                },
            }
        page = render(
            request,
            "evaluation/scoring.html",
            status_code=refusal.status if refusal else 200,
            tender=tender,
            assessing=tender.status == tm.QUALIFICATION,
            refusal=refusal,
            lot_refused=lot_refused,
            typed=typed or {},
            field_labels=_field_labels(context["lots"]),
            **context,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


def _field_labels(lots: list[dict[str, Any]]) -> dict[str, str]:
    """Every row's form field by its English label (``quality-<bid>`` -> "Quality score (0–100)")."""
    return {f"{name}-{o['bid'].id}": label for view in lots for o in view["offers"] for name, label in FIELDS.items()}


@router.get("/buyer/tenders/{tender_id}/scoring", response_class=HTMLResponse)
def scoring_page(request: Request, person: Person, tender_id: str) -> Response:
    """The committee's scoring: per lot, the opened bids, my assessments, the chair's count and the consolidation."""
    if not is_staff(person):
        return _forbidden(request)
    return _scoring_page(request, person, tender_id)


# --- commands --------------------------------------------------------------------------------------------------------


def _read_rows(form: dict[str, str], lang: str) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """The answered rows of the form, as the assessment schema reads them: (bid ids, rows, unreadable fields).

    A row counts once its compliance is chosen; a row with figures but no compliance is a missing answer. Numbers
    are read as the person writes them in their language (``parse_decimal``).
    """
    bid_ids, rows, bad, missing = [], [], [], []
    for name, value in form.items():
        if not name.startswith("compliant-") or value not in ("yes", "no"):
            continue
        bid_id = name.removeprefix("compliant-")[:32]
        row: dict[str, Any] = {"bid_id": bid_id, "compliant": value == "yes"}
        for field, key in (("quality", "quality"), ("cost", "life_cycle_cost")):
            raw = form.get(f"{field}-{bid_id}", "").strip()
            if raw:
                number = parse_decimal(raw, lang)
                row[key] = number if number is not None else raw
                if number is None:
                    bad.append(f"{field}-{bid_id}")
        raw_days = form.get(f"delivery-{bid_id}", "").strip()
        if raw_days:
            if raw_days.isdigit() and len(raw_days) <= 6:
                row["delivery_days"] = int(raw_days)
            else:
                bad.append(f"delivery-{bid_id}")
        note = form.get(f"note-{bid_id}", "").strip()
        if note:
            row["note"] = note
        bid_ids.append(bid_id)
        rows.append(row)
    for name, value in form.items():  # figures typed for a bid whose compliance was not chosen
        field, _, bid_id = name.partition("-")
        if field in ("quality", "delivery", "cost", "note") and value.strip() and bid_id not in bid_ids:
            missing.append(f"compliant-{bid_id}")
    return bid_ids, rows, bad or sorted(set(missing))


@router.post("/buyer/tenders/{tender_id}/scoring/{lot_id}/assessments", dependencies=[CsrfChecked])
async def assess(request: Request, person: Person, tender_id: str, lot_id: str) -> Response:
    """Record my assessments of the bids I answered on a lot (final once recorded)."""
    if not is_staff(person):
        return _forbidden(request)
    raw = await request.form()
    form = {k: v[:5000] for k, v in list(raw.items())[:2000] if isinstance(v, str) and len(k) <= 64}
    return await run_in_threadpool(_assess, request, person, tender_id, lot_id, form)


def _assess(request: Request, person: Actor, tender_id: str, lot_id: str, form: dict[str, str]) -> Response:
    state = _state(request)
    bid_ids, rows, unreadable = _read_rows(form, language(request))
    typed = {k: v for k, v in form.items() if k != "csrf"}

    def again(refusal: Refusal) -> Response:
        return _scoring_page(request, person, tender_id, refusal=refusal, typed=typed, lot_refused=lot_id)

    if unreadable:
        code = "form.bad_number" if any(not f.startswith("compliant-") for f in unreadable) else "form.missing"
        return again(Refusal.local(code, page="scoring", fields=unreadable))
    if not rows:
        return again(Refusal.local("form.missing", page="scoring"))
    try:
        body = ScoresIn.model_validate({"scores": rows})
    except ValidationError as exc:
        return again(_refusal(exc, bid_ids))
    items = [
        scoring.ScoreIn(s.bid_id, s.compliant, s.quality, s.note, s.delivery_days, s.life_cycle_cost)
        for s in body.scores
    ]
    try:
        with state.db.unit_of_work() as session:
            own_tender(session, person, tender_id, join_lots=True)
            scoring.submit_scores(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender_id,
                lot_id=lot_id,
                opened=bids.opened_on_lot(session, tender_id, lot_id),
                bidders=bids.bidders(session, tender_id),
                scores=items,
            )
    except QMError as exc:
        if isinstance(exc, NotFound) and exc.code == "tender.not_found":
            return tender_not_found(request)
        return again(_refusal(exc, bid_ids))
    return RedirectResponse(f"/buyer/tenders/{tender_id}/scoring#lot-{lot_id}", status_code=303)


@router.post("/buyer/tenders/{tender_id}/scoring/{lot_id}/consolidation", dependencies=[CsrfChecked])
def consolidate(request: Request, person: Person, tender_id: str, lot_id: str) -> Response:
    """The chair consolidates the lot's assessments once a quorum has assessed every bid."""
    if not is_staff(person):
        return _forbidden(request)
    state = _state(request)
    try:
        with state.db.unit_of_work() as session:
            tender = own_tender(session, person, tender_id, join_lots=True)
            if tender.lot(lot_id) is None:
                raise NotFound("lot not found", code="lot.not_found")
            scoring.consolidate(
                session,
                actor=person,
                now=state.clock.now(),
                tender_id=tender_id,
                lot_id=lot_id,
                opened=bids.opened_on_lot(session, tender_id, lot_id),
            )
    except QMError as exc:
        if isinstance(exc, NotFound) and exc.code == "tender.not_found":
            return tender_not_found(request)
        return _scoring_page(request, person, tender_id, refusal=_refusal(exc), lot_refused=lot_id)
    return RedirectResponse(f"/buyer/tenders/{tender_id}/scoring#lot-{lot_id}", status_code=303)
