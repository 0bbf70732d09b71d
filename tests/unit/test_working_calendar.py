"""The suite's working calendar: official holidays, make-up days, project entries, hours."""
import random
from datetime import date, datetime, time, timedelta

import pytest

from infra.working_calendar import (SHANGHAI, CalendarYearNotCovered, WorkingCalendar,
                                    calendar_from_entries)
from contracts.errors import InvalidInput

CALENDAR = WorkingCalendar()


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_make_up_saturday_is_a_working_day():
    assert date(2025, 2, 8).weekday() == 5
    assert CALENDAR.is_working_day(date(2025, 2, 8))


def test_the_national_day_week_is_off_and_the_make_up_saturday_after_it_works():
    assert not any(CALENDAR.is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert CALENDAR.is_working_day(date(2026, 10, 10))
    assert not CALENDAR.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_five_working_days_after_the_eve_of_the_national_day():
    assert CALENDAR.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert CALENDAR.add_working_days(date(2026, 10, 13), -5) == date(2026, 9, 30)


def test_a_year_the_package_does_not_cover_is_named_not_guessed():
    with pytest.raises(CalendarYearNotCovered) as refused:
        CALENDAR.is_working_day(date(2099, 3, 2))
    assert "2099" in refused.value.message
    assert refused.value.details == {"year": ["2099 is not covered"]}
    with pytest.raises(CalendarYearNotCovered):
        CALENDAR.add_working_days(date(2026, 12, 30), 5)


def test_the_documented_fallback_counts_weekdays_and_says_it_is_provisional():
    fallback = WorkingCalendar(uncovered="weekdays",
                               extra_days_off=frozenset({date(2099, 1, 1)}))
    assert fallback.is_provisional(date(2099, 1, 2))
    assert not fallback.is_provisional(date(2026, 1, 2))
    assert not fallback.is_working_day(date(2099, 1, 1))  # a Thursday entered as a day off
    assert fallback.is_working_day(date(2099, 1, 2))
    assert not fallback.is_working_day(date(2099, 1, 3))  # Saturday


def test_project_entries_add_days_off_and_working_days():
    calendar = calendar_from_entries([{"day": date(2026, 11, 30), "kind": "day_off"},
                                      {"day": date(2026, 11, 29), "kind": "working_day"}])
    assert not calendar.is_working_day(date(2026, 11, 30))  # a Monday
    assert calendar.is_working_day(date(2026, 11, 29))  # a Sunday
    with pytest.raises(InvalidInput):
        calendar_from_entries([{"day": date(2026, 11, 30), "kind": "holiday"}])


def test_segments_are_checked():
    with pytest.raises(InvalidInput):
        WorkingCalendar({0: ((time(12), time(9)),)})
    with pytest.raises(InvalidInput):
        WorkingCalendar({0: ((time(9), time(12)), (time(11), time(14)))})


def test_working_hours_skip_lunch_nights_and_the_holiday_week():
    # Wednesday 2026-09-30 17:00: one hour left that day, then the national day week
    assert CALENDAR.add_working_minutes(at(2026, 9, 30, 17), 90) == at(2026, 10, 8, 9, 30)
    assert CALENDAR.add_working_minutes(at(2026, 11, 30, 11), 60) == at(2026, 11, 30, 12)
    assert CALENDAR.add_working_minutes(at(2026, 11, 30, 11), 61) == at(2026, 11, 30, 13, 31)
    assert CALENDAR.add_working_minutes(at(2026, 11, 30, 7), 0) == at(2026, 11, 30, 7)
    assert CALENDAR.working_minutes_between(at(2026, 9, 30, 17), at(2026, 10, 8, 9, 30)) == 90
    assert CALENDAR.working_minutes_between(at(2026, 11, 30, 18), at(2026, 11, 30, 9)) == 0


def test_a_make_up_weekend_day_keeps_mondays_hours_when_weekends_have_none():
    weekdays_only = WorkingCalendar({weekday: ((time(9), time(17)),) for weekday in range(5)})
    assert weekdays_only.working_segments(date(2025, 2, 8)) == [
        (at(2025, 2, 8, 9), at(2025, 2, 8, 17))]
    assert weekdays_only.working_segments(date(2025, 2, 9)) == []


def test_times_must_be_aware():
    with pytest.raises(ValueError):
        CALENDAR.add_working_minutes(datetime(2026, 11, 30, 9), 10)


def _walk_minutes(calendar, start, minutes):
    """The slow reference: step one minute at a time, counting minutes inside a segment."""
    moment, counted = start, 0
    while counted < minutes:
        if any(begin <= moment < end for begin, end in calendar.working_segments(moment.date())):
            counted += 1
        moment += timedelta(minutes=1)
    return moment


def test_adding_working_minutes_equals_a_minute_by_minute_walk():
    rng = random.Random(20261130)
    calendar = calendar_from_entries([{"day": date(2026, 5, 6), "kind": "day_off"},
                                      {"day": date(2026, 5, 10), "kind": "working_day"}])
    for _ in range(60):
        start = at(2026, 4, 28) + timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
        minutes = rng.randrange(1, 3 * 24 * 60)
        expected = _walk_minutes(calendar, start, minutes)
        # the walk ends one minute after the last counted minute started: the same instant
        assert calendar.add_working_minutes(start, minutes) == expected, (start, minutes)
        assert calendar.working_minutes_between(start, expected) == minutes
