"""When a planned tender publishes and how its periods are set, so that by "now" it stands at its target stage.

Early stages (enquiries, tendering, prequalification) are placed so their periods are still running at "now";
later stages are placed by how long ago bidding closed. Every period meets the rulebook in force at publication.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from quartermaster.rules import PeriodRule, ProcedureRules, WorkCalendar, rulebook_for, rulebook_version

DAY = timedelta(days=1)

# How many days before "now" bidding closed, by target stage (uniform ranges).
CLOSED_AGO: dict[str, tuple[float, float]] = {
    "opening": (0.1, 1.2),
    "negotiation": (2.5, 8.0),
    "qualification": (2.0, 9.0),
    "awarded": (9.0, 16.0),
    "contract.active": (45.0, 150.0),
    "contract.amended": (70.0, 200.0),
    "complete": (120.0, 270.0),
    "framework.active": (60.0, 260.0),
    "unsuccessful": (10.0, 280.0),
    "cancelled": (10.0, 280.0),
}


@dataclass(frozen=True)
class Schedule:
    """Publication time and period ends (None where the procedure has no such period or it is set later)."""

    publish_at: datetime
    prequalification_end: datetime | None
    enquiry_end: datetime | None
    tender_end: datetime | None
    closes_at: datetime | None  # selective: when the invited tender period should end


def rules_at(procedure: str, when: datetime) -> tuple[ProcedureRules, WorkCalendar]:
    """The procedure's rules and calendar under the rulebook in force at ``when``."""
    book = rulebook_for(when)
    return book.procedure(procedure), book.calendar()


def _add(cal: WorkCalendar, start: datetime, rule: PeriodRule | None) -> datetime:
    return cal.add(start, rule) if rule is not None else start


def _minimum(procedure: str, publish_at: datetime) -> tuple[datetime | None, datetime | None, datetime | None]:
    rules, cal = rules_at(procedure, publish_at)
    if "prequalification" in rules.steps:
        return _add(cal, publish_at, rules.prequalification_period), None, None
    enquiry = _add(cal, publish_at, rules.enquiry_period) if "enquiries" in rules.steps else None
    tender = _add(cal, enquiry or publish_at, rules.tender_period) if "tendering" in rules.steps else None
    return None, enquiry, tender


def _latest_start(procedure: str, wanted_end: datetime, guess_days: float, pick: int) -> datetime:
    """The latest publication (stepping back a day at a time) whose minimum period ``pick`` ends by ``wanted_end``."""
    start = wanted_end - timedelta(days=guess_days)
    while True:
        end = _minimum(procedure, start)[pick]
        assert end is not None
        if end <= wanted_end:
            return start
        start -= DAY


def schedule(procedure: str, target: str, end: datetime, rng: random.Random) -> Schedule:
    """Publication and periods for a tender that should stand at ``target`` at ``end``."""
    u = rng.uniform
    if procedure == "limited":
        ago = {"qualification": (0.2, 8.0), "awarded": (0.5, 6.0)}.get(target, CLOSED_AGO.get(target, (30, 300)))
        return Schedule(end - timedelta(days=u(*ago)), None, None, None, None)
    if procedure == "selective":
        return _selective(target, end, rng)
    early = {"enquiries": (0.1, 2.0), "tendering": (5.5, 9.0) if procedure != "negotiated" else (1.0, 27.0)}
    if target in early or target == "draft":
        publish_at = end - timedelta(days=u(*early.get(target, (0.1, 2.0))))
        _, enquiry, tender = _minimum(procedure, publish_at)
        if target == "enquiries" and enquiry is not None:
            enquiry += timedelta(days=u(0, 1))
            rules, cal = rules_at(procedure, publish_at)
            tender = _add(cal, enquiry, rules.tender_period)
        assert tender is not None
        return Schedule(publish_at, None, enquiry, tender + timedelta(days=u(0, 4)), None)
    closes = end - timedelta(days=u(*CLOSED_AGO[target]))
    guess = {"negotiated": 31.0, "framework.mini-competition": 4.0}.get(procedure, 10.0)
    publish_at = _latest_start(procedure, closes, guess, 2)
    _, enquiry, _ = _minimum(procedure, publish_at)
    return Schedule(publish_at, None, enquiry, closes, None)


def _selective(target: str, end: datetime, rng: random.Random) -> Schedule:
    u = rng.uniform
    if target in ("draft", "prequalification"):
        publish_at = end - timedelta(days=u(0.5, 25))
        prequal = _minimum("selective", publish_at)[0]
        assert prequal is not None
        return Schedule(publish_at, prequal + timedelta(days=u(0, 4)), None, None, None)
    if target == "prequalification.review":
        prequal_end = end - timedelta(days=u(0.2, 3))
        closes = None
    elif target == "tendering":
        prequal_end = end - timedelta(days=u(8, 28))
        closes = None
    else:
        closes = end - timedelta(days=u(*CLOSED_AGO[target]))
        prequal_end = closes - timedelta(days=43 + u(0, 3))  # review up to a week, then >= 35 days of tendering
    publish_at = _latest_start("selective", prequal_end, 31.0, 0)
    return Schedule(publish_at, prequal_end, None, None, closes)


def invited_tender_end(now: datetime, version: str, closes: datetime | None, rng: random.Random) -> datetime:
    """The tender period chosen when inviting candidates: the minimum of the tender's rulebook, or later."""
    book = rulebook_version(version)
    earliest = _add(book.calendar(), now, book.procedure("selective").tender_period) + timedelta(days=rng.uniform(0, 5))
    return max(earliest, closes) if closes is not None else earliest
