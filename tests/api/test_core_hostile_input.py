"""Hostile input gets a 4xx problem+json, with field-level errors where a field is at fault, and never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.types import FixedClock
from support.core_scenes import Scene, bid, published
from support.db import TestDatabases
from support.flows import ITEM, Flow, tender_body
from support.world import World, build_world

PROBLEM = "application/problem+json"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def flow(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    """One app and world for the whole module: hostile requests are refused, so tests cannot disturb each other."""
    db = databases.dedicated()
    clock = FixedClock(START)
    world = build_world(db, clock.now())
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("hostile"), run_scheduler=False), clock=clock, database=db
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Flow(client, world, clock, db)
    db.dispose()


@pytest.fixture
def client(flow: Flow) -> TestClient:
    """The module's client."""
    return flow.c


@pytest.fixture
def world(flow: Flow) -> World:
    """The module's people."""
    return flow.w


def problem_of(resp: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """Assert a 4xx RFC 9457 body (of ``status`` if given) and return it."""
    assert resp.status_code < 500, resp.text
    assert resp.status_code >= 400, resp.text
    if status is not None:
        assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM), resp.headers["content-type"]
    body = resp.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body), body
    assert body["status"] == resp.status_code
    return body  # type: ignore[no-any-return]


def fields(body: dict[str, Any]) -> list[str]:
    """The fields a problem names."""
    return [e["field"] for e in body.get("errors", [])]


def tb(**change: Any) -> dict[str, Any]:
    """A valid tender body with some members replaced."""
    return {**tender_body(), **change}


def _item(**change: Any) -> dict[str, Any]:
    return {**ITEM, **change}


def _lot(amount: Any = "1000.00", **item: Any) -> dict[str, Any]:
    return {"title": "Lot", "value": {"amount": amount, "currency": "UAH"}, "items": [_item(**item)]}


BAD_TENDERS: list[tuple[str, dict[str, Any], str]] = [
    ("wrong type title", tb(title=123), "title"),
    ("wrong type lots", tb(lots="many"), "lots"),
    ("unknown field", tb(owner_token="x"), "owner_token"),
    ("unknown nested field", tb(lots=[{**_lot(), "secret": 1}]), "lots.0.secret"),
    ("1 MB title", tb(title="x" * MIB), "title"),
    ("empty title", tb(title="   "), "title"),
    ("unknown procedure", tb(procedure="whatever"), "procedure"),
    ("no lots", tb(lots=[]), "lots"),
    ("negative amount", tb(lots=[_lot("-0.01")]), "lots.0.value.amount"),
    ("NaN amount", tb(lots=[_lot("NaN")]), "lots.0.value.amount"),
    ("infinite amount", tb(lots=[_lot("Infinity")]), "lots.0.value.amount"),
    ("huge amount", tb(lots=[_lot("1e400")]), "lots.0.value.amount"),
    ("three decimals", tb(lots=[_lot("10.005")]), "lots.0.value.amount"),
    ("float with many decimals", tb(lots=[_lot(0.1234567)]), "lots.0.value.amount"),
    ("boolean amount", tb(lots=[_lot(True)]), "lots.0.value.amount"),
    ("lowercase currency", tb(lots=[{**_lot(), "value": {"amount": "1", "currency": "uah"}}]), "lots.0.value.currency"),
    ("unknown currency", tb(lots=[{**_lot(), "value": {"amount": "1", "currency": "XXZ"}}]), "lots.0.value.currency"),
    ("CPV pattern", tb(lots=[_lot(cpv="3533000-6")]), "lots.0.items.0.cpv"),
    ("CPV check digit", tb(lots=[_lot(cpv="35330000-5")]), "lots.0.items.0.cpv"),
    ("CPV unknown", tb(lots=[_lot(cpv="99999999-9")]), "lots.0.items.0.cpv"),
    ("NSN structure", tb(lots=[_lot(nsn="1305-12-345-678")]), "lots.0.items.0.nsn"),
    ("NSN supply class", tb(lots=[_lot(nsn="0000-12-345-6789")]), "lots.0.items.0.nsn"),
    ("NSN letters", tb(lots=[_lot(nsn="ABCD-12-345-6789")]), "lots.0.items.0.nsn"),
    ("unit unknown", tb(lots=[_lot(unit="ZZZ")]), "lots.0.items.0.unit"),
    ("unit too long", tb(lots=[_lot(unit="H877")]), "lots.0.items.0.unit"),
    ("quantity zero", tb(lots=[_lot(quantity="0")]), "lots.0.items.0.quantity"),
    ("quantity text", tb(lots=[_lot(quantity="lots")]), "lots.0.items.0.quantity"),
    ("delivery date", tb(lots=[_lot(delivery_date="2026-02-30")]), "lots.0.items.0.delivery_date"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_TENDERS, ids=[c[0] for c in BAD_TENDERS])
def test_an_invalid_tender_is_refused_naming_the_field(
    case: str, body: dict[str, Any], field: str, client: TestClient, world: World
) -> None:
    raw = json.dumps(body)  # the standard library writes NaN/Infinity as bare words, as a hostile client might
    resp = client.post(
        "/api/v1/tenders", content=raw, headers={**world["buyer"].headers, "Content-Type": "application/json"}
    )
    assert field in fields(problem_of(resp, 422)), resp.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": ',
        b"",
        b"[]",
        b"null",
        b'"text"',
        b"42",
        b'{"title": NaN}',
        b"\xff\xfe\x00",
        b'{"a": 1e400}',
        b"{" * 5000 + b"}" * 5000,
        b'{"title":"\\ud800"}',
    ],
)
def test_malformed_json_is_a_400_or_422_problem(raw: bytes, client: TestClient, world: World) -> None:
    resp = client.post(
        "/api/v1/tenders", content=raw, headers={**world["buyer"].headers, "Content-Type": "application/json"}
    )
    assert problem_of(resp)["status"] in (400, 422)  # 400: not even text; 422: not the JSON expected


def test_a_body_over_two_mebibytes_is_refused_with_413(client: TestClient, world: World) -> None:
    big = json.dumps(tb(description="x" * (2 * MIB + 10)))
    problem_of(
        client.post(
            "/api/v1/tenders", content=big, headers={**world["buyer"].headers, "Content-Type": "application/json"}
        ),
        413,
    )


def test_a_streamed_body_over_two_mebibytes_is_refused_with_413(client: TestClient, world: World) -> None:
    def chunks() -> Any:
        yield b'{"title": "'
        for _ in range(3):
            yield b"x" * MIB
        yield b'"}'

    resp = client.post(
        "/api/v1/tenders", content=chunks(), headers={**world["buyer"].headers, "Content-Type": "application/json"}
    )
    problem_of(resp, 413)


def test_an_invalid_edrpou_check_digit_is_refused(client: TestClient, world: World) -> None:
    body = {
        "name": "Shell Company",
        "identifier_scheme": "UA-EDR",
        "identifier_id": "12345677",  # 12345678 is valid
        "kind": "company",
        "party_roles": ["supplier"],
    }
    problem = problem_of(client.post("/api/v1/organizations", json=body, headers=world["admin"].headers), 422)
    assert fields(problem) == ["identifier_id"]


@pytest.mark.parametrize("tender_end", ["2026-04-01T10:00:00", "2026-04-01", "tomorrow", True, None, []])
def test_a_publication_date_without_timezone_or_of_the_wrong_type_is_refused(
    tender_end: Any, flow: Flow, client: TestClient, world: World
) -> None:
    f = flow
    t = f.create("open")
    body = {"enquiry_end": f.minimum("open")["enquiry_end"], "tender_end": tender_end}
    problem = problem_of(
        client.post(f"/api/v1/tenders/{t['id']}/publish", json=body, headers=world["approver"].headers)
    )
    assert "tender_end" in fields(problem)
    assert f.tender(t["id"], "buyer")["status"] == "draft"


def test_a_nul_character_in_text_is_never_a_server_error(flow: Flow, client: TestClient, world: World) -> None:
    resp = client.post(
        "/api/v1/tenders", json=tb(title="Ammunition\u0000; DROP TABLE tenders"), headers=world["buyer"].headers
    )
    # PostgreSQL cannot store NUL in text, so the API refuses it on every engine, naming the field.
    problem = problem_of(resp, 422)
    assert problem["code"] == "validation.failed"
    assert "NUL" in resp.text


ODD_IDS = [
    "0" * 32,
    "nope",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%00",
    "a" * 5000,
    "%F0%9F%92%A3",
    "1%20OR%201%3D1",
    "%27%3B--",
]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_unknown_or_odd_ids_are_404_problems(odd: str, client: TestClient, world: World) -> None:
    auditor = world["auditor"].headers
    for method, path, body in [
        ("GET", f"/api/v1/tenders/{odd}", None),
        ("GET", f"/api/v1/bids/{odd}", None),
        ("GET", f"/api/v1/awards/{odd}", None),
        ("GET", f"/api/v1/tenders/{odd}/events", None),
        ("GET", f"/api/v1/tenders/{odd}/lots/{odd}/ranking", None),
        ("POST", f"/api/v1/tenders/{odd}/cancel", {"reason": "because"}),
        ("POST", f"/api/v1/candidacies/{odd}/qualify", {"reason": "because"}),
        ("POST", f"/api/v1/awards/{odd}/cancel", {"reason": "because"}),
    ]:
        resp = client.request(method, path, json=body, headers=auditor)
        assert resp.status_code == 404, (method, path, resp.status_code, resp.text[:200])
        problem_of(resp)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer qm_wrong",
        "Bearer not-ours",
        "Bearer qm_" + "x" * 10000,
        "bearer qm_\t",
        "Token abc",
        "Bearer qm_" + "x" * 43,
    ],
)
def test_bad_bearer_tokens_are_401_problems(authorization: str, client: TestClient) -> None:
    for method, path in (("GET", "/api/v1/me"), ("POST", "/api/v1/tenders"), ("GET", "/api/v1/tenders")):
        resp = client.request(method, path, json=tender_body(), headers={"Authorization": authorization})
        problem_of(resp, 401)
        assert resp.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=100000",
        "limit=abc",
        "after=" + "z" * 100,
        "published_from=yesterday",
        "cpv=35%25",
        "status=" + "s" * 100,
    ],
)
def test_bad_list_parameters_are_422_problems(query: str, client: TestClient) -> None:
    assert fields(problem_of(client.get(f"/api/v1/tenders?{query}"), 422))


# --- arbitrary JSON at the command endpoints -------------------------------------------------------------------

KEYS = [
    "title",
    "procedure",
    "category",
    "lots",
    "items",
    "value",
    "amount",
    "currency",
    "lot_id",
    "values",
    "tender_end",
    "enquiry_end",
    "reason",
    "description",
    "bid_ids",
    "supplier_id",
    "cpv",
    "unit",
    "quantity",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["UAH", "open", "goods", "1000.00", "35330000-6", "H87", "2026-04-01T10:00:00Z"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=15,
)


@pytest.fixture(scope="module")
def target(flow: Flow) -> Scene:
    """A tendering tender with a bid, to aim arbitrary bodies at."""
    f = flow
    scene = published(f)
    f.advance_to(scene.tender()["enquiry_end"])
    scene.bid_id = bid(scene, "supplier0", "900000.00")
    return scene


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=json_values, which=st.integers(min_value=0, max_value=5))
def test_arbitrary_json_at_command_endpoints_never_causes_a_server_error(target: Scene, body: Any, which: int) -> None:
    s = target
    who, path = [
        ("buyer", "/api/v1/tenders"),
        ("approver", f"/api/v1/tenders/{s.tender_id}/publish"),
        ("supplier1", f"/api/v1/tenders/{s.tender_id}/bids"),
        ("supplier0", f"/api/v1/bids/{s.bid_id}/amend"),
        ("supplier2", f"/api/v1/tenders/{s.tender_id}/questions"),
        ("approver", f"/api/v1/tenders/{s.tender_id}/lots/{s.lot_id}/award"),
    ][which]
    raw = json.dumps(body)
    resp = s.f.c.post(path, content=raw, headers={**s.f.h(who), "Content-Type": "application/json"})
    if resp.status_code >= 400:
        problem_of(resp)
    else:
        assert resp.status_code in (200, 201)
