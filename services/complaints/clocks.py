"""The SLA engine: named clocks computed from a case's history, as pure functions.

A clock has a policy (budget, calendar or working time, the statuses that start, stop and pause
it, what a reopening does) and is computed from the case's list of status changes and policy
changes, never from a stored counter, so that any worker at any time gets the same answer.

Times count in whole minutes: a status change counts from the minute it happened in. Working
time is counted by the shared calendar (`infra.working_calendar`), nothing else.

Each run of a clock is a *round*: it starts on one of its start statuses (or a reopening, when
its policy restarts or resumes on reopen) and stops on one of its stop statuses. A round whose
count reaches its budget has its `due_at`; from then on that round is breached when it counts
further, and a breach stays breached whatever happens later (a reopening opens a new round,
it never rewrites an old one).
"""
from dataclasses import dataclass, field, replace
from math import ceil
from datetime import datetime, timedelta, timezone
from typing import Iterable

from contracts.errors import InvalidInput

CALENDAR, WORKING = "calendar", "working"
RESTART, RESUME, KEEP = "restart", "resume", "keep"
REOPENED = "reopened"
WARNING_PERCENTS = (50, 75, 100)
# the escalation ladder (主管 → 经理 → 总经理): minutes past the due time, in the clock's basis
DEFAULT_LADDER = (("supervisor", 0), ("manager", 24 * 60), ("general_manager", 72 * 60))


@dataclass(frozen=True)
class ClockPolicy:
    name: str
    minutes: int                      # the budget
    basis: str = CALENDAR             # calendar minutes or working minutes
    starts_on: frozenset = frozenset()
    stops_on: frozenset = frozenset()
    pauses_on: frozenset = frozenset()
    on_reopen: str = KEEP             # restart: a fresh budget; resume: carry the count; keep
    ladder: tuple = DEFAULT_LADDER

    def __post_init__(self):
        if self.minutes < 0:
            raise InvalidInput("a clock's budget cannot be negative",
                               {"hours": ["must be 0 or more"]})
        if self.basis not in (CALENDAR, WORKING):
            raise InvalidInput("unknown clock basis", {"basis": ["calendar or working"]})
        if any(minutes < 0 for _, minutes in self.ladder):
            raise InvalidInput("an escalation level cannot be negative",
                               {"ladder": ["hours must be 0 or more"]})


def _policy(name, hours, basis, starts, stops, pauses=(), on_reopen=KEEP):
    return ClockPolicy(name, int(hours * 60), basis, frozenset(starts), frozenset(stops),
                       frozenset(pauses), on_reopen)


# The suite's defaults (README.md of this service documents each); a project may override the
# budget and the basis of any of them (seed 004: complaints closed within 72 h).
COMPLAINT_CLOCKS = {
    # 24 h to a first answer: accepting or rejecting the complaint
    "first_response": _policy("first_response", 24, CALENDAR, ["filed"], ["accepted", "rejected"]),
    # 第二十六条: closed within 7 days of the complaint; waiting for the customer pauses it;
    # a reopening starts a fresh 7 days
    "closure": _policy("closure", 7 * 24, CALENDAR, ["filed"], ["closed", "rejected"],
                       ["waiting_customer"], RESTART),
    # the follow-up visit (回访) after each closure, in working time
    "follow_up": _policy("follow_up", 24, WORKING, ["closed"], ["visited", REOPENED]),
}
REPAIR_CLOCKS = {
    # seed 001: the contractor on site within 24 h (≤ 1,000 yuan) or 36 h (above)
    "repair_on_site_small": _policy("repair_on_site_small", 24, CALENDAR, ["ordered"],
                                    ["on_site", "self_repairing"]),
    "repair_on_site_large": _policy("repair_on_site_large", 36, CALENDAR, ["ordered"],
                                    ["on_site", "self_repairing"]),
    # an emergency is repaired at once: two hours to someone on site
    "repair_emergency": _policy("repair_emergency", 2, CALENDAR, ["ordered"],
                                ["on_site", "self_repairing"]),
    # the repair follow-up visit after the sheet is signed off
    "repair_follow_up": _policy("repair_follow_up", 24, WORKING, ["signed_off"], ["visited"]),
}
ALL_CLOCKS = {**COMPLAINT_CLOCKS, **REPAIR_CLOCKS}


def with_override(policy: ClockPolicy, hours=None, basis=None, on_reopen=None,
                  ladder_hours=None) -> ClockPolicy:
    """A project's version of a default policy (budget, basis, reopen rule, ladder)."""
    changes = {}
    if hours is not None:
        if hours < 0:
            raise InvalidInput("a clock's budget cannot be negative", {"hours": ["must be 0 or more"]})
        changes["minutes"] = int(hours * 60)
    if basis is not None:
        changes["basis"] = basis
    if on_reopen is not None:
        if on_reopen not in (RESTART, RESUME, KEEP):
            raise InvalidInput("unknown reopen rule", {"on_reopen": ["restart, resume or keep"]})
        changes["on_reopen"] = on_reopen
    if ladder_hours is not None:
        if len(ladder_hours) != len(policy.ladder):
            raise InvalidInput("one figure per escalation level",
                               {"ladder_hours": [f"{len(policy.ladder)} numbers"]})
        if any(h < 0 for h in ladder_hours):
            raise InvalidInput("an escalation level cannot be negative",
                               {"ladder_hours": ["hours must be 0 or more"]})
        changes["ladder"] = tuple((level, int(h * 60)) for (level, _), h
                                  in zip(policy.ladder, ladder_hours))
    return replace(policy, **changes)


@dataclass(frozen=True)
class Change:
    """One entry of a case's history: a new status, or (with `policy`) a new policy of this
    clock from that moment on."""
    at: datetime
    status: str | None = None
    policy: ClockPolicy | None = None


@dataclass
class Round:
    number: int
    started_at: datetime
    budget: int
    consumed: int = 0                 # minutes counted (working minutes when working time)
    due_at: datetime | None = None    # when the count reached the budget, or will
    stopped_at: datetime | None = None
    paused: bool = False
    basis: str = CALENDAR

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def overrun(self) -> int:
        """Minutes counted past the budget (working minutes for a working-time clock)."""
        return max(0, self.consumed - self.budget)

    @property
    def breached(self) -> bool:
        return self.consumed > self.budget

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.consumed)

    @property
    def percent(self) -> float:
        if self.budget == 0:
            return 100.0
        return 100.0 * self.consumed / self.budget


@dataclass
class ClockState:
    name: str
    rounds: list = field(default_factory=list)

    @property
    def current(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def breaches(self) -> list:
        return [r for r in self.rounds if r.breached]


def minute(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return at.astimezone(timezone.utc).replace(second=0, microsecond=0)


def _count(calendar, basis, start, end) -> int:
    if end <= start:
        return 0
    if basis == CALENDAR:
        return int((end - start).total_seconds() // 60)
    return calendar.working_minutes_between(start, end)


def _add(calendar, basis, start, minutes) -> datetime:
    if minutes <= 0:
        return start
    if basis == CALENDAR:
        return start + timedelta(minutes=minutes)
    return minute(calendar.add_working_minutes(start, minutes))


def compute(policy: ClockPolicy, history: Iterable[Change], now: datetime, calendar) -> ClockState:
    """The clock's rounds from `history` up to `now`. The current round's `due_at` is projected
    forward when it is running and not paused (as if nothing changes any more)."""
    now = minute(now)
    changes = sorted(((at, n, c) for n, c in enumerate(history)
                      if (at := minute(c.at)) <= now), key=lambda item: (item[0], item[1]))
    state = ClockState(policy.name)
    status = None
    current: Round | None = None
    last = None
    for at, _, change in changes:
        if current is not None and last is not None:
            _advance(current, policy, status, last, at, calendar)
        last = at
        if change.policy is not None:
            policy = change.policy
            if current is not None and current.running:
                current.budget, current.basis = policy.minutes, policy.basis
        if change.status is not None:
            status = change.status
            current = _transition(state, current, policy, status, at)
        if current is not None and current.running:
            current.paused = status in policy.pauses_on
            if current.due_at is None and current.consumed >= current.budget:
                current.due_at = at
    if current is not None and last is not None:
        _advance(current, policy, status, last, now, calendar)
        if current.running and not current.paused and current.due_at is None:
            current.due_at = _add(calendar, current.basis, now, current.budget - current.consumed)
    return state


def _transition(state, current, policy, status, at):
    if current is not None and current.running and status in policy.stops_on:
        current.stopped_at = at
        return current
    if current is not None and current.running:
        return current
    if status == REOPENED and current is not None and policy.on_reopen != KEEP:
        carried = current.consumed if policy.on_reopen == RESUME else 0
        return _new_round(state, policy, at, carried)
    if status in policy.starts_on:
        return _new_round(state, policy, at, 0)
    return current


def _new_round(state, policy, at, consumed):
    round_ = Round(len(state.rounds) + 1, at, policy.minutes, consumed, basis=policy.basis)
    state.rounds.append(round_)
    return round_


def _advance(round_, policy, status, start, end, calendar):
    """Count [start, end) into a running, unpaused round; note when it reaches its budget."""
    if not round_.running or status in policy.pauses_on or end <= start:
        return
    counted = _count(calendar, round_.basis, start, end)
    if round_.due_at is None and counted and round_.consumed + counted >= round_.budget:
        round_.due_at = _add(calendar, round_.basis, start, round_.budget - round_.consumed)
    round_.consumed += counted


def levels_reached(round_: Round, policy: ClockPolicy) -> list[str]:
    """The warnings (50/75/100 %) and escalation levels this round has reached."""
    levels = [f"warning_{p}" for p in WARNING_PERCENTS
              if round_.consumed * 100 >= p * round_.budget]
    if round_.breached:
        levels += [f"escalation_{name}" for name, minutes in policy.ladder
                   if round_.overrun >= minutes]
    return levels


def next_level_at(round_: Round, policy: ClockPolicy, now: datetime, calendar) -> datetime | None:
    """When this round reaches its next warning, breach or escalation if nothing changes; None
    when it is stopped, paused or past every level (a status change will look again)."""
    if not round_.running or round_.paused:
        return None
    budget = round_.budget
    thresholds = [ceil(p * budget / 100) for p in WARNING_PERCENTS] + [budget + 1] + [
        budget + max(minutes, 1) for _, minutes in policy.ladder]
    ahead = [t for t in thresholds if t > round_.consumed]
    if not ahead:
        return None
    return _add(calendar, round_.basis, minute(now), min(ahead) - round_.consumed)
