"""Screenshots of the main pages for docs/screenshots/ and the README, taken in Chromium against seeded demo data.

Run: .venv/bin/python tools/screenshots.py [--data-dir var/screenshots] [--out docs/screenshots]

Seeds the data directory with the demo data set (`quartermaster demo --no-serve`; an already seeded directory is
reused), serves it on a free port of 127.0.0.1 in this process, and saves 1280×800 PNGs of the front page, the tender
search, a tender, a contract and the open data page in Ukrainian and English, plus the tender search on a phone.
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
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Page, Route, sync_playwright

from quartermaster.api.app import create_app
from quartermaster.config import Settings

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
def serve(data_dir: Path) -> Iterator[str]:
    """Serve the data directory on a free local port in a background thread; yield the base URL."""
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
        yield base
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


def shoot(base: str, out: Path, chromium: Path) -> list[Path]:
    """Take the screenshots; return the files written."""
    pages = pick(base)
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
        for lang, locale in (("uk", "uk-UA"), ("en", "en-GB")):
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
    args = parser.parse_args()
    if not args.chromium.exists():
        sys.exit(f"{args.chromium} is not installed (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    seed(args.data_dir, args.tenders)
    with serve(args.data_dir) as base:
        for path in shoot(base, args.out, args.chromium):
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
