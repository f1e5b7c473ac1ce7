"""Publishing a transaction's public changes: release, disclosure projection, log entry — before the commit.

One release per contracting process per transaction: the commands of one transaction (an award writes AwardMade,
LotAwarded, TenderAwarded) form one change, and its release carries the union of their tags. The log index of the
entry is its feed position; it is taken under a lock held to the commit, so entries become visible in index order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from quartermaster.actors import Actor
from quartermaster.codelists import CodeLists
from quartermaster.decisions.commitments import decision_commitment, enrolment_commitment
from quartermaster.disclosure import Classification, Policy, Projection, load_policy, project
from quartermaster.events.models import Event
from quartermaster.events.service import SESSION_EVENTS, appended_events, record_event
from quartermaster.frameworks.models import Framework
from quartermaster.ocds import Change, Naming, Process, release, release_tags
from quartermaster.publication.loader import ceiling, document_markings, load_process
from quartermaster.publication.models import (
    DECISION,
    DISCLOSURE,
    KEY_ENROLMENT,
    RELEASE,
    SEALED_BID,
    SEALED_DOCUMENT,
    DisclosureDue,
    LogEntry,
)
from quartermaster.tenders.models import Tender
from quartermaster.transparency import canonical_json, leaf_hash
from quartermaster.types import max_marking

Json = dict[str, Any]

# Key of the PostgreSQL transaction-level advisory lock that serialises the sequencing step (ASCII "QMLOG").
SEQUENCE_LOCK = 0x514D4C4F47
# The event a scheduled re-publication records when a process's public projection widens.
DISCLOSURE_WIDENED = "DisclosureWidened"
# The events that receive a sealed bid's envelope; each logs the envelope's commitment (a ``sealed-bid`` entry).
SEALED_BID_EVENTS = frozenset({"BidSubmitted", "BidAmended"})


@dataclass
class Publisher:
    """The before-commit hook: publishes the transaction's public changes in the same transaction.

    ``salts`` makes the commitment salts an explicit input (tests pass a deterministic source).
    """

    naming: Naming
    policy: Policy = field(default_factory=load_policy)
    codelists: CodeLists | None = None
    alias_key: bytes | None = None  # secret: keeps withheld organizations' aliases stable across releases
    salts: Callable[[], bytes] = field(default=lambda: os.urandom(32))

    def __call__(self, session: Session) -> None:
        publish_transaction(session, self)


def publish_transaction(session: Session, publisher: Publisher) -> list[LogEntry]:
    """Append a log entry for every sealed bid received and every contracting process with a public change."""
    events = appended_events(session)
    session.info[SESSION_EVENTS] = []
    by_process: dict[str, list[Event]] = {}
    sealed = [e for e in events if e.event_type in SEALED_BID_EVENTS and isinstance(e.payload.get("commitment"), str)]
    sealed += [e for e in events if _commitment_of(e) is not None and e not in sealed]
    for event in events:
        if event.process_id is not None and release_tags(event.event_type):
            by_process.setdefault(event.process_id, []).append(event)
    if not by_process and not sealed:
        return []
    session.flush()
    tenders = {pid: _tender_of(session, pid) for pid in by_process}
    changed = [(tid, evs) for pid, evs in by_process.items() if (tid := tenders[pid]) is not None]
    if not changed and not sealed:
        return []
    index = next_index(session)
    entries = [_commitment_entry(event, publisher, index=index + i) for i, event in enumerate(sealed)]
    session.add_all(entries)
    index += len(entries)
    for tender_id, evs in _merge(changed):
        process = load_process(session, tender_id)
        if not process.tender.is_published:  # a draft, or a draft cancelled before it was ever published
            continue
        change = Change(
            seq=index,
            occurred_at=max(e.occurred_at for e in evs),
            event_types=tuple(e.event_type for e in evs),
        )
        now = max(e.recorded_at for e in evs)
        new = _publish_release(session, publisher, process, change, index=index, now=now)
        entries.extend(new)
        index += len(new)
    return entries


def _commitment_of(event: Event) -> tuple[str, str] | None:
    """The (kind, commitment) a signed decision, a key enrolment or a sealed document logs; None for other events."""
    if event.event_type == "KeysEnrolled":
        return KEY_ENROLMENT, enrolment_commitment(event.object_id, event.payload)
    if event.event_type == "DocumentUploaded" and event.payload.get("sealed") is True:
        return SEALED_DOCUMENT, str(event.payload["sha256"])
    signature, decision = event.payload.get("signature"), event.payload.get("decision")
    if isinstance(signature, dict) and isinstance(decision, dict):
        return DECISION, decision_commitment(decision, signature)
    return None


def _commitment_entry(event: Event, publisher: Publisher, *, index: int) -> LogEntry:
    """An entry that logs only a commitment: a sealed bid's on receipt, a signed decision's, a key enrolment's.

    A sealed bid's leaf names only the commitment: not the tender, the supplier or the lots, so the public log does
    not tell how many bids a tender holds before its deadline. The envelope itself names its tender and supplier, and
    the opening publishes it, so anyone can then match each opened envelope to its entry. The row keeps the tender
    (``process_id``) and the bid (``release_id``) for the bid's receipt; neither is in the leaf. A sealed bid
    document's leaf is its SHA-256, its row keeps the document (``release_id``). A decision's or an
    enrolment's leaf likewise names nothing but its commitment (``decisions.commitments``); its row keeps the event's
    sequence number (``release_id``).
    """
    other = None if event.event_type in SEALED_BID_EVENTS else _commitment_of(event)
    kind, commitment = other if other is not None else (SEALED_BID, event.payload["commitment"])
    leaf_input = canonical_json({"kind": kind, "commitment": commitment})
    process_id = event.process_id or event.object_id
    return LogEntry(
        index=index,
        kind=kind,
        ocid=publisher.naming.ocid(process_id),
        process_id=process_id,
        release_id=event.object_id if kind in (SEALED_BID, SEALED_DOCUMENT) else f"event-{event.seq}",
        release_date=event.occurred_at,
        published_at=event.recorded_at,
        tags=[],
        marking="public",
        complete=True,
        discloses=None,
        leaf_input=leaf_input,
        leaf_hash=leaf_hash(leaf_input),
        full_release=None,
        salt=None,
    )


def _merge(changed: Iterable[tuple[str, list[Event]]]) -> list[tuple[str, list[Event]]]:
    """Group by tender (a framework's events and its tender's events are one process), first appearance first."""
    out: dict[str, list[Event]] = {}
    for tender_id, evs in changed:
        out.setdefault(tender_id, []).extend(evs)
    return list(out.items())


def _tender_of(session: Session, process_id: str) -> str | None:
    """The tender whose contracting process an event's process id names (a framework's is its own tender)."""
    if session.get(Tender, process_id) is not None:
        return process_id
    framework = session.get(Framework, process_id)
    return framework.tender_id if framework is not None else None


def next_index(session: Session) -> int:
    """The next log index, taken under the sequencing lock (held until this transaction ends).

    On PostgreSQL the advisory lock serialises the last step of every publishing transaction: a transaction that
    took index n is visible before the next one can read max(index), so the feed's order is the commit order. On
    SQLite the write transaction (BEGIN IMMEDIATE) already excludes every other writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCE_LOCK})
    last = session.scalar(select(func.max(LogEntry.index)))
    return 0 if last is None else last + 1


def classification(session: Session, process: Process, documents: dict[str, str | None]) -> Classification:
    """The markings the disclosure policy reads, from the process's rows."""
    tender = process.tender
    marked = {item.id: item.marking for item in process.items if item.marking}
    marking = tender.marking
    if process.parent_framework is not None:  # a mini-competition is no less secret than its framework
        origin = session.get(Tender, process.parent_framework.tender_id)
        marking = max_marking(marking, origin.marking if origin is not None else None)
    return Classification(
        marking=marking,
        lots={lot.id: lot.marking for lot in tender.lots if lot.marking},
        # A contract line carries the marking of the tender item it prices.
        items=marked | {ln.id: marked[ln.item_id] for c in process.contracts for ln in c.items if ln.item_id in marked},
        documents={k: v for k, v in documents.items() if v},
        contracts={c.id: c.marking for c in process.contracts if c.marking},
        signed={c.id: c.date_signed for c in process.contracts if c.date_signed is not None},
        declassify_on=tender.declassify_on,
    )


def _publish_release(
    session: Session, publisher: Publisher, process: Process, change: Change, *, index: int, now: datetime
) -> list[LogEntry]:
    full = release(process, change, publisher.naming)
    documents = document_markings(session, process.tender.id)
    projection = project(
        full,
        classification(session, process, documents),
        publisher.policy,
        at=now,
        codelists=publisher.codelists,
        alias_key=publisher.alias_key,
    )
    entry = _release_entry(
        index=index,
        process=process,
        full=full,
        projection=projection,
        marking=ceiling(process, documents),
        salt=None if projection.complete else publisher.salts(),
        now=now,
    )
    session.add(entry)
    entries = [entry]
    _schedule(session, process.tender.id, projection.next_change)
    if projection.complete:  # declassified in full: open every earlier withheld release of the process
        entries += _disclose_withheld(session, process.tender.id, first_index=index + 1, now=now)
    session.flush()
    return entries


def _release_entry(
    *,
    index: int,
    process: Process,
    full: Json,
    projection: Projection,
    marking: str,
    salt: bytes | None,
    now: datetime,
) -> LogEntry:
    body: Json = {"kind": RELEASE, "ocid": full["ocid"], "release": projection.release}
    if salt is not None:
        body["withheld"] = commitment(salt, full)
    leaf_input = canonical_json(body)
    return LogEntry(
        index=index,
        kind=RELEASE,
        ocid=full["ocid"],
        process_id=process.tender.id,
        release_id=full["id"],
        release_date=datetime.fromisoformat(full["date"]),
        published_at=now,
        tags=list(full["tag"]),
        marking=marking,
        complete=salt is None,
        discloses=None,
        leaf_input=leaf_input,
        leaf_hash=leaf_hash(leaf_input),
        full_release=None if salt is None else full,
        salt=salt,
    )


def commitment(salt: bytes, full_release: Json) -> str:
    """The salted commitment to a withheld release: hex SHA-256(salt || canonical JSON of the full release)."""
    return hashlib.sha256(salt + canonical_json(full_release)).hexdigest()


def _disclose_withheld(session: Session, process_id: str, *, first_index: int, now: datetime) -> list[LogEntry]:
    """Reveal every earlier withheld release of a process that is now public in full, each with its salt."""
    withheld = session.scalars(
        select(LogEntry)
        .where(LogEntry.process_id == process_id, LogEntry.kind == RELEASE, LogEntry.complete.is_(False))
        .order_by(LogEntry.index)
    ).all()
    disclosed = set(
        session.scalars(
            select(LogEntry.discloses).where(LogEntry.process_id == process_id, LogEntry.kind == DISCLOSURE)
        )
    )
    out: list[LogEntry] = []
    for original in withheld:
        if original.index in disclosed or original.full_release is None or original.salt is None:
            continue
        body = {
            "kind": DISCLOSURE,
            "ocid": original.ocid,
            "discloses": original.index,
            "release": original.full_release,
            "salt": original.salt.hex(),
        }
        leaf_input = canonical_json(body)
        entry = LogEntry(
            index=first_index + len(out),
            kind=DISCLOSURE,
            ocid=original.ocid,
            process_id=process_id,
            release_id=original.release_id,
            release_date=original.release_date,
            published_at=now,
            tags=original.tags,
            marking="public",
            complete=True,
            discloses=original.index,
            leaf_input=leaf_input,
            leaf_hash=leaf_hash(leaf_input),
            full_release=None,
            salt=None,
        )
        session.add(entry)
        out.append(entry)
    return out


def _schedule(session: Session, process_id: str, due_at: datetime | None) -> None:
    row = session.get(DisclosureDue, process_id)
    if due_at is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(DisclosureDue(process_id=process_id, due_at=due_at))
    else:
        row.due_at = due_at


def due_disclosures(session: Session, *, now: datetime, limit: int) -> list[tuple[datetime, str, str]]:
    """Scheduler finder: processes whose public projection widens now, as (due_at, command, process id)."""
    rows = session.execute(
        select(DisclosureDue.due_at, DisclosureDue.process_id)
        .where(DisclosureDue.due_at <= now)
        .order_by(DisclosureDue.due_at)
        .limit(limit)
    )
    return [(due_at, "widen_disclosure", pid) for due_at, pid in rows]


def widen_disclosure(session: Session, *, actor: Actor, now: datetime, object_id: str) -> None:
    """Scheduler handler: record that the process's projection widened; the publisher re-publishes it."""
    row = session.get(DisclosureDue, object_id, with_for_update=True)
    if row is None or row.due_at > now:
        return  # already done by another worker, or moved later
    session.delete(row)
    record_event(
        session,
        actor=actor,
        now=now,
        command="widen_disclosure",
        event_type=DISCLOSURE_WIDENED,
        object_type="tender",
        object_id=object_id,
        process_id=object_id,
        before=None,
        after=None,
        payload={"due_at": row.due_at},
        occurred_at=row.due_at,
    )
