"""The evaluation report in the buyer's pages: linked from the evaluation page, shown in the page's language, its PDF
(or why there is none), and committee members signing it in the page the way decisions are signed: a draft from the
page's own address, a signature over its bytes, refusals explained and nothing recorded for them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.client.decisions import sign_decision
from quartermaster.db.tx import Database
from quartermaster.errors import ServiceUnavailable
from quartermaster.events.models import Event
from quartermaster.reports import evaluation as report
from quartermaster.types import FixedClock
from quartermaster.web import reports as page_module
from quartermaster.web.i18n import translations
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.web import csrf_of, give_passwords, person_client
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1 seals bids
PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "approver2", "supplier0", "other_buyer", "auditor")


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    give_passwords(database, clock, PEOPLE)
    return Flow(client, world, clock, database)


def _opened(f: Flow, committee: Committee) -> str:
    """A tender whose committee (evaluator chairs, evaluator2 and approver2) has opened three sealed bids."""
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "8000000.00"
    draft = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(draft["id"])
    f.advance_to(f.publish(draft["id"])["enquiry_end"])
    tender = f.tender(draft["id"], "buyer")
    lot = tender["lots"][0]["id"]
    for i, price in enumerate(("7100000.00", "7200000.00", "7300000.00")):
        values = {"values": [{"lot_id": lot, "value": {"amount": price, "currency": "UAH"}}]}
        supplier = f"supplier{i}"
        sealed = f.seal(tender["id"], supplier, values)
        ok(f.c.post(f"/api/v1/tenders/{tender['id']}/bids", json=sealed, headers=f.h(supplier)), 201)
    f.advance_to(tender["tender_end"])
    for member in ("evaluator", "evaluator2"):
        ok(committee.release(tender["id"], member))
    ok(f.c.post(f"/api/v1/tenders/{tender['id']}/open-bids", headers=f.h("evaluator")))
    return str(tender["id"])


def _page(tid: str) -> str:
    return f"/buyer/tenders/{tid}/evaluation/report"


def _api_record(f: Flow, tid: str) -> dict[str, Any]:
    url = f"/api/v1/tenders/{tid}/evaluation-report"
    return ok(f.c.get(url, params={"format": "json"}, headers=f.h("auditor")))  # type: ignore[no-any-return]


def _post(who: TestClient, url: str, page_url: str, data: dict[str, Any]) -> Any:
    csrf = csrf_of(who.get(page_url).text)
    return who.post(url, data={**data, "csrf": csrf}, follow_redirects=False)


def _signed_events(database: Database, tid: str) -> list[Event]:
    with database.unit_of_work(write=False) as s:
        rows = list(s.scalars(select(Event).where(Event.process_id == tid, Event.command == "sign_report")))
        for row in rows:
            s.expunge(row)
    return rows


def _signature(f: Flow, committee: Committee, who: str, tid: str, member: TestClient, digest: str) -> str:
    """What the page's script does: post the form to the draft address, check the draft and sign its bytes."""
    drafted = _post(member, _page(tid) + "/signatures/draft", _page(tid), {"digest": digest})
    assert drafted.status_code == 200, drafted.text
    assert drafted.headers["content-type"] == "application/json"
    draft = drafted.json()
    assert draft["document"]["content"] == {"digest": digest}
    signed = sign_decision(
        committee.keys[who], draft, command="sign_report", object_id=tid, actor_id=f.w[who].actor.user_id
    )
    return signed["signature"]


def test_the_evaluation_page_links_to_the_report_shown_in_the_pages_language(f: Flow) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    record = _api_record(f, tid)
    buyer = person_client(f.c, "buyer")

    evaluation = buyer.get(f"/buyer/tenders/{tid}/evaluation")
    assert f'href="{_page(tid)}"' in evaluation.text

    page = buyer.get(_page(tid))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert record["digest"] in page.text
    assert f'src="{_page(tid)}/document"' in page.text
    assert "The members of the tender&#39;s evaluation committee sign the report." in page.text
    assert "data-qm-sign" not in page.text  # the buyer is not on the committee

    english = buyer.get(_page(tid) + "/document")
    assert english.status_code == 200
    assert english.headers["Content-Language"] == "en"
    assert "<h1>Evaluation report: " in english.text
    assert "Evaluation committee" in english.text
    assert record["digest"] in english.text
    ukrainian = person_client(f.c, "buyer", "uk").get(_page(tid) + "/document")
    assert ukrainian.headers["Content-Language"] == "uk"
    assert "<h1>Звіт про оцінку: " in ukrainian.text
    assert "7 100 000.00 UAH" in ukrainian.text

    assert 'href="/me/interests"' in buyer.get(f"/buyer/tenders/{tid}/committee").text

    draft = ok(f.c.post("/api/v1/tenders", json=tender_body("open"), headers=f.h("buyer")), 201)["id"]
    for suffix in ("", "/document"):  # a draft has a (short) report too, not an error
        assert buyer.get(_page(draft) + suffix).status_code == 200

    uk_page = person_client(f.c, "buyer", "uk").get(_page(tid))
    assert "Звіт про оцінку" in uk_page.text
    assert "Звіт підписують члени тендерного комітету закупівлі." in uk_page.text


def test_the_pdf_downloads_in_the_pages_language_or_the_page_says_why_not(
    f: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    buyer = person_client(f.c, "buyer", "uk")
    try:
        report.font_path(f.c.app.state.qm.settings.report_font)  # type: ignore[attr-defined]
    except ServiceUnavailable:
        pass
    else:
        assert f'href="{_page(tid)}/pdf" download' in buyer.get(_page(tid)).text
        pdf = buyer.get(_page(tid) + "/pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'attachment; filename="evaluation-report-{tid}-uk.pdf"'
        assert pdf.content.startswith(b"%PDF")

    monkeypatch.setattr(report, "FONT_CANDIDATES", ())
    monkeypatch.setattr(f.c.app.state.qm.settings, "report_font", None)  # type: ignore[attr-defined]
    page = buyer.get(_page(tid))
    assert f"{_page(tid)}/pdf" not in page.text
    assert "На цьому сервері неможливо сформувати PDF" in page.text
    refused = person_client(f.c, "buyer").get(_page(tid) + "/pdf")
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("text/html")
    assert "Not done." in refused.text
    assert '<span class="code">report.no_font</span>' in refused.text
    assert "The PDF cannot be made on this server" in refused.text
    assert "Evaluation report" in refused.text  # the report page itself, with the refusal on it


def test_a_member_signs_the_report_in_the_page_over_the_pages_draft(f: Flow, database: Database) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    digest = _api_record(f, tid)["digest"]
    member = person_client(f.c, "evaluator")
    action = _page(tid) + "/signatures"

    page = member.get(_page(tid))
    assert f'data-qm-sign="{action}/draft"' in page.text
    assert 'data-qm-command="sign_report"' in page.text
    assert f'data-qm-object="{tid}"' in page.text
    assert f'data-qm-actor="{f.w["evaluator"].actor.user_id}"' in page.text
    assert f'name="digest" value="{digest}"' in page.text
    assert "Your key file (to sign)" in page.text
    assert '<script src="/static/sign.js" defer></script>' in page.text

    signature = _signature(f, committee, "evaluator", tid, member, digest)
    done = _post(member, action, _page(tid), {"digest": digest, "signature": signature})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{_page(tid)}?signed=1#signatures"

    record = _api_record(f, tid)
    assert record["digest"] == digest
    assert [s["name"] for s in record["signatures"]] == ["Evaluator"]
    (event,) = _signed_events(database, tid)
    assert event.payload["digest"] == digest
    assert event.payload["signature"]["signature"] == signature
    assert event.payload["decision"]["actor"] == f.w["evaluator"].actor.user_id

    after = member.get(done.headers["location"])
    assert "You have signed the report." in after.text
    assert "You signed this report on" in after.text
    assert "data-qm-sign" not in after.text  # no second signing form
    assert "Evaluator, " in after.text

    csrf = csrf_of(page.text)
    twice = member.post(action, data={"digest": digest, "signature": signature, "csrf": csrf}, follow_redirects=False)
    assert twice.status_code == 409
    assert '<span class="code">report.already_signed</span>' in twice.text
    assert "You have already signed this report." in twice.text
    assert len(_signed_events(database, tid)) == 1


def test_bad_signatures_and_digests_are_refused_and_record_nothing(f: Flow, database: Database) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    digest = _api_record(f, tid)["digest"]
    member = person_client(f.c, "evaluator2")
    action = _page(tid) + "/signatures"
    other_sig = _signature(f, committee, "evaluator2", tid, member, "0" * 64)  # over another digest

    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"digest": digest}, 422, "decision.signature_required", "must be signed with it"),
        ({"digest": digest, "signature": other_sig}, 422, "decision.bad_signature", "does not verify"),
        ({"digest": digest, "signature": "not base64url!"}, 422, "decision.bad_signature", "Signature:"),
        ({"digest": "zz", "signature": other_sig}, 422, "validation.failed", "Report digest: not the SHA-256"),
        ({"digest": "0" * 64, "signature": other_sig}, 422, "report.stale_digest", "The report has changed"),
        ({"digest": digest.upper()}, 422, "validation.failed", "Report digest:"),
    ]
    for data, status, code, shown in cases:
        refused = _post(member, action, _page(tid), data)
        assert refused.status_code == status, (data, refused.text)
        assert f'<span class="code">{code}</span>' in refused.text, data
        assert shown in refused.text, data
        assert f'name="digest" value="{digest}"' in refused.text  # the current report, to read and sign again
    assert _signed_events(database, tid) == []

    bad_draft = _post(member, action + "/draft", _page(tid), {"digest": "nope"})
    assert bad_draft.status_code == 422
    assert bad_draft.headers["content-type"].startswith("application/problem+json")
    assert _signed_events(database, tid) == []


def test_only_active_members_sign_and_only_the_buyers_staff_read(f: Flow, database: Database) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    digest = _api_record(f, tid)["digest"]
    action = _page(tid) + "/signatures"

    buyer = person_client(f.c, "buyer")
    refused = _post(buyer, action, _page(tid), {"digest": digest})
    assert refused.status_code == 403
    assert '<span class="code">committee.not_a_member</span>' in refused.text
    assert "Only a member of the tender&#39;s evaluation committee signs its report." in refused.text
    draft = _post(buyer, action + "/draft", _page(tid), {"digest": digest})
    assert draft.status_code == 403
    assert draft.json()["code"] == "committee.not_a_member"

    for who in ("supplier0", "auditor"):
        outsider = person_client(f.c, who)
        for suffix in ("", "/document", "/pdf"):
            page = outsider.get(_page(tid) + suffix)
            assert page.status_code == 403, (who, suffix)
            assert digest not in page.text
    other = person_client(f.c, "other_buyer")
    for suffix in ("", "/document", "/pdf"):
        page = other.get(_page(tid) + suffix)
        assert page.status_code == 404, suffix
        assert digest not in page.text
    assert person_client(f.c, "buyer").get(_page("0" * 32)).status_code == 404
    no_csrf = person_client(f.c, "evaluator").post(action, data={"digest": digest}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert _signed_events(database, tid) == []


def test_a_recused_member_is_told_they_do_not_sign(f: Flow, database: Database) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    bidders = ok(f.c.get(f"/api/v1/tenders/{tid}/committee/bidders", headers=f.h("approver2")))
    body = {"declarations": [{"supplier_id": bidders[0]["supplier_id"], "conflict": True}]}
    ok(f.c.post(f"/api/v1/tenders/{tid}/committee/declarations", json=body, headers=f.h("approver2")))
    recused = person_client(f.c, "approver2")

    page = recused.get(_page(tid))
    assert "You stepped down from this tender&#39;s committee" in page.text
    assert "data-qm-sign" not in page.text
    refused = _post(recused, _page(tid) + "/signatures", _page(tid), {"digest": _api_record(f, tid)["digest"]})
    assert refused.status_code == 403
    assert '<span class="code">opening.recused</span>' in refused.text
    assert _signed_events(database, tid) == []


def test_every_text_of_the_page_has_a_ukrainian_translation() -> None:
    uk = translations("uk")
    used = {*page_module.FIELD_LABELS.values(), *page_module.EXPLANATIONS.values()}
    assert [text for text in sorted(used) if uk.gettext(text) == text] == []
    assert re.search(r"\S", uk.gettext("Sign the report"))
