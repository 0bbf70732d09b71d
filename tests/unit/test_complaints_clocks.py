"""The SLA engine against a slow minute-by-minute reference walker, and its named rules."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from contracts.errors import InvalidInput
from infra.working_calendar import SHANGHAI, WorkingCalendar
from services.complaints import clocks
from services.complaints.clocks import CALENDAR, WORKING, Change, ClockPolicy

# a project calendar with an extra day off and an extra working day on top of the official one
CALENDAR_UNDER_TEST = WorkingCalendar(extra_days_off={date(2026, 9, 29)},
                                      extra_working_days={date(2026, 9, 27)})
# the National Day week 2026: 10-01..07 off, 10-10 (a Saturday) a make-up working day
ORIGIN = datetime(2026, 9, 25, 8, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
STATUSES = ("filed", "accepted", "waiting_customer", "routed", "closed", "reopened", "visited")


HORIZON_DAYS = 70


def working_minutes_map(calendar):
    """One flag per minute from ORIGIN: is it working time? Built from the calendar's
    segments only, not from its arithmetic."""
    flags = bytearray(HORIZON_DAYS * 1440)
    first_day = ORIGIN.astimezone(SHANGHAI).date()
    for offset in range(-1, HORIZON_DAYS + 1):
        for start, end in calendar.working_segments(first_day + timedelta(days=offset)):
            a = int((start - ORIGIN).total_seconds() // 60)
            b = int((end - ORIGIN).total_seconds() // 60)
            for m in range(max(a, 0), min(b, len(flags))):
                flags[m] = 1
    return flags


WORKING_MAP = None


def walk(history, now, calendar):
    """The reference: step one minute at a time, counting each minute the clock runs, and on
    past `now` with nothing changing any more to find the current round's due time.

    Returns [(started_at, due_at, consumed, stopped_at)] per round."""
    global WORKING_MAP
    if WORKING_MAP is None:
        WORKING_MAP = working_minutes_map(calendar)
    to_minute = lambda moment: int((moment - ORIGIN).total_seconds() // 60)  # noqa: E731
    to_time = lambda m: ORIGIN + timedelta(minutes=m)  # noqa: E731
    end = to_minute(now)
    changes = sorted((c for c in history if to_minute(c.at) <= end), key=lambda c: c.at)
    policy, status, rounds, index = None, None, [], 0
    t = to_minute(changes[0].at)
    while True:
        while index < len(changes) and to_minute(changes[index].at) == t:
            change = changes[index]
            index += 1
            current = rounds[-1] if rounds else None
            if change.policy is not None:
                policy = change.policy
                if current and current["stopped"] is None:
                    current["budget"] = policy.minutes
            if change.status is not None:
                status = change.status
                if current and current["stopped"] is None:
                    if status in policy.stops_on:
                        current["stopped"] = t
                elif status == "reopened" and current and policy.on_reopen != clocks.KEEP:
                    carried = current["consumed"] if policy.on_reopen == clocks.RESUME else 0
                    rounds.append({"start": t, "consumed": carried, "budget": policy.minutes,
                                   "due": None, "stopped": None, "virtual": 0})
                elif status in policy.starts_on:
                    rounds.append({"start": t, "consumed": 0, "budget": policy.minutes,
                                   "due": None, "stopped": None, "virtual": 0})
            current = rounds[-1] if rounds else None
            if current and current["stopped"] is None and current["due"] is None \
                    and current["consumed"] >= current["budget"]:
                current["due"] = t
        current = rounds[-1] if rounds else None
        running = current is not None and current["stopped"] is None \
            and status not in policy.pauses_on
        if t >= end and (not running or current["due"] is not None):
            break
        if running and (policy.basis == CALENDAR or WORKING_MAP[t]):
            if t < end:
                current["consumed"] += 1
                if current["due"] is None and current["consumed"] >= current["budget"]:
                    current["due"] = t + 1
            else:
                current["virtual"] += 1
                if current["consumed"] + current["virtual"] >= current["budget"]:
                    current["due"] = t + 1
        t += 1
    return [(to_time(r["start"]), None if r["due"] is None else to_time(r["due"]),
             r["consumed"], None if r["stopped"] is None else to_time(r["stopped"]))
            for r in rounds]


def policy_strategy(name="closure"):
    return st.builds(
        lambda minutes, basis, on_reopen: ClockPolicy(
            name, minutes, basis, frozenset({"filed"}), frozenset({"closed"}),
            frozenset({"waiting_customer"}), on_reopen),
        st.integers(min_value=0, max_value=3 * 24 * 60), st.sampled_from([CALENDAR, WORKING]),
        st.sampled_from([clocks.RESTART, clocks.RESUME, clocks.KEEP]))


@st.composite
def histories(draw):
    first = draw(policy_strategy())
    offsets = sorted(draw(st.lists(st.integers(min_value=1, max_value=16 * 24 * 60),
                                   min_size=0, max_size=8, unique=True)))
    history = [Change(ORIGIN, "filed", first)]
    for offset in offsets:
        at = ORIGIN + timedelta(minutes=offset)
        if draw(st.integers(0, 5)) == 0:  # a policy change mid-case (same basis kept or not)
            history.append(Change(at, policy=draw(policy_strategy())))
        else:
            history.append(Change(at, draw(st.sampled_from(STATUSES[1:]))))
    now = ORIGIN + timedelta(minutes=draw(st.integers(min_value=0, max_value=18 * 24 * 60)))
    return history, now


def test_the_property_covers_holidays_make_up_days_and_project_entries():
    assert not CALENDAR_UNDER_TEST.is_working_day(date(2026, 10, 1))
    assert CALENDAR_UNDER_TEST.is_working_day(date(2026, 10, 10))  # 调休 Saturday
    assert CALENDAR_UNDER_TEST.is_working_day(date(2026, 9, 27))   # a project's extra day
    assert not CALENDAR_UNDER_TEST.is_working_day(date(2026, 9, 29))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_engine_deadlines_equal_the_minute_by_minute_walker(case):
    history, now = case
    policy = history[0].policy
    state = clocks.compute(policy, history, now, CALENDAR_UNDER_TEST)
    expected = walk(history, now, CALENDAR_UNDER_TEST)
    got = [(r.started_at, r.due_at, r.consumed, r.stopped_at) for r in state.rounds]
    assert got == expected


def at(day, hh, mm=0):
    return datetime(2026, 10, day, hh, mm, tzinfo=SHANGHAI)


def test_working_clock_skips_the_national_day_week_and_counts_the_make_up_saturday():
    policy = ClockPolicy("follow_up", 60, WORKING, frozenset({"closed"}), frozenset({"visited"}))
    # closed on the evening of 30 September: the holiday runs to 10-07, so 10-08 09:00 on
    state = clocks.compute(policy, [Change(datetime(2026, 9, 30, 19, tzinfo=SHANGHAI), "closed")],
                           datetime(2026, 9, 30, 20, tzinfo=SHANGHAI), WorkingCalendar())
    assert state.current.due_at == at(8, 10).astimezone(timezone.utc)
    policy = ClockPolicy("follow_up", 8 * 60, WORKING, frozenset({"closed"}), frozenset({"visited"}))
    state = clocks.compute(policy, [Change(at(9, 9), "closed")], at(9, 9), WorkingCalendar())
    # 7.5 working hours on Friday 10-09, the last half hour on Saturday 10-10 (调休)
    assert state.current.due_at == at(10, 9, 30).astimezone(timezone.utc)


def test_waiting_for_the_customer_pauses_the_closure_clock():
    policy = clocks.COMPLAINT_CLOCKS["closure"]
    start = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    history = [Change(start, "filed"), Change(start + timedelta(days=1), "waiting_customer"),
               Change(start + timedelta(days=3), "routed")]
    state = clocks.compute(policy, history, start + timedelta(days=4), WorkingCalendar())
    assert state.current.due_at == start + timedelta(days=9)
    assert state.current.remaining == 5 * 24 * 60


def test_a_breach_stays_recorded_after_a_reopening_restarts_the_closure_clock():
    policy = clocks.COMPLAINT_CLOCKS["closure"]
    start = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    history = [Change(start, "filed"), Change(start + timedelta(days=8), "closed"),
               Change(start + timedelta(days=9), "reopened")]
    state = clocks.compute(policy, history, start + timedelta(days=10), WorkingCalendar())
    first, second = state.rounds
    assert first.breached and first.overrun == 24 * 60
    assert not second.breached and second.due_at == start + timedelta(days=16)
    assert state.breaches == [first]


def test_levels_reached_warn_then_escalate_up_the_ladder():
    policy = clocks.COMPLAINT_CLOCKS["first_response"]
    start = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    state = clocks.compute(policy, [Change(start, "filed")], start + timedelta(hours=13),
                           WorkingCalendar())
    assert clocks.levels_reached(state.current, policy) == ["warning_50"]
    state = clocks.compute(policy, [Change(start, "filed")], start + timedelta(hours=49),
                           WorkingCalendar())
    assert clocks.levels_reached(state.current, policy) == [
        "warning_50", "warning_75", "warning_100", "escalation_supervisor", "escalation_manager"]


def test_a_negative_budget_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as error:
        clocks.with_override(clocks.COMPLAINT_CLOCKS["closure"], hours=-1)
    assert "hours" in error.value.details
