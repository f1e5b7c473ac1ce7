"""People log in to the web interface: Argon2id passwords, server-side sessions, CSRF tokens, TOTP, rate limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from quartermaster.actors import SCHEDULER
from quartermaster.cli.main import app
from quartermaster.db.engine import make_engine
from quartermaster.db.tx import Database
from quartermaster.errors import ValidationFailed
from quartermaster.identity import passwords
from quartermaster.identity import service as identity
from quartermaster.identity.models import User, WebSession
from quartermaster.types import FixedClock
from support.world import World

PASSWORD = "correct horse battery staple"


def _set_password(database: Database, clock: FixedClock, username: str, password: str = PASSWORD) -> None:
    with database.unit_of_work() as s:
        user = identity.find_user(s, username)
        identity.set_password(s, actor=SCHEDULER, user=user, password=password, now=clock.now())


def _login_csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    found = re.findall(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return str(found[-1])  # the page's own form, after the header's log-out form when logged in


def _login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/account") -> httpx.Response:
    csrf = _login_csrf(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf, "next": next_url},
        follow_redirects=False,
    )


def _csrf_of(page_text: str) -> str:
    found = re.findall(r'name="csrf" value="([^"]+)"', page_text)
    assert found
    return str(found[-1])


@pytest.fixture
def buyer(database: Database, clock: FixedClock, world: World) -> str:
    """The world's buyer, with a password."""
    _set_password(database, clock, "buyer")
    return "buyer"


# --- passwords ----------------------------------------------------------------------------------------------------


def test_a_stored_password_is_an_argon2id_hash_that_verifies(database: Database, clock: FixedClock, buyer: str) -> None:
    with database.unit_of_work(write=False) as s:
        stored = identity.find_user(s, buyer).password_hash

    assert stored is not None
    assert stored.startswith("$argon2id$v=19$")
    assert PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "!")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short pass", "password.too_short"),
        ("my name is buyer ok", "password.contains_username"),
        ("x" * 1025, "password.too_long"),
    ],
)
def test_weak_passwords_are_refused(
    database: Database, clock: FixedClock, world: World, password: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused, database.unit_of_work() as s:
        identity.set_password(
            s, actor=SCHEDULER, user=identity.find_user(s, "buyer"), password=password, now=clock.now()
        )

    assert refused.value.code == code


def test_a_hash_made_with_older_parameters_is_replaced_at_login(
    database: Database, clock: FixedClock, world: World
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with database.unit_of_work() as s:
        identity.find_user(s, "buyer").password_hash = weak
    with database.unit_of_work() as s:
        check = identity.check_password(s, username="buyer", password=PASSWORD, now=clock.now())
        assert check.user is not None
    with database.unit_of_work(write=False) as s:
        stored = identity.find_user(s, "buyer").password_hash

    assert stored != weak
    assert stored is not None
    assert "m=65536" in stored
    assert not passwords.needs_rehash(stored)


# --- login, sessions, logout -------------------------------------------------------------------------------------


def test_login_sets_a_hardened_session_cookie_and_shows_who_you_are(client: TestClient, buyer: str) -> None:
    response = _login(client, buyer, next_url="/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("qm_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https gets Secure (next test)
    account = client.get("/account", headers={"Accept-Language": "en"})
    assert account.status_code == 200
    assert "Buyer" in account.text
    assert "Defence Procurement Agency" in account.text
    assert "Public only" in account.text


def test_the_session_cookie_is_secure_over_https(
    database: Database, clock: FixedClock, buyer: str, client: TestClient
) -> None:
    secure = TestClient(client.app, base_url="https://testserver")
    response = _login(secure, buyer)

    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_the_session_resolves_to_the_same_actor_as_the_api_token(client: TestClient, world: World, buyer: str) -> None:
    from starlette.requests import Request

    from quartermaster.web.auth import current_person

    _login(client, buyer)
    token = client.cookies.get("qm_session")
    scope = {"type": "http", "app": client.app, "headers": [(b"cookie", f"qm_session={token}".encode())]}
    person = current_person(Request(scope))

    assert person == world["buyer"].actor


def test_a_wrong_password_is_explained_and_the_username_kept(client: TestClient, buyer: str) -> None:
    uk = _login(client, buyer, password="not the password at all")
    client.cookies.set("lang", "en")
    en = _login(client, buyer, password="not the password at all")

    assert uk.status_code == 401
    assert "Неправильне ім’я користувача або пароль" in uk.text
    assert 'name="username" value="buyer"' in uk.text
    assert "Wrong username or password" in en.text
    assert "qm_session" not in client.cookies


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client: TestClient, buyer: str) -> None:
    client.cookies.set("lang", "en")
    unknown = _login(client, "nobody-here")
    nopassword = _login(client, "approver")  # exists, but has no password

    for response in (unknown, nopassword):
        assert response.status_code == 401
        assert "Wrong username or password" in response.text


def test_an_inactive_account_is_refused_with_its_reason(client: TestClient, database: Database, buyer: str) -> None:
    with database.unit_of_work() as s:
        identity.find_user(s, buyer).active = False
    client.cookies.set("lang", "en")
    response = _login(client, buyer)

    assert response.status_code == 403
    assert "This account is disabled" in response.text


def test_account_needs_a_login_and_comes_back_after_it(client: TestClient, buyer: str) -> None:
    anonymous = client.get("/account?tab=1", follow_redirects=False)

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/account%3Ftab%3D1"
    assert 'name="next" value="/account?tab=1"' in client.get(anonymous.headers["location"]).text
    assert _login(client, buyer, next_url="//evil.example/").headers["location"] == "/account"


def test_logout_revokes_the_session_on_the_server(client: TestClient, database: Database, buyer: str) -> None:
    _login(client, buyer)
    token = client.cookies.get("qm_session")
    account = client.get("/account")
    out = client.post("/logout", data={"csrf": _csrf_of(account.text)}, follow_redirects=False)

    assert out.status_code == 303
    client.cookies.set("qm_session", token or "")  # a copy of the cookie kept elsewhere
    assert client.get("/account", follow_redirects=False).status_code == 303
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(WebSession.revoked_at)).all() != [None]


def test_a_session_ends_after_30_idle_minutes(client: TestClient, clock: FixedClock, buyer: str) -> None:
    _login(client, buyer)
    clock.advance(timedelta(minutes=29))
    assert client.get("/account", follow_redirects=False).status_code == 200  # use renews the idle timer
    clock.advance(timedelta(minutes=29))
    assert client.get("/account", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))

    assert client.get("/account", follow_redirects=False).status_code == 303


def test_a_session_ends_12_hours_after_login_however_busy(client: TestClient, clock: FixedClock, buyer: str) -> None:
    _login(client, buyer)
    for _ in range(24):  # every 29 minutes for 11.6 hours
        clock.advance(timedelta(minutes=29))
        assert client.get("/account", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=25))  # 12 h 1 min after login

    assert client.get("/account", follow_redirects=False).status_code == 303


# --- CSRF ---------------------------------------------------------------------------------------------------------


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_explained(client: TestClient, buyer: str) -> None:
    _login(client, buyer)
    missing = client.post("/logout", data={}, follow_redirects=False)
    wrong = client.post("/logout", data={"csrf": "forged"}, follow_redirects=False)
    client.cookies.set("lang", "en")
    wrong_header = client.post("/logout", headers={"X-CSRF-Token": "forged"}, follow_redirects=False)

    assert missing.status_code == 403
    assert "маркера безпеки" in missing.text
    assert wrong.status_code == 403
    assert wrong_header.status_code == 403
    assert "security token" in wrong_header.text
    assert client.get("/account", follow_redirects=False).status_code == 200  # still logged in


def test_htmx_sends_the_csrf_token_as_a_header(client: TestClient, buyer: str) -> None:
    _login(client, buyer)
    csrf = _csrf_of(client.get("/account").text)
    out = client.post("/logout", headers={"X-CSRF-Token": csrf, "HX-Request": "true"}, follow_redirects=False)

    assert out.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_the_login_form_is_protected_by_a_double_submit_cookie(client: TestClient, buyer: str) -> None:
    _login_csrf(client)
    forged = client.post(
        "/login",
        data={"username": buyer, "password": PASSWORD, "csrf": "made-up-by-another-site"},
        follow_redirects=False,
    )
    client.cookies.delete("qm_csrf")
    no_cookie = client.post("/login", data={"username": buyer, "password": PASSWORD, "csrf": "x" * 43})

    assert forged.status_code == 403
    assert no_cookie.status_code == 403
    assert "qm_session" not in client.cookies


def test_the_pre_session_csrf_cookie_is_http_only_and_lax(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"]

    assert cookie.startswith("qm_csrf=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


# --- rate limit ---------------------------------------------------------------------------------------------------


def test_five_failures_in_15_minutes_lock_the_username_even_with_the_right_password(
    client: TestClient, clock: FixedClock, buyer: str
) -> None:
    client.cookies.set("lang", "en")
    for _ in range(5):
        assert _login(client, buyer, password="wrong password here").status_code == 401
    locked = _login(client, buyer)

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert int(locked.headers["retry-after"]) == 15 * 60
    assert 'value="buyer"' in locked.text
    assert _login(client, "evaluator").status_code == 401  # other names unaffected
    clock.advance(timedelta(minutes=14, seconds=59))
    assert _login(client, buyer).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert _login(client, buyer).status_code == 303


def test_a_successful_login_clears_the_failure_count(client: TestClient, database: Database, buyer: str) -> None:
    for _ in range(4):
        _login(client, buyer, password="wrong password here")
    assert _login(client, buyer).status_code == 303
    for _ in range(4):
        _login(client, buyer, password="wrong password here")

    assert _login(client, buyer).status_code == 303


# --- TOTP ---------------------------------------------------------------------------------------------------------

# RFC 6238 Appendix B: the seeds are the ASCII strings below; codes have 8 digits.
RFC6238_KEYS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238_VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), RFC6238_VECTORS)
def test_totp_matches_the_rfc_6238_test_vectors(seconds: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert passwords.totp(RFC6238_KEYS[algorithm], seconds, digits=8, algorithm=algorithm) == expected


def test_hotp_matches_the_rfc_4226_test_vectors() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

    assert [passwords.hotp(b"12345678901234567890", c) for c in range(10)] == expected


def test_a_totp_code_is_accepted_one_step_either_side_and_no_further() -> None:
    key = passwords.decode_secret(passwords.new_totp_secret())
    at = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)
    code = passwords.totp(key, at)
    step = passwords.totp_step(at)

    assert passwords.match_totp(key, code, at) == step
    assert passwords.match_totp(key, code, at + timedelta(seconds=30)) == step
    assert passwords.match_totp(key, code, at - timedelta(seconds=30)) == step
    assert passwords.match_totp(key, code, at + timedelta(seconds=60)) is None
    assert passwords.match_totp(key, "12345", at) is None
    assert passwords.match_totp(key, "abcdef", at) is None


def _enable_totp(database: Database, clock: FixedClock, username: str) -> bytes:
    with database.unit_of_work() as s:
        secret = identity.enable_second_factor(
            s, actor=SCHEDULER, user=identity.find_user(s, username), now=clock.now()
        )
    return passwords.decode_secret(secret)


def test_login_with_a_second_factor_asks_for_the_code_then_logs_in(
    client: TestClient, database: Database, clock: FixedClock, buyer: str
) -> None:
    key = _enable_totp(database, clock, buyer)
    client.cookies.set("lang", "en")
    first = _login(client, buyer)

    assert first.status_code == 200
    assert "authenticator app" in first.text
    assert client.get("/account", follow_redirects=False).status_code == 303  # the password alone is not enough
    pending = client.cookies.get("qm_session")
    csrf = _csrf_of(first.text)
    wrong = client.post("/login/code", data={"code": "000000", "csrf": csrf}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "one-time code is wrong" in wrong.text
    code = passwords.totp(key, clock.now())
    right = client.post("/login/code", data={"code": code, "csrf": csrf, "next": "/account"}, follow_redirects=False)

    assert right.status_code == 303
    assert client.cookies.get("qm_session") != pending  # a fresh session id after the second factor
    assert client.get("/account").status_code == 200
    with database.unit_of_work(write=False) as s:
        user = s.scalar(select(User).where(User.username == buyer))
        assert user is not None
        assert user.totp_last_step == passwords.totp_step(clock.now())


def test_a_one_time_code_works_only_once(client: TestClient, database: Database, clock: FixedClock, buyer: str) -> None:
    key = _enable_totp(database, clock, buyer)
    code = passwords.totp(key, clock.now())
    first = _login(client, buyer)
    ok = client.post("/login/code", data={"code": code, "csrf": _csrf_of(first.text)}, follow_redirects=False)
    again = _login(client, buyer)
    replay = client.post("/login/code", data={"code": code, "csrf": _csrf_of(again.text)}, follow_redirects=False)

    assert ok.status_code == 303
    assert replay.status_code == 401


def test_a_pending_second_factor_expires_after_5_minutes(
    client: TestClient, database: Database, clock: FixedClock, buyer: str
) -> None:
    key = _enable_totp(database, clock, buyer)
    first = _login(client, buyer)
    clock.advance(timedelta(minutes=5))
    client.cookies.set("lang", "en")
    late = client.post("/login/code", data={"code": passwords.totp(key, clock.now()), "csrf": _csrf_of(first.text)})

    assert late.status_code == 401
    assert "The login took too long" in late.text


# --- the CLI ------------------------------------------------------------------------------------------------------


def test_users_password_sets_a_password_that_logs_in_and_ends_web_sessions(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["users", "create", "ivan", "--role", "auditor", "--data-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    typed = runner.invoke(
        app, ["users", "password", "ivan", "--data-dir", str(tmp_path)], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    weak = runner.invoke(
        app, ["users", "password", "ivan", "--data-dir", str(tmp_path)], input="ivan12345678\nivan12345678\n"
    )
    generated = runner.invoke(app, ["users", "password", "ivan", "--generate", "--data-dir", str(tmp_path)])

    assert typed.exit_code == 0, typed.output
    assert weak.exit_code == 1
    assert "password.contains_username" in weak.output
    assert generated.exit_code == 0, generated.output
    new = json.loads(generated.output.strip().splitlines()[-1])["password"]
    db = Database(make_engine(f"sqlite:///{(tmp_path / 'quartermaster.db').resolve()}"))
    try:
        with db.unit_of_work() as s:
            now = datetime.now(UTC)
            assert identity.check_password(s, username="ivan", password=PASSWORD, now=now).user is None
            assert identity.check_password(s, username="ivan", password=new, now=now).user is not None
    finally:
        db.dispose()


def test_users_totp_prints_a_key_whose_codes_log_in(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["users", "create", "olha", "--role", "admin", "--data-dir", str(tmp_path)])
    result = runner.invoke(app, ["users", "totp", "olha", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["uri"].startswith("otpauth://totp/Quartermaster:olha?secret=" + out["secret"])
    db = Database(make_engine(f"sqlite:///{(tmp_path / 'quartermaster.db').resolve()}"))
    try:
        with db.unit_of_work() as s:
            now = datetime.now(UTC)
            user = identity.find_user(s, "olha")
            code = passwords.totp(passwords.decode_secret(out["secret"]), now)
            assert identity.check_second_factor(s, user=user, code=code, now=now).user is not None
    finally:
        db.dispose()
