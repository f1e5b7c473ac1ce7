"""Bulk open data: OCDS exports in every form, and the log export that `quartermaster verify DIR` checks offline.

Both read the published log entries in batches (``reads.iter_entries``), so memory stays flat however long the log;
the spreadsheet forms read them twice (columns first, then rows).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, select

from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.errors import NotFound
from quartermaster.exports import (
    PackageMeta,
    write_csv,
    write_jsonl,
    write_record_package,
    write_release_package,
    write_xlsx,
)
from quartermaster.publication import reads
from quartermaster.publication.keys import load_signer
from quartermaster.publication.models import RELEASE, LogEntry, SignedCheckpoint

Json = dict[str, Any]
Progress = Callable[..., None]  # progress(done, total)
FORMATS = {
    "jsonl": "jsonl",
    "release-package": "json",
    "record-package": "json",
    "csv": "zip",
    "xlsx": "xlsx",
}


def month_range(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month; ValueError names a bad month."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"'{month[:20]}' is not a month; use YYYY-MM, e.g. 2026-03") from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def file_name(month: str, form: str) -> str:
    """The bulk file name of a month in one form, e.g. ``2026-03-release-package.json``."""
    return f"{month}-{form}.{FORMATS[form]}"


def _publisher(settings: Settings) -> dict[str, str]:
    return {"name": settings.publisher_name, "uri": settings.public_url.rstrip("/")}


def _latest(db: Database, since: datetime | None, until: datetime | None) -> datetime:
    with db.unit_of_work(write=False) as session:
        query = select(func.max(LogEntry.published_at)).where(LogEntry.kind == RELEASE)
        if since is not None:
            query = query.where(LogEntry.release_date >= since)
        if until is not None:
            query = query.where(LogEntry.release_date < until)
        latest = session.scalar(query)
    if latest is None:
        raise NotFound("nothing to export: no release was published in that period", code="export.empty")
    return latest if latest.tzinfo else latest.replace(tzinfo=UTC)


def _releases(db: Database, since: datetime | None, until: datetime | None) -> Iterator[Json]:
    with db.unit_of_work(write=False) as session:
        for entry in reads.iter_entries(session, since=since, until=until):
            yield reads.public_release(entry)


def _records(db: Database, since: datetime | None, until: datetime | None) -> Iterator[Json]:
    from quartermaster.ocds import record

    with db.unit_of_work(write=False) as session:
        for ocid in reads.ocids_in_order(session, since=since, until=until):
            yield record(reads.process_releases(session, ocid))


def write_export(
    db: Database,
    settings: Settings,
    form: str,
    out: BinaryIO,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the public releases (dated in [since, until)) in one form; the number of releases or records."""
    if form not in FORMATS:
        raise ValueError(f"unknown export format '{form}'; use one of {', '.join(FORMATS)}")
    published = _latest(db, since, until)
    with db.unit_of_work(write=False) as session:
        total = reads.count_entries(session, since=since, until=until)
        if form == "record-package":
            total = reads.count_ocids(session, since=since, until=until)

    def tick(done: int) -> None:
        if progress is not None:
            progress(done, total)

    meta = PackageMeta(
        uri=f"{settings.public_url.rstrip('/')}/api/v1/ocds/bulk",
        published_date=published,
        publisher=_publisher(settings),
    )
    if form == "jsonl":
        return write_jsonl(_releases(db, since, until), out, progress=tick)
    if form == "release-package":
        return write_release_package(_releases(db, since, until), out, meta=meta, progress=tick)
    if form == "record-package":
        return write_record_package(_records(db, since, until), out, meta=meta, progress=tick)
    if form == "csv":
        return write_csv(lambda: _releases(db, since, until), out, progress=tick)
    return write_xlsx(lambda: _releases(db, since, until), out, progress=tick)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def export_log(db: Database, settings: Settings, out_dir: Path, *, progress: Progress | None = None) -> int:
    """Write ``log.json``, ``checkpoints/<size>``, ``entries.jsonl`` and ``releases.jsonl`` up to the newest
    checkpoint (see docs/transparency-spec.md); the number of entries written."""
    verifier = load_signer(settings).verifier()
    with db.unit_of_work(write=False) as session:
        checkpoints = session.execute(select(SignedCheckpoint.size, SignedCheckpoint.note).order_by("size")).all()
    size = checkpoints[-1].size if checkpoints else 0
    (out_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    for old in (out_dir / "checkpoints").iterdir():
        old.unlink()
    for cp_size, note in checkpoints:
        (out_dir / "checkpoints" / str(cp_size)).write_text(note)
    done = 0
    with (
        open(out_dir / "entries.jsonl.partial", "wb") as entries,
        open(out_dir / "releases.jsonl.partial", "wb") as releases,
        db.unit_of_work(write=False) as session,
    ):
        for entry in reads.iter_entries(session, kind=None):
            if entry.index >= size:
                break
            entries.write(_line({"index": entry.index, "leaf_input": _b64(entry.leaf_input)}))
            if entry.kind == RELEASE:
                releases.write(_line(reads.public_release(entry)))
            done += 1
            if progress is not None:
                progress(done, size)
    os.replace(out_dir / "entries.jsonl.partial", out_dir / "entries.jsonl")
    os.replace(out_dir / "releases.jsonl.partial", out_dir / "releases.jsonl")
    info = {"origin": settings.resolved_log_origin(), "verifier_key": verifier.key_string, "size": size}
    (out_dir / "log.json").write_text(json.dumps(info, indent=2) + "\n")
    return done
