"""My interests page: buyer staff declare their identifier and past employers (what the conflict-of-interest check
reads), see the declaration, replace it; bad input is refused with the row named and changes nothing; other roles
get the 403 page; both languages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.committees import interests
from quartermaster.committees.models import MemberInterests
from quartermaster.db.tx import Database
from quartermaster.events.models import Event
from quartermaster.types import FixedClock
from quartermaster.web import interests as page_module
from quartermaster.web.i18n import translations
from support.web import csrf_of, give_passwords, person_client
from support.world import World

PEOPLE = ("buyer", "approver", "evaluator", "supplier0", "auditor")
URL = "/me/interests"


@pytest.fixture
def people(world: World, database: Database, clock: FixedClock) -> None:
    give_passwords(database, clock, PEOPLE)


def _post(who: TestClient, data: dict[str, Any]) -> Any:
    csrf = csrf_of(who.get(URL).text)
    return who.post(URL, data={**data, "csrf": csrf}, follow_redirects=False)


def _declared(database: Database, user_id: str) -> MemberInterests | None:
    with database.unit_of_work(write=False) as s:
        row = s.get(MemberInterests, user_id)
        if row is not None:
            s.expunge(row)
        return row


def _rows(*rows: tuple[str, str, str]) -> dict[str, list[str]]:
    return {
        "organization_id": [r[0] for r in rows],
        "from_year": [r[1] for r in rows],
        "to_year": [r[2] for r in rows],
    }


def _events(database: Database) -> int:
    with database.unit_of_work(write=False) as s:
        return len(s.query(Event).filter(Event.command == "declare_interests").all())


@pytest.mark.usefixtures("people")
def test_a_member_declares_past_employers_sees_them_and_the_conflict_check_reads_them(
    client: TestClient, world: World, database: Database
) -> None:
    evaluator = person_client(client, "evaluator")
    s0, s1 = world.suppliers[0], world.suppliers[1]

    first = evaluator.get(URL)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert "You have not declared your interests yet" in first.text
    assert 'name="organization_id"' in first.text
    assert f'<option value="{s0}">Supplier 0</option>' in first.text

    done = _post(
        evaluator,
        {"national_id": " 1234567890 ", **_rows((s0, "2015", "2019"), ("", "", ""), (s1, "2020", ""))},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/me/interests?declared=1"

    row = _declared(database, world["evaluator"].actor.user_id)
    assert row is not None
    assert row.past_employers == [
        {"organization_id": s0, "from": 2015, "to": 2019},
        {"organization_id": s1, "from": 2020, "to": None},
    ]
    vault = client.app.state.qm.vault  # type: ignore[attr-defined]
    assert row.identifier_digest == vault.identifier_digest("1234567890")

    page = evaluator.get(done.headers["location"])
    assert "Your declaration is recorded." in page.text
    assert '<th scope="row">Supplier 0</th><td>2015</td><td>2019</td>' in page.text
    assert '<th scope="row">Supplier 1</th><td>2020</td><td>to date</td>' in page.text
    assert "1234567890" not in page.text  # the identifier never comes back
    assert f'<option value="{s0}" selected>' in page.text  # the form starts from the declaration

    with database.unit_of_work(write=False) as s:
        declared = s.get(MemberInterests, world["evaluator"].actor.user_id)
        assert declared is not None
        assert interests.links(s, declared, s0) == [interests.EMPLOYED]
        assert interests.links(s, declared, world.suppliers[2]) == []

    replaced = _post(evaluator, {"national_id": "1234567890", **_rows((world.suppliers[2], "2001", "2003"))})
    assert replaced.status_code == 303
    row = _declared(database, world["evaluator"].actor.user_id)
    assert row is not None
    assert row.past_employers == [{"organization_id": world.suppliers[2], "from": 2001, "to": 2003}]
    assert _events(database) == 2

    nobody = _post(person_client(client, "buyer"), {"national_id": "AB 123456"})  # no past employers at all
    assert nobody.status_code == 303
    row = _declared(database, world["buyer"].actor.user_id)
    assert row is not None
    assert row.past_employers == []
    assert "You declared no past employers." in person_client(client, "buyer").get(URL).text


@pytest.mark.parametrize(
    ("data", "code", "shown"),
    [
        ({"national_id": ""}, "validation.failed", "Your identifier: required"),
        ({"national_id": "123"}, "validation.failed", "Your identifier: String should have at least 5 characters"),
        (
            {"national_id": "1234567890", **_rows(("S0", "20x5", ""))},
            "validation.failed",
            "Row 1 — From year: not a year",
        ),
        (
            {"national_id": "1234567890", **_rows(("S0", "", "2019"))},
            "validation.failed",
            "Row 1 — From year: required",
        ),
        (
            {"national_id": "1234567890", **_rows(("", "", ""), ("", "2010", "2012"))},
            "validation.failed",
            "Row 2 — Organization: choose the organization",
        ),
        (
            {"national_id": "1234567890", **_rows(("S0", "2015", "2019"), ("S1", "2020", "2018"))},
            "interests.invalid",
            "Row 2 — To year: before from_year",
        ),
        (
            {"national_id": "1234567890", **_rows(("S0", "1900", ""))},
            "validation.failed",
            "Row 1 — From year: Input should be greater than or equal to 1950",
        ),
        (
            {"national_id": "1234567890", **_rows(("0" * 32, "2015", ""))},
            "interests.invalid",
            "Row 1 — Organization: no such organization",
        ),
        (
            {"national_id": "1234567890", **_rows(("x" * 40, "2015", ""))},
            "validation.failed",
            "Row 1 — Organization: String should have at most 32 characters",
        ),
        (
            {"national_id": "1234567890", **_rows(*[("S0", "2015", "")] * 51)},
            "validation.failed",
            "Past employers: List should have at most 50 items",
        ),
    ],
)
@pytest.mark.usefixtures("people")
def test_a_bad_declaration_is_refused_with_the_row_named_and_changes_nothing(
    client: TestClient, world: World, database: Database, data: dict[str, Any], code: str, shown: str
) -> None:
    named = {"S0": world.suppliers[0], "S1": world.suppliers[1]}
    if "organization_id" in data:
        data = {**data, "organization_id": [named.get(o, o) for o in data["organization_id"]]}
    evaluator = person_client(client, "evaluator")
    before = _events(database)

    refused = _post(evaluator, data)

    assert refused.status_code == 422, refused.text
    assert f'<span class="code">{code}</span>' in refused.text
    assert shown in refused.text
    assert "Not done." in refused.text
    for typed in data.get("from_year", []):
        if typed:
            assert f'value="{typed}"' in refused.text  # what was typed is kept
    assert _declared(database, world["evaluator"].actor.user_id) is None
    assert _events(database) == before


@pytest.mark.usefixtures("people")
def test_a_refusal_keeps_the_earlier_declaration(client: TestClient, world: World, database: Database) -> None:
    approver = person_client(client, "approver")
    s0 = world.suppliers[0]
    assert _post(approver, {"national_id": "1234567890", **_rows((s0, "2015", "2019"))}).status_code == 303
    refused = _post(approver, {"national_id": "1234567890", **_rows((s0, "2019", "2015"))})
    assert refused.status_code == 422
    row = _declared(database, world["approver"].actor.user_id)
    assert row is not None
    assert row.past_employers == [{"organization_id": s0, "from": 2015, "to": 2019}]


@pytest.mark.usefixtures("people")
def test_other_roles_get_the_403_page_and_declare_nothing(client: TestClient, world: World, database: Database) -> None:
    for who in ("supplier0", "auditor"):
        person = person_client(client, who)
        page = person.get(URL)
        assert page.status_code == 403
        assert "Only the staff of a buying organization" in page.text
        csrf = csrf_of(person.get("/me/keys").text)
        posted = person.post(URL, data={"national_id": "1234567890", "csrf": csrf}, follow_redirects=False)
        assert posted.status_code == 403
        assert _declared(database, world[who].actor.user_id) is None
        assert 'href="/me/interests"' not in person.get("/me/keys").text

    anonymous = TestClient(client.app).get(URL, follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/login")


@pytest.mark.usefixtures("people")
def test_a_post_without_the_csrf_token_is_refused(client: TestClient, world: World, database: Database) -> None:
    evaluator = person_client(client, "evaluator")
    posted = evaluator.post(URL, data={"national_id": "1234567890"}, follow_redirects=False)
    assert posted.status_code == 403
    assert _declared(database, world["evaluator"].actor.user_id) is None


@pytest.mark.usefixtures("people")
def test_the_keys_page_links_to_the_interests_page(client: TestClient) -> None:
    assert 'href="/me/interests"' in person_client(client, "evaluator").get("/me/keys").text


@pytest.mark.usefixtures("people")
def test_the_page_speaks_ukrainian(client: TestClient, world: World) -> None:
    evaluator = person_client(client, "evaluator", "uk")
    page = evaluator.get(URL)
    assert page.headers["Content-Language"] == "uk"
    assert "Мої інтереси" in page.text
    assert "Ви ще не задекларували свої інтереси" in page.text
    refused = _post(evaluator, {"national_id": "1234567890", **_rows((world.suppliers[0], "2019", "2015"))})
    assert refused.status_code == 422
    assert "Декларацію не можна зберегти" in refused.text
    assert "Рядок 1 — До року" in refused.text


def test_every_text_of_the_page_has_a_ukrainian_translation() -> None:
    uk = translations("uk")
    used = {*page_module.FIELD_LABELS.values(), *page_module.EXPLANATIONS.values()}
    assert [text for text in sorted(used) if uk.gettext(text) == text] == []
