"""Oversight pages of the web interface: the auditor's timeline of a process and the public dashboard.

The timeline (``/audit/tenders/{id}``) lists every event of a contracting process, oldest first, with who did it, in
which role, the command, the state before and after and the payload's hash. Auditors see it, and so does the staff
of the buying organization; a classified process only for those ``access.may_view`` lets see it.

The dashboard (``/dashboard``) is public: four indicators per procedure, each a server-rendered SVG bar chart with
its numbers as a table (the accessible alternative) and as a CSV download. See ``indicators`` for what is counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor, Role
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.events.service import process_events
from quartermaster.identity.models import User
from quartermaster.tenders import access
from quartermaster.tenders.models import Tender
from quartermaster.web import indicators
from quartermaster.web.auth import PageRoute, Person
from quartermaster.web.queries import label
from quartermaster.web.refusals import Link, denied, no_public_page
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

BUYER_STAFF = (Role.BUYER, Role.APPROVER, Role.EVALUATOR)
EVENT_PAGE = 500
ROLES = {  # English labels of the roles (translated in the catalogues)
    "buyer": "Buyer",
    "approver": "Approver",
    "evaluator": "Evaluator",
    "supplier": "Supplier",
    "auditor": "Auditor",
    "admin": "Administrator",
    "system": "Platform (scheduler)",
}


class _State(Protocol):
    """What these pages need of the app's state (``api.deps.AppState``)."""

    db: Database


def _state(request: Request) -> _State:
    state: _State = request.app.state.qm
    return state


# --- the auditor's timeline ----------------------------------------------------------------------------------------


def may_audit(actor: Actor, buyer_id: str) -> bool:
    """Auditors, and the staff of the buying organization, read a process's event history."""
    if actor.role is Role.AUDITOR:
        return True
    return actor.role in BUYER_STAFF and actor.organization_id is not None and actor.organization_id == buyer_id


def _all_events(session: Session, process_id: str) -> list[Event]:
    events: list[Event] = []
    while True:
        page = process_events(session, process_id, after_seq=events[-1].seq if events else 0, limit=EVENT_PAGE)
        events.extend(page)
        if len(page) < EVENT_PAGE:
            return events


def _names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


@router.get("/audit/tenders/{tender_id}", response_class=HTMLResponse)
def timeline(request: Request, tender_id: str, person: Person) -> HTMLResponse:
    """A process's full event history, oldest first: when, who (and in which role), what, state before → after."""
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        tender = session.get(Tender, tender_id) if len(tender_id) <= 32 else None
        if tender is None:
            return no_public_page(request)
        if not may_audit(person, tender.buyer_id) or not access.may_view(session, person, tender_id):
            return denied(
                request,
                heading="Access refused",
                message="The event history of a process is open to auditors and to the staff of its buyer; "
                "a classified process only to those cleared for it.",
                links=[Link("/", "Front page"), Link("/dashboard", "Dashboard")],
            )
        events = _all_events(session, tender_id)
        page = render(
            request,
            "oversight/timeline.html",
            tender=tender,
            events=events,
            names=_names(session, {e.actor_id for e in events}),
            label=label,
            roles=ROLES,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


# --- the dashboard -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an indicator's table: the row's field, its English header, and how to show it."""

    field: str
    header: str
    kind: str = "number"  # number | percent | money | procedure | text


@dataclass(frozen=True)
class Indicator:
    """One dashboard indicator: its query, its table's columns and the column its chart plots."""

    key: str
    title: str
    explanation: str
    query: Callable[[Session], Sequence[Any]]
    columns: tuple[Column, ...]
    chart: str
    chart_kind: str = "number"


PROCEDURE = Column("procedure", "Procedure", "procedure")
INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "cycle-time",
            "Cycle time",
            "Median days from a tender's publication to the signature of its contracts.",
            indicators.cycle_time,
            (PROCEDURE, Column("contracts", "Signed contracts"), Column("median_days", "Median days")),
            "median_days",
        ),
        Indicator(
            "competition",
            "Competition",
            "Bids per tender and the share of tenders with a single bid, among tenders whose bids were opened.",
            indicators.competition,
            (
                PROCEDURE,
                Column("tenders", "Tenders"),
                Column("bids", "Bids"),
                Column("mean_bids", "Mean bids per tender"),
                Column("single_bid_share", "Single-bid share", "percent"),
            ),
            "mean_bids",
        ),
        Indicator(
            "savings",
            "Savings",
            "One minus the awarded value over the estimated value of the awarded lots.",
            indicators.savings,
            (
                PROCEDURE,
                Column("currency", "Currency", "text"),
                Column("lots", "Awarded lots"),
                Column("estimated", "Estimated value", "money"),
                Column("awarded", "Awarded value", "money"),
                Column("savings_share", "Savings", "percent"),
            ),
            "savings_share",
            "percent",
        ),
        Indicator(
            "on-time-delivery",
            "On-time delivery",
            "The share of accepted deliveries made by the contract's delivery date.",
            indicators.on_time_delivery,
            (
                PROCEDURE,
                Column("deliveries", "Accepted deliveries"),
                Column("on_time", "On time"),
                Column("on_time_share", "On-time share", "percent"),
            ),
            "on_time_share",
            "percent",
        ),
    )
}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """The public dashboard: every indicator as a chart, a table and a CSV link."""
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        results = [(i, [asdict(r) for r in i.query(session)]) for i in INDICATORS.values()]
    return render(request, "oversight/dashboard.html", results=results, label=label)


@router.get("/dashboard/{indicator}.csv")
def dashboard_csv(request: Request, indicator: str) -> Response:
    """One indicator's table as CSV (UTF-8, a header row, codes and plain decimal numbers)."""
    spec = INDICATORS.get(indicator)
    if spec is None:
        return no_public_page(request)
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        rows = [asdict(r) for r in spec.query(session)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.field for c in spec.columns])
    writer.writerows([[row[c.field] for c in spec.columns] for row in rows])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{spec.key}.csv"'},
    )
