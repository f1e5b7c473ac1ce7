"""The evaluation report of a tender, generated from what was recorded: the committee, its conflict-of-interest
declarations, the opening, the consolidated assessments, the evaluations and the awards with their signatures.

``build`` gathers the facts into a plain, JSON-ready document (its SHA-256 over RFC 8785 JSON is printed on the
report, so a copy can be checked against a fresh one); ``render_html`` and ``render_pdf`` lay it out in Ukrainian or
English. Nothing here decides anything: a report is a reading of the record.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from quartermaster.awards.models import Award, Evaluation
from quartermaster.bids.models import WITHDRAWN, Bid
from quartermaster.committees import interests, scoring
from quartermaster.committees import service as committees
from quartermaster.errors import ServiceUnavailable
from quartermaster.events.models import Event
from quartermaster.identity.models import Organization, User
from quartermaster.tenders.models import Tender
from quartermaster.transparency.canonical import canonical_json

LANGUAGES = ("uk", "en")
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Evaluation report",
        "tender": "Tender",
        "procedure": "Procedure",
        "buyer": "Buyer",
        "value": "Estimated value",
        "marking": "Marking",
        "rulebook": "Rulebook",
        "tender_end": "Bidding closed",
        "committee": "Evaluation committee",
        "threshold": "Shares needed to open (k)",
        "member": "Member",
        "role": "Role",
        "recused": "Recused",
        "declarations": "Conflict-of-interest declarations",
        "bidder": "Bidder",
        "conflict": "Conflict",
        "links": "Known links",
        "justification": "Justification",
        "opening": "Opening",
        "mode": "Opening key",
        "opened_at": "Opened at",
        "commitment": "Commitment",
        "status": "Status",
        "prices": "Prices or reason",
        "assessments": "Consolidated assessments",
        "lot": "Lot",
        "compliant": "Compliant (votes)",
        "quality": "Quality (median)",
        "delivery": "Delivery, days (median)",
        "life_cycle": "Life-cycle cost (median)",
        "evaluations": "Evaluations",
        "evaluator": "Evaluator",
        "score": "Score",
        "awards": "Awards",
        "supplier": "Supplier",
        "decided": "Decided by, at",
        "signature": "Signature",
        "unsigned": "unsigned",
        "yes": "yes",
        "no": "no",
        "none": "none",
        "digest": "SHA-256 of this report's record",
        "generated": "Generated",
        "signatures": "Signed by the committee",
    },
    "uk": {
        "title": "Звіт про оцінку",
        "tender": "Закупівля",
        "procedure": "Процедура",
        "buyer": "Замовник",
        "value": "Очікувана вартість",
        "marking": "Гриф",
        "rulebook": "Редакція правил",
        "tender_end": "Подання пропозицій завершено",
        "committee": "Оцінювальна комісія",
        "threshold": "Часток для розкриття (k)",
        "member": "Член комісії",
        "role": "Роль",
        "recused": "Самовідвід",
        "declarations": "Декларації про конфлікт інтересів",
        "bidder": "Учасник",
        "conflict": "Конфлікт",
        "links": "Відомі зв'язки",
        "justification": "Пояснення",
        "opening": "Розкриття",
        "mode": "Ключ розкриття",
        "opened_at": "Розкрито",
        "commitment": "Зобов'язання (хеш)",
        "status": "Статус",
        "prices": "Ціни або причина",
        "assessments": "Зведені оцінки комісії",
        "lot": "Лот",
        "compliant": "Відповідає (голоси)",
        "quality": "Якість (медіана)",
        "delivery": "Строк поставки, днів (медіана)",
        "life_cycle": "Вартість життєвого циклу (медіана)",
        "evaluations": "Оцінювання",
        "evaluator": "Оцінювач",
        "score": "Бал",
        "awards": "Рішення про визначення переможця",
        "supplier": "Постачальник",
        "decided": "Ким і коли ухвалено",
        "signature": "Підпис",
        "unsigned": "без підпису",
        "yes": "так",
        "no": "ні",
        "none": "немає",
        "digest": "SHA-256 запису цього звіту",
        "generated": "Сформовано",
        "signatures": "Підписи членів комісії",
    },
}


def _name(session: Session, user_id: str) -> str:
    user = session.get(User, user_id)
    return user.name if user is not None else user_id


def _org(session: Session, org_id: str) -> str:
    org = session.get(Organization, org_id)
    return org.name if org is not None else org_id


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="minutes")


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}".replace(",", " ")


def build(session: Session, tender: Tender, now: datetime) -> dict[str, Any]:
    """The report's record: every fact it shows, JSON-ready, with its digest."""
    committee = committees.get_committee(session, tender.id)
    key = committees.opening_key_row(session, tender.id)
    bids = list(
        session.scalars(
            select(Bid).where(Bid.tender_id == tender.id, Bid.status != WITHDRAWN).order_by(Bid.submitted_at, Bid.id)
        )
    )
    lots = {lot.id: lot.title for lot in tender.lots}
    supplier_of = {b.id: _org(session, b.supplier_id) for b in bids}
    signatures = {
        (e.command, e.object_id, e.actor_id): e.payload.get("signature")
        for e in session.scalars(
            select(Event).where(Event.process_id == tender.id, Event.command.in_(("award", "disqualify_bid")))
        )
    }
    record: dict[str, Any] = {
        "tender": {
            "id": tender.id,
            "title": tender.title,
            "procedure": tender.procedure,
            "buyer": _org(session, tender.buyer_id),
            "value": _money(tender.value_amount, tender.currency),
            "marking": tender.marking,
            "rulebook": tender.rulebook_version,
            "tender_end": _when(tender.tender_end),
        },
        "committee": None
        if committee is None
        else {
            "threshold": committee.threshold,
            "members": [
                {
                    "name": _name(session, m.user_id),
                    "role": m.role,
                    "recused": _when(m.recused_at),
                    "recusal_reason": m.recusal_reason,
                }
                for m in committee.members
            ],
        },
        "declarations": [
            {
                "member": _name(session, d.member_id),
                "bidder": _org(session, d.supplier_id),
                "conflict": d.conflict,
                "links": list(d.links),
                "justification": d.justification,
            }
            for d in interests.declarations_of(session, tender.id)
        ],
        "opening": None
        if key is None
        else {
            "mode": key.mode,
            "opened_at": _when(key.opened_at),
            "bids": [
                {
                    "supplier": supplier_of[b.id],
                    "commitment": b.commitment,
                    "status": b.status,
                    "prices": [
                        f"{lots.get(v.lot_id, v.lot_id)}: {_money(v.initial_amount, v.currency)}" for v in b.values
                    ],
                    "reason": b.status_reason,
                }
                for b in bids
            ],
        },
        "assessments": [
            {
                "lot": lots[lot_id],
                "results": [
                    {
                        "supplier": supplier_of.get(str(r["bid_id"]), str(r["bid_id"])),
                        "compliant": bool(r["compliant"]),
                        "votes": f"{r['votes_compliant']}/{r['votes']}",
                        "quality": r["quality"],
                        "delivery_days": r.get("delivery_days"),
                        "life_cycle_cost": r.get("life_cycle_cost"),
                    }
                    for r in consolidation.results
                ],
            }
            for lot_id in lots
            if (consolidation := scoring.consolidation_of(session, tender.id, lot_id)) is not None
        ],
        "evaluations": [
            {
                "lot": lots.get(e.lot_id, e.lot_id),
                "supplier": supplier_of.get(e.bid_id, e.bid_id),
                "evaluator": _name(session, e.evaluator_id),
                "compliant": e.compliant,
                "score": None if e.score is None else f"{e.score:.2f}",
            }
            for e in session.scalars(
                select(Evaluation).where(Evaluation.tender_id == tender.id).order_by(Evaluation.evaluated_at)
            )
        ],
        "awards": [
            {
                "lot": lots.get(a.lot_id, a.lot_id),
                "supplier": _org(session, a.supplier_id),
                "value": _money(a.value_amount, a.currency),
                "status": a.status,
                "decided_by": _name(session, a.decided_by),
                "decided_at": _when(a.decided_at),
                "signature": _signature(signatures.get(("award", a.lot_id, a.decided_by))),
            }
            for a in session.scalars(select(Award).where(Award.tender_id == tender.id).order_by(Award.decided_at))
        ],
    }
    record["digest"] = hashlib.sha256(canonical_json(record)).hexdigest()
    record["generated_at"] = _when(now)
    return record


def _signature(recorded: Any) -> str | None:
    if not isinstance(recorded, dict):
        return None
    return f"{recorded.get('scheme')} · key {recorded.get('key_id')}"


_ENV = Environment(loader=PackageLoader("quartermaster.reports", "templates"), autoescape=select_autoescape())


def render_html(record: dict[str, Any], lang: str) -> str:
    """The report as a standalone, printable HTML page in ``lang``."""
    return _ENV.get_template("evaluation.html").render(r=record, t=LABELS[lang], lang=lang)


def font_path(configured: Path | None = None) -> Path:
    """A TrueType font with Cyrillic for the PDF: ``configured`` (QM_REPORT_FONT) or a system DejaVu Sans."""
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate is not None and candidate.is_file():
            return candidate
    raise ServiceUnavailable(
        "the PDF needs a Unicode TrueType font: install fonts-dejavu-core or set QM_REPORT_FONT (the HTML form works)",
        code="report.no_font",
    )


def render_pdf(record: dict[str, Any], lang: str, font: Path) -> bytes:
    """The report as PDF (fpdf2, the font embedded)."""
    from fpdf import FPDF

    t = LABELS[lang]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("body", fname=str(font))
    pdf.add_page()
    pdf.set_title(f"{t['title']} — {record['tender']['title']}")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("body", size=size)
        pdf.ln(3)
        pdf.multi_cell(width, 7, text)
        pdf.set_font("body", size=9)

    def line(text: str) -> None:
        pdf.multi_cell(width, 5, text)

    yes, no = t["yes"], t["no"]
    heading(f"{t['title']}: {record['tender']['title']}", 15)
    tender = record["tender"]
    for field in ("procedure", "buyer", "value", "marking", "rulebook", "tender_end"):
        line(f"{t[field]}: {tender[field] or t['none']}")
    line(f"{t['tender']}: {tender['id']}")
    if record["committee"] is not None:
        heading(t["committee"])
        line(f"{t['threshold']}: {record['committee']['threshold']}")
        for m in record["committee"]["members"]:
            recused = f" — {t['recused']}: {m['recused']} ({m['recusal_reason']})" if m["recused"] else ""
            line(f"{m['name']} ({m['role']}){recused}")
    if record["declarations"]:
        heading(t["declarations"])
        for d in record["declarations"]:
            links = ", ".join(d["links"]) or t["none"]
            extra = f"; {t['justification']}: {d['justification']}" if d["justification"] else ""
            verdict = yes if d["conflict"] else no
            line(f"{d['member']} / {d['bidder']}: {t['conflict']} {verdict}; {t['links']}: {links}{extra}")
    if record["opening"] is not None:
        heading(t["opening"])
        line(
            f"{t['mode']}: {record['opening']['mode']}; {t['opened_at']}: {record['opening']['opened_at'] or t['none']}"
        )
        for b in record["opening"]["bids"]:
            outcome = "; ".join(b["prices"]) or (b["reason"] or "")
            line(f"{b['supplier']} — {b['status']} — {outcome}")
            line(f"    {t['commitment']}: {b['commitment'] or t['none']}")
    for a in record["assessments"]:
        heading(f"{t['assessments']}: {a['lot']}")
        for r in a["results"]:
            verdict = yes if r["compliant"] else no
            quality = r["quality"] or t["none"]
            line(f"{r['supplier']}: {t['compliant']} {verdict} ({r['votes']}); {t['quality']} {quality}")
            if r["delivery_days"] is not None or r["life_cycle_cost"] is not None:
                delivery, cost = r["delivery_days"] or t["none"], r["life_cycle_cost"] or t["none"]
                line(f"    {t['delivery']} {delivery}; {t['life_cycle']} {cost}")
    if record["evaluations"]:
        heading(t["evaluations"])
        for e in record["evaluations"]:
            verdict = yes if e["compliant"] else no
            line(f"{e['lot']} / {e['supplier']}: {e['evaluator']}, {verdict}, {t['score']} {e['score'] or t['none']}")
    if record["awards"]:
        heading(t["awards"])
        for a in record["awards"]:
            signed = a["signature"] or t["unsigned"]
            line(f"{a['lot']}: {a['supplier']}, {a['value']} ({a['status']})")
            line(f"    {t['decided']}: {a['decided_by']}, {a['decided_at']}; {t['signature']}: {signed}")
    if record.get("signatures"):
        heading(t["signatures"])
        for sig in record["signatures"]:
            line(f"{sig['name']}, {sig['signed_at']}: {sig['signature'] or t['unsigned']}")
    heading(t["digest"], 10)
    line(record["digest"])
    line(f"{t['generated']}: {record['generated_at']}")
    return bytes(pdf.output())
