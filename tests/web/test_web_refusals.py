"""One way to explain a refusal on every page: ``web.refusals`` (the ``Refusal``, its explanations, the alert box, the
403 and 404 pages)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import BaseModel, Field, ValidationError

from quartermaster.db.tx import Database
from quartermaster.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    QMError,
    RuleViolation,
    StaleVersion,
    ValidationFailed,
)
from quartermaster.types import FixedClock
from quartermaster.web import buyer
from quartermaster.web.i18n import translations
from quartermaster.web.refusals import EXPLANATIONS, GENERIC, PAGE_EXPLANATIONS, Refusal, every_explanation
from quartermaster.web.templating import environment
from support.web import give_passwords, person_client
from support.world import World


class _Item(BaseModel):
    quantity: int = Field(gt=0)


class _Lot(BaseModel):
    title: str = Field(min_length=1)
    items: list[_Item] = Field(min_length=1)


class _Draft(BaseModel):
    lots: list[_Lot]


def _transition() -> InvalidTransition:
    return InvalidTransition(obj="tender", obj_id="t1", state="active", command="publish", allowed=["cancel"])


def _schema_error() -> ValidationError:
    try:
        _Draft.model_validate({"lots": [{"title": "Boots", "items": [{"quantity": 1}]}, {"title": "", "items": []}]})
    except ValidationError as exc:
        return exc
    raise AssertionError("the draft should have been refused")


def _render(refusal: Refusal | None, lang: str, **context: object) -> str:
    catalogue = translations(lang)

    def gettext(message: str, **values: object) -> str:
        text = catalogue.gettext(message)
        return text % values if values else text

    return environment().get_template("partials/refusal.html").render(_=gettext, lang=lang, refusal=refusal, **context)


# --- the Refusal --------------------------------------------------------------------------------------------------


def test_a_domain_error_gives_its_code_explanation_status_notes_and_words() -> None:
    error = RuleViolation(
        "the tender is not valid",
        code="tender.invalid_items",
        errors=[
            {"field": "lots.1.items.0.cpv", "message": "unknown CPV code"},
            {"field": "value.currency", "message": "not a currency"},
            "not a dict: ignored",
        ],
        reason="the lot has no items",
    )

    refusal = Refusal.of(error, field_of=buyer.form_field)

    assert refusal.code == "tender.invalid_items"
    assert refusal.text == EXPLANATIONS["tender.invalid_items"]
    assert refusal.status == 422
    assert refusal.detail == "the tender is not valid"
    assert refusal.notes == (
        ("lots-1-items-0-cpv", "unknown CPV code"),
        ("currency", "not a currency"),
        ("", "the lot has no items"),
    )
    assert refusal.fields == frozenset({"lots-1-items-0-cpv", "currency"})


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no such tender", code="tender.not_found"), 404),
        (PermissionDenied("no", code="auth.role_forbidden"), 403),
        (_transition(), 409),
        (Conflict("taken", code="bid.duplicate"), 409),
        (StaleVersion("moved on"), 412),
    ],
)
def test_the_status_is_the_apis(error: QMError, status: int) -> None:
    assert Refusal.of(error).status == status


def test_the_default_field_is_the_last_named_part_of_the_path() -> None:
    error = ValidationFailed("bad", errors=[{"field": "changes.items.0.unit_price", "message": "too high"}])

    assert Refusal.of(error).notes == (("unit_price", "too high"),)


def test_an_unknown_code_falls_back_to_the_generic_sentence_with_the_services_words() -> None:
    refusal = Refusal.of(QMError("the moon is in the wrong phase", code="astro.phase"))

    assert (refusal.code, refusal.text, refusal.detail, refusal.status) == (
        "astro.phase",
        GENERIC,
        "the moon is in the wrong phase",
        400,
    )


def test_a_page_may_explain_a_code_its_own_way() -> None:
    error = _transition()

    on_buyer = Refusal.of(error)
    on_contract = Refusal.of(error, page="contracting")
    on_unknown_page = Refusal.of(error, page="nowhere")

    assert on_buyer.text == "This cannot be done in the tender's current state."
    assert on_contract.text == "This cannot be done at the contract's or delivery's current stage."
    assert on_unknown_page.text == on_buyer.text
    assert on_contract.code == on_buyer.code == "state.invalid_transition"


def test_explain_as_keeps_the_code_but_borrows_the_explanation() -> None:
    refusal = Refusal.of(NotFound("no such bid", code="bid.not_found"), explain_as="attachment.target_not_found")

    assert refusal.code == "bid.not_found"
    assert refusal.text == "What you are attaching to does not exist or is not visible to you."


def test_a_schema_refusal_notes_every_field() -> None:
    refusal = Refusal.of_schema(_schema_error(), field_of=buyer.form_field)

    assert (refusal.code, refusal.status, refusal.detail) == ("validation.failed", 422, None)
    assert refusal.text == EXPLANATIONS["validation.failed"]
    assert {name for name, _ in refusal.notes} == {"lots-1-title", "lots-1-items"}
    assert all(note for _, note in refusal.notes)


def test_a_local_refusal_needs_an_explanation() -> None:
    refusal = Refusal.local("form.bad_number", fields=["amount"], page="contracting")

    assert (refusal.code, refusal.status, refusal.notes) == ("form.bad_number", 422, (("amount", ""),))
    assert refusal.fields == frozenset({"amount"})
    assert Refusal.local("state.invalid_transition", status=409, explain_as="plan.not_a_draft").text == (
        "Only a draft plan may be changed."
    )
    with pytest.raises(KeyError):
        Refusal.local("no.such_code")


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("lots-1-items-0-cpv", (1, 0, "cpv")),
        ("lots-2-title", (2, None, "title")),
        ("lots-0", (0, None, "")),
        ("items-3-unit", (None, 3, "unit")),
        ("items-3", (None, 3, "")),
        ("items", (None, None, "items")),
        ("unit_price", (None, None, "unit_price")),
        ("", (None, None, "")),
    ],
)
def test_a_field_is_placed_in_its_lot_and_item(name: str, place: tuple[int | None, int | None, str]) -> None:
    assert Refusal.place(name) == place


# --- the explanations ---------------------------------------------------------------------------------------------


def test_every_explanation_is_a_sentence_with_a_ukrainian_translation() -> None:
    uk = translations("uk")
    sentences = every_explanation()

    missing = sorted(text for text in sentences if uk.gettext(text) == text)

    assert len(sentences) > 75
    assert missing == []
    assert all(text[:1].isupper() and text.endswith(".") for text in sentences)
    assert all(set(codes) <= set(EXPLANATIONS) for codes in PAGE_EXPLANATIONS.values())


# --- the alert box ------------------------------------------------------------------------------------------------


def test_the_alert_names_the_code_and_places_the_notes_in_both_languages() -> None:
    refusal = Refusal.of(
        ValidationFailed(
            "the tender is not valid",
            code="tender.invalid_items",
            errors=[
                {"field": "lots.1.items.1.cpv", "message": "unknown CPV code"},
                {"field": "title", "message": "too long"},
            ],
        ),
        field_of=buyer.form_field,
    )
    labels = {"field_labels": buyer.FIELD_LABELS, "row_labels": buyer.ROW_LABELS}

    en = _render(refusal, "en", kept=True, **labels)
    uk = _render(refusal, "uk", kept=True, **labels)

    assert 'role="alert" id="refusal"' in en
    assert "Not done." in en
    assert "The lot or its item is not valid; see the notes below." in en
    assert '<span class="code">tender.invalid_items</span>' in en
    assert "the tender is not valid" in en  # the service's words, in English only
    assert "Lot 2, item 2 — CPV code: unknown CPV code" in en
    assert "Title: too long" in en
    assert "What you typed is kept below." in en
    assert "Не виконано." in uk
    assert "Лот або його позиція некоректні; див. примітки нижче." in uk
    assert "Лот 2, позиція 2 — Код CPV:" in uk
    assert '<span class="code">tender.invalid_items</span>' in uk
    assert "the tender is not valid" not in uk
    assert "Введене вами збережено нижче." in uk


def test_the_alert_is_empty_without_a_refusal_and_says_kept_only_when_it_was() -> None:
    refusal = Refusal.local("bid.no_values")

    assert _render(None, "en").strip() == ""
    assert "kept below" not in _render(refusal, "en")
    assert "kept below" not in _render(refusal, "en", kept={})
    assert "kept below" in _render(refusal, "en", kept={"amount": "12"})
    assert "Choose the file again, please." in _render(refusal, "en", kept="Choose the file again, please.")
    assert re.search(r"<p>\s*Hint one\.\s*</p>", _render(refusal, "en", hints=["Hint one."]))


# --- the 403 and 404 pages ----------------------------------------------------------------------------------------


def test_the_denied_and_not_found_pages_speak_both_languages(
    client: TestClient, database: Database, clock: FixedClock, world: World
) -> None:
    give_passwords(database, clock, ["supplier0", "buyer"])
    for lang in ("en", "uk"):
        catalogue = translations(lang)

        def said(text: str) -> str:
            return str(escape(catalogue.gettext(text)))  # noqa: B023 - used within the iteration

        supplier = person_client(client, "supplier0", lang)
        buyer_client = person_client(client, "buyer", lang)

        denied_to_supplier = supplier.get("/buyer")
        denied_to_buyer = buyer_client.get("/supplier")
        missing = buyer_client.get("/buyer/tenders/no-such-tender")

        assert denied_to_supplier.status_code == denied_to_buyer.status_code == 403
        assert missing.status_code == 404
        workspace = said("Buyer's workspace")
        assert f"<h1>{workspace}</h1>" in denied_to_supplier.text
        assert said("Your account") in denied_to_supplier.text
        assert '<a href="/account">' in denied_to_supplier.text
        assert f"<h1>{said('Suppliers only')}</h1>" in denied_to_buyer.text
        assert (
            said("This workspace is for people who bid on behalf of a supplier. Your role does not give access to it.")
            in denied_to_buyer.text
        )
        assert f"<h1>{said('Not found')}</h1>" in missing.text
        assert said("Your organization has no tender at this address.") in missing.text
        assert '<a href="/buyer">' in missing.text
        assert denied_to_supplier.text.count("<h1>") == missing.text.count("<h1>") == 1
    assert "Лише для постачальників" in denied_to_buyer.text


def test_the_public_not_found_page_still_rendered_by_name_says_why_in_both_languages(client: TestClient) -> None:
    message = (
        "There is no public page at this address. The tender or contract may not exist, or may not have been "
        "published yet."
    )
    for lang in ("en", "uk"):
        page = client.get(f"/tenders/{'0' * 32}", headers={"Accept-Language": lang})

        assert page.status_code == 404
        assert str(escape(translations(lang).gettext(message))) in page.text
        assert '<a href="/tenders">' in page.text
        assert "Error code" not in page.text
