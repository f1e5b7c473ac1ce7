"""My interests: a person who may sit on evaluation committees declares their identifier and past employers.

The declaration is what the conflict-of-interest check reads before a member takes part in an opening
(``committees.interests.links``): a bidder that employed the member, that declared the member as an owner or director,
or that shares an address with a past employer. The page shows the current declaration (the identifier never: the
platform keeps only its keyed digest) and a form that replaces it, read exactly as ``PUT /api/v1/me/interests`` reads
its body (``committees.schemas.InterestsIn``) and recorded by the same service function.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.api.deps import AppState
from quartermaster.committees import interests
from quartermaster.committees.models import MemberInterests
from quartermaster.committees.schemas import InterestsIn
from quartermaster.errors import QMError, ValidationFailed
from quartermaster.identity.models import Organization
from quartermaster.web.auth import CsrfChecked, PageRoute, Person
from quartermaster.web.refusals import GENERIC, Link, Refusal, denied, explanation
from quartermaster.web.staff import STAFF
from quartermaster.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_ROWS = 50  # InterestsIn.past_employers holds at most 50
BLANK_ROWS = 3  # empty rows offered under the declared ones
FIELD_LABELS = {
    "national_id": "Your identifier",
    "past_employers": "Past employers",
    "organization_id": "Organization",
    "from_year": "From year",
    "to_year": "To year",
}
# This page's explanations of the codes the common table (refusals.EXPLANATIONS) does not explain.
EXPLANATIONS = {
    "interests.invalid": "The declaration cannot be recorded; see the notes below.",
    "interests.not_staff": "Only the staff of a buying organization (buyers, approvers and evaluators) sit on "
    "committees and declare their interests.",
}

Year = Annotated[list[str], Form(max_length=MAX_ROWS + BLANK_ROWS)]


@dataclasses.dataclass(frozen=True)
class Row:
    """One past employer as the form shows it: what was typed (or declared), and its notes if refused."""

    organization_id: str = ""
    from_year: str = ""
    to_year: str = ""
    notes: tuple[tuple[str, str], ...] = ()


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.qm
    return state


def _forbidden(request: Request) -> Response:
    return denied(
        request,
        heading="My interests",
        message="Only the staff of a buying organization (buyers, approvers and evaluators) sit on committees and "
        "declare their interests. Your account may not use this page.",
        links=[Link("/account", "Your account"), Link("/me/keys", "My keys")],
    )


def _refusal(exc: QMError | ValidationError) -> Refusal:
    """A refused declaration: the service's or schema's refusal, with this page's words for its own codes."""
    if isinstance(exc, ValidationError):
        made = Refusal.of_schema(exc, page="interests", field_of=_name)
    else:
        made = Refusal.of(exc, page="interests", field_of=_name)
    text = EXPLANATIONS.get(made.code) or explanation(made.code, "interests") or GENERIC
    return dataclasses.replace(made, text=text)


def _row_of(path: str) -> int | None:
    """The position in the declaration of a field path such as ``past_employers.2.to_year`` (None elsewhere)."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] == "past_employers" and parts[1].isdigit():
        return int(parts[1])
    return None


def _name(path: str) -> str:
    """The form field a field path names (``past_employers.2.to_year`` -> ``to_year``)."""
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    return parts[-1] if parts else ""


def _errors_of(exc: QMError | ValidationError) -> list[tuple[str, str]]:
    """(field path, message) of every field a refusal names."""
    if isinstance(exc, ValidationError):
        return [(".".join(str(p) for p in err["loc"]), str(err["msg"])) for err in exc.errors()]
    listed = exc.fields.get("errors") or []
    return [(str(e.get("field", "")), str(e.get("message", ""))) for e in listed if isinstance(e, dict)]


def _organizations(session: Session) -> list[Organization]:
    """Every organization registered on the platform, by name: a past employer is one of them."""
    return list(session.scalars(select(Organization).order_by(Organization.name, Organization.id)))


def _declared_rows(row: MemberInterests | None) -> list[Row]:
    if row is None:
        return []
    return [
        Row(str(j.get("organization_id", "")), str(j.get("from") or ""), str(j.get("to") or ""))
        for j in row.past_employers
    ]


def _page(
    request: Request,
    person: Actor,
    *,
    refusal: Refusal | None = None,
    typed_rows: Sequence[Row] | None = None,
    declared: bool = False,
) -> Response:
    state = _state(request)
    with state.db.unit_of_work(write=False) as session:
        current = session.get(MemberInterests, person.user_id)
        organizations = _organizations(session)
        rows = list(typed_rows) if typed_rows is not None else _declared_rows(current)
        rows += [Row()] * min(BLANK_ROWS, max(0, MAX_ROWS - len(rows)))
        page = render(
            request,
            "interests.html",
            status_code=refusal.status if refusal else 200,
            current=current,
            employers=_declared_rows(current),
            names={o.id: o.name for o in organizations},
            organizations=organizations,
            rows=rows,
            refusal=refusal,
            declared=declared,
            field_labels=FIELD_LABELS,
        )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/me/interests", response_class=HTMLResponse)
def interests_page(request: Request, person: Person, declared: str = "") -> Response:
    """My declared past employers (the identifier is never shown), and the form that replaces the declaration."""
    if person.role not in STAFF:
        return _forbidden(request)
    return _page(request, person, declared=declared == "1")


def _year(text: str, path: str, errors: list[dict[str, str]]) -> int | None:
    """A year as typed (four digits expected; the schema checks the range); None if empty or unreadable."""
    text = text.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 4:
        return int(text)
    errors.append({"field": path, "message": "not a year"})
    return None


def _read_form(national_id: str, rows: Sequence[Row]) -> tuple[InterestsIn, list[int]]:
    """The declaration the form means, and for each of its past employers the form row it came from.

    Empty rows are left out; a row with years but no organization, or a year that is not a number, is refused here
    with its position in the declaration, so the page marks the row."""
    body: list[dict[str, Any]] = []
    origin: list[int] = []
    errors: list[dict[str, str]] = []
    for n, row in enumerate(rows):
        if not (row.organization_id.strip() or row.from_year.strip() or row.to_year.strip()):
            continue
        path = f"past_employers.{len(body)}"
        if not row.organization_id.strip():
            errors.append({"field": f"{path}.organization_id", "message": "choose the organization"})
        if not row.from_year.strip():
            errors.append({"field": f"{path}.from_year", "message": "required"})
        body.append(
            {
                "organization_id": row.organization_id.strip(),
                "from_year": _year(row.from_year, f"{path}.from_year", errors),
                "to_year": _year(row.to_year, f"{path}.to_year", errors),
            }
        )
        origin.append(n)
    if not national_id.strip():
        errors.insert(0, {"field": "national_id", "message": "required"})
    if errors:
        raise _Unread(ValidationFailed("the declaration cannot be read", errors=errors), origin)
    try:
        return InterestsIn.model_validate({"national_id": national_id, "past_employers": body}), origin
    except ValidationError as exc:
        raise _Unread(exc, origin) from exc


class _Unread(Exception):
    """The form could not be read as a declaration: the refusal, and where each declared row came from."""

    def __init__(self, cause: QMError | ValidationError, origin: list[int]) -> None:
        super().__init__(str(cause))
        self.cause, self.origin = cause, origin


def _marked(rows: Sequence[Row], origin: Sequence[int], exc: QMError | ValidationError) -> list[Row]:
    """The typed rows with each refusal note on the form row it is about."""
    notes: dict[int, list[tuple[str, str]]] = {}
    for path, message in _errors_of(exc):
        position = _row_of(path)
        if position is not None and position < len(origin):
            notes.setdefault(origin[position], []).append((_name(path), message))
    return [dataclasses.replace(row, notes=tuple(notes.get(n, ()))) for n, row in enumerate(rows)]


@router.post("/me/interests", dependencies=[CsrfChecked])
def declare(
    request: Request,
    person: Person,
    national_id: Annotated[str, Form(max_length=40)] = "",
    organization_id: Year = [],  # noqa: B006 (FastAPI copies defaults)
    from_year: Year = [],  # noqa: B006
    to_year: Year = [],  # noqa: B006
) -> Response:
    """Replace my declaration: my identifier (kept as a keyed digest) and my past employers with their years."""
    if person.role not in STAFF:
        return _forbidden(request)
    count = max(len(organization_id), len(from_year), len(to_year))
    pad = [*organization_id, *[""] * count], [*from_year, *[""] * count], [*to_year, *[""] * count]
    rows = [Row(pad[0][n], pad[1][n], pad[2][n]) for n in range(count)]
    state = _state(request)
    origin: list[int] = []
    try:
        spec, origin = _read_form(national_id, rows)
        jobs = [interests.EmploymentIn(j.organization_id, j.from_year, j.to_year) for j in spec.past_employers]
        with state.db.unit_of_work() as session:
            interests.declare_interests(
                session,
                actor=person,
                now=state.clock.now(),
                national_id=spec.national_id,
                past_employers=jobs,
                vault=state.vault,
            )
    except _Unread as unread:
        refusal = _refusal(unread.cause)
        return _page(request, person, refusal=refusal, typed_rows=_marked(rows, unread.origin, unread.cause))
    except QMError as exc:
        return _page(request, person, refusal=_refusal(exc), typed_rows=_marked(rows, origin, exc))
    return RedirectResponse("/me/interests?declared=1", status_code=303)
