"""The suite's one working-day calendar (Asia/Shanghai).

Working days are China's official ones from the `chinese-calendar` package: weekdays, minus
the public holidays, plus the make-up working days (调休) on weekends. A project may add its own
days off and working days. Working hours are segments per weekday (09:00–12:00 and 13:30–18:00
by default); a make-up working day on a weekend keeps Monday's hours.

A year the package does not cover yet (it is published each November for the next year) is
never computed silently: by default it raises `CalendarYearNotCovered` naming the year. A
caller that must keep running across the year's end can pass `uncovered="weekdays"`: such a
year then counts Monday to Friday plus the project's own entries, and `is_provisional(day)`
tells that the answer is provisional. Entering the new year's holidays as project entries
makes it exact.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from contracts.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_SEGMENTS = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
MONDAY = 0
_COVERED = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)


class CalendarYearNotCovered(InvalidInput):
    def __init__(self, year: int):
        super().__init__(
            f"the working calendar has no official holidays for {year} yet "
            f"(covered: {_COVERED[0]}–{_COVERED[1]})", {"year": [f"{year} is not covered"]})
        self.year = year


def year_is_covered(year: int) -> bool:
    return _COVERED[0] <= year <= _COVERED[1]


@lru_cache(maxsize=8192)
def _official_working_day(day: date) -> bool:
    return chinese_calendar.is_workday(day)


@dataclass(frozen=True)
class WorkingCalendar:
    segments: dict | None = None  # weekday (0 = Monday) → ((start, end), ...)
    extra_days_off: frozenset = frozenset()
    extra_working_days: frozenset = frozenset()
    uncovered: str = "raise"  # or "weekdays": a documented, provisional fallback
    _hours: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.uncovered not in ("raise", "weekdays"):
            raise ValueError("uncovered is 'raise' or 'weekdays'")
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        by_weekday = self.segments if self.segments is not None else {
            weekday: DEFAULT_SEGMENTS for weekday in range(7)}
        hours = tuple(_checked_segments(by_weekday.get(weekday, ())) for weekday in range(7))
        object.__setattr__(self, "_hours", hours)

    # --- days ---------------------------------------------------------------------------

    def is_provisional(self, day: date) -> bool:
        return not year_is_covered(day.year)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        if year_is_covered(day.year):
            return _official_working_day(day)
        if self.uncovered == "raise":
            raise CalendarYearNotCovered(day.year)
        return day.weekday() < 5

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (before it when negative)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    # --- hours --------------------------------------------------------------------------

    def working_segments(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        # a working weekend day without hours of its own (a make-up day) keeps Monday's
        hours = self._hours[day.weekday()] or self._hours[MONDAY]
        return [(datetime.combine(day, start, SHANGHAI), datetime.combine(day, end, SHANGHAI))
                for start, end in hours]

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant at which `minutes` of working time have passed since `start`."""
        remaining = timedelta(minutes=minutes)
        if remaining < timedelta(0):
            raise ValueError("minutes must not be negative")
        if not remaining:
            return start
        moment = _local(start)
        day = moment.date()
        while True:
            for segment_start, segment_end in self.working_segments(day):
                if segment_end <= moment:
                    continue
                begin = max(segment_start, moment)
                available = segment_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working time from `start` to `end` in seconds (0 when end is not after start)."""
        start, end = _local(start), _local(end)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            for segment_start, segment_end in self.working_segments(day):
                overlap = min(segment_end, end) - max(segment_start, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds()

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        return int(self.working_seconds_between(start, end) // 60)


def calendar_from_entries(entries, segments=None, uncovered="raise") -> WorkingCalendar:
    """A project's calendar from its stored entries: {"day": date, "kind": "day_off" |
    "working_day"}."""
    days_off, working_days = set(), set()
    for entry in entries:
        if entry["kind"] == "day_off":
            days_off.add(entry["day"])
        elif entry["kind"] == "working_day":
            working_days.add(entry["day"])
        else:
            raise InvalidInput("unknown calendar entry kind",
                               {"kind": ["one of day_off, working_day"]})
    return WorkingCalendar(segments, frozenset(days_off), frozenset(working_days), uncovered)


def _checked_segments(segments) -> tuple:
    checked, previous_end = [], None
    for start, end in segments:
        if not start < end:
            raise InvalidInput("a working-hour segment ends after it starts",
                               {"segments": [f"{start}–{end} is empty or reversed"]})
        if previous_end is not None and start < previous_end:
            raise InvalidInput("working-hour segments are in order and do not overlap",
                               {"segments": [f"{start} starts before {previous_end}"]})
        checked.append((start, end))
        previous_end = end
    return tuple(checked)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a working-time computation needs a timezone-aware datetime")
    return moment.astimezone(SHANGHAI)
