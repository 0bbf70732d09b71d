"""The clocks of stored cases: policies per project, calendars, and the periodic pass that
raises warnings, breaches and escalations exactly once.

Exactly once, also with several workers and across restarts: each alert is a row unique on
(case, clock, round, level) inserted with ON CONFLICT DO NOTHING in the same transaction as its
outbox row; only the transaction whose insert took the row emits the event. Cases are taken in
short batches with FOR UPDATE SKIP LOCKED, so two workers share the work instead of repeating it
and filing a new complaint is never waited on.
"""
import logging
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case as case_, literal, null, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from infra.database import utcnow
from infra.tables import UTCDateTime
from infra.working_calendar import calendar_from_entries
from services.complaints import clocks, domain
from services.complaints.clocks import Change
from services.complaints.models import (CalendarEntry, ClockAlert, ClockBreach, ClockPolicyChange,
                                        Complaint, RepairOrder, StatusChange)

log = logging.getLogger(__name__)
COMPLAINT, REPAIR = "complaint", "repair"
ESCALATION_ROLES = {"supervisor": "customer_service_supervisor", "manager": "manager",
                    "general_manager": "general_manager"}


def clock_names(kind, case) -> tuple:
    if kind == COMPLAINT:
        return tuple(clocks.COMPLAINT_CLOCKS)
    return (case.clock, "repair_follow_up")


def policy_from_row(row: ClockPolicyChange) -> clocks.ClockPolicy:
    ladder = [Decimal(h) for h in row.ladder_hours] if row.ladder_hours else None
    return clocks.with_override(clocks.ALL_CLOCKS[row.clock], hours=row.hours, basis=row.basis,
                                on_reopen=row.on_reopen, ladder_hours=ladder)


class Context:
    """What computing many cases' clocks needs, loaded once: calendars and policy changes per
    project. The projects' calendar entries are read only when a clock counts working time
    (filing a complaint starts calendar-time clocks only)."""

    def __init__(self, session, project_ids):
        self.session = session
        self.project_ids = {p for p in project_ids if p is not None}
        self.policy_rows = defaultdict(list)
        self.entries = None
        if self.project_ids:
            for row in session.scalars(select(ClockPolicyChange).where(
                    ClockPolicyChange.project_id.in_(self.project_ids))
                    .order_by(ClockPolicyChange.changed_at, ClockPolicyChange.id)):
                self.policy_rows[(row.project_id, row.clock)].append(row)
        self._calendars = {}

    def calendar(self, project_id):
        if self.entries is None:
            self.entries = defaultdict(list)
            if self.project_ids:
                for entry in self.session.scalars(select(CalendarEntry).where(
                        CalendarEntry.project_id.in_(self.project_ids))):
                    self.entries[entry.project_id].append({"day": entry.day,
                                                           "kind": entry.kind})
        if project_id not in self._calendars:
            self._calendars[project_id] = calendar_from_entries(self.entries.get(project_id, []))
        return self._calendars[project_id]

    def calendar_for(self, project_id, *bases):
        """The project's calendar when one of `bases` is working time, read on first use (a
        working-time clock that has not started never reads it); None otherwise (a
        calendar-time clock never does)."""
        return _LazyCalendar(self, project_id) if clocks.WORKING in bases else None

    def policy_changes(self, project_id, clock, since: datetime):
        """The policy in force at `since` and the changes after it, as history entries."""
        policy = clocks.ALL_CLOCKS[clock]
        later = []
        for row in self.policy_rows.get((project_id, clock), ()):
            if row.changed_at <= since:
                policy = policy_from_row(row)
            else:
                later.append(Change(row.changed_at, policy=policy_from_row(row)))
        return policy, later


class _LazyCalendar:
    """A project's calendar, read from the database on first use."""

    def __init__(self, context, project_id):
        self._context, self._project_id = context, project_id

    def __getattr__(self, name):
        return getattr(self._context.calendar(self._project_id), name)


def histories(session, kind, case_ids) -> dict:
    """{case id: [row with status, at, by, note]} in the order they happened (plain rows, not
    ORM objects: a pass reads tens of thousands)."""
    by_case = defaultdict(list)
    for change in session.execute(select(
            StatusChange.case_id, StatusChange.status, StatusChange.at, StatusChange.by,
            StatusChange.note).where(
            StatusChange.case_kind == kind, StatusChange.case_id.in_(list(case_ids)))
            .order_by(StatusChange.id)):
        by_case[change.case_id].append(change)
    return by_case


def case_clocks(context, kind, case, history, now) -> list:
    """[(policy in force at the end, ClockState)] for each clock of the case."""
    if not history:
        return []
    start = history[0].at
    changes = [Change(h.at, h.status) for h in history]
    result = []
    for name in clock_names(kind, case):
        policy, later = context.policy_changes(case.project_id, name, start)
        final = later[-1].policy if later else policy
        calendar = context.calendar_for(case.project_id, policy.basis,
                                        *(c.policy.basis for c in later))
        state = clocks.compute(policy, changes + later, now, calendar)
        result.append((final, state))
    return result


def clock_rows(states) -> list[dict]:
    return [{"clock": state.name, "round": r.number, "basis": r.basis, "budget_minutes": r.budget,
             "consumed_minutes": r.consumed, "remaining_minutes": r.remaining,
             "overrun_minutes": r.overrun, "percent": round(r.percent, 1),
             "started_at": r.started_at, "due_at": r.due_at, "stopped_at": r.stopped_at,
             "paused": r.paused, "breached": r.breached}
            for _, state in states for r in state.rounds]


def closure_due(context, project_id, filed_at) -> datetime:
    """The closure clock's due time for a complaint filed now, by the project's policy."""
    policy, _ = context.policy_changes(project_id, "closure", filed_at)
    state = clocks.compute(policy, [Change(filed_at, domain.FILED)], filed_at,
                           context.calendar_for(project_id, policy.basis))
    return state.current.due_at


def next_check_at(session, kind, case, states, context, now, sent=None) -> datetime | None:
    """When the periodic pass must next look at a case just written (filed, stepped), from
    the clocks the write computed anyway: now when the write left something to announce or
    record (a level reached and not sent yet, a breach whose overrun may have grown), else
    the moment its earliest running clock reaches its next level (None: nothing runs)."""
    reached = [(state.name, round_.number, level) for policy, state in states
               for round_ in state.rounds for level in _levels(round_, policy)]
    if any(round_.breached for _, state in states for round_ in state.rounds):
        return now
    if reached and sent is None:
        sent = set(session.execute(select(ClockAlert.clock, ClockAlert.round, ClockAlert.level)
                                   .where(ClockAlert.case_kind == kind,
                                          ClockAlert.case_id == case.id)).tuples())
    if any(key not in sent for key in reached):
        return now
    return _next_level(context, case, states, now)


def written(session, kind, case, now, context=None, history=None) -> tuple:
    """At a write (filing, a step): the case's clocks as of now, computed once for its view,
    and its next check time set on the case (flushed with the write). Returns (context,
    history, states)."""
    context = context or Context(session, [case.project_id])
    if history is None:
        history = histories(session, kind, [case.id]).get(case.id, [])
    states = case_clocks(context, kind, case, history, now)
    case.next_check_at = next_check_at(session, kind, case, states, context, now)
    return context, history, states


def _next_level(context, case, states, now) -> datetime | None:
    upcoming = [clocks.next_level_at(state.current, policy, now,
                                     context.calendar_for(case.project_id, state.current.basis))
                for policy, state in states if state.current is not None]
    upcoming = [t for t in upcoming if t is not None]
    return min(upcoming) if upcoming else None


def _insert_new(session, table, rows, returning=()):
    """Insert `rows`, skipping those a unique constraint already holds (another worker's, or
    an earlier pass's); with `returning`, the rows this statement inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = builder(table).on_conflict_do_nothing()
    if not returning:
        session.execute(statement, rows)
        return []
    # executemany: one compiled statement, sent in pages of rows (insertmanyvalues)
    return session.execute(statement.returning(*returning), rows).all()


CASE_COLUMNS = ("id", "number", "status", "project_id", "unit_id", "customer_id")


def sweep(uow_factory, now=None, batch_size=500) -> dict:
    """One periodic pass over the watched cases whose next level is due (or that changed
    since the last pass); returns what it raised. Each case examined gets its next check time:
    when its earliest running clock reaches its next level.

    The cases are read in the order of their next check time, one indexed range a batch
    (keyset on (next_check_at, id), never a sort of every due case), each batch locked with
    SKIP LOCKED in its own short transaction."""
    now = now or utcnow()
    totals = {"cases": 0, "warnings": 0, "escalations": 0, "breaches": 0}
    for kind, model in ((COMPLAINT, Complaint), (REPAIR, RepairOrder)):
        columns = [getattr(model, c) for c in CASE_COLUMNS] + [model.next_check_at]
        if model is RepairOrder:
            columns.append(RepairOrder.clock)
        after = None
        while True:
            with uow_factory() as uow:
                query = select(*columns).where(model.watched.is_(True),
                                               model.next_check_at <= now)
                if after is not None:
                    query = query.where(tuple_(model.next_check_at, model.id) > tuple_(
                        literal(after[0], UTCDateTime()), literal(after[1])))
                cases = uow.session.execute(
                    query.order_by(model.next_check_at, model.id).limit(batch_size)
                    .with_for_update(skip_locked=True, of=model)).all()
                if not cases:
                    break
                after = (cases[-1].next_check_at, cases[-1].id)
                _sweep_batch(uow, kind, model, cases, now, totals)
                uow.commit()
    return totals


def _sweep_batch(uow, kind, model, cases, now, totals):
    """Compute the batch's clocks, then write what they reached in a few statements."""
    session = uow.session
    ids = [c.id for c in cases]
    context = Context(session, [c.project_id for c in cases])
    history = histories(session, kind, ids)
    sent = set(session.execute(select(ClockAlert.case_id, ClockAlert.clock, ClockAlert.round,
                                      ClockAlert.level).where(
        ClockAlert.case_kind == kind, ClockAlert.case_id.in_(ids))).tuples())
    stored = {(b.case_id, b.clock, b.round): (b.id, b.overrun_minutes) for b in session.execute(
        select(ClockBreach.id, ClockBreach.case_id, ClockBreach.clock, ClockBreach.round,
               ClockBreach.overrun_minutes).where(
            ClockBreach.case_kind == kind, ClockBreach.case_id.in_(ids)))}
    alerts, details, new_breaches, next_checks, finished = [], {}, [], {}, []
    for case in cases:
        totals["cases"] += 1
        states = case_clocks(context, kind, case, history.get(case.id, []), now)
        for policy, state in states:
            for round_ in state.rounds:
                for level in _levels(round_, policy):
                    key = (case.id, state.name, round_.number, level)
                    if key not in sent:
                        alerts.append({"case_kind": kind, "case_id": case.id,
                                       "clock": state.name, "round": round_.number,
                                       "level": level, "raised_at": now})
                        details[key] = (case, round_)
                if round_.breached:
                    _note_breach(session, kind, case, state.name, round_, now, stored,
                                 new_breaches)
        next_checks[case.id] = _next_level(context, case, states, now)
        terminal = (case.status in (domain.REJECTED, domain.VISITED) if kind == COMPLAINT
                    else case.status == domain.REPAIR_VISITED)
        if terminal and not any(r.running for _, s in states for r in s.rounds):
            finished.append(case.id)
    _insert_new(session, ClockBreach.__table__, new_breaches)
    inserted = _insert_new(session, ClockAlert.__table__, alerts, returning=(
        ClockAlert.case_id, ClockAlert.clock, ClockAlert.round, ClockAlert.level))
    uow.emit_many([_alert_event(kind, tuple(key), *details[tuple(key)], totals)
                   for key in sorted(inserted, key=lambda k: (k[0], k[1], k[2]))])
    _set_next_checks(session, model, next_checks)
    if finished:
        session.execute(update(model).where(model.id.in_(finished)).values(watched=False))


def _set_next_checks(session, model, next_checks: dict) -> None:
    """Each case's next check time, in one statement for the batch."""
    if not next_checks:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            f"UPDATE {model.__tablename__} AS t SET next_check_at = u.at FROM unnest("
            f"CAST(:ids AS integer[]), CAST(:ats AS timestamptz[])) AS u(id, at) "
            f"WHERE t.id = u.id"), {"ids": list(next_checks), "ats": list(next_checks.values())})
        return
    session.execute(update(model).where(model.id.in_(list(next_checks))).values(
        next_check_at=case_({case_id: literal(at, UTCDateTime()) for case_id, at
                             in next_checks.items()}, value=model.id, else_=null())))


def _levels(round_, policy) -> list[str]:
    """The levels to announce for a round: while it runs, the warnings and escalations it
    reached; once past its due time the 50/75 % warnings are stale and only the 100 % one (the
    due-time notice), the breach and the escalations count; a clock already stopped late only
    records its breach."""
    levels = clocks.levels_reached(round_, policy) if round_.running else []
    if not round_.breached:
        return levels
    if not round_.running:
        return ["breach"]
    return ["warning_100", "breach"] + [lv for lv in levels if lv.startswith("escalation_")]


def _alert_event(kind, key, case, round_, totals):
    case_id, clock, number, level = key
    if level == "breach":
        name, notify, counter = "clock_breached", None, "breaches"
    elif level.startswith("escalation_"):
        rung = level.removeprefix("escalation_")
        name, notify, counter = "clock_escalated", ESCALATION_ROLES.get(rung, rung), "escalations"
    else:
        name, notify, counter = "clock_warning", None, "warnings"
    totals[counter] += 1
    return (name, {"case_kind": kind, "case_id": case_id, "number": case.number or "",
                   "clock": clock, "round": number, "level": level,
                   "percent": round(round_.percent, 1), "due_at": round_.due_at,
                   "overrun_minutes": round_.overrun, "basis": round_.basis,
                   "notify_role": notify},
            {"project_id": case.project_id, "unit_id": case.unit_id,
             "customer_id": case.customer_id})


def _note_breach(session, kind, case, clock, round_, now, stored, new_breaches):
    """The breach with its overrun, brought up to date whenever the case is examined; never
    deleted."""
    existing = stored.get((case.id, clock, round_.number))
    if existing is None:
        new_breaches.append({"case_kind": kind, "case_id": case.id, "clock": clock,
                             "round": round_.number, "due_at": round_.due_at,
                             "detected_at": now, "overrun_minutes": round_.overrun,
                             "basis": round_.basis})
    elif existing[1] < round_.overrun:
        session.execute(update(ClockBreach).where(ClockBreach.id == existing[0])
                        .values(overrun_minutes=round_.overrun))


def breach_rows(session, kind, case_id) -> list[dict]:
    return [{"clock": b.clock, "round": b.round, "due_at": b.due_at, "detected_at": b.detected_at,
             "overrun_minutes": b.overrun_minutes, "basis": b.basis}
            for b in session.scalars(select(ClockBreach).where(
                ClockBreach.case_kind == kind, ClockBreach.case_id == case_id)
                .order_by(ClockBreach.id))]


def look_again(session, model, **where) -> None:
    """Have the next pass examine these cases (after a step or a policy change)."""
    conditions = [getattr(model, k) == v for k, v in where.items()]
    session.execute(update(model).where(model.watched.is_(True), *conditions)
                    .values(next_check_at=utcnow()))
