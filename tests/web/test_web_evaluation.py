"""The evaluation pages: opening, verdicts, ranking, award, refusals, sealing, access and both languages."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from quartermaster.awards.models import Award, Evaluation
from quartermaster.bids.models import Bid
from quartermaster.db.tx import Database
from quartermaster.identity.models import User
from quartermaster.tenders.models import Tender
from quartermaster.types import FixedClock
from quartermaster.web import evaluation, refusals
from quartermaster.web.i18n import translations
from support.flows import Flow, ok, tender_body
from support.web import csrf_of, give_passwords, person_client
from support.world import World

PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "supplier0", "other_approver")


@pytest.fixture
def flow(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    give_passwords(database, clock, PEOPLE)
    return Flow(client, world, clock, database)


def _page(tender_id: str) -> str:
    return f"/buyer/tenders/{tender_id}/evaluation"


def _bidding_over(flow: Flow, prices: dict[str, str]) -> str:
    """A tender with a bid per supplier, its deadline passed but the scheduler not yet run (still tendering)."""
    tender_id = flow.to_tendering()
    for supplier, amount in prices.items():
        flow.bid(tender_id, supplier, amount)
    end = flow.tender(tender_id)["tender_end"]
    flow.clock.set(datetime.fromisoformat(end))
    return tender_id


def _opened(flow: Flow, prices: dict[str, str]) -> str:
    tender_id = flow.to_tendering()
    for supplier, amount in prices.items():
        flow.bid(tender_id, supplier, amount)
    flow.open(tender_id)
    return tender_id


def _bids(database: Database, tender_id: str) -> dict[str, Bid]:
    with database.unit_of_work(write=False) as s:
        rows = s.scalars(select(Bid).where(Bid.tender_id == tender_id)).all()
        for row in rows:
            s.expunge(row)
    return {row.supplier_id: row for row in rows}


def _lot_id(flow: Flow, tender_id: str) -> str:
    return str(flow.tender(tender_id)["lots"][0]["id"])


def _post(who: TestClient, url: str, page_url: str, data: dict[str, Any]) -> Any:
    csrf = csrf_of(who.get(page_url).text)
    return who.post(url, data={**data, "csrf": csrf}, follow_redirects=False)


def test_the_evaluator_opens_the_bids_after_the_deadline_and_records_verdicts(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _bidding_over(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    evaluator = person_client(client, "evaluator")

    before = evaluator.get(_page(tender_id))
    assert before.status_code == 200
    assert "Open all bids" in before.text
    assert "800,000.00" not in before.text

    opened = _post(evaluator, _page(tender_id) + "/open", _page(tender_id), {})
    assert opened.status_code == 303
    assert opened.headers["location"] == _page(tender_id)
    assert {b.status for b in _bids(database, tender_id).values()} == {"valid"}

    page = evaluator.get(_page(tender_id))
    assert "800,000.00" in page.text
    assert "900,000.00" in page.text
    assert "Supplier 0" in page.text
    assert "Supplier 1" in page.text
    lot_id = _lot_id(flow, tender_id)
    bids = _bids(database, tender_id)
    for supplier in ("supplier0", "supplier1"):
        bid = bids[world[supplier].organization_id or ""]
        done = _post(
            evaluator,
            f"{_page(tender_id)}/bids/{bid.id}/verdict",
            _page(tender_id),
            {"lot_id": lot_id, "compliant": "yes", "notes": f"papers of {supplier} in order"},
        )
        assert done.status_code == 303
        assert done.headers["location"].endswith(f"#lot-{lot_id}")

    with database.unit_of_work(write=False) as s:
        verdicts = s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all()
        assert {(v.compliant, v.notes) for v in verdicts} == {
            (True, "papers of supplier0 in order"),
            (True, "papers of supplier1 in order"),
        }
        assert {v.evaluator_id for v in verdicts} == {world["evaluator"].actor.user_id}
    page = evaluator.get(_page(tender_id))
    assert "papers of supplier1 in order" in page.text
    assert world["evaluator"].actor.name in page.text
    assert "Change your verdict on Supplier 0" in page.text

    workspace = evaluator.get("/evaluator")
    assert workspace.status_code == 200
    assert f'href="/buyer/tenders/{tender_id}/evaluation"' in workspace.text
    assert "Waiting for the approver" in workspace.text


def test_the_evaluator_workspace_counts_offers_without_a_verdict(flow: Flow, client: TestClient) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00", "supplier2": "850000.00"})
    waiting = flow.to_tendering()
    flow.bid(waiting, "supplier0", "1.00")

    page = person_client(client, "evaluator").get("/evaluator")
    row = re.search(rf'href="/buyer/tenders/{tender_id}/evaluation">.*?</tr>', page.text, re.S)
    assert row is not None
    assert re.search(r'<td class="num">3</td>\s*<td class="num">1</td>', row.group(0))
    assert "Record your verdicts" in page.text
    assert waiting not in page.text  # still open for bids: nothing to do yet
    assert tender_id in page.text

    for who in ("buyer", "approver", "supplier0"):
        assert person_client(client, who).get("/evaluator").status_code == 403


def test_the_approver_awards_the_best_ranked_bid(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    flow.evaluate_all(tender_id)
    lot_id = _lot_id(flow, tender_id)
    best = _bids(database, tender_id)[world["supplier1"].organization_id or ""]
    approver = person_client(client, "approver")

    page = approver.get(_page(tender_id))
    assert re.search(rf'name="bid_ids" value="{best.id}" checked', page.text)
    assert "Award the lot" in page.text
    assert "Record your verdict" not in page.text  # approvers do not evaluate

    made = _post(
        approver,
        f"{_page(tender_id)}/lots/{lot_id}/award",
        _page(tender_id),
        {"bid_ids": best.id, "rationale": "lowest compliant price"},
    )
    assert made.status_code == 303, made.text
    with database.unit_of_work(write=False) as s:
        awards = s.scalars(select(Award).where(Award.tender_id == tender_id)).all()
        assert [(a.bid_id, a.status, a.rationale) for a in awards] == [(best.id, "active", "lowest compliant price")]
        assert awards[0].standstill_end is not None
    page = approver.get(_page(tender_id))
    assert "Awards" in page.text
    assert "lowest compliant price" in page.text
    assert "Cancel the award to Supplier 1" in page.text
    assert "Award the lot" not in page.text  # the lot is awarded


def test_an_award_to_a_worse_bid_is_refused_and_the_rationale_kept(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    flow.evaluate_all(tender_id)
    lot_id = _lot_id(flow, tender_id)
    worse = _bids(database, tender_id)[world["supplier0"].organization_id or ""]

    refused = _post(
        person_client(client, "approver"),
        f"{_page(tender_id)}/lots/{lot_id}/award",
        _page(tender_id),
        {"bid_ids": worse.id, "rationale": "we like them"},
    )
    assert refused.status_code == 422
    assert "award.not_best_ranked" in refused.text
    assert "The award must go to the best-ranked compliant bid(s)" in refused.text
    assert ">we like them</textarea>" in refused.text
    assert re.search(rf'name="bid_ids" value="{worse.id}" checked', refused.text)  # the choice is kept
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Award).where(Award.tender_id == tender_id)).all() == []


def test_an_invalid_verdict_is_refused_with_what_was_typed_kept(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    lot_id = _lot_id(flow, tender_id)
    bid = _bids(database, tender_id)[world["supplier0"].organization_id or ""]
    evaluator = person_client(client, "evaluator")
    url = f"{_page(tender_id)}/bids/{bid.id}/verdict"

    no_choice = _post(evaluator, url, _page(tender_id), {"lot_id": lot_id, "notes": "Certificates are missing"})
    assert no_choice.status_code == 422
    assert "validation.failed" in no_choice.text
    assert "Compliant: required" in no_choice.text
    assert ">Certificates are missing</textarea>" in no_choice.text

    too_high = _post(
        evaluator, url, _page(tender_id), {"lot_id": lot_id, "compliant": "no", "score": "150", "notes": "No licence"}
    )
    assert too_high.status_code == 422
    assert "Score:" in too_high.text
    assert ">No licence</textarea>" in too_high.text
    assert 'value="no" checked' in too_high.text

    other_lot = _post(evaluator, url, _page(tender_id), {"lot_id": "0" * 32, "compliant": "yes"})
    assert other_lot.status_code == 404
    assert "lot.not_found" in other_lot.text
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all() == []

    # the service takes a verdict of non-compliance without notes: the page does not invent a stricter rule
    plain = _post(evaluator, url, _page(tender_id), {"lot_id": lot_id, "compliant": "no"})
    assert plain.status_code == 303


def test_the_evaluator_may_not_award_and_is_told_why(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    flow.evaluate_all(tender_id)
    lot_id = _lot_id(flow, tender_id)
    best = _bids(database, tender_id)[world["supplier1"].organization_id or ""]
    evaluator = person_client(client, "evaluator")

    assert "Award the lot" not in evaluator.get(_page(tender_id)).text
    refused = _post(evaluator, f"{_page(tender_id)}/lots/{lot_id}/award", _page(tender_id), {"bid_ids": best.id})
    assert refused.status_code == 403
    assert "auth.role_forbidden" in refused.text
    assert "Your role may not do this." in refused.text
    disqualify = _post(
        evaluator, f"{_page(tender_id)}/bids/{best.id}/disqualify", _page(tender_id), {"reason": "dumping"}
    )
    assert disqualify.status_code == 403
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Award).where(Award.tender_id == tender_id)).all() == []
        assert s.get(Bid, best.id).status == "valid"  # type: ignore[union-attr]


def test_suppliers_and_other_organizations_get_no_page_and_change_nothing(
    flow: Flow, client: TestClient, database: Database
) -> None:
    tender_id = _bidding_over(flow, {"supplier0": "900000.00"})
    supplier = person_client(client, "supplier0")
    outsider = person_client(client, "other_approver")

    assert supplier.get(_page(tender_id)).status_code == 403
    assert supplier.get("/evaluator").status_code == 403
    csrf = csrf_of(supplier.get("/account").text)
    assert supplier.post(_page(tender_id) + "/open", data={"csrf": csrf}).status_code == 403

    missing = outsider.get(_page(tender_id))
    assert missing.status_code == 404
    assert "Your organization has no tender at this address." in missing.text
    csrf = csrf_of(outsider.get("/account").text)
    refused = outsider.post(_page(tender_id) + "/open", data={"csrf": csrf}, follow_redirects=False)
    assert refused.status_code == 404
    assert {b.status for b in _bids(database, tender_id).values()} == {"pending"}
    assert person_client(client, "evaluator").get(_page("no-such-tender")).status_code == 404
    assert person_client(client, "evaluator").post(_page(tender_id) + "/open").status_code == 403  # no CSRF token


def test_prices_of_sealed_bids_never_appear(flow: Flow, client: TestClient) -> None:
    tender_id = flow.to_tendering()
    flow.bid(tender_id, "supplier0", "987654.32")
    for lang in ("en", "uk"):
        for who in ("buyer", "approver", "evaluator"):
            page = person_client(client, who, lang).get(_page(tender_id))
            assert page.status_code == 200
            assert "654.32" not in page.text
            assert "654,32" not in page.text
            assert "Open all bids" not in page.text
            assert "Відкрити всі пропозиції" not in page.text
    end = flow.tender(tender_id)["tender_end"]
    flow.advance_to(end)  # the scheduler closes bidding: still sealed until someone opens
    for who in ("approver", "evaluator"):
        page = person_client(client, who).get(_page(tender_id))
        assert "654.32" not in page.text
        assert "Open all bids" in page.text
    assert "654.32" not in person_client(client, "evaluator").get("/evaluator").text


def test_disqualify_declare_unsuccessful_and_cancel_an_award(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    flow.evaluate_all(tender_id)
    lot_id = _lot_id(flow, tender_id)
    bids = _bids(database, tender_id)
    cheap = bids[world["supplier1"].organization_id or ""]
    approver = person_client(client, "approver")

    empty = _post(approver, f"{_page(tender_id)}/bids/{cheap.id}/disqualify", _page(tender_id), {"reason": "  "})
    assert empty.status_code == 422
    assert "Reason: required" in empty.text
    gone = _post(
        approver,
        f"{_page(tender_id)}/bids/{cheap.id}/disqualify",
        _page(tender_id),
        {"reason": "abnormally low price", "lot_id": lot_id},
    )
    assert gone.status_code == 303
    page = approver.get(_page(tender_id))
    assert "Disqualified" in page.text
    assert "abnormally low price" in page.text

    flow.award_best(tender_id)
    award_id = ok(client.get(f"/api/v1/tenders/{tender_id}/awards"))[0]["id"]
    cancelled = _post(
        approver, f"{_page(tender_id)}/awards/{award_id}/cancel", _page(tender_id), {"reason": "complaint upheld"}
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"].endswith(f"#lot-{lot_id}")
    with database.unit_of_work(write=False) as s:
        assert s.get(Award, award_id).status == "cancelled"  # type: ignore[union-attr]

    failed = _post(
        approver, f"{_page(tender_id)}/lots/{lot_id}/unsuccessful", _page(tender_id), {"reason": "no acceptable bid"}
    )
    assert failed.status_code == 303
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.status == "unsuccessful"
    again = _post(approver, f"{_page(tender_id)}/lots/{lot_id}/unsuccessful", _page(tender_id), {"reason": "once more"})
    assert again.status_code == 409
    assert "state.invalid_transition" in again.text


def test_negotiation_is_closed_by_the_approver(flow: Flow, client: TestClient, database: Database) -> None:
    tender_id = flow.to_tendering("negotiated")
    flow.bid(tender_id, "supplier0", "800000.00")
    flow.bid(tender_id, "supplier1", "820000.00")
    flow.open(tender_id)
    approver = person_client(client, "approver")
    assert "Close the negotiation" not in person_client(client, "evaluator").get(_page(tender_id)).text
    closed = _post(approver, _page(tender_id) + "/close-negotiation", _page(tender_id), {})
    assert closed.status_code == 303
    with database.unit_of_work(write=False) as s:
        tender = s.get(Tender, tender_id)
        assert tender is not None
        assert tender.status == "active.qualification"


def test_a_limited_procedure_is_awarded_directly(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    created = flow.create(
        "limited", justification="extreme_urgency", justification_details="Interceptors lost in the attack."
    )
    tender_id = created["id"]
    flow.publish(tender_id, "limited")
    lot_id = _lot_id(flow, tender_id)
    approver = person_client(client, "approver")
    page = approver.get(_page(tender_id))
    assert 'name="supplier_id"' in page.text
    assert "Supplier 2" in page.text

    bad = _post(
        approver,
        f"{_page(tender_id)}/lots/{lot_id}/award",
        _page(tender_id),
        {"supplier_id": world["supplier2"].organization_id, "value": "lots", "rationale": "sole maker"},
    )
    assert bad.status_code == 422
    assert "Value: not a number" in bad.text
    assert ">sole maker</textarea>" in bad.text
    made = _post(
        approver,
        f"{_page(tender_id)}/lots/{lot_id}/award",
        _page(tender_id),
        {"supplier_id": world["supplier2"].organization_id, "value": "450,000.50", "rationale": "sole maker"},
    )
    assert made.status_code == 303, made.text
    with database.unit_of_work(write=False) as s:
        award = s.scalars(select(Award).where(Award.tender_id == tender_id)).one()
        assert (award.supplier_id, str(award.value_amount)) == (world["supplier2"].organization_id, "450000.50")


def test_the_pages_speak_ukrainian(flow: Flow, client: TestClient) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    evaluator = person_client(client, "evaluator", "uk")
    page = evaluator.get(_page(tender_id))
    assert page.headers["Content-Language"] == "uk"
    assert "Оцінювання" in page.text
    assert "Рейтинг" in page.text
    assert re.search(r"800\s000,00", page.text)  # the Ukrainian money format
    assert "Record your verdict" not in page.text
    assert "Кабінет оцінювача" in evaluator.get("/evaluator").text
    approver = person_client(client, "approver", "uk")
    refused = _post(approver, f"{_page(tender_id)}/lots/{_lot_id(flow, tender_id)}/award", _page(tender_id), {})
    assert refused.status_code == 422
    assert "Не виконано." in refused.text


def test_every_evaluation_text_has_a_ukrainian_translation() -> None:
    templates = Path(evaluation.__file__).parent / "templates" / "evaluation"
    used = {
        a or b
        for page in templates.glob("*.html")
        for a, b in re.findall(r"""\b_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", page.read_text())
    }
    used |= refusals.every_explanation()
    for labels in (
        evaluation.ROLE_DUTIES,
        evaluation.NEXT_ACTIONS,
        evaluation.BID_STATUS,
        evaluation.FIELD_LABELS,
    ):
        used |= set(labels.values())
    uk = translations("uk")

    missing = sorted(text for text in used if uk.gettext(text) == text)

    assert len(used) > 80
    assert missing == []


def test_malformed_forms_are_refused_without_a_server_error(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    lot_id = _lot_id(flow, tender_id)
    bid = _bids(database, tender_id)[world["supplier0"].organization_id or ""]
    evaluator = person_client(client, "evaluator")
    approver = person_client(client, "approver")
    page = _page(tender_id)
    cases = [
        (evaluator, f"{page}/bids/{bid.id}/verdict", {"lot_id": lot_id, "compliant": "yes", "score": "NaN"}),
        (evaluator, f"{page}/bids/{bid.id}/verdict", {"lot_id": lot_id, "compliant": "maybe"}),
        (evaluator, f"{page}/bids/{bid.id}/verdict", {"lot_id": "x" * 40, "compliant": "yes"}),
        (evaluator, f"{page}/bids/{'b' * 300}/verdict", {"lot_id": lot_id, "compliant": "yes"}),
        (evaluator, f"{page}/bids/{bid.id}/verdict", {"lot_id": lot_id, "compliant": "yes", "notes": "n" * 5001}),
        (approver, f"{page}/lots/{lot_id}/award", {"bid_ids": ["a" * 33]}),
        (approver, f"{page}/lots/{lot_id}/award", {"bid_ids": [bid.id] * 51}),
        (approver, f"{page}/lots/{lot_id}/award", {"bid_ids": [bid.id, bid.id]}),
        (approver, f"{page}/lots/{lot_id}/award", {"supplier_id": world["supplier2"].organization_id, "value": "1"}),
        (approver, f"{page}/lots/{'l' * 300}/award", {"bid_ids": [bid.id]}),
        (approver, f"{page}/lots/{lot_id}/unsuccessful", {"reason": ""}),
        (approver, f"{page}/awards/{'a' * 32}/cancel", {"reason": "why not"}),
        (approver, f"{page}/bids/{bid.id}/disqualify", {"reason": "r" * 5001}),
    ]
    for who, url, data in cases:
        answer = _post(who, url, page, data)
        assert 400 <= answer.status_code < 500, (url, data, answer.status_code)
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all() == []
        assert s.scalars(select(Award).where(Award.tender_id == tender_id)).all() == []
        assert {b.status for b in s.scalars(select(Bid).where(Bid.tender_id == tender_id))} == {"valid"}


def test_a_framework_admits_several_best_ranked_suppliers(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = flow.to_tendering("framework")
    for supplier, amount in (("supplier0", "900000.00"), ("supplier1", "800000.00"), ("supplier2", "850000.00")):
        flow.bid(tender_id, supplier, amount)
    flow.open(tender_id)
    flow.evaluate_all(tender_id)
    lot_id = _lot_id(flow, tender_id)
    bids = _bids(database, tender_id)
    first, second = (bids[world[s].organization_id or ""].id for s in ("supplier1", "supplier2"))
    approver = person_client(client, "approver")

    page = approver.get(_page(tender_id))
    assert page.text.count('type="checkbox" name="bid_ids"') == 3
    made = _post(approver, f"{_page(tender_id)}/lots/{lot_id}/award", _page(tender_id), {"bid_ids": [first, second]})
    assert made.status_code == 303, made.text
    with database.unit_of_work(write=False) as s:
        awarded = {a.bid_id for a in s.scalars(select(Award).where(Award.tender_id == tender_id))}
    assert awarded == {first, second}


def test_a_classified_tender_needs_the_clearance(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    lot_id = _lot_id(flow, tender_id)
    bid = _bids(database, tender_id)[world["supplier1"].organization_id or ""]
    evaluator, cleared = person_client(client, "evaluator"), person_client(client, "evaluator2")
    verdict_url = f"{_page(tender_id)}/bids/{bid.id}/verdict"
    csrf = csrf_of(evaluator.get(_page(tender_id)).text)
    with database.unit_of_work() as s:
        s.execute(update(Tender).where(Tender.id == tender_id).values(marking="restricted"))
        s.execute(update(User).where(User.username == "evaluator2").values(clearance="restricted"))

    hidden = evaluator.get(_page(tender_id))
    assert hidden.status_code == 404
    assert "800,000.00" not in hidden.text
    refused = evaluator.post(verdict_url, data={"csrf": csrf, "lot_id": lot_id, "compliant": "yes"})
    assert refused.status_code == 404
    assert "Ammunition" not in evaluator.get("/evaluator").text

    seen = cleared.get(_page(tender_id))
    assert seen.status_code == 200
    assert "800,000.00" in seen.text
    done = _post(cleared, verdict_url, _page(tender_id), {"lot_id": lot_id, "compliant": "yes"})
    assert done.status_code == 303
    with database.unit_of_work(write=False) as s:
        rows = s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all()
        assert [r.evaluator_id for r in rows] == [world["evaluator2"].actor.user_id]


# --- delivery time and life-cycle cost in the verdict form -------------------------------------------------------

ALL_CRITERIA = {"price": "0.60", "quality": "0.25", "delivery": "0.10", "life_cycle_cost": "0.05"}


def test_the_verdict_records_delivery_time_and_life_cycle_cost_which_best_value_ranking_weighs(
    flow: Flow, client: TestClient, database: Database, world: World
) -> None:
    flow.clock.set(datetime.fromisoformat("2026-09-07T09:00:00+00:00"))  # rulebook 2026.1 lists both criteria
    body = {"award_criteria": "ratedCriteria", "award_method": "best_value", "award_weights": ALL_CRITERIA}
    tender_id = ok(flow.c.post("/api/v1/tenders", json=tender_body("open", **body), headers=flow.h("buyer")), 201)["id"]
    published = flow.publish(tender_id)
    if published["enquiry_end"]:
        flow.advance_to(published["enquiry_end"])
    flow.bid(tender_id, "supplier0", "900000.00")
    flow.open(tender_id)
    lot_id = _lot_id(flow, tender_id)
    bid = _bids(database, tender_id)[world["supplier0"].organization_id or ""]
    evaluator = person_client(client, "evaluator")
    url = f"{_page(tender_id)}/bids/{bid.id}/verdict"

    form = evaluator.get(_page(tender_id)).text
    assert 'name="delivery_days"' in form
    assert 'name="life_cycle_cost"' in form
    assert "Life-cycle cost (UAH)" in form

    scored_only = _post(evaluator, url, _page(tender_id), {"lot_id": lot_id, "compliant": "yes", "score": "80"})
    assert scored_only.status_code == 303
    ranking = ok(flow.c.get(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/ranking"))
    assert ranking[0]["missing"] == ["delivery", "life_cycle_cost"]  # best value cannot rank it yet

    data = {
        "lot_id": lot_id,
        "compliant": "yes",
        "score": "80",
        "delivery_days": " 45 ",
        "life_cycle_cost": "1,250,000.50",
    }
    done = _post(evaluator, url, _page(tender_id), data)
    assert done.status_code == 303, done.text
    with database.unit_of_work(write=False) as s:
        (row,) = s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all()
        assert (row.delivery_days, row.life_cycle_cost) == (45, Decimal("1250000.50"))
    ranking = ok(flow.c.get(f"/api/v1/tenders/{tender_id}/lots/{lot_id}/ranking"))
    assert ranking[0]["missing"] == []
    assert ranking[0]["figure"] is not None

    again = evaluator.get(_page(tender_id)).text  # the form shows the recorded findings, the verdict lists them
    assert "delivery in 45 days, life-cycle cost 1,250,000.5" in again
    assert re.search(r'name="delivery_days"[^>]*value="45"', again)
    assert re.search(r'name="life_cycle_cost"[^>]*value="1,250,000.5"', again)

    uk = person_client(client, "evaluator", "uk")
    in_ukrainian = {**data, "delivery_days": "30", "life_cycle_cost": "1 100 000,25"}
    assert _post(uk, url, _page(tender_id), in_ukrainian).status_code == 303
    with database.unit_of_work(write=False) as s:
        (row,) = s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all()
        assert (row.delivery_days, row.life_cycle_cost) == (30, Decimal("1100000.25"))
    assert "Строк поставки (днів)" in uk.get(_page(tender_id)).text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ({"delivery_days": "soon"}, ["Delivery time (days): not a whole number of days"]),
        ({"delivery_days": "4.5"}, ["Delivery time (days): not a whole number of days"]),
        ({"delivery_days": "0"}, ["Delivery time (days): Input should be greater than or equal to 1"]),
        ({"delivery_days": "3651"}, ["Delivery time (days): Input should be less than or equal to 3650"]),
        ({"life_cycle_cost": "cheap"}, ["Life-cycle cost: not a number"]),
        ({"life_cycle_cost": "-5"}, ["Life-cycle cost: Input should be greater than 0"]),
        ({"life_cycle_cost": "0"}, ["Life-cycle cost: Input should be greater than 0"]),
        ({"life_cycle_cost": "1.234"}, ["Life-cycle cost: Decimal input should have no more than 2 decimal places"]),
        ({"life_cycle_cost": "1e30"}, ["Life-cycle cost: Decimal input should have no more than 18 digits"]),
        (
            {"delivery_days": "x", "life_cycle_cost": "y", "score": "z"},
            [
                "Delivery time (days): not a whole number of days",
                "Life-cycle cost: not a number",
                "Score: not a number",
            ],
        ),
    ],
)
def test_a_bad_delivery_time_or_life_cycle_cost_is_refused_with_what_was_typed_kept(
    flow: Flow, client: TestClient, database: Database, world: World, typed: dict[str, str], shown: list[str]
) -> None:
    tender_id = _opened(flow, {"supplier0": "900000.00", "supplier1": "800000.00"})
    lot_id = _lot_id(flow, tender_id)
    bid = _bids(database, tender_id)[world["supplier0"].organization_id or ""]
    evaluator = person_client(client, "evaluator")
    url = f"{_page(tender_id)}/bids/{bid.id}/verdict"

    refused = _post(evaluator, url, _page(tender_id), {"lot_id": lot_id, "compliant": "yes", **typed})

    assert refused.status_code == 422
    assert "validation.failed" in refused.text
    for note in shown:
        assert note in refused.text
    for name, value in typed.items():
        if name != "score":
            assert re.search(rf'name="{name}"[^>]*aria-invalid="true" value="{re.escape(value)}"', refused.text)
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id)).all() == []
