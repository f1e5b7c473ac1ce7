"""How every page explains a refusal: one ``Refusal``, one table of explanations, one 403 and one 404 page.

A refused command (a ``QMError``, a form the command's schema refuses, or a field the page itself cannot read) is
shown by ``templates/partials/refusal.html``: "Not done.", the explanation of its error code in the person's
language (``EXPLANATIONS``, English msgids translated by the catalogues), the code, the service's own words (in
English only: they are not translated) and a note per field. The HTTP status is the API's (``status_of``).

A few codes read differently on one page because they mean something else there (``state.invalid_transition`` is
about a tender on the buyer's pages and about a contract on the contract pages): ``PAGE_EXPLANATIONS`` holds those
overrides by page. Some explanations are keyed by a page's own name for a refusal rather than a service's code
(``tender.not_a_draft``, ``attachment.target_not_found``): the code shown is still the service's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from quartermaster.api.problems import status_of
from quartermaster.errors import QMError
from quartermaster.web.templating import render

# What a refusal whose code has no explanation says (then the service's own words follow, in English only).
GENERIC = "The request was refused."

# Every explanation, by error code, in English (translated by the catalogues; see tests/web/test_web_catalogues.py).
EXPLANATIONS: dict[str, str] = {
    # Any page.
    "validation.failed": "Some of what you entered is not valid.",
    "auth.role_forbidden": "Your role may not do this.",
    "auth.forbidden": "You are not allowed to do this.",
    "auth.not_party": "Only the buyer's own staff may do this.",
    "access.classified": "This contracting process is classified; your clearance does not allow you to see it.",
    "state.invalid_transition": "This cannot be done in the tender's current state.",
    "form.bad_number": "A number is not valid: type digits, with a comma or a point before the decimals.",
    "form.bad_moment": "A date and time is not valid: use the date picker or the form 2026-03-02T09:00.",
    "form.missing": "Fill in every required field.",
    # Tenders, questions and plans (the buyer's pages).
    "tender.invalid_items": "The lot or its item is not valid; see the notes below.",
    "tender.rules_not_met": "The tender does not meet the rulebook for its procedure; see the notes below.",
    "tender.separation_of_duties": "The person who prepared a tender may not publish it: another approver must.",
    "tender.not_a_call_off": "A mini-competition is created from its framework, not here.",
    "tender.not_found": "This tender does not exist or is not visible to you.",
    "tender.invalid_plan": "A tender may only follow a published plan of your organization.",
    "tender.enquiries_closed": "Questions are closed for this tender.",
    "tender.not_a_draft": "Only a draft may be changed; this tender is already published or closed.",
    "enquiry.not_found": "The question was not found.",
    "enquiry.already_answered": "The question is already answered.",
    "precondition.stale": "Someone saved this draft since you opened it; open it again to see their changes.",
    "plan.invalid": "The plan is not valid; see the notes below.",
    "plan.not_found": "The plan was not found.",
    "plan.separation_of_duties": "The person who prepared a plan may not publish it: another approver must.",
    "plan.unknown_procedure": "The plan's procedure is not in the rulebook in force.",
    "plan.not_a_draft": "Only a draft plan may be changed.",
    # Bids, evaluation and awards.
    "lot.not_found": "The lot was not found.",
    "bid.not_found": "The bid was not found.",
    "bid.deadline_passed": "The tender period has ended: bids are no longer accepted.",
    "bid.duplicate": "Your organization already has a bid on this tender. You can see it on your workspace.",
    "bid.not_invited": "Only invited suppliers may bid on this tender.",
    "bid.invalid_values": "The prices do not fit this tender: each must be for an open lot, in the tender's currency.",
    "bid.no_values": "Enter a price for at least one lot.",
    "bid.bad_amount": "A price must be a positive amount with at most two decimal places.",
    "question.invalid": "Give the question a title and a text.",
    # Sealed bids, the committee, the opening key and person keys.
    "bid.must_be_sealed": "This tender's bids are sealed: prices are accepted only as an envelope sealed in your "
    "browser or with the command line, never in the clear.",
    "bid.not_sealed": "This tender's bids are not sealed: enter your prices in the form.",
    "bid.bad_envelope": "The sealed envelope is not valid: seal the bid again.",
    "bid.wrong_context": "The envelope was sealed for another tender or supplier: seal the bid again on this page.",
    "tender.committee_required": "This tender's bids are opened by its evaluation committee: appoint the committee "
    "before publishing.",
    "committee.invalid": "The committee cannot be appointed as chosen; see the notes below.",
    "committee.tender_published": "The committee is fixed once the tender is published: its members hold the "
    "opening key's shares.",
    "committee.no_sealing": "The rulebook in force does not seal bids, so no committee holds an opening key.",
    "committee.not_found": "No committee has been appointed.",
    "opening_key.not_found": "This tender's bids are not sealed to an opening key.",
    "opening_key.no_share": "You hold no share of this tender's opening key.",
    "opening.not_a_member": "Only a committee member holding a share may release it.",
    "opening.recused": "A member who recused themselves takes no part in the opening.",
    "opening.not_open_for_shares": "Shares are released only once bidding has closed and before the bids are opened.",
    "opening.share_already_released": "You have already released your share.",
    "opening.bad_share": "What was sent is not a key share.",
    "opening.wrong_share": "This share is not yours for this tender's opening key.",
    "opening.not_enough_shares": "Not enough committee members have released their shares to open the bids yet.",
    "opening.bad_shares": "The released shares do not rebuild this tender's opening key.",
    "opening.too_early": "The opening key is released only after the tender period.",
    "opening.no_vault": "The platform's opening-key vault is not available.",
    "opening.vault_mismatch": "The platform's opening-key vault does not hold this tender's key.",
    "committee.declarations_missing": "Declare first, for each bidder, whether you have a conflict of interest.",
    "committee.declarations_invalid": "The declarations cannot be recorded; see the notes below.",
    "committee.not_a_member": "Only a member of the tender's committee may do this.",
    "interests.missing": "Declare your identifier and past employers first.",
    "key.malformed": "A key or the proof is not in the expected form: make or load your key file again.",
    "key.invalid": "A public key is not valid: make or load your key file again.",
    "key.bad_proof": "The proof of possession does not verify: the key file does not match these keys.",
    "key.not_yours": "Only the person themself enrols their keys.",
    "award.not_found": "The award was not found.",
    "award.not_compliant": "The bid must have been found compliant before it can be awarded: by every evaluator, "
    "or on a tender with an evaluation committee, by the committee's consolidation.",
    "award.not_consolidated": "A tender with an evaluation committee is awarded only after the committee's chair "
    "has consolidated the members' assessments of the lot.",
    "award.not_best_ranked": "The award must go to the best-ranked compliant bid(s) under the tender's criteria.",
    "award.contract_signed": "The award's contract is already signed, so the award can no longer be cancelled.",
    # Signed decisions (award, disqualification, award cancellation, contract signature).
    "decision.signature_required": "You have an enrolled signing key, so this decision must be signed with it: "
    "choose your key file in the form (signing in the page needs JavaScript), or take the decision through the API.",
    "decision.bad_signature": "The signature does not verify under your enrolled signing key over this decision: "
    "choose the key file you enrolled and sign again.",
    "decision.unknown_scheme": "The platform does not accept this kind of signature.",
    "decision.replayed": "This signed decision was already taken once, and a signature is used only once: to "
    "decide again, sign a new decision and say why in its rationale or reason.",
    "decision.no_signing_key": "You have no enrolled signing key, so this decision is taken without a signature.",
    # Contracts.
    "contract.not_found": "This contract does not exist or is not visible to you.",
    "contract.standstill": "The standstill period has not ended yet: the contract cannot be signed before then.",
    "contract.complaint_pending": "Unresolved claims or complaints hold up this contract: it cannot be signed yet.",
    "contract.already_signed": "This side has already signed, or a signature has fixed the unit prices.",
    "contract.unit_prices_mismatch": "The unit prices do not add up to the contract value.",
    "contract.not_fully_accepted": "Every line must be delivered and accepted in full before completion.",
    "delivery.not_found": "This delivery does not exist.",
    "delivery.quantity_exceeded": "The quantity is more than what remains to be delivered on this line.",
    "payment.delivery_not_accepted": "Only an accepted delivery can be paid.",
    "payment.exceeds_value": "All payments together may not exceed the contract value.",
    "amendment.unknown_rationale": "Choose a lawful ground for the amendment.",
    "amendment.change_not_allowed": "This ground does not allow that change.",
    "amendment.quantity_direction": "Under this ground a quantity may not move that way.",
    "amendment.price_direction": "Under this ground a unit price may not move that way.",
    "amendment.price_cap_exceeded": "A unit price may move at most 10 % from its price at signature, in total.",
    "amendment.term_not_extended": "An extension must set a later delivery date.",
    "amendment.no_change": "The amendment changes nothing: give a new unit price, quantity or delivery date.",
    "amendment.total_increased": "Under this ground the contract total may not rise.",
    "amendment.total_not_reduced": "Under this ground the contract total must go down.",
    "amendment.total_changed": "Under this ground the contract total must stay the same.",
    "amendment.below_delivered": "A quantity cannot fall below what is already delivered or awaiting acceptance.",
    "amendment.total_not_exact": "The new total must be a whole number of cents.",
    "amendment.below_paid": "The new total cannot fall below what is already paid.",
    # Claims and complaints.
    "complaint.window_closed": "The time for filing this claim or complaint has run out.",
    "complaint.no_window": "This procedure has no window for such a claim or complaint.",
    "complaint.own_award": "A supplier does not complain about its own award.",
    "complaint.not_a_bidder": "Only a supplier whose opened bid competed for the lot may complain about its award.",
    "complaint.not_a_supplier": "Only a registered supplier may file a claim or complaint.",
    "complaint.bid_not_disqualified": "The bid is not disqualified.",
    "complaint.award_cancelled": "The award is cancelled: there is nothing to complain about.",
    "complaint.correction_missing": "The correction the decision requires is not made yet (or cancel the tender).",
    "complaint.conflict": "A member of the review body may not hear a complaint involving their own organization.",
    "complaint.not_found": "This claim or complaint does not exist or is not visible to you.",
    # Documents.
    "attachment.bad_next": "The page to return to must be a page of this site.",
    "attachment.no_file": "Choose a file to attach.",
    "attachment.too_large": "The file is too large.",
    "attachment.type_forbidden": "This kind of file cannot be attached.",
    "attachment.bad_text": "The title contains a character that cannot be stored.",
    "attachment.target_not_found": "What you are attaching to does not exist or is not visible to you.",
    "document.invalid": "Give the document a title (up to 300 characters) and choose its type.",
    "document.upload_forbidden": "You may not attach documents here.",
    "document.frozen": "The documents here can no longer change at this stage.",
    "document.integrity": "The file could not be stored intact; try again.",
    "document.version_conflict": "Another version was attached at the same time; try again.",
    "document.must_be_sealed": "This tender's bids are sealed: a bid document must be sealed in the page "
    "(it needs JavaScript) or with quartermaster bid attach.",
    "document.not_sealed": "Only the bids of a sealed tender take sealed documents.",
    "document.bad_envelope": "The sealed document is damaged or not in the expected form: seal it again.",
    "document.wrong_context": "The document was sealed for another bid: seal it again on this bid's page.",
}

# The codes whose meaning depends on the page, by page: what each page says instead of ``EXPLANATIONS``.
PAGE_EXPLANATIONS: dict[str, dict[str, str]] = {
    "evaluation": {
        "state.invalid_transition": "This cannot be done in the tender's, lot's or bid's current state.",
    },
    "plans": {
        "precondition.stale": "Someone saved this plan since you opened it; open it again to see their changes.",
    },
    "supplier": {
        "state.invalid_transition": "This cannot be done at the tender's or contract's current stage.",
    },
    "contracting": {
        "state.invalid_transition": "This cannot be done at the contract's or delivery's current stage.",
        "auth.not_party": "Only the contract's own parties may do this.",
    },
    "attachments": {
        "bid.deadline_passed": "The tender period has ended: the bid's documents can no longer change.",
    },
}

# A row's field name in a form: ``lots-1-items-0-cpv``, ``lots-1-title``, ``lots-1``, ``items-2-unit``, ``items-2``.
_ROW = re.compile(r"^(?:lots-(\d{1,3})(?:-|$))?(?:items-(\d{1,3})(?:-|$))?(.*)$")

FieldMapper = Callable[[str], str]


def explanation(code: str, page: str | None = None) -> str | None:
    """The English explanation of a code on a page (its override there, else the common one); None if unknown."""
    if page is not None and code in PAGE_EXPLANATIONS.get(page, {}):
        return PAGE_EXPLANATIONS[page][code]
    return EXPLANATIONS.get(code)


def every_explanation() -> set[str]:
    """Every sentence a refusal may show (for the translation tests)."""
    return {GENERIC, *EXPLANATIONS.values(), *(s for texts in PAGE_EXPLANATIONS.values() for s in texts.values())}


def last_name(path: str) -> str:
    """The default field of a service's or schema's field path: its last part that is not a position
    (``changes.items.0.unit_price`` -> ``unit_price``); empty for an empty path."""
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    return parts[-1] if parts else ""


@dataclass(frozen=True)
class Refusal:
    """A refused command as a page shows it: the error code, the explanation (an English msgid), the field notes as
    (form field, note) pairs, the HTTP status and the service's own words (``detail``, shown in English only)."""

    code: str
    text: str
    status: int = 422
    notes: tuple[tuple[str, str], ...] = ()
    detail: str | None = None
    fields: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", frozenset(name for name, _ in self.notes if name))

    @classmethod
    def of(
        cls,
        exc: QMError,
        *,
        page: str | None = None,
        field_of: FieldMapper = last_name,
        explain_as: str | None = None,
    ) -> Refusal:
        """A domain error: a note per entry of its ``errors`` (``field_of`` turns a field path into the form's
        field), one more for its ``reason``, explained by ``explain_as`` or else its own code."""
        listed = exc.fields.get("errors") or []
        notes = [(field_of(str(e.get("field", ""))), str(e.get("message", ""))) for e in listed if isinstance(e, dict)]
        if exc.fields.get("reason"):
            notes.append(("", str(exc.fields["reason"])))
        text = explanation(explain_as or exc.code, page) or GENERIC
        return cls(exc.code, text, status_of(exc), tuple(notes), exc.message)

    @classmethod
    def of_schema(cls, exc: ValidationError, *, page: str | None = None, field_of: FieldMapper = last_name) -> Refusal:
        """What a command's schema refused, with a note per field (status 422, as the API's)."""
        notes = tuple((field_of(".".join(str(p) for p in err["loc"])), str(err["msg"])) for err in exc.errors())
        return cls("validation.failed", explanation("validation.failed", page) or GENERIC, 422, notes)

    @classmethod
    def local(
        cls,
        code: str,
        *,
        page: str | None = None,
        fields: Sequence[str] = (),
        status: int = 422,
        explain_as: str | None = None,
    ) -> Refusal:
        """A refusal the page finds itself, before calling a service (its code must have an explanation)."""
        text = explanation(explain_as or code, page)
        if text is None:
            raise KeyError(f"no explanation for {explain_as or code!r}")
        return cls(code, text, status, tuple((name, "") for name in fields))

    @staticmethod
    def place(name: str) -> tuple[int | None, int | None, str]:
        """Where a form field sits: its lot and item (from 0, None outside rows) and its own name
        (``lots-1-items-0-cpv`` -> (1, 0, "cpv"); ``items-2`` -> (None, 2, ""); ``title`` -> (None, None, "title"))."""
        found = _ROW.match(name)
        if found is None:  # pragma: no cover - the pattern matches every string
            return None, None, name
        lot, item, rest = found.groups()
        return (int(lot) if lot else None), (int(item) if item else None), rest


@dataclass(frozen=True)
class Link:
    """A link under a 403 or 404 page's message: where, and its English text."""

    href: str
    text: str


def _links(links: Iterable[Link | tuple[str, str]]) -> list[Link]:
    return [link if isinstance(link, Link) else Link(*link) for link in links]


def denied(
    request: Request,
    *,
    heading: str,
    message: str,
    links: Iterable[Link | tuple[str, str]] = (),
    **context: Any,
) -> HTMLResponse:
    """The 403 page of a part: its heading, why this account may not use it and where to go (English msgids)."""
    return render(
        request, "denied.html", status_code=403, heading=heading, message=message, links=_links(links), **context
    )


def not_found(
    request: Request,
    *,
    message: str,
    links: Iterable[Link | tuple[str, str]] = (),
    refusal: Refusal | None = None,
    **context: Any,
) -> HTMLResponse:
    """The 404 page: what is not at this address and where to go (English msgids), with the refusal's code."""
    return render(
        request, "not_found.html", status_code=404, message=message, links=_links(links), refusal=refusal, **context
    )


def no_public_page(request: Request) -> HTMLResponse:
    """The public portal's 404: nothing published at this address."""
    return not_found(
        request,
        message="There is no public page at this address. The tender or contract may not exist, or may not have "
        "been published yet.",
        links=[Link("/tenders", "Search tenders")],
    )


def refused(
    request: Request,
    refusal: Refusal,
    *,
    links: Iterable[Link | tuple[str, str]] = (),
    nav: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page that only says why a request was refused (when there is no form to show again), at its status."""
    return render(
        request,
        "refusal.html",
        status_code=refusal.status,
        refusal=refusal,
        links=_links(links),
        nav=nav,
        **context,
    )
