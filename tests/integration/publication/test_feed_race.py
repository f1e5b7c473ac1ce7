"""Many writers publish at once while a reader follows the feed: the reader never skips or repeats a change.

On PostgreSQL the writers really run in parallel (separate connections); a feed paged by a number taken before
commit would let the reader pass a smaller number that commits later. The reader here pages by the log index and
must see every index exactly once, in order, and nothing else.
"""

from __future__ import annotations

import threading
import time

from quartermaster.codelists import load_codelists
from quartermaster.db.tx import Database
from quartermaster.ocds import Naming
from quartermaster.publication import reads
from quartermaster.publication.service import Publisher
from quartermaster.rules import rulebook_for
from quartermaster.tenders import service as tenders
from quartermaster.tenders.schemas import PublishTender, TenderCreate
from quartermaster.types import FixedClock
from support.flows import tender_body
from support.world import World

WRITERS = 8
TENDERS_EACH = 12


def test_a_reader_following_the_feed_sees_every_change_of_many_concurrent_writers_once_in_order(
    database: Database, world: World, clock: FixedClock
) -> None:
    database.before_commit = Publisher(naming=Naming(ocid_prefix="ocds-race00"))
    lists = load_codelists()
    now = clock.now()
    drafts: list[list[str]] = []
    with database.unit_of_work() as s:
        for _ in range(WRITERS):
            batch = []
            for _ in range(TENDERS_EACH):
                spec = TenderCreate.model_validate(tender_body("open"))
                batch.append(tenders.create_tender(s, actor=world["buyer"].actor, now=now, spec=spec, lists=lists).id)
            drafts.append(batch)
    book = rulebook_for(now)
    periods = PublishTender.model_validate(tenders.minimum_periods(book, book.procedure("open"), now))
    errors: list[BaseException] = []
    done = threading.Event()

    def write(batch: list[str]) -> None:
        try:
            for tender_id in batch:
                with database.unit_of_work() as s:
                    tenders.publish_tender(
                        s, actor=world["approver"].actor, now=now, tender_id=tender_id, periods=periods
                    )
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    seen: list[int] = []

    def read() -> None:
        try:
            follow()
        except BaseException as exc:
            errors.append(exc)

    def follow() -> None:
        cursor = -1
        while True:
            finished = done.is_set()  # read the flag before the page: a page after it sees every commit
            with database.unit_of_work(write=False) as s:
                page = [r.index for r in reads.entries_after(s, cursor, 7)]
            seen.extend(page)
            if page:
                cursor = page[-1]
            elif finished:
                return
            else:
                time.sleep(0.001)

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(batch,)) for batch in drafts]
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    done.set()
    reader.join(60)

    assert errors == []
    total = WRITERS * TENDERS_EACH
    assert seen == list(range(total))
    with database.unit_of_work(write=False) as s:
        published = {e.process_id for e in reads.iter_entries(s)}
    assert published == {t for batch in drafts for t in batch}
