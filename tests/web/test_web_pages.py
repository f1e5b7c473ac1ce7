"""The web skeleton: pages in Ukrainian by default, English on request, the language switch, static files."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_front_page_speaks_ukrainian_by_default_and_english_when_the_browser_asks(client: TestClient) -> None:
    uk = client.get("/")
    en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,uk;q=0.5"})

    assert uk.status_code == 200
    assert uk.headers["content-language"] == "uk"
    assert "Оборонні закупівлі — відкрито" in uk.text
    assert '<html lang="uk">' in uk.text
    assert en.headers["content-language"] == "en"
    assert "Defence procurement, in the open" in en.text


def test_the_language_switch_remembers_the_choice_and_returns_only_within_the_site(client: TestClient) -> None:
    switched = client.get("/language", params={"lang": "en", "next": "/tenders?q=x"}, follow_redirects=False)
    offsite = client.get("/language", params={"lang": "en", "next": "//evil.example/"}, follow_redirects=False)
    unknown = client.get("/language", params={"lang": "xx", "next": "/"}, follow_redirects=False)

    assert switched.status_code == 303
    assert switched.headers["location"] == "/tenders?q=x"
    assert "lang=en" in switched.headers["set-cookie"]
    assert offsite.headers["location"] == "/"
    assert "set-cookie" not in unknown.headers
    client.cookies.set("lang", "en")
    assert client.get("/", headers={"Accept-Language": "uk"}).headers["content-language"] == "en"


def test_htmx_is_served_from_the_app_itself(client: TestClient) -> None:
    page = client.get("/").text
    script = client.get("/static/htmx-2.0.11.min.js")

    assert 'src="/static/htmx-2.0.11.min.js"' in page
    assert script.status_code == 200
    assert script.text.startswith("var htmx=")
    assert "://" not in page.split("<body>")[0].replace("http://www.w3.org", "")  # nothing loaded from elsewhere
