"""Reading what was published: feed pages, release pages and records, all from the log entries.

The public sees the release exactly as it was hashed into the log (the leaf input); nothing here rebuilds or
re-projects it, so the open data, the feed, the exports and the log can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from quartermaster.errors import NotFound
from quartermaster.ocds import record
from quartermaster.publication.models import FEED_KINDS, RELEASE, LogEntry

Json = dict[str, Any]
MAX_PAGE = 500


def leaf_body(entry: LogEntry) -> Json:
    """The JSON object an entry's leaf input encodes."""
    body: Json = json.loads(entry.leaf_input)
    return body


def public_release(entry: LogEntry) -> Json:
    """The release of an entry as the public sees it."""
    release: Json = leaf_body(entry)["release"]
    return release


def release_for(entry: LogEntry, sees_full: Callable[[str], bool]) -> Json:
    """What a reader gets: the full release of a withheld entry if ``sees_full(process_id)``, else the public one.

    ``sees_full`` is asked only about entries that withheld something (most are complete and need no question).
    """
    if not entry.complete and entry.full_release is not None and sees_full(entry.process_id):
        return entry.full_release
    return public_release(entry)


def feed_item(entry: LogEntry) -> Json:
    """One change of the public feed (its date is the published release's: a month at confidential and above)."""
    release = public_release(entry)
    return {
        "cursor": str(entry.index),
        "index": entry.index,
        "kind": entry.kind,
        "ocid": entry.ocid,
        "release_id": entry.release_id,
        "date": release["date"],
        "tags": list(entry.tags),
        "release": release,
    }


def parse_cursor(cursor: str | None) -> int:
    """The index after which a page starts (-1: from the beginning); NotFound-free, ValueError if malformed."""
    if cursor is None or cursor == "":
        return -1
    if not cursor.isdigit() or len(cursor) > 18:
        raise ValueError(f"'{cursor[:40]}' is not a feed cursor (use the `next` value of a previous page)")
    return int(cursor)


def entries_after(session: Session, after: int, limit: int, *, kind: str | None = None) -> Sequence[LogEntry]:
    """Feed entries (releases and disclosures, or one ``kind``) with index > ``after`` in index (= commit) order.

    Sealed-bid entries are log leaves but no public change of a process: the feed skips their indexes.
    """
    query = select(LogEntry).where(LogEntry.index > after)
    query = query.where(LogEntry.kind == kind) if kind is not None else query.where(LogEntry.kind.in_(FEED_KINDS))
    return session.scalars(query.order_by(LogEntry.index).limit(min(limit, MAX_PAGE))).all()


def iter_entries(
    session: Session,
    *,
    kind: str | None = RELEASE,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = 1000,
) -> Iterator[LogEntry]:
    """Every entry (optionally of one kind, published in [since, until)), streamed in index order in batches."""
    after = -1
    while True:
        query = select(LogEntry).where(LogEntry.index > after)
        if kind is not None:
            query = query.where(LogEntry.kind == kind)
        if since is not None:
            query = query.where(LogEntry.release_date >= since)
        if until is not None:
            query = query.where(LogEntry.release_date < until)
        rows = session.scalars(query.order_by(LogEntry.index).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].index
        session.expunge_all()  # constant memory however long the log


def count_entries(
    session: Session, *, kind: str | None = RELEASE, since: datetime | None = None, until: datetime | None = None
) -> int:
    """How many entries ``iter_entries`` would yield (for progress bars)."""
    query = select(func.count()).select_from(LogEntry)
    if kind is not None:
        query = query.where(LogEntry.kind == kind)
    if since is not None:
        query = query.where(LogEntry.release_date >= since)
    if until is not None:
        query = query.where(LogEntry.release_date < until)
    return session.scalar(query) or 0


def _ocids(since: datetime | None, until: datetime | None) -> Select[str, int]:
    query = select(LogEntry.ocid, func.min(LogEntry.index).label("first")).where(LogEntry.kind == RELEASE)
    if since is not None:
        query = query.where(LogEntry.release_date >= since)
    if until is not None:
        query = query.where(LogEntry.release_date < until)
    return query.group_by(LogEntry.ocid)


def ocids_in_order(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> Iterator[str]:
    """Every ocid with a release (dated in [since, until)) once, in the order of its first such release."""
    rows = session.execute(_ocids(since, until).order_by("first")).all()  # 1 row a process: small
    for ocid, _ in rows:
        yield ocid


def count_ocids(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many processes ``ocids_in_order`` yields."""
    return session.scalar(select(func.count()).select_from(_ocids(since, until).subquery())) or 0


def process_releases(session: Session, ocid: str, sees_full: Callable[[str], bool] | None = None) -> list[Json]:
    """The releases of one contracting process in log order: public ones, or full ones where ``sees_full``."""
    rows = session.scalars(
        select(LogEntry).where(LogEntry.ocid == ocid, LogEntry.kind == RELEASE).order_by(LogEntry.index)
    ).all()
    return [public_release(e) if sees_full is None else release_for(e, sees_full) for e in rows]


def public_record(session: Session, ocid: str, sees_full: Callable[[str], bool] | None = None) -> Json:
    """The OCDS record of a process compiled from its releases (full ones where ``sees_full``); NotFound if none."""
    releases = process_releases(session, ocid, sees_full)
    if not releases:
        raise NotFound(f"no published contracting process with ocid '{ocid[:100]}'", code="ocds.no_record")
    return record(releases)


def months(session: Session) -> list[str]:
    """The months (YYYY-MM) with at least one published release, oldest first (one grouped query)."""
    year, month = extract("year", LogEntry.release_date), extract("month", LogEntry.release_date)
    rows = session.execute(select(year, month).where(LogEntry.kind == RELEASE).group_by(year, month)).all()
    return sorted(f"{int(y):04d}-{int(m):02d}" for y, m in rows)
