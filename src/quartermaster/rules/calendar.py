"""Minimum periods and the working-day calendar they are measured on.

Convention (the one Prozorro's ``calculate_business_date`` uses, so deadlines agree with the public system):

* A *calendar* period of N days ends exactly N x 24 hours after its start.
* A *working* period of N >= 1 days ends at the same time of day as its start, on the N-th working day
  strictly after the start's date. A start on a non-working day is first moved to 00:00 of the next working
  day, so bidders always get N whole working days: opened Friday 10:00, 1 working day ends Monday 10:00;
  opened on Saturday or Sunday at any hour, it ends Tuesday 00:00 (all of Monday).
* ``subtract`` mirrors this: an end on a non-working day is first moved back to 00:00 after the last working
  day before it (the end of that working day), then N working days are counted back at the same time of day.
* A period of 0 days ends where it starts.
* Days are judged on the UTC calendar date. Every datetime must be timezone-aware; it is converted to UTC and
  naive datetimes raise ``ValueError`` (a deadline without a zone is a bug, not a default).

``meets(start, end, rule)`` is true exactly when ``end >= add(start, rule)``, so the two can never disagree.
Round trips: ``subtract(add(s, r), r) >= s``, equal unless ``s`` falls on a non-working day (then it is
00:00 of the next working day); ``add(subtract(e, r), r) >= e``, equal unless ``e`` is on a non-working day.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

PeriodKind = Literal["working", "calendar"]
PERIOD_KINDS: frozenset[str] = frozenset(get_args(PeriodKind))

_SATURDAY = 5  # date.weekday(): Monday is 0, so 5 and 6 are the weekend


@dataclass(frozen=True)
class PeriodRule:
    """A minimum period: ``days`` working or calendar days; ``source`` cites the rule that sets it."""

    days: int
    kind: PeriodKind
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise ValueError(f"days must be a non-negative integer, got {self.days!r}")
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"kind must be one of {sorted(PERIOD_KINDS)}, got {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.days} {self.kind} day{'s' if self.days != 1 else ''}"


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays among proleptic ordinals 1..``ordinal`` (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday to Friday, minus public holidays unless ``holidays_suspended`` (martial law)."""

    holidays: frozenset[date]
    holidays_suspended: bool = False
    # Ordinals of the holidays that fall on a weekday, sorted: what working_days_between bisects.
    _weekday_holidays: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        effective = () if self.holidays_suspended else self.holidays
        ordinals = sorted(d.toordinal() for d in effective if d.weekday() < _SATURDAY)
        object.__setattr__(self, "_weekday_holidays", tuple(ordinals))

    def is_working_day(self, day: date) -> bool:
        """True for Monday to Friday, except holidays (which do count while holidays are suspended)."""
        if isinstance(day, datetime):
            raise TypeError("is_working_day takes a date; pass moment.astimezone(UTC).date()")
        if day.weekday() >= _SATURDAY:
            return False
        return self.holidays_suspended or day not in self.holidays

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b < a); O(log holidays), no loop over days."""
        if b < a:
            return -self.working_days_between(b, a)
        lo, hi = a.toordinal(), b.toordinal()
        weekdays = _weekdays_through(hi) - _weekdays_through(lo)
        holidays = bisect_right(self._weekday_holidays, hi) - bisect_right(self._weekday_holidays, lo)
        return weekdays - holidays

    def _step_working_days(self, day: date, count: int, direction: int) -> date:
        # Periods are days or weeks long, so walking day by day is cheap and obviously right.
        remaining = count
        while remaining:
            day += timedelta(days=direction)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def add(self, start: datetime, rule: PeriodRule) -> datetime:
        """The earliest moment a minimum period opened at ``start`` is complete (module convention)."""
        start = _utc(start, "start")
        if rule.kind == "calendar":
            return start + timedelta(days=rule.days)
        if rule.days == 0:
            return start
        if not self.is_working_day(start.date()):
            # Nothing of a non-working day counts: the period really opens when the next working day begins.
            first = self._step_working_days(start.date(), 1, +1)
            start = datetime.combine(first, time(0), tzinfo=UTC)
        end_day = self._step_working_days(start.date(), rule.days, +1)
        return start + timedelta(days=(end_day - start.date()).days)

    def subtract(self, end: datetime, rule: PeriodRule) -> datetime:
        """The moment ``rule`` before ``end``, e.g. the enquiry cut-off N working days before the end."""
        end = _utc(end, "end")
        if rule.kind == "calendar":
            return end - timedelta(days=rule.days)
        if rule.days == 0:
            return end
        if not self.is_working_day(end.date()):
            # Mirror of add: the period effectively ended when the last working day before ``end`` did.
            last = self._step_working_days(end.date(), 1, -1)
            end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        start_day = self._step_working_days(end.date(), rule.days, -1)
        return end - timedelta(days=(end.date() - start_day).days)

    def meets(self, start: datetime, end: datetime, rule: PeriodRule) -> bool:
        """True when the span ``start``..``end`` is at least the minimum period ``rule``."""
        return _utc(end, "end") >= self.add(start, rule)
