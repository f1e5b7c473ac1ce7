"""``QM_COOKIE_SECURE``: the session, login-CSRF and language cookies are Secure as the setting says (by default when
``QM_PUBLIC_URL`` is https), and always HttpOnly and SameSite=Lax."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.web import PASSWORD, csrf_of, give_passwords
from support.world import World


def _cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header of a response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def _attributes(header: str) -> dict[str, str]:
    parsed = SimpleCookie()
    parsed.load(header)
    (morsel,) = parsed.values()
    return {k: str(v) for k, v in morsel.items() if v}


@contextmanager
def _app(
    tmp_path: Path, clock: FixedClock, database: Database, base_url: str = "http://testserver", **settings: object
) -> Iterator[TestClient]:
    app = create_app(
        Settings(data_dir=tmp_path, run_scheduler=False, **settings),  # type: ignore[arg-type]
        clock=clock,
        database=database,
    )
    with TestClient(app, base_url=base_url, raise_server_exceptions=False) as client:
        yield client


def _every_cookie(client: TestClient, username: str) -> dict[str, str]:
    """Go through the login form, log in, switch language and log out; every Set-Cookie seen, by name.

    The cookies are sent back by hand, as a browser behind a TLS-terminating proxy would (the test client itself
    speaks plain http and would keep a Secure cookie to itself).
    """
    seen: dict[str, str] = {}
    jar: dict[str, str] = {}

    def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        headers = {"Cookie": cookie} if cookie else {}
        response = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        client.cookies.clear()
        for name, header in _cookies(response).items():
            jar[name] = header.split("=", 1)[1].split(";", 1)[0]
            seen[name] = header
        return response

    form = send("GET", "/login")
    assert form.status_code == 200
    login = {"username": username, "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/account"}
    response = send("POST", "/login", data=login)
    assert response.status_code == 303, response.text
    response = send("GET", "/language", params={"lang": "en", "next": "/tenders"})
    assert response.status_code == 303
    account = send("GET", "/account")
    assert account.status_code == 200
    session_cookie = seen["qm_session"]
    response = send("POST", "/logout", data={"csrf": csrf_of(account.text)})
    assert response.status_code == 303
    seen["qm_session (logout)"], seen["qm_session"] = seen["qm_session"], session_cookie
    assert seen["qm_session (logout)"] != session_cookie  # the logout cleared the cookie
    assert set(seen) == {"qm_csrf", "qm_session", "lang", "qm_session (logout)"}
    return seen


@pytest.fixture
def buyer(world: World, database: Database, clock: FixedClock) -> str:
    give_passwords(database, clock, ["buyer"])
    return "buyer"


@pytest.mark.parametrize(
    ("settings", "base_url", "secure"),
    [
        ({}, "http://testserver", False),  # the default public URL is http://127.0.0.1:8000
        ({"public_url": "https://tenders.example.org"}, "http://testserver", True),  # TLS ends at a proxy
        ({"public_url": "HTTPS://tenders.example.org/"}, "http://testserver", True),
        ({"public_url": "http://127.0.0.1:8000"}, "https://testserver", True),  # the request itself is https
        ({"cookie_secure": True}, "http://testserver", True),
        ({"cookie_secure": False, "public_url": "https://tenders.example.org"}, "https://testserver", False),
        ({"cookie_secure": True, "public_url": "http://127.0.0.1:8000"}, "http://testserver", True),
    ],
)
def test_every_cookie_is_secure_as_configured_and_always_http_only_and_same_site(
    tmp_path: Path,
    clock: FixedClock,
    database: Database,
    buyer: str,
    settings: dict[str, object],
    base_url: str,
    secure: bool,
) -> None:
    with _app(tmp_path, clock, database, base_url, **settings) as client:
        cookies = _every_cookie(client, buyer)
    for name, header in cookies.items():
        attributes = _attributes(header)
        assert "httponly" in attributes, (name, header)  # no script of the site reads any of them
        assert attributes.get("samesite", "").lower() in ("lax", "strict"), (name, header)
        assert attributes.get("path") == "/", (name, header)
        assert ("secure" in attributes) is secure, (name, header)


def test_the_language_cookie_is_set_only_for_a_known_language(
    tmp_path: Path, clock: FixedClock, database: Database
) -> None:
    with _app(tmp_path, clock, database, cookie_secure=True) as client:
        known = client.get("/language", params={"lang": "uk", "next": "/"}, follow_redirects=False)
        unknown = client.get("/language", params={"lang": "xx", "next": "/"}, follow_redirects=False)
    assert known.status_code == unknown.status_code == 303
    attributes = _attributes(_cookies(known)["lang"])
    assert {"secure", "httponly"} <= set(attributes)
    assert "set-cookie" not in unknown.headers


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)])
def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("QM_COOKIE_SECURE", raw)
    monkeypatch.setenv("QM_PUBLIC_URL", "https://tenders.example.org" if not expected else "http://127.0.0.1:8000")
    settings = Settings()
    assert settings.cookie_secure is expected
    assert settings.secure_cookies() is expected  # the explicit value wins over the public URL either way


def test_unset_it_follows_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QM_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("QM_PUBLIC_URL", "https://tenders.example.org")
    assert Settings().cookie_secure is None
    assert Settings().secure_cookies() is True
    monkeypatch.setenv("QM_PUBLIC_URL", "http://127.0.0.1:8000")
    assert Settings().secure_cookies() is False
    assert Settings().secure_cookies("https") is True


def test_a_value_that_is_not_a_boolean_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QM_COOKIE_SECURE", "sometimes")
    with pytest.raises(ValidationError, match="cookie_secure"):
        Settings()
