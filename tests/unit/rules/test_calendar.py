"""The working-day calendar: hand-worked deadlines and properties tying add, subtract and meets together."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.rules import PeriodRule, WorkCalendar

# The statutory 2025 dates that fall on a weekday (Labour Code art. 73), enough for the hand-worked examples.
HOLIDAYS_2025 = frozenset(
    date.fromisoformat(d) for d in ("2025-01-01", "2025-05-01", "2025-05-08", "2025-07-15", "2025-10-01", "2025-12-25")
)
OBSERVED = WorkCalendar(HOLIDAYS_2025, holidays_suspended=False)
MARTIAL_LAW = WorkCalendar(HOLIDAYS_2025, holidays_suspended=True)

WORKING_6 = PeriodRule(6, "working")
WORKING_3 = PeriodRule(3, "working")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- hand-worked examples -------------------------------------------------------------------------


def test_six_working_days_skip_weekend_and_defenders_day() -> None:
    # Fri 26 Sep 2025: Mon 29 (1), Tue 30 (2), Wed 1 Oct holiday, Thu 2 (3), Fri 3 (4), Mon 6 (5), Tue 7 (6).
    assert OBSERVED.add(utc(2025, 9, 26, 9, 0), WORKING_6) == utc(2025, 10, 7, 9, 0)


def test_suspended_holiday_counts_as_a_working_day() -> None:
    # Same start under martial law: Wed 1 Oct is a working day, so the sixth working day is Mon 6 Oct.
    assert MARTIAL_LAW.add(utc(2025, 9, 26, 9, 0), WORKING_6) == utc(2025, 10, 6, 9, 0)
    assert MARTIAL_LAW.is_working_day(date(2025, 10, 1)) is True
    assert OBSERVED.is_working_day(date(2025, 10, 1)) is False


def test_enquiry_cutoff_is_three_working_days_before_the_tender_end() -> None:
    # Tender ends Tue 7 Oct 09:00: Mon 6 (1), Fri 3 (2), Thu 2 (3); the weekend is skipped.
    assert OBSERVED.subtract(utc(2025, 10, 7, 9, 0), WORKING_3) == utc(2025, 10, 2, 9, 0)


def test_period_opened_on_a_weekend_gets_the_whole_of_monday() -> None:
    # Saturday or Sunday at any hour: the period opens Monday 00:00, so one working day ends Tuesday 00:00.
    one = PeriodRule(1, "working")
    assert OBSERVED.add(utc(2025, 9, 27, 14, 30), one) == utc(2025, 9, 30, 0, 0)
    assert OBSERVED.add(utc(2025, 9, 28, 0, 1), one) == utc(2025, 9, 30, 0, 0)
    assert OBSERVED.add(utc(2025, 9, 26, 14, 30), one) == utc(2025, 9, 29, 14, 30)  # the Friday before


def test_period_opened_on_a_holiday_starts_the_next_morning() -> None:
    # Wed 1 Oct 2025 is Defenders Day: the period opens Thu 2 Oct 00:00; one working day ends Fri 3 Oct 00:00.
    assert OBSERVED.add(utc(2025, 10, 1, 10, 0), PeriodRule(1, "working")) == utc(2025, 10, 3, 0, 0)


def test_cutoff_before_a_weekend_end_counts_back_from_friday_evening() -> None:
    # Tender ends Sun 5 Oct 12:00: treated as ending Sat 00:00 (end of Fri 3 Oct); three working days back are
    # Fri 3, Thu 2 and (skipping the Wed 1 Oct holiday) Tue 30 Sep, so enquiries close Tue 30 Sep 00:00.
    assert OBSERVED.subtract(utc(2025, 10, 5, 12, 0), WORKING_3) == utc(2025, 9, 30, 0, 0)


def test_calendar_days_ignore_weekends_and_holidays() -> None:
    assert OBSERVED.add(utc(2025, 12, 24, 16, 0), PeriodRule(10, "calendar")) == utc(2026, 1, 3, 16, 0)


def test_zero_day_period_ends_at_its_start() -> None:
    start = utc(2025, 9, 27, 8, 0)  # a Saturday: zero working days still end at the start
    assert OBSERVED.add(start, PeriodRule(0, "working")) == start
    assert OBSERVED.subtract(start, PeriodRule(0, "working")) == start
    assert OBSERVED.meets(start, start, PeriodRule(0, "working")) is True


def test_meets_is_exact_at_the_boundary() -> None:
    start = utc(2025, 9, 26, 9, 0)
    assert OBSERVED.meets(start, utc(2025, 10, 7, 9, 0), WORKING_6) is True
    assert OBSERVED.meets(start, utc(2025, 10, 7, 8, 59, 59), WORKING_6) is False
    assert OBSERVED.meets(start, utc(2025, 10, 8, 0, 0), WORKING_6) is True


def test_working_days_in_2025() -> None:
    # 261 weekdays in 2025; (1 Jan, 31 Dec] excludes Wed 1 Jan; weekday holidays after it:
    # 1 May, 8 May, 15 Jul, 1 Oct, 25 Dec.
    assert OBSERVED.working_days_between(date(2025, 1, 1), date(2025, 12, 31)) == 255
    assert MARTIAL_LAW.working_days_between(date(2025, 1, 1), date(2025, 12, 31)) == 260
    assert OBSERVED.working_days_between(date(2025, 12, 31), date(2025, 1, 1)) == -255
    assert OBSERVED.working_days_between(date(2025, 9, 26), date(2025, 10, 7)) == 6
    assert OBSERVED.working_days_between(date(2025, 9, 26), date(2025, 9, 26)) == 0


def test_working_days_between_spans_centuries_without_looping() -> None:
    cal = WorkCalendar(frozenset(), holidays_suspended=False)
    # 2000-01-01 (a Saturday) to 2099-12-31 is 36,525 days: 5,217 weeks + 6 days (Sat..Thu: 4 weekdays).
    assert cal.working_days_between(date(1999, 12, 31), date(2099, 12, 31)) == 5217 * 5 + 4


def test_aware_non_utc_input_is_judged_on_its_utc_date() -> None:
    kyiv_summer = timezone(timedelta(hours=3))
    # 01:30 Tuesday in Kyiv is 22:30 Monday UTC, so one working day ends 22:30 Tuesday UTC.
    start = datetime(2025, 9, 30, 1, 30, tzinfo=kyiv_summer)
    assert OBSERVED.add(start, PeriodRule(1, "working")) == utc(2025, 9, 30, 22, 30)


@pytest.mark.parametrize("method", ["add", "subtract"])
def test_naive_datetimes_are_refused(method: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(OBSERVED, method)(datetime(2025, 9, 26, 9, 0), WORKING_6)


def test_meets_refuses_a_naive_end() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OBSERVED.meets(utc(2025, 9, 26, 9, 0), datetime(2025, 10, 7, 9, 0), WORKING_6)


def test_is_working_day_refuses_a_datetime() -> None:
    with pytest.raises(TypeError):
        OBSERVED.is_working_day(utc(2025, 9, 26, 9, 0))


@pytest.mark.parametrize(("days", "kind"), [(-1, "working"), (3, "business"), (True, "working")])
def test_period_rule_rejects_bad_values(days: int, kind: str) -> None:
    with pytest.raises(ValueError):
        PeriodRule(days, kind)  # type: ignore[arg-type]


def test_period_rule_reads_as_text() -> None:
    assert str(PeriodRule(1, "working")) == "1 working day"
    assert str(PeriodRule(10, "calendar")) == "10 calendar days"


# --- properties -----------------------------------------------------------------------------------

LOW, HIGH = datetime(2024, 6, 1), datetime(2028, 6, 1)
moments = st.datetimes(min_value=LOW, max_value=HIGH, timezones=st.just(UTC))
rules = st.builds(
    PeriodRule, days=st.integers(min_value=0, max_value=40), kind=st.sampled_from(["working", "calendar"])
)
working_rules = st.builds(PeriodRule, days=st.integers(min_value=1, max_value=40), kind=st.just("working"))
# Random clusters of holidays (including runs of them) as well as the real ones.
calendars = st.builds(
    WorkCalendar,
    holidays=st.one_of(
        st.just(HOLIDAYS_2025),
        st.frozensets(st.dates(min_value=LOW.date(), max_value=HIGH.date()), max_size=80),
    ),
    holidays_suspended=st.booleans(),
)


@given(cal=calendars, start=moments, rule=rules)
def test_add_is_exactly_the_minimum_that_meets(cal: WorkCalendar, start: datetime, rule: PeriodRule) -> None:
    end = cal.add(start, rule)
    assert cal.meets(start, end, rule)
    assert not cal.meets(start, end - timedelta(seconds=1), rule)
    assert end.utcoffset() == timedelta(0)


@given(cal=calendars, start=moments, rule=working_rules)
def test_working_period_ends_on_a_working_day_after_n_whole_working_days(
    cal: WorkCalendar, start: datetime, rule: PeriodRule
) -> None:
    end = cal.add(start, rule)
    assert cal.is_working_day(end.date())
    if cal.is_working_day(start.date()):
        # Same time of day, N working days later.
        assert end.timetz() == start.timetz()
        assert cal.working_days_between(start.date(), end.date()) == rule.days
    else:
        # Opened on a non-working day: N whole working days from the next working day's 00:00.
        assert end.time() == time(0)
        assert cal.working_days_between(start.date(), end.date()) == rule.days + 1


def next_working_morning(cal: WorkCalendar, moment: datetime) -> datetime:
    """``moment`` itself on a working day, else 00:00 of the next working day (where add opens the period)."""
    if cal.is_working_day(moment.date()):
        return moment
    day = moment.date() + timedelta(days=1)
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UTC)


@given(cal=calendars, start=moments, rule=rules)
def test_subtract_after_add_returns_to_where_the_period_opened(
    cal: WorkCalendar, start: datetime, rule: PeriodRule
) -> None:
    # Exact property: subtract(add(s, r), r) == s, except that a working period opened on a non-working day
    # comes back to 00:00 of the next working day (where it really opened). Hence always >= s.
    back = cal.subtract(cal.add(start, rule), rule)
    if rule.kind == "calendar" or rule.days == 0:
        assert back == start
    else:
        assert back == next_working_morning(cal, start)
    assert back >= start


@given(cal=calendars, end=moments, rule=rules)
def test_add_after_subtract_returns_to_the_end_on_working_days(
    cal: WorkCalendar, end: datetime, rule: PeriodRule
) -> None:
    # Dual property: add(subtract(e, r), r) == e when e falls on a working day (or the period is calendar);
    # for an e on a non-working day it is 00:00 of the next working day. So meets(subtract(e), e) holds
    # exactly when e is on a working day: a cut-off from a working-day tender end leaves the full N days.
    cutoff = cal.subtract(end, rule)
    again = cal.add(cutoff, rule)
    assert again >= end
    if rule.kind == "calendar" or rule.days == 0 or cal.is_working_day(end.date()):
        assert again == end
        assert cal.meets(cutoff, end, rule)
    else:
        assert again == next_working_morning(cal, end)
        assert not cal.meets(cutoff, end, rule)


@given(cal=calendars, first=moments, second=moments, rule=rules)
def test_add_is_monotonic(cal: WorkCalendar, first: datetime, second: datetime, rule: PeriodRule) -> None:
    early, late = sorted((first, second))
    assert cal.add(early, rule) <= cal.add(late, rule)


@given(cal=calendars, first=moments, second=moments, rule=rules)
def test_subtract_is_monotonic(cal: WorkCalendar, first: datetime, second: datetime, rule: PeriodRule) -> None:
    early, late = sorted((first, second))
    assert cal.subtract(early, rule) <= cal.subtract(late, rule)


@given(cal=calendars, a=st.dates(LOW.date(), HIGH.date()), span=st.integers(min_value=-400, max_value=400))
def test_working_days_between_matches_a_day_by_day_count(cal: WorkCalendar, a: date, span: int) -> None:
    b = a + timedelta(days=span)
    lo, hi = sorted((a, b))
    naive = sum(cal.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert cal.working_days_between(a, b) == (naive if b >= a else -naive)
