"""HTTP edge of publication: OCDS releases and records, the change feed (JSON pages and SSE), the transparency log."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from quartermaster.actors import Actor
from quartermaster.api.deps import MaybeActor, ReadSession, State
from quartermaster.errors import NotFound, ValidationFailed
from quartermaster.ocds import record_package, release_package
from quartermaster.publication import aggregates, bulk, reads
from quartermaster.publication.models import RELEASE
from quartermaster.tenders import access

router = APIRouter(prefix="/api/v1")

PageSize = Annotated[int, Query(ge=1, le=reads.MAX_PAGE, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=24, description="Cursor: the `next` value of the previous page")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _cursor(value: str | None) -> int:
    try:
        return reads.parse_cursor(value)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": "after", "message": str(exc)}], code="feed.bad_cursor"
        ) from exc


def _json(body: Any, *, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers=headers,
    )


# --- change feed ---------------------------------------------------------------------------------------------


class FeedItem(BaseModel):
    """One public change: a release (or a disclosure of a withheld one) at its position in commit order."""

    cursor: str
    index: int
    kind: str = Field(description="`release`, or `disclosure` when withheld data is opened")
    ocid: str
    release_id: str
    date: str
    tags: list[str]
    release: dict[str, Any]


class FeedPage(BaseModel):
    """A page of the feed; pass `next` as `after` to continue (null: caught up — poll again later)."""

    data: list[FeedItem]
    next: str | None


@router.get("/feed", response_model=FeedPage, summary="Public changes in commit order", tags=["open data"])
def feed(session: ReadSession, after: Cursor = None, limit: PageSize = 100) -> Response:
    """Every public change after the cursor, in commit order; a reader that follows `next` never skips or repeats."""
    rows = reads.entries_after(session, _cursor(after), limit)
    nxt = str(rows[-1].index) if rows else after
    return _json({"data": [reads.feed_item(e) for e in rows], "next": nxt})


@router.get(
    "/feed/stream",
    summary="The feed as Server-Sent Events",
    tags=["open data"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def feed_stream(
    request: Request,
    state: State,
    after: Cursor = None,
    last_event_id: Annotated[str | None, Header(max_length=24)] = None,
) -> StreamingResponse:
    """Each change as `id: <cursor>`, `event: release|disclosure`, `data: <feed item>`; resumes from Last-Event-ID."""
    start = _cursor(last_event_id if last_event_id is not None else after)
    interval = state.settings.feed_poll_seconds

    def page(position: int) -> list[dict[str, Any]]:
        with state.db.unit_of_work(write=False) as session:
            return [reads.feed_item(e) for e in reads.entries_after(session, position, 200)]

    async def events() -> AsyncIterator[bytes]:
        position = start
        idle = 0.0
        yield b": quartermaster feed\n\n"
        while not await request.is_disconnected():
            items = await asyncio.to_thread(page, position)
            for item in items:
                data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                yield f"id: {item['cursor']}\nevent: {item['kind']}\ndata: {data}\n\n".encode()
                position = item["index"]
            if items:
                idle = 0.0
                continue
            await asyncio.sleep(interval)
            idle += interval
            if idle >= 15:
                idle = 0.0
                yield b": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


# --- OCDS ----------------------------------------------------------------------------------------------------


def _viewer(session: Session, actor: Actor | None) -> Callable[[str], bool]:
    """Whether this reader may see a process in full (clearance and need-to-know), asked once per process."""
    seen: dict[str, bool] = {}

    def sees_full(process_id: str) -> bool:
        if process_id not in seen:
            seen[process_id] = actor is not None and access.may_view(session, actor, process_id)
        return seen[process_id]

    return sees_full


@router.get("/ocds/releases", summary="OCDS release package (paged)", tags=["open data"])
def releases(
    state: State, session: ReadSession, actor: MaybeActor, after: Cursor = None, limit: PageSize = 100
) -> Response:
    """Published releases in log order as an OCDS 1.1 release package; `links.next` continues (404 past the end).

    Everyone gets the releases as published; a caller with clearance and need-to-know gets the full releases of
    the classified processes they may see.
    """
    pub = state.publication
    rows = reads.entries_after(session, _cursor(after), limit, kind=RELEASE)
    base = f"{pub.public_url}/api/v1/ocds/releases"
    this = f"{base}?after={after}" if after else base
    if not rows:  # an OCDS package holds at least one release: an empty page is "nothing here (yet)"
        raise NotFound("no published releases after this cursor yet", code="ocds.no_releases")
    package = release_package(
        [reads.release_for(e, _viewer(session, actor)) for e in rows],
        uri=this,
        published_date=max(e.published_at for e in rows),
        publisher=pub.package_publisher,
    )
    links = {"next": f"{base}?after={rows[-1].index}&limit={limit}"} if len(rows) == limit else {}
    package["links"] = links
    return _json(package)


@router.get("/ocds/records/{ocid}", summary="OCDS record package of one process", tags=["open data"])
def record(ocid: str, state: State, session: ReadSession, actor: MaybeActor) -> Response:
    """The process's record: its releases and the compiled release (OCDS merge rules); full for cleared parties."""
    pub = state.publication
    if len(ocid) > 100:
        raise NotFound("no published contracting process with that ocid", code="ocds.no_record")
    rec = reads.public_record(session, ocid, _viewer(session, actor))
    published = datetime.fromisoformat(rec["compiledRelease"]["date"])
    package = record_package(
        [rec],
        uri=f"{pub.public_url}/api/v1/ocds/records/{ocid}",
        published_date=published,
        publisher=pub.package_publisher,
    )
    return _json(package)


# --- transparency log ----------------------------------------------------------------------------------------


@router.get("/log/key", summary="The log's origin and verifier key", tags=["transparency log"])
def log_key(state: State) -> Response:
    """The C2SP verifier key that signs this log's checkpoints (check it out of band before trusting it)."""
    log = state.publication.log
    return _json({"origin": log.origin, "verifier_key": log.verifier.key_string})


@router.get(
    "/log/checkpoint",
    summary="The latest signed checkpoint",
    tags=["transparency log"],
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def checkpoint(state: State, session: ReadSession) -> Response:
    """A C2SP signed note: origin, tree size, root hash, and the log's Ed25519 signature."""
    latest = state.publication.log.latest(session)
    if latest is None:
        raise NotFound("the log has no checkpoint yet", code="log.empty")
    return Response(content=latest.note, media_type="text/plain; charset=utf-8")


@router.get("/log/entries", summary="Log entries by index range", tags=["transparency log"])
def log_entries(
    state: State,
    session: ReadSession,
    start: Annotated[int, Query(ge=0, le=2**62)],
    end: Annotated[int, Query(ge=1, le=2**62, description="Exclusive; at most 1000 entries per call")],
) -> Response:
    """Leaf inputs (base64 of the canonical JSON that was hashed) and their leaf hashes."""
    rows = state.publication.log.entries(session, start, end)
    return _json(
        {
            "entries": [
                {"index": e.index, "leaf_input": _b64(e.leaf_input), "leaf_hash": _b64(e.leaf_hash)} for e in rows
            ]
        }
    )


@router.get("/log/proof/inclusion", summary="Inclusion proof of one entry", tags=["transparency log"])
def inclusion(
    state: State,
    session: ReadSession,
    index: Annotated[int, Query(ge=0, le=2**62)],
    size: Annotated[int, Query(ge=1, le=2**62)],
) -> Response:
    """RFC 9162 inclusion proof of entry `index` in the tree of `size` entries."""
    proof = state.publication.log.inclusion(session, index, size)
    leaf = proof.leaf_hash or b""
    return _json({"index": index, "size": size, "leaf_hash": _b64(leaf), "proof": [_b64(h) for h in proof.hashes]})


@router.get("/log/proof/consistency", summary="Consistency proof between two tree sizes", tags=["transparency log"])
def consistency(
    state: State,
    session: ReadSession,
    first: Annotated[int, Query(ge=1, le=2**62)],
    second: Annotated[int, Query(ge=1, le=2**62)],
) -> Response:
    """RFC 9162 consistency proof that the tree of `second` entries extends the tree of `first`."""
    proof = state.publication.log.consistency(session, first, second)
    return _json({"first": first, "second": second, "proof": [_b64(h) for h in proof.hashes]})


# --- bulk downloads ------------------------------------------------------------------------------------------

_MEDIA = {"jsonl": "application/x-ndjson", "json": "application/json", "zip": "application/zip"}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/ocds/bulk", summary="Bulk downloads per month, in every form", tags=["open data"])
def bulk_index(state: State, session: ReadSession) -> Response:
    """For each month with published releases, a download per form (JSON Lines, packages, CSV, spreadsheet)."""
    base = f"{state.publication.public_url}/api/v1/ocds/bulk"
    out = [
        {"month": month, "files": {form: f"{base}/{bulk.file_name(month, form)}" for form in bulk.FORMATS}}
        for month in reads.months(session)
    ]
    return _json({"months": out})


@router.get(
    "/ocds/bulk/{name}",
    summary="One month's open data in one form",
    tags=["open data"],
    response_class=FileResponse,
    responses={200: {"content": {media: {} for media in (*_MEDIA.values(), _XLSX)}}},
)
async def bulk_file(name: str, state: State) -> FileResponse:
    """E.g. `2026-03-release-package.json`, `2026-03-jsonl.jsonl`, `2026-03-csv.zip`, `2026-03-xlsx.xlsx`."""
    match = _BULK_NAME.fullmatch(name)
    if match is None or bulk.file_name(match["month"], match["form"]) != name:
        raise NotFound("no such bulk file; GET /api/v1/ocds/bulk lists them", code="ocds.no_bulk_file")
    try:
        since, until = bulk.month_range(match["month"])
    except ValueError as exc:
        raise NotFound(str(exc), code="ocds.no_bulk_file") from exc
    handle, path = tempfile.mkstemp(prefix="qm-bulk-", suffix=f"-{name}")

    def build() -> None:
        with os.fdopen(handle, "wb") as out:
            bulk.write_export(state.db, state.settings, match["form"], out, since=since, until=until)

    try:
        await asyncio.to_thread(build)
    except BaseException:
        os.unlink(path)
        raise
    ext = name.rsplit(".", 1)[1]
    return FileResponse(
        path,
        media_type=_MEDIA.get(ext, _XLSX),
        filename=name,
        background=BackgroundTask(os.unlink, path),
    )


_BULK_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<form>jsonl|release-package|record-package|csv|xlsx)\.[a-z]+")


@router.get("/open-data/aggregates", summary="Counts and values per period, classified included", tags=["open data"])
def open_data_aggregates(
    session: ReadSession,
    period: Annotated[aggregates.Period, Query(description="month | quarter | year")] = "month",
) -> Response:
    """Tenders published and contracts signed per period, with how many of them (and how much money) are classified.

    Always public: the disclosure policy may withhold a secret contract's details, never that it was signed. A
    period with one or two classified contracts publishes their count but not its sums (`values_suppressed`), since
    those would be a single contract's value.
    """
    rows = aggregates.aggregates(session, period)
    return _json({"period": period, "data": [r.json() for r in rows]})
