"""Pages: the public portal (no login). Each page reads through the services in one read transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from quartermaster.api.deps import AppState
from quartermaster.web import (
    auth,
    buyer,
    complaints,
    contracting,
    evaluation,
    interests,
    keys,
    opening,
    oversight,
    plans,
    reports,
    scoring,
    supplier,
)
from quartermaster.web import queries as portal
from quartermaster.web.i18n import LANGUAGES, parse_decimal
from quartermaster.web.refusals import no_public_page
from quartermaster.web.templating import STATIC, language, render

router = APIRouter(include_in_schema=False)
__all__ = ["STATIC", "router"]  # the app mounts STATIC at /static
router.include_router(auth.router)  # /login, /login/code, /logout, /account
router.include_router(buyer.router)  # the buyer's workspace
router.include_router(supplier.router)  # the supplier's workspace
router.include_router(oversight.router)  # the auditor's timeline and the dashboard
router.include_router(plans.router)  # procurement plans (buyer's workspace)
router.include_router(evaluation.router)  # opening, evaluation and award
router.include_router(contracting.router)  # contracts of both sides
router.include_router(complaints.router)  # claims, complaints and the review body's queue
router.include_router(keys.router)  # my signing and custody keys
router.include_router(opening.router)  # the evaluation committee and the opening of sealed bids
router.include_router(scoring.router)  # the committee's own assessments and the chair's consolidation
router.include_router(interests.router)  # my declared interests (past employers)
router.include_router(reports.router)  # the evaluation report: read, download, sign

PAGE_SIZE = 25
Text = Annotated[str | None, Query(max_length=200)]
Short = Annotated[str | None, Query(max_length=40)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The public front page."""
    return render(request, "home.html")


@router.get("/language")
def switch_language(
    request: Request, lang: Annotated[str, Query(max_length=8)], next: Annotated[str, Query(max_length=2000)] = "/"
) -> RedirectResponse:
    """Remember the chosen language in a cookie and go back (only to a page of this site)."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            path="/",
            samesite="lax",
            httponly=True,
            secure=auth.cookie_secure(request),
        )
    return response


# --- the public portal -----------------------------------------------------------------------------------------


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _amount(raw: str | None, field: str, problems: list[str], lang: str) -> Decimal | None:
    """A money bound as typed in either language (``1 500 000,50`` or ``1,500,000.50``); None if empty or bad."""
    if raw is None or not raw.strip():
        return None
    value = parse_decimal(raw, lang)
    if value is None or abs(value) >= Decimal(10) ** 18:
        problems.append(field)
        return None
    return value


def _day(raw: str | None, field: str, problems: list[str]) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(field)
        return None


@router.get("/tenders", response_class=HTMLResponse)
def tenders(
    request: Request,
    q: Text = None,
    status: Short = None,
    procedure: Short = None,
    buyer: Short = None,
    cpv: Short = None,
    value_from: Short = None,
    value_to: Short = None,
    published_from: Short = None,
    published_to: Short = None,
    after: Annotated[str | None, Query(max_length=80)] = None,
) -> HTMLResponse:
    """Search public tenders; an HTMX request gets only the results (the form stays as it is)."""
    problems: list[str] = []
    cpv_digits = "".join(ch for ch in (cpv or "") if ch.isdigit())[:8] or None
    search = portal.TenderSearch(
        text=q,
        status=status or None,
        procedure=procedure or None,
        buyer_id=buyer or None,
        cpv_prefix=cpv_digits,
        value_from=_amount(value_from, "value_from", problems, language(request)),
        value_to=_amount(value_to, "value_to", problems, language(request)),
        published_from=_day(published_from, "published_from", problems),
        published_to=_day(published_to, "published_to", problems),
    )
    params = {
        k: v
        for k, v in {
            "q": q,
            "status": status,
            "procedure": procedure,
            "buyer": buyer,
            "cpv": cpv,
            "value_from": value_from,
            "value_to": value_to,
            "published_from": published_from,
            "published_to": published_to,
        }.items()
        if v
    }
    state = _state(request)
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    with state.db.unit_of_work(write=False) as session:
        results = portal.search_tenders(session, search, after=after, limit=PAGE_SIZE)
        more = f"/tenders?{urlencode({**params, 'after': results.next})}" if results.next else None
        context: dict[str, Any] = {
            "results": results,
            "params": params,
            "more": more,
            "first_page": f"/tenders?{urlencode(params)}" if after else None,
            "problems": problems,
            **portal.helpers(state.lists, language(request)),
        }
        if partial:
            response = render(request, "partials/tender_results.html", **context)
        else:
            response = render(
                request,
                "tenders.html",
                buyers=portal.public_buyers(session),  # rendered while the session is open
                statuses=portal.PUBLIC_TENDER_STATUSES,
                procedures=portal.PROCEDURES,
                **context,
            )
    response.headers["Vary"] = "Accept-Language, Cookie, HX-Request"
    return response


@router.get("/tenders/{tender_id}", response_class=HTMLResponse)
def tender(request: Request, tender_id: str) -> HTMLResponse:
    """A tender's page; for a classified process, what its public OCDS record shows and nothing more."""
    state = _state(request)
    lang = language(request)
    with state.db.unit_of_work(write=False) as session:
        view = portal.tender_view(session, tender_id, ocid_prefix=state.settings.ocid_prefix)
        if view is None:
            return no_public_page(request)
        return render(request, "tender.html", **portal.helpers(state.lists, lang), **view)


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def contract(request: Request, contract_id: str) -> HTMLResponse:
    """A contract's page; for a classified process, what its public OCDS record shows and nothing more."""
    state = _state(request)
    lang = language(request)
    with state.db.unit_of_work(write=False) as session:
        view = portal.contract_view(session, contract_id, ocid_prefix=state.settings.ocid_prefix)
        if view is None:
            return no_public_page(request)
        return render(request, "contract.html", **portal.helpers(state.lists, lang), **view)


@router.get("/open-data", response_class=HTMLResponse)
def open_data(request: Request) -> HTMLResponse:
    """Where the open data is: OCDS API, monthly bulk files, the feed, the aggregates and the signed log."""
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        return render(request, "open_data.html", **portal.open_data_view(session, state.publication))
