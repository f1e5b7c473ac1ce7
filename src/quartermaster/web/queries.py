"""Reads of the public portal that the services' list functions do not offer: full-text-ish search with value
ranges and buyer names, in one statement per page.

Only what an anonymous visitor may see: never a draft, never a classified process (``access.visible_filter`` with
no actor, applied inside the statement so hidden processes change neither the rows, the count nor the cursor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, and_, cast, func, literal, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList, Grouping, UnaryExpression

from quartermaster.awards import service as award_service
from quartermaster.codelists import CodeLists
from quartermaster.contracts import implementation
from quartermaster.contracts import service as contract_service
from quartermaster.contracts.models import Contract
from quartermaster.documents import service as documents
from quartermaster.errors import NotFound
from quartermaster.frameworks.models import Framework
from quartermaster.identity.models import Organization
from quartermaster.publication import aggregates, bulk, reads
from quartermaster.publication.context import Publication
from quartermaster.tenders import access, periods
from quartermaster.tenders import models as tm
from quartermaster.tenders import service as tenders
from quartermaster.tenders.models import Tender
from quartermaster.web.units import format_quantity

MAX_TEXT = 200
_AMOUNT = Numeric(20, 2)


@dataclass(frozen=True)
class TenderSearch:
    """What a visitor asked for (every field optional)."""

    text: str | None = None
    status: str | None = None
    procedure: str | None = None
    buyer_id: str | None = None
    cpv_prefix: str | None = None
    value_from: Decimal | None = None
    value_to: Decimal | None = None
    published_from: date | None = None
    published_to: date | None = None  # inclusive: the whole day


@dataclass(frozen=True)
class TenderRow:
    """One line of the results table."""

    id: str
    title: str
    status: str
    procedure: str
    buyer_id: str
    buyer_name: str
    buyer_name_uk: str | None
    cpv: str
    value_amount: Decimal
    currency: str
    published_at: datetime
    tender_end: datetime | None


@dataclass(frozen=True)
class TenderResults:
    """A page of results, how many match in all, and the cursor of the next page (None: the last page)."""

    rows: list[TenderRow]
    total: int
    next: str | None


def encode_cursor(row: TenderRow) -> str:
    """The keyset position after ``row`` (newest first: publication moment, then id)."""
    return f"{row.published_at.astimezone(UTC):%Y%m%dT%H%M%S%f}.{row.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The position a cursor names; None when absent or malformed (the first page)."""
    if not cursor:
        return None
    moment, _, row_id = cursor.partition(".")
    if not row_id or len(row_id) > 32 or not row_id.isalnum():
        return None
    try:
        return datetime.strptime(moment, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC), row_id
    except ValueError:
        return None


def _spellings(text: str) -> list[str]:
    """Case variants of a search text. LIKE folds only ASCII case on SQLite (and ILIKE depends on PostgreSQL's
    locale), so Cyrillic words are matched as typed, in lower case, capitalised and in upper case."""
    base = text.strip()[:MAX_TEXT]
    return list(dict.fromkeys((base, base.lower(), base.capitalize(), base.upper())))


def _text_condition(text: str) -> ColumnElement[bool]:
    terms = []
    for spelling in _spellings(text):
        terms.append(Tender.title.ilike(f"%{_escape(spelling)}%", escape="\\"))
        terms.append(Tender.description.ilike(f"%{_escape(spelling)}%", escape="\\"))
    return or_(*terms)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _public() -> list[ColumnElement[bool]]:
    """Tenders that were published: never a draft, nor a draft cancelled before it was ever published."""
    return [Tender.status != tm.DRAFT, Tender.published_at.is_not(None)]


def _conditions(q: TenderSearch) -> list[ColumnElement[bool]]:
    """The WHERE terms of a search (besides visibility)."""
    out: list[ColumnElement[bool]] = _public()
    if q.text and q.text.strip():
        out.append(_text_condition(q.text))
    if q.status:
        out.append(Tender.status == q.status)
    if q.procedure:
        out.append(Tender.procedure == q.procedure)
    if q.buyer_id:
        out.append(Tender.buyer_id == q.buyer_id)
    if q.cpv_prefix:
        out.append(Tender.cpv_main.startswith(q.cpv_prefix, autoescape=True))
    # Amounts are text on SQLite (exact decimals): compare them as numbers on every engine.
    amount = cast(Tender.value_amount, _AMOUNT)
    if q.value_from is not None:
        out.append(amount >= literal(q.value_from, _AMOUNT))
    if q.value_to is not None:
        out.append(amount <= literal(q.value_to, _AMOUNT))
    if q.published_from is not None:
        out.append(Tender.published_at >= datetime.combine(q.published_from, time(), UTC))
    if q.published_to is not None:
        out.append(Tender.published_at < datetime.combine(q.published_to + timedelta(days=1), time(), UTC))
    return out


@cache
def _visible() -> ColumnElement[bool]:
    return _conjunctive(access.visible_filter(None, "tender"))


def _conjunctive(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``NOT (a OR b OR …)`` rewritten as ``NOT a AND NOT b AND …`` (the same rows; anything else unchanged).

    The visibility test is a NOT over an OR of a dozen correlated EXISTS. PostgreSQL runs such a NOT as a subplan
    per row (about 0.5 s over 2,000 tenders), but turns each top-level ``NOT EXISTS`` into a hashed anti-join
    (about 30 ms): this is what keeps the search under 100 ms there. SQLite runs both forms alike.
    """
    if not (isinstance(condition, UnaryExpression) and condition.operator is operators.inv):
        return condition
    inner: Any = condition.element
    while isinstance(inner, Grouping):
        inner = inner.element
    if not (isinstance(inner, BooleanClauseList) and inner.operator is operators.or_):
        return condition
    return and_(*(not_(term) for term in inner.clauses))


def search_statement(q: TenderSearch, after: str | None, limit: int) -> Select[Any]:
    """The one statement of a results page: the matching rows after the cursor, newest first, each carrying the
    count of all matches (a window over the filtered set, computed before the keyset cut)."""
    matches = (
        select(
            Tender.id,
            Tender.title,
            Tender.status,
            Tender.procedure,
            Tender.buyer_id,
            Organization.name.label("buyer_name"),
            Organization.name_uk.label("buyer_name_uk"),
            Tender.cpv_main,
            Tender.value_amount,
            Tender.currency,
            Tender.published_at,
            Tender.tender_end,
            func.count().over().label("total"),
        )
        .join(Organization, Organization.id == Tender.buyer_id)
        .where(*_conditions(q), _visible())
        .subquery("matches")
    )
    stmt = select(matches).order_by(matches.c.published_at.desc(), matches.c.id.desc()).limit(limit + 1)
    position = decode_cursor(after)
    if position is not None:
        moment, row_id = position
        stmt = stmt.where(
            or_(
                matches.c.published_at < moment,
                and_(matches.c.published_at == moment, matches.c.id < row_id),
            )
        )
    return stmt


def search_tenders(session: Session, q: TenderSearch, *, after: str | None, limit: int) -> TenderResults:
    """A page of public tenders matching ``q``, newest first, with the total number of matches."""
    found = session.execute(search_statement(q, after, limit)).all()
    rows = [TenderRow(*r[:12]) for r in found[:limit]]
    total = int(found[0].total) if found else _count_when_past_the_end(session, q, after)
    nxt = encode_cursor(rows[-1]) if len(found) > limit else None
    return TenderResults(rows=rows, total=total, next=nxt)


def _count_when_past_the_end(session: Session, q: TenderSearch, after: str | None) -> int:
    """The count for an empty page: zero without a cursor; past the last row, the matches still exist."""
    if decode_cursor(after) is None:
        return 0
    stmt = select(func.count()).select_from(Tender).where(*_conditions(q), _visible())
    return int(session.scalar(stmt) or 0)


def public_buyers(session: Session) -> Sequence[Organization]:
    """Organizations that bought through a tender the public may see (the buyer filter's choices)."""
    if session.get_bind().dialect.name == "postgresql":
        # One pass of anti-joins over the tenders (hashed), then the buyers among them: 45 ms against 72 ms for
        # the EXISTS below over 2,000 tenders, which PostgreSQL runs as a subplan per organization.
        buyers = select(Tender.buyer_id).where(*_public(), _visible())
        return session.scalars(
            select(Organization).where(Organization.id.in_(buyers)).order_by(Organization.name)
        ).all()
    # SQLite: EXISTS per organization, so the visibility test stops at each buyer's first public tender instead of
    # running over every tender (5 ms against 110 ms for the form above).
    bought = select(Tender.id).where(Tender.buyer_id == Organization.id, *_public(), _visible())
    return session.scalars(select(Organization).where(bought.exists()).order_by(Organization.name)).all()


def organizations(session: Session, ids: set[str]) -> dict[str, Organization]:
    """Organizations by id (one query)."""
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(ids)))}


# --- labels (English source strings; templates translate them with ``_``) --------------------------------------

TENDER_STATUS = {
    tm.PREQUALIFICATION: "Prequalification",
    tm.PREQUALIFICATION_REVIEW: "Prequalification review",
    tm.ENQUIRIES: "Enquiries",
    tm.TENDERING: "Tendering",
    tm.OPENING: "Opening of bids",
    tm.NEGOTIATION: "Negotiation",
    tm.QUALIFICATION: "Qualification",
    tm.AWARDED: "Awarded",
    tm.COMPLETE: "Complete",
    tm.UNSUCCESSFUL: "Unsuccessful",
    tm.CANCELLED: "Cancelled",
}
PUBLIC_TENDER_STATUSES = tuple(TENDER_STATUS)
PROCEDURES = {
    "open": "Open tender",
    "selective": "Selective tender",
    "negotiated": "Negotiated procedure",
    "limited": "Limited (direct) procedure",
    "framework": "Framework agreement",
    "framework.mini-competition": "Mini-competition under a framework",
}
# Everything else the pages name by code: lot, award, contract and delivery states, categories, OCDS codes.
OTHER_LABELS = {
    "active": "Active",
    "awarded": "Awarded",
    "complete": "Complete",
    "unsuccessful": "Unsuccessful",
    "cancelled": "Cancelled",
    "pending": "Pending",
    "terminated": "Terminated",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "planned": "Planned",
    "met": "Met",
    "notMet": "Not met",
    "scheduled": "Scheduled",
    "goods": "Goods",
    "services": "Services",
    "works": "Works",
    "direct": "Direct",
    "priceOnly": "Lowest price",
    "costOnly": "Lowest cost",
    "qualityOnly": "Quality only",
    "ratedCriteria": "Price and quality",
}
LABELS = {**OTHER_LABELS, **PROCEDURES, **TENDER_STATUS}


def label(code: str | None) -> str:
    """The English label of a code (the code itself when unknown)."""
    return "" if code is None else LABELS.get(code, code)


def cpv_title(lists: CodeLists, lang: str) -> Callable[[str | None], str]:
    """A function naming a CPV code (or a prefix's division) in ``lang``; empty when the list does not know it."""

    def title(code: str | None) -> str:
        if not code:
            return ""
        entry = lists.cpv(code) or lists.cpv_by_code8.get(code[:8].ljust(8, "0"))
        if entry is None:
            return ""
        return entry.title_uk if lang == "uk" else entry.title_en

    return title


def helpers(lists: CodeLists, lang: str) -> dict[str, Any]:
    """Functions every portal template may call: labels, CPV titles, organization and unit names, ISO dates."""

    def org_name(org: Organization | None) -> str:
        if org is None:
            return ""
        return org.name_uk if lang == "uk" and org.name_uk else org.name

    def unit_name(code: str) -> str:
        entry = lists.unit(code)
        if entry is None:
            return code
        return entry.name_uk if lang == "uk" else entry.name_en

    def quantity(value: Decimal | int | str, code: str) -> str:
        return format_quantity(value, code, lang, unit_name(code))

    return {
        "label": label,
        "cpv_title": cpv_title(lists, lang),
        "org_name": org_name,
        "unit_name": unit_name,
        "quantity": quantity,
        "parse_date": datetime.fromisoformat,
    }


# --- the tender and contract pages -----------------------------------------------------------------------------

Json = dict[str, Any]
ID_LENGTH = 32


def ocid_of(prefix: str, tender_id: str) -> str:
    """A tender's Open Contracting ID (as the publisher names it)."""
    return f"{prefix}-{tender_id}"


def _projection(session: Session, ocid: str) -> Json | None:
    """The compiled release of a process's public OCDS record (None when nothing was published)."""
    try:
        compiled: Json = reads.public_record(session, ocid)["compiledRelease"]
    except NotFound:
        return None
    return compiled


def buyer_party(release: Json | None) -> Json | None:
    """The buyer's entry in a compiled release's parties: the one its ``buyer`` reference names (a record may also
    hold an earlier, aliased entry), else the first party with the buyer role."""
    if not release:
        return None
    parties: list[Json] = release.get("parties", [])
    named = release.get("buyer", {}).get("id")
    return next((p for p in parties if named and p.get("id") == named), None) or next(
        (p for p in parties if "buyer" in p.get("roles", [])), None
    )


def tender_view(session: Session, tender_id: str, *, ocid_prefix: str) -> Json | None:
    """What the tender page shows; None when there is no such public tender (drafts included).

    Visibility is decided before any tender row is read: for a classified process only its public OCDS record is
    read, so nothing withheld can reach the page by accident.
    """
    if len(tender_id) > ID_LENGTH or not tender_id.isalnum():
        return None
    ocid = ocid_of(ocid_prefix, tender_id)
    if not access.may_view(session, None, tender_id):
        projection = _projection(session, ocid)
        if projection is None:
            return None
        return {"classified": True, "ocid": ocid, "release": projection, "buyer_party": buyer_party(projection)}
    try:
        tender = tenders.get_tender(session, tender_id, actor=None)
    except NotFound:
        return None
    awards = award_service.list_awards(session, actor=None, tender_id=tender.id)
    contracts = contract_service.list_contracts(
        session, actor=None, flt=contract_service.ContractFilter(tender_id=tender.id), after=None, limit=200
    )
    orgs = organizations(session, {tender.buyer_id} | {a.supplier_id for a in awards})
    return {
        "classified": False,
        "ocid": ocid,
        "tender": tender,
        "buyer": orgs.get(tender.buyer_id),
        "lots": tender.lots,
        "items": tender.items,
        "enquiries": periods.list_enquiries(session, tender),
        "awards": awards,
        "contracts": contracts,
        "documents": documents.list_documents(
            session, actor=None, related_type="tender", related_id=tender.id, limit=200
        ),
        "orgs": orgs,
    }


def _contract_ocid(session: Session, contract_id: str, ocid_prefix: str) -> str | None:
    """The ocid of the record a contract is published in: its tender's, or its framework's tender's."""
    row = session.execute(
        select(Contract.tender_id, Framework.tender_id)
        .outerjoin(Framework, Framework.id == Contract.framework_id)
        .where(Contract.id == contract_id)
    ).first()
    if row is None:
        return None
    tender_id = row[0] or row[1]
    return None if tender_id is None else ocid_of(ocid_prefix, tender_id)


def contract_view(session: Session, contract_id: str, *, ocid_prefix: str) -> Json | None:
    """What the contract page shows; None when there is no such contract."""
    if len(contract_id) > ID_LENGTH or not contract_id.isalnum():
        return None
    process_id = access.contract_process(session, contract_id)
    if process_id is None:
        return None
    ocid = _contract_ocid(session, contract_id, ocid_prefix)
    if not access.may_view(session, None, process_id):
        projection = _projection(session, ocid) if ocid else None
        return {
            "classified": True,
            "ocid": ocid if projection else None,
            "release": projection,
            "buyer_party": buyer_party(projection),
        }
    contract = contract_service.get_contract(session, actor=None, contract_id=contract_id)
    orgs = organizations(session, {contract.buyer_id, contract.supplier_id})
    items = {i.id: i for i in contract.items}
    return {
        "classified": False,
        "ocid": ocid,
        "contract": contract,
        "buyer": orgs.get(contract.buyer_id),
        "supplier": orgs.get(contract.supplier_id),
        "items": contract.items,
        "item_of": items,
        "deliveries": implementation.list_deliveries(session, actor=None, contract_id=contract.id, after=0, limit=500),
        "payments": implementation.list_payments(session, actor=None, contract_id=contract.id, after=0, limit=500),
        "amendments": contract_service.list_amendments(
            session, actor=None, contract_id=contract.id, after=0, limit=500
        ),
        "documents": documents.list_documents(
            session, actor=None, related_type="contract", related_id=contract.id, limit=200
        ),
    }


# --- open data -------------------------------------------------------------------------------------------------


def open_data_view(session: Session, publication: Publication) -> Json:
    """Links to every form of the open data, the month table of the aggregates and the latest signed checkpoint."""
    months = reads.months(session)
    rows = aggregates.aggregates(session, "month")
    peak = max((r.tenders_published for r in rows), default=0)
    latest = publication.log.latest(session)
    return {
        "base": publication.public_url,
        "bulk": [(month, [(form, bulk.file_name(month, form)) for form in bulk.FORMATS]) for month in reversed(months)],
        "months": rows,
        "peak": peak,
        "checkpoint": latest.note if latest is not None else None,
        "checkpoint_size": latest.size if latest is not None else 0,
        "origin": publication.log.origin,
    }
