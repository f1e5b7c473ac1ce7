"""Logging people in to the web pages in TestClient tests: passwords, CSRF tokens and per-person clients."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi.testclient import TestClient

from quartermaster.actors import SCHEDULER
from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from quartermaster.types import FixedClock

PASSWORD = "correct horse battery staple"


def csrf_of(text: str) -> str:
    """The CSRF token of a page's own form (the last one: the header's log-out form comes first)."""
    found = re.findall(r'name="csrf" value="([^"]+)"', text)
    assert found, "the page has no form with a CSRF token"
    return str(found[-1])


def give_passwords(database: Database, clock: FixedClock, usernames: Iterable[str]) -> None:
    """Set ``PASSWORD`` for existing users of the world so that they can log in."""
    with database.unit_of_work() as s:
        for username in usernames:
            user = identity.find_user(s, username)
            identity.set_password(s, actor=SCHEDULER, user=user, password=PASSWORD, now=clock.now())


def log_in(client: TestClient, username: str, next_page: str = "/") -> None:
    """Log ``client`` in with the login form (the user needs ``PASSWORD``, see ``give_passwords``)."""
    csrf = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf, "next": next_page},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def person_client(client: TestClient, username: str, lang: str = "en") -> TestClient:
    """A new client on the same app, logged in as ``username``, speaking ``lang``."""
    other = TestClient(client.app, raise_server_exceptions=False, headers={"Accept-Language": lang})
    log_in(other, username)
    return other
