"""The application factory. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quartermaster import __version__
from quartermaster.api import problems
from quartermaster.api.deps import AppState
from quartermaster.codelists import load_codelists
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.config import Settings
from quartermaster.db.engine import make_engine
from quartermaster.db.tx import Database
from quartermaster.publication.context import build_publication
from quartermaster.types import Clock, SystemClock

log = logging.getLogger("quartermaster.api")

DESCRIPTION = """Quartermaster: defence procurement with rules as data, tamper-evident records and open data.

Authenticate with `Authorization: Bearer <token>`. POST requests accept an `Idempotency-Key` header; a retry with
the same key and body replays the first response. Updates (PATCH) need `If-Match` with the `ETag` you read.
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


class BodyLimit:
    """Refuse request bodies larger than the limit (413) before they are read into memory.

    Document uploads (``POST .../documents``) are streamed to the blob store, so they get ``upload_bytes``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].endswith("/documents")
        limit = self.upload_bytes if upload else self.max_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen, started, refused = 0, False, False

        async def limited() -> Message:
            # A streamed body has no Content-Length: count it as it arrives. The framework turns an error raised
            # while it reads the body into a 400, so answer 413 here and drop whatever the app sends after it.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started and not refused:
                        refused = True
                        await _too_large(send, limit)
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except _TooLarge:
            if not started and not refused:
                await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        '{"type":"/problems/request.too_large","title":"Request body too large","status":413,'
        f'"detail":"the body exceeds {limit} bytes","code":"request.too_large"}}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    lifespan_hooks: list[Callable[[AppState], Callable[[], Awaitable[None]]]] | None = None,
) -> FastAPI:
    """Build the app for ``settings``; tests pass a FixedClock and their own Database."""
    db = database or Database(make_engine(settings.resolved_database_url()))
    lists = load_codelists(settings.codelists_dir)
    publication = build_publication(settings, lists)
    db.before_commit = publication.publisher
    vault = OpeningKeyVault.from_file(settings.resolved_vault_file())
    state = AppState(
        settings=settings, db=db, clock=clock or SystemClock(), lists=lists, publication=publication, vault=vault
    )
    hooks = lifespan_hooks or []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Fill the log's tree cache while the server starts taking requests, not on the first proof request.
        warming = asyncio.create_task(asyncio.to_thread(_warm_log, state))
        stops = [hook(state) for hook in hooks]
        yield
        for stop in stops:
            await stop()
        await warming

    app = FastAPI(title="Quartermaster API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.qm = state
    problems.install(app)
    _include_routers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return Response(content='{"status":"ok"}', media_type="application/json")

    @app.get("/problems/{code}", include_in_schema=False)
    def problem_type(code: str, request: Request) -> Response:
        return Response(
            content=f"Quartermaster problem type '{code[:80]}'. See the `detail` member of the "
            "response that referred here.",
            media_type="text/plain",
        )

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    return app


def _warm_log(state: AppState) -> None:
    try:
        with state.db.unit_of_work(write=False) as session:
            size = state.publication.log.size(session)
        log.info("transparency log cache holds %d entries", size)
    except Exception:  # a damaged or unmigrated log is reported by the requests that need it
        log.exception("could not fill the transparency log cache at start-up")


def _include_routers(app: FastAPI) -> None:
    from quartermaster.awards.routes import router as awards
    from quartermaster.bids.routes import router as bids
    from quartermaster.committees.routes import router as committees
    from quartermaster.complaints.routes import router as complaints
    from quartermaster.contracts.routes import router as contracts
    from quartermaster.decisions.routes import router as decisions
    from quartermaster.documents.routes import router as documents
    from quartermaster.events.routes import router as events
    from quartermaster.frameworks.routes import router as frameworks
    from quartermaster.identity.routes import router as identity
    from quartermaster.plans.routes import router as plans
    from quartermaster.publication.routes import router as publication
    from quartermaster.reports.routes import router as reports
    from quartermaster.tenders.routes import router as tenders
    from quartermaster.web.routes import STATIC
    from quartermaster.web.routes import router as web

    routers = (
        identity,
        plans,
        tenders,
        committees,
        bids,
        awards,
        complaints,
        contracts,
        decisions,
        frameworks,
        documents,
        events,
        publication,
        reports,
    )
    for router in (*routers, web):
        app.include_router(router)
    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
