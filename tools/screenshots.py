"""Screenshots of the main pages for docs/screenshots/ and the README, taken in Chromium against seeded demo data.

Run: .venv/bin/python tools/screenshots.py [--data-dir var/screenshots] [--out docs/screenshots]

Seeds the data directory with the demo data set (`quartermaster demo --no-serve`; an already seeded directory is
reused), serves it on a free port of 127.0.0.1 in this process, and saves 1280×800 PNGs of the front page, the tender
search, a tender, a contract and the open data page in Ukrainian and English, plus the tender search on a phone.
Then it logs in as the demo's people (given a new password for this run, as ``quartermaster demo`` does) and saves
the buyer's workspace and the draft wizard, the evaluation of a tender in qualification, a contract as its buyer sees
it and the supplier's workspace, in Ukrainian, some also in English (``--only people`` skips the public pages).
Needs Debian's Chromium at /usr/bin/chromium (or --chromium). Nothing is loaded from other sites.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Route, sync_playwright
from sqlalchemy import select

from quartermaster.api.app import create_app
from quartermaster.config import Settings
from quartermaster.contracts.models import Contract
from quartermaster.identity.models import User
from quartermaster.identity.passwords import new_password
from quartermaster.seed.demo import demo_users
from quartermaster.tenders.models import Tender

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}


def seed(data_dir: Path, tenders: int) -> None:
    """Seed the demo data set into ``data_dir`` through the CLI (a seeded directory is left as it is)."""
    cli = Path(sys.executable).with_name("quartermaster")
    command = [str(cli), "demo", "--no-serve", "--scale", "demo", "--tenders", str(tenders)]
    command += ["--data-dir", str(data_dir)]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603 (our own CLI)


@contextmanager
def serve(data_dir: Path) -> Iterator[tuple[str, FastAPI]]:
    """Serve the data directory on a free local port in a background thread; yield the base URL and the app."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(Settings(data_dir=data_dir, run_scheduler=False, public_url=base))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def pick(base: str) -> dict[str, str]:
    """Pages worth showing: a completed tender (else any) and a contract, found through the public API."""
    with httpx.Client(base_url=base, timeout=30) as api:

        def first(path: str, **params: str) -> str | None:
            data = api.get(path, params={"limit": "1", **params}).raise_for_status().json()["data"]
            return str(data[0]["id"]) if data else None

        tender = first("/api/v1/tenders", status="complete") or first("/api/v1/tenders")
        contract = first("/api/v1/contracts")
    pages = {"front": "/", "tenders": "/tenders", "open-data": "/open-data"}
    if tender:
        pages["tender"] = f"/tenders/{tender}"
    if contract:
        pages["contract"] = f"/contracts/{contract}"
    return pages


@dataclass(frozen=True)
class Shot:
    """One page seen by one demo person: the PNG's name, the person, the page and the languages it is shot in."""

    name: str
    username: str
    path: str
    langs: tuple[str, ...] = ("uk",)


def people_shots(app: FastAPI) -> tuple[list[Shot], str]:
    """The logged-in pages worth showing, with the demo people who see them, and the password given to them all.

    The people are the demo's own (``seed.demo.demo_users`` sets their password, as ``quartermaster demo`` does):
    the first buyer organization's buyer, approver and evaluator (or the second's, if it has the tender in
    qualification), and a supplier with a contract."""
    state = app.state.qm
    password = new_password()
    people = demo_users(state.db, now=state.clock.now(), make_password=lambda: password)
    names = [p["username"] for p in people]
    with state.db.unit_of_work(write=False) as session:
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}

        def staff(role: str, org: str | None = None) -> User | None:
            return next(
                (users[n] for n in names if users[n].role == role and (org is None or users[n].organization_id == org)),
                None,
            )

        buyer = staff("buyer")
        if buyer is None:
            raise RuntimeError("the demo data names no buyer")
        orgs = [users[n].organization_id for n in names if users[n].role == "buyer"]
        judged = session.scalars(
            select(Tender).where(Tender.status == "active.qualification", Tender.buyer_id.in_(orgs)).limit(1)
        ).first()
        evaluator = staff("evaluator", judged.buyer_id) if judged is not None else None
        contract = session.scalars(
            select(Contract)
            .where(Contract.buyer_id == buyer.organization_id)
            .order_by(Contract.status != "active", Contract.created_at)  # a contract being delivered, if any
            .limit(1)
        ).first()
        suppliers = [users[n] for n in names if users[n].role == "supplier"]
        seller = next(
            (
                s
                for s in suppliers
                if session.scalars(select(Contract.id).where(Contract.supplier_id == s.organization_id)).first()
            ),
            suppliers[0] if suppliers else None,
        )
        shots = [
            Shot("buyer-workspace", buyer.username, "/buyer", ("uk", "en")),
            Shot("buyer-wizard", buyer.username, "/buyer/tenders/new", ("uk", "en")),
        ]
        if judged is not None and evaluator is not None:
            shots.append(Shot("evaluation", evaluator.username, f"/buyer/tenders/{judged.id}/evaluation"))
        if contract is not None:
            shots.append(Shot("buyer-contract", buyer.username, f"/buyer/contracts/{contract.id}"))
        if seller is not None:
            shots.append(Shot("supplier-workspace", seller.username, "/supplier", ("uk", "en")))
    return shots, password


def _log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    if "/login" in page.url:
        raise RuntimeError(f"{username} could not log in")


def shoot_people(browser: Browser, base: str, app: FastAPI, out: Path, local_only: Any) -> list[Path]:
    """Log in as each demo person in a browser of their own and shoot their pages; the files written."""
    shots, password = people_shots(app)
    written: list[Path] = []
    for lang, locale in (("uk", "uk-UA"), ("en", "en-GB")):
        for username in dict.fromkeys(s.username for s in shots if lang in s.langs):
            options: dict[str, Any] = {"base_url": base, "locale": locale, "viewport": DESKTOP}
            context = browser.new_context(**options)
            context.route("**/*", local_only)
            page = context.new_page()
            _log_in(page, username, password)
            for shot in shots:
                if shot.username == username and lang in shot.langs:
                    target = out / f"{shot.name}-{lang}.png"
                    _capture(page, shot.path, target)
                    written.append(target)
            context.close()
    return written


def shoot(base: str, app: FastAPI, out: Path, chromium: Path, *, public: bool = True) -> list[Path]:
    """Take the screenshots; return the files written."""
    pages = pick(base) if public else {}
    written: list[Path] = []
    offsite: list[str] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        for lang, locale in (("uk", "uk-UA"), ("en", "en-GB")) if public else ():
            for viewport, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
                options: dict[str, Any] = {"base_url": base, "locale": locale, "viewport": viewport}
                if viewport is PHONE:
                    options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
                context = browser.new_context(**options)
                context.route("**/*", local_only)
                page = context.new_page()
                names = pages if viewport is DESKTOP else {"tenders": pages["tenders"]}
                for name, path in names.items():
                    target = out / f"{name}-{lang}{suffix}.png"
                    _capture(page, path, target)
                    written.append(target)
                context.close()
        written += shoot_people(browser, base, app, out, local_only)
        browser.close()
    if offsite:
        raise RuntimeError(f"pages asked for other sites: {sorted(set(offsite))}")
    return written


def _capture(page: Page, path: str, target: Path) -> None:
    response = page.goto(path, wait_until="networkidle")
    if response is None or response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status if response else 'no response'}")
    # A short page is shot whole; a long one as the first screen (the PNGs stay small).
    full = page.evaluate("document.documentElement.scrollHeight") <= page.viewport_size["height"] * 1.5  # type: ignore[index]
    page.screenshot(path=str(target), full_page=full, animations="disabled", caret="hide")


def main() -> None:
    """Seed, serve, shoot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "screenshots", help="demo data directory")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    parser.add_argument("--tenders", type=int, default=60, help="tenders to seed (a fresh directory only)")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"), help="the Chromium binary")
    parser.add_argument("--only", choices=("all", "people"), default="all", help="people: only the logged-in pages")
    args = parser.parse_args()
    if not args.chromium.exists():
        sys.exit(f"{args.chromium} is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    seed(args.data_dir, args.tenders)
    with serve(args.data_dir) as (base, app):
        for path in shoot(base, app, args.out, args.chromium, public=args.only == "all"):
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
