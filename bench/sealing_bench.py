"""Issue 5, point 8: sealed bids. Four figures, each beside a baseline measured in the same run:

1. bids sealed per second on the supplier's side (``quartermaster.client.seal_prices``, a three-lot price bid),
   beside SHA-256 of the same envelope bytes (what a plain receipt's hash costs);
2. bids opened per second at the opening ceremony of a tender holding ``--opening-bids`` (500) sealed bids:
   ``bids.open_bids`` end to end (rebuild the key from two released shares, check every envelope against its logged
   commitment, open it, write its prices, log the opening) in one transaction, beside the raw HPKE opens alone;
3. a sealed bid document: megabytes per second sealed on the supplier's side and opened at the ceremony
   (``sealing.documents``, a 10 MiB incompressible file, like a scanned PDF), beside SHA-256 of the same bytes;
4. the overhead of sealed submission over plain submission: the median time of ``bids.submit_bid`` with a sealed
   envelope (sealing included) on a rulebook 2026.1 tender, over the same call with plaintext values on a rulebook
   2025.1 tender, on the same database, interleaved so that noise falls on both alike.

Service layer in one process (no HTTP: the HTTP section of ``make bench`` measures that path); the database is a
fresh file (SQLite, WAL) or a scratch PostgreSQL database given by the caller.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from quartermaster.actors import SCHEDULER, Actor, Role
from quartermaster.bids import service as bids
from quartermaster.bids.models import Bid
from quartermaster.bids.schemas import BidValueIn, SealedBidIn
from quartermaster.client import PersonKeys, new_keys, open_my_share, seal_prices
from quartermaster.codelists import load_codelists
from quartermaster.committees import interests
from quartermaster.committees import service as committees
from quartermaster.committees.service import Appointment
from quartermaster.committees.vault import OpeningKeyVault
from quartermaster.db.tx import Database
from quartermaster.identity import keys as person_keys
from quartermaster.identity import service as identity
from quartermaster.rules import rulebook_for
from quartermaster.schema_base import MoneyIO
from quartermaster.sealing import BidContext, generate_key_pair, open_bid, parse_sealed_bid
from quartermaster.sealing.documents import DocumentContext, open_document, seal_document
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.tenders import periods as tender_periods
from quartermaster.tenders import service as tenders
from quartermaster.tenders.schemas import ItemIn, LotIn, PublishTender, TenderCreate
from quartermaster.types import FixedClock

SEALED_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1: bids are sealed
PLAIN_ERA = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # rulebook 2025.1: plaintext bids behind output filtering
LOTS = 3
VAULT = OpeningKeyVault(bytes(32))  # the benchmark's own vault key: nothing it wraps outlives the run


@dataclass
class Cast:
    """The buyer's staff (with key files) and the suppliers of one benchmark database."""

    buyer: Actor
    approver: Actor
    members: list[tuple[Actor, PersonKeys]]
    suppliers: list[Actor]


def _edrpou(n: int) -> str:
    from quartermaster.identifiers import edrpou_check_digit

    first7 = f"{n:07d}"
    return first7 + str(edrpou_check_digit(first7))


def cast(db: Database, now: datetime, suppliers: int) -> Cast:
    """Register a buyer with four staff (three enrol keys) and ``suppliers`` supplier organizations."""
    with db.unit_of_work() as s:

        def org(name: str, n: int, kind: str, roles: list[str]) -> str:
            return identity.create_organization(
                s,
                actor=SCHEDULER,
                now=now,
                name=name,
                identifier_scheme="UA-EDR",
                identifier_id=_edrpou(n),
                kind=kind,
                party_roles=roles,
            ).id

        def person(username: str, role: Role, org_id: str) -> Actor:
            user = identity.create_user(
                s, actor=SCHEDULER, now=now, username=username, name=username, role=role, organization_id=org_id
            )
            return identity.actor_of(user)

        buyer_org = org("Bench Agency", 1_000_001, "defence_agency", ["buyer", "procuringEntity"])
        buyer = person("buyer", Role.BUYER, buyer_org)
        approver = person("approver", Role.APPROVER, buyer_org)
        members = []
        for i in range(3):
            actor = person(f"member{i}", Role.EVALUATOR, buyer_org)
            keys = new_keys()
            user = identity.find_user(s, f"member{i}")
            person_keys.enrol_keys(s, actor=actor, now=now, user=user, **keys.enrolment(user.id))
            interests.declare_interests(
                s, actor=actor, now=now, national_id=f"100000000{i}", past_employers=(), vault=VAULT
            )
            members.append((actor, keys))
        sellers = [
            person(f"s{i}", Role.SUPPLIER, org(f"Supplier {i}", 2_000_000 + i, "company", ["supplier", "tenderer"]))
            for i in range(suppliers)
        ]
    return Cast(buyer, approver, members, sellers)


def tendering(
    db: Database, clock: FixedClock, c: Cast, value: str, open_for: timedelta = timedelta(days=30)
) -> tuple[str, list[str]]:
    """A published open tender with three lots, moved into its tender period; returns its id and lot ids."""
    now = clock.now()
    lots = [
        LotIn(
            title=f"Lot {i + 1}",
            value=MoneyIO(amount=Decimal(value), currency="UAH"),
            items=[
                ItemIn(
                    description="5.56 mm ammunition",
                    cpv="35330000-6",
                    unit="H87",
                    quantity=Decimal(1000),
                    delivery_region="Kyiv",
                    delivery_date=(now + timedelta(days=90)).date(),
                )
            ],
        )
        for i in range(LOTS)
    ]
    spec = TenderCreate(title="Benchmark", procedure="open", category="goods", award_criteria="priceOnly", lots=lots)
    lists = load_codelists(None)
    with db.unit_of_work() as s:
        tid = tenders.create_tender(s, actor=c.buyer, now=now, spec=spec, lists=lists).id
    book = rulebook_for(now)
    if book.sealing is not None:
        members = [Appointment(a.user_id, "chair" if i == 0 else "member") for i, (a, _) in enumerate(c.members)]
        with db.unit_of_work() as s:
            committees.appoint_committee(s, actor=c.buyer, now=now, tender_id=tid, members=members, threshold=2)
    ends = tenders.minimum_periods(book, book.procedure("open"), now)
    periods = PublishTender(enquiry_end=ends["enquiry_end"], tender_end=ends["tender_end"] + open_for)
    vault = VAULT
    with db.unit_of_work() as s:
        tender = committees.publish_tender(s, actor=c.approver, now=now, tender_id=tid, periods=periods, vault=vault)
        lot_ids = [lot.id for lot in tender.lots]
    assert ends["enquiry_end"] is not None
    clock.set(ends["enquiry_end"] + timedelta(seconds=1))
    with db.unit_of_work() as s:
        tender_periods.end_enquiry_period(s, actor=SCHEDULER, now=clock.now(), tender_id=tid)
    return tid, lot_ids


def _prices(i: int, lot_ids: list[str]) -> dict[str, Decimal]:
    return {lot: Decimal(900_000 + 37 * i + 11 * j) / 1 for j, lot in enumerate(lot_ids)}


def _public_key(db: Database, tender_id: str) -> str:
    with db.unit_of_work(write=False) as s:
        key = committees.opening_key_row(s, tender_id)
        assert key is not None
        return key.public_key


def seal_rate(n: int, rounds: int) -> dict[str, Any]:
    """Client-side sealing, bids per second (median of ``rounds``), beside hashing the same envelopes."""
    pair_public = b64url_encode(generate_key_pair().public_key)
    lots = [f"lot-{j}" for j in range(LOTS)]
    seal_times, hash_times = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        uploads = [seal_prices(pair_public, "tender-1", f"supplier-{i}", "UAH", _prices(i, lots)) for i in range(n)]
        seal_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        for u in uploads:
            hashlib.sha256(u.envelope.encode()).hexdigest()
        hash_times.append(time.perf_counter() - began)
    seal, hashed = statistics.median(seal_times), statistics.median(hash_times)
    return {
        "bids": n,
        "rounds": rounds,
        "seal_per_s": n / seal,
        "sha256_per_s": n / hashed,
        "seal_ms_per_bid": 1000 * seal / n,
    }


def document_rate(size: int, rounds: int) -> dict[str, Any]:
    """A sealed document of ``size`` random bytes: sealed and opened MB/s (median of ``rounds``) beside SHA-256."""
    keys = generate_key_pair()
    content = os.urandom(size)
    context = DocumentContext("tender-1", "supplier-1", "bid-1")
    seal_times, open_times, hash_times = [], [], []
    for _ in range(rounds):
        began = time.perf_counter()
        sealed = seal_document(
            keys.public_key, context, title="Technical proposal.pdf", content_type="application/pdf", content=content
        )
        data = sealed.to_bytes()
        seal_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        commitment = hashlib.sha256(data).hexdigest()
        hash_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        opened = open_document(keys.private_key, data, commitment, expected_context=context)
        open_times.append(time.perf_counter() - began)
        assert opened.content == content
    megabytes = size / 1e6
    return {
        "bytes": size,
        "rounds": rounds,
        "seal_mb_s": megabytes / statistics.median(seal_times),
        "open_mb_s": megabytes / statistics.median(open_times),
        "sha256_mb_s": megabytes / statistics.median(hash_times),
    }


def opening(db: Database, clock: FixedClock, c: Cast, n: int) -> dict[str, Any]:
    """A tender with ``n`` sealed bids opened at the ceremony: end-to-end and raw-decrypt rates."""
    tid, lot_ids = tendering(db, clock, c, "9000000.00")
    public_key = _public_key(db, tid)
    for i, supplier in enumerate(c.suppliers[:n]):
        assert supplier.organization_id is not None
        upload = seal_prices(public_key, tid, supplier.organization_id, "UAH", _prices(i, lot_ids))
        with db.unit_of_work() as s:
            bids.submit_bid(
                s,
                actor=supplier,
                now=clock.now(),
                tender_id=tid,
                sealed=SealedBidIn(envelope=upload.envelope, lots=list(upload.lots)),
            )
    with db.unit_of_work(write=False) as s:
        tender_end = tenders.get_tender(s, tid, actor=SCHEDULER).tender_end
    assert tender_end is not None
    clock.set(tender_end + timedelta(seconds=1))
    with db.unit_of_work() as s:
        tender_periods.end_tender_period(s, actor=SCHEDULER, now=clock.now(), tender_id=tid)
    with db.unit_of_work(write=False) as s:
        bidders = bids.bidders(s, tid)
    for actor, keys in c.members[:2]:
        with db.unit_of_work() as s:
            declarations = [interests.DeclarationIn(supplier_id, conflict=False) for supplier_id in bidders]
            interests.declare_conflicts(
                s, actor=actor, now=clock.now(), tender_id=tid, bidders=bidders, declarations=declarations
            )
        with db.unit_of_work(write=False) as s:
            sealed_share = committees.my_share(s, actor=actor, tender_id=tid).sealed_share
        with db.unit_of_work() as s:
            share = open_my_share(keys, sealed_share, actor.user_id)
            committees.release_share(s, actor=actor, now=clock.now(), tender_id=tid, share_text=share, bidders=bidders)
    with db.unit_of_work(write=False) as s:
        rows = s.execute(select(Bid.supplier_id, Bid.envelope, Bid.commitment).where(Bid.tender_id == tid)).all()
    assert len(rows) == n
    began = time.perf_counter()
    with db.unit_of_work() as s:
        bids.open_bids(s, actor=c.members[0][0], now=clock.now(), tender_id=tid)
    end_to_end = time.perf_counter() - began
    with db.unit_of_work(write=False) as s:
        key = committees.opening_key_row(s, tid)
        assert key is not None
        assert key.released_private_key is not None
        private = b64url_decode(key.released_private_key, "k")
        opened = [b for b in bids.list_bids(s, actor=SCHEDULER, tender_id=tid) if b.status == "valid"]
    assert len(opened) == n, f"{len(opened)} of {n} bids opened"
    began = time.perf_counter()
    for supplier_id, envelope, commitment in rows:
        assert envelope is not None
        assert commitment is not None
        open_bid(
            private, parse_sealed_bid(envelope.encode()), commitment, expected_context=BidContext(tid, supplier_id)
        )
    raw = time.perf_counter() - began
    return {"bids": n, "open_bids_s": end_to_end, "open_per_s": n / end_to_end, "raw_open_per_s": n / raw}


def submission(db: Database, clock: FixedClock, c: Cast, n: int) -> dict[str, Any]:
    """Median seconds per ``submit_bid``: sealed (with client sealing) on a 2026.1 tender, plain on a 2025.1 one."""
    clock.set(PLAIN_ERA)
    plain_tid, plain_lots = tendering(db, clock, c, "1000000.00", open_for=timedelta(days=365))
    clock.set(SEALED_ERA + timedelta(days=1))
    sealed_tid, sealed_lots = tendering(db, clock, c, "1000000.00")  # below 5M: the platform-held key
    public_key = _public_key(db, sealed_tid)
    plain_times, sealed_times = [], []

    def timed(fn: Callable[[], object]) -> float:
        began = time.perf_counter()
        fn()
        return time.perf_counter() - began

    for i, supplier in enumerate(c.suppliers[:n]):
        org = supplier.organization_id
        assert org is not None

        def plain(i: int = i, supplier: Actor = supplier) -> None:
            values = [
                BidValueIn(lot_id=lot, value=MoneyIO(amount=p, currency="UAH"))
                for lot, p in _prices(i, plain_lots).items()
            ]
            with db.unit_of_work() as s:
                bids.submit_bid(s, actor=supplier, now=clock.now(), tender_id=plain_tid, values=values)

        def sealed(i: int = i, supplier: Actor = supplier, org: str = org) -> None:
            upload = seal_prices(public_key, sealed_tid, org, "UAH", _prices(i, sealed_lots))
            body = SealedBidIn(envelope=upload.envelope, lots=list(upload.lots))
            with db.unit_of_work() as s:
                bids.submit_bid(s, actor=supplier, now=clock.now(), tender_id=sealed_tid, sealed=body)

        if i % 2:  # alternate the order so that neither always runs second
            sealed_times.append(timed(sealed))
            plain_times.append(timed(plain))
        else:
            plain_times.append(timed(plain))
            sealed_times.append(timed(sealed))
    plain_ms, sealed_ms = 1000 * statistics.median(plain_times), 1000 * statistics.median(sealed_times)
    return {"bids": n, "plain_ms": plain_ms, "sealed_ms": sealed_ms, "ratio": sealed_ms / plain_ms}


def run(
    db: Database,
    *,
    opening_bids: int = 500,
    submissions: int = 300,
    seal_bids: int = 2000,
    document_bytes: int = 10 * 2**20,
) -> dict[str, Any]:
    """All four figures on one fresh database."""
    clock = FixedClock(SEALED_ERA)
    c = cast(db, clock.now() - timedelta(days=400), max(opening_bids, submissions))
    return {
        "seal": seal_rate(seal_bids, rounds=5),
        "documents": document_rate(document_bytes, rounds=5),
        "opening": opening(db, clock, c, opening_bids),
        "submission": submission(db, clock, c, submissions),
    }
