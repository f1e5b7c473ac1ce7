"""Claims and complaints pages: filing through the tender's complaints page, the review body's accept/reject and
decision, the buyer's answer to a claim, refusals that keep what was typed and change nothing, classified
complaints kept from the public, and the review body's queue; Ukrainian and English."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quartermaster.actors import Role
from quartermaster.complaints.models import Complaint
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import ok
from support.web import csrf_of, give_passwords, person_client
from support.world import World, add_person

PEOPLE = ("buyer", "approver", "supplier0", "supplier1", "reviewer", "cleared_reviewer")


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """A contract flow with two members of the review body (one cleared for restricted processes), and passwords
    for the people these tests log in."""
    with database.unit_of_work() as s:
        add_person(s, world, clock.now(), "reviewer", Role.REVIEWER, None)
        add_person(s, world, clock.now(), "cleared_reviewer", Role.REVIEWER, None, clearance="restricted")
    give_passwords(database, clock, PEOPLE)
    return ContractFlow(client, world, clock, database)


def _complaints(database: Database) -> list[Complaint]:
    with database.unit_of_work(write=False) as s:
        rows = list(s.scalars(select(Complaint).order_by(Complaint.filed_at)).all())
        for row in rows:
            s.expunge(row)
        return rows


def _file(page_client: TestClient, tender_id: str, **form: str) -> Any:
    page = page_client.get(f"/tenders/{tender_id}/complaints")
    assert page.status_code == 200, page.text
    body = {"kind": "complaint", "title": "Unfair award", "description": "The winner's price is abnormally low."}
    return page_client.post(
        f"/tenders/{tender_id}/complaints",
        data={"csrf": csrf_of(page.text), **body, **form},
        follow_redirects=False,
    )


def _step(page_client: TestClient, complaint_id: str, step: str, **form: str) -> Any:
    page = page_client.get(f"/complaints/{complaint_id}")
    assert page.status_code == 200, page.text
    return page_client.post(
        f"/complaints/{complaint_id}/{step}", data={"csrf": csrf_of(page.text), **form}, follow_redirects=False
    )


def _anon(cf: ContractFlow, lang: str = "en") -> TestClient:
    """A client nobody is logged in on, speaking ``lang``."""
    return TestClient(cf.c.app, raise_server_exceptions=False, headers={"Accept-Language": lang})


def _status(database: Database, complaint_id: str) -> str:
    with database.unit_of_work(write=False) as s:
        row = s.get(Complaint, complaint_id)
        assert row is not None
        return row.status


def test_an_award_complaint_filed_on_the_page_holds_the_signature_until_the_review_body_declines_it(
    cf: ContractFlow, database: Database
) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    supplier = person_client(cf.c, "supplier0")
    form = supplier.get(f"/tenders/{tid}/complaints")
    assert "File a claim or complaint" in form.text
    assert f'value="{contract["award_id"]}"' in form.text  # the award to choose
    assert "/tenders/" + tid + "/complaints" in _anon(cf).get(f"/tenders/{tid}").text  # the public page links here

    filed = _file(supplier, tid, against="award", award_id=contract["award_id"])
    assert filed.status_code == 303
    [complaint] = _complaints(database)
    assert filed.headers["location"] == f"/complaints/{complaint.id}"
    assert (complaint.kind, complaint.against, complaint.award_id) == ("complaint", "award", contract["award_id"])
    assert complaint.status == "pending"

    listing = _anon(cf).get(f"/tenders/{tid}/complaints")  # public process: anyone sees it
    assert "Unfair award" in listing.text
    assert "Pending" in listing.text
    assert "An award" in listing.text
    assert "Withdraw" not in listing.text
    assert "Withdraw" in supplier.get(f"/tenders/{tid}/complaints").text

    # The buyer cannot sign: the refusal explains the pending complaint, in both languages.
    cf.advance_to(contract["not_before"])
    for lang, sentence in [
        ("en", "Unresolved claims or complaints hold up this contract"),
        ("uk", "Договір затримують нерозглянуті вимоги чи скарги"),
    ]:
        approver = person_client(cf.c, "approver", lang)
        page = approver.get(f"/buyer/contracts/{contract['id']}")
        held = approver.post(f"/buyer/contracts/{contract['id']}/sign", data={"csrf": csrf_of(page.text)})
        assert held.status_code == 409
        assert "contract.complaint_pending" in held.text
        assert sentence in held.text
    assert cf.contract(contract["id"])["buyer_signed_by"] is None

    # The review body: the queue, then accept and decline.
    reviewer = person_client(cf.c, "reviewer")
    queue = reviewer.get("/reviewer")
    assert queue.status_code == 200
    assert f"/complaints/{complaint.id}" in queue.text
    assert 'href="/reviewer"' in queue.text  # the workspace link in the navigation
    detail = reviewer.get(f"/complaints/{complaint.id}")
    assert "Accept for review" in detail.text
    assert "Reject as inadmissible" in detail.text
    assert _step(reviewer, complaint.id, "admit", admissible="yes", reason="filed in time").status_code == 303
    assert _status(database, complaint.id) == "accepted"
    assert "Decide the complaint" in reviewer.get(f"/complaints/{complaint.id}").text
    decided = _step(reviewer, complaint.id, "decide", outcome="declined", reason="the price was examined")
    assert decided.status_code == 303
    assert _status(database, complaint.id) == "declined"
    assert f"/complaints/{complaint.id}" not in reviewer.get("/reviewer").text

    history = supplier.get(f"/complaints/{complaint.id}")
    assert "Accepted for review" in history.text
    assert "Decided by the review body" in history.text
    assert "the price was examined" in history.text
    uk = person_client(cf.c, "supplier0", "uk").get(f"/complaints/{complaint.id}")
    assert "Орган оскарження ухвалив рішення" in uk.text
    assert "Відхилено" in uk.text

    # Declined: the contract may now be signed.
    cf.sign(contract["id"], "approver")


def test_a_reviewer_rejects_a_complaint_and_a_satisfied_one_needs_its_correction(
    cf: ContractFlow, database: Database
) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    supplier = person_client(cf.c, "supplier0")
    assert _file(supplier, tid, against="award", award_id=contract["award_id"]).status_code == 303
    assert _file(supplier, tid, against="award", award_id=contract["award_id"], title="Second").status_code == 303
    first, second = _complaints(database)
    reviewer = person_client(cf.c, "reviewer")
    assert _step(reviewer, first.id, "admit", admissible="no", reason="late").status_code == 303
    assert _status(database, first.id) == "rejected"

    # A satisfied decision without the correction is refused with what was typed kept.
    _step(reviewer, second.id, "admit", admissible="yes", reason="ok")
    bad = _step(reviewer, second.id, "decide", outcome="satisfied", reason="price not examined")
    assert bad.status_code == 422
    assert "validation.failed" in bad.text
    assert "price not examined" in bad.text
    assert _status(database, second.id) == "accepted"
    good = _step(reviewer, second.id, "decide", outcome="satisfied", reason="r", correction="cancel and redo")
    assert good.status_code == 303

    approver = person_client(cf.c, "approver")
    page = approver.get(f"/complaints/{second.id}")
    assert "Report the correction made" in page.text
    assert "Cancel the award" in page.text
    early = _step(approver, second.id, "resolve", resolution="we did it")
    assert early.status_code == 422
    assert "complaint.correction_missing" in early.text
    assert "we did it" in early.text
    assert "The correction the decision requires is not made yet" in early.text
    assert _status(database, second.id) == "satisfied"
    ok(cf.c.post(f"/api/v1/awards/{contract['award_id']}/cancel", json={"reason": "upheld"}, headers=cf.h("approver")))
    assert _step(approver, second.id, "resolve", resolution="award cancelled").status_code == 303
    assert _status(database, second.id) == "resolved"


def test_a_claim_is_answered_by_the_buyer_and_withdrawn_from_the_list(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    supplier = person_client(cf.c, "supplier0")
    assert _file(supplier, tid, kind="claim", against="award", award_id=contract["award_id"]).status_code == 303
    assert _file(supplier, tid, kind="claim", against="award", award_id=contract["award_id"]).status_code == 303
    claim, other = _complaints(database)

    reviewer = person_client(cf.c, "reviewer")
    assert "Accept for review" not in reviewer.get(f"/complaints/{claim.id}").text
    assert f"/complaints/{claim.id}" not in reviewer.get("/reviewer").text  # claims go to the buyer
    outsider = person_client(cf.c, "supplier1")
    refused = _step(outsider, claim.id, "answer", resolution="declined", answer="no")
    assert refused.status_code == 403
    assert _status(database, claim.id) == "pending"

    buyer = person_client(cf.c, "buyer", "uk")
    assert "Відповісти на вимогу" in buyer.get(f"/complaints/{claim.id}").text
    empty = _step(buyer, claim.id, "answer", resolution="declined", answer="")
    assert empty.status_code == 422
    assert "validation.failed" in empty.text
    answered = _step(buyer, claim.id, "answer", resolution="declined", answer="the price was examined")
    assert answered.status_code == 303
    assert _status(database, claim.id) == "declined"
    assert "the price was examined" in _anon(cf).get(f"/complaints/{claim.id}").text

    listing = supplier.get(f"/tenders/{tid}/complaints")
    withdrawn = supplier.post(
        f"/complaints/{other.id}/withdraw",
        data={"csrf": csrf_of(listing.text), "reason": "settled", "back": "list"},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert withdrawn.headers["location"] == f"/tenders/{tid}/complaints"
    assert _status(database, other.id) == "stopped"
    with database.unit_of_work(write=False) as s:
        steps = s.scalars(select(Event.command).where(Event.object_id == other.id).order_by(Event.seq)).all()
        assert steps == ["file_complaint", "withdraw_complaint"]


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [("en", "The time for filing this claim or complaint has run out."), ("uk", "Строк подання цієї вимоги")],
)
def test_filing_after_the_window_is_refused_with_the_text_kept(
    cf: ContractFlow, database: Database, lang: str, sentence: str
) -> None:
    contract = cf.awarded()
    award = ok(cf.c.get(f"/api/v1/awards/{contract['award_id']}"))
    cf.clock.set(datetime.fromisoformat(award["complaint_end"]) + timedelta(seconds=1))
    supplier = person_client(cf.c, "supplier0", lang)
    page = supplier.get(f"/tenders/{contract['tender_id']}/complaints")
    assert f'action="/tenders/{contract["tender_id"]}/complaints"' not in page.text  # no window is open any more
    late = supplier.post(
        f"/tenders/{contract['tender_id']}/complaints",
        data={
            "csrf": csrf_of(page.text),
            "kind": "complaint",
            "against": "award",
            "award_id": award["id"],
            "title": "Too late title",
            "description": "A description typed with care",
        },
    )
    assert late.status_code == 422
    assert "complaint.window_closed" in late.text
    assert sentence in late.text
    assert "Too late title" in late.text
    assert "A description typed with care" in late.text
    assert _complaints(database) == []


def test_bad_filings_are_refused_and_change_nothing(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    winner = person_client(cf.c, "supplier1")
    own = _file(winner, tid, against="award", award_id=contract["award_id"])
    assert own.status_code == 403
    assert "complaint.own_award" in own.text
    supplier = person_client(cf.c, "supplier0")
    for form, status, code in [
        ({"against": "award", "award_id": ""}, 422, "validation.failed"),
        ({"against": "award", "award_id": "nope"}, 404, "award.not_found"),
        ({"against": "tender"}, 422, "complaint.window_closed"),
        ({"kind": "appeal", "against": "tender"}, 422, "validation.failed"),
        ({"against": "award", "award_id": contract["award_id"], "title": ""}, 422, "validation.failed"),
    ]:
        refused = _file(supplier, tid, **form)
        assert refused.status_code == status, (form, refused.text)
        assert code in refused.text, form
    approver = person_client(cf.c, "approver")
    page = approver.get(f"/tenders/{tid}/complaints")
    assert "File a claim or complaint" not in page.text
    by_buyer = approver.post(
        f"/tenders/{tid}/complaints",
        data={"csrf": csrf_of(page.text), "kind": "claim", "against": "tender", "title": "t", "description": "d"},
    )
    assert by_buyer.status_code == 403
    assert "auth.role_forbidden" in by_buyer.text
    no_csrf = supplier.post(f"/tenders/{tid}/complaints", data={"kind": "claim", "against": "tender"})
    assert no_csrf.status_code in (400, 403)
    assert _complaints(database) == []
    assert cf.c.get("/tenders/nope/complaints").status_code == 404
    assert cf.c.get("/complaints/nope").status_code == 404


def test_a_classified_complaint_is_not_shown_to_the_public(cf: ContractFlow, database: Database) -> None:
    contract = cf.awarded()
    tid = contract["tender_id"]
    supplier = person_client(cf.c, "supplier0")
    assert _file(supplier, tid, against="award", award_id=contract["award_id"], title="Secret title").status_code == 303
    [complaint] = _complaints(database)
    with database.unit_of_work() as s:
        s.execute(update(Complaint).where(Complaint.id == complaint.id).values(marking="restricted"))

    public = _anon(cf).get(f"/tenders/{tid}/complaints")
    assert public.status_code == 200
    assert "Secret title" not in public.text
    assert complaint.id not in public.text
    hidden = _anon(cf).get(f"/complaints/{complaint.id}")
    assert hidden.status_code == 404
    assert "Secret title" not in hidden.text
    uncleared = person_client(cf.c, "reviewer")
    assert "Secret title" not in uncleared.get(f"/tenders/{tid}/complaints").text
    assert complaint.id not in uncleared.get("/reviewer").text
    assert uncleared.get(f"/complaints/{complaint.id}").status_code == 404

    cleared = person_client(cf.c, "cleared_reviewer")
    assert "Secret title" in cleared.get(f"/tenders/{tid}/complaints").text
    assert f"/complaints/{complaint.id}" in cleared.get("/reviewer").text
    assert "Accept for review" in cleared.get(f"/complaints/{complaint.id}").text


def test_the_review_queue_is_for_reviewers_only(cf: ContractFlow) -> None:
    for who in ("supplier0", "approver"):
        page = person_client(cf.c, who).get("/reviewer")
        assert page.status_code == 403
        assert "The review body&#39;s queue is for its members" in page.text
    uk = person_client(cf.c, "supplier0", "uk").get("/reviewer")
    assert uk.status_code == 403
    assert "Черга органу оскарження" in uk.text
    anonymous = cf.c.get("/reviewer", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    empty = person_client(cf.c, "reviewer", "uk").get("/reviewer")
    assert empty.status_code == 200
    assert "Жодна скарга не очікує" in empty.text
