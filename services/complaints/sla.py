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

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from infra.database import utcnow
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
    project."""

    def __init__(self, session, project_ids):
        project_ids = {p for p in project_ids if p is not None}
        self.policy_rows = defaultdict(list)
        self.entries = defaultdict(list)
        if project_ids:
            for row in session.scalars(select(ClockPolicyChange).where(
                    ClockPolicyChange.project_id.in_(project_ids))
                    .order_by(ClockPolicyChange.changed_at, ClockPolicyChange.id)):
                self.policy_rows[(row.project_id, row.clock)].append(row)
            for entry in session.scalars(select(CalendarEntry).where(
                    CalendarEntry.project_id.in_(project_ids))):
                self.entries[entry.project_id].append({"day": entry.day, "kind": entry.kind})
        self._calendars = {}

    def calendar(self, project_id):
        if project_id not in self._calendars:
            self._calendars[project_id] = calendar_from_entries(self.entries.get(project_id, []))
        return self._calendars[project_id]

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


def histories(session, kind, case_ids) -> dict:
    by_case = defaultdict(list)
    for change in session.scalars(select(StatusChange).where(
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
        state = clocks.compute(policy, changes + later, now, context.calendar(case.project_id))
        result.append((final, state))
    return result


def clock_rows(states) -> list[dict]:
    return [{"clock": state.name, "round": r.number, "basis": r.basis, "budget_minutes": r.budget,
             "consumed_minutes": r.consumed, "remaining_minutes": r.remaining,
             "overrun_minutes": r.overrun, "percent": round(r.percent, 1),
             "started_at": r.started_at, "due_at": r.due_at, "stopped_at": r.stopped_at,
             "paused": r.paused, "breached": r.breached}
            for _, state in states for r in state.rounds]


def closure_due(session, project_id, filed_at) -> datetime:
    """The closure clock's due time for a complaint filed now, by the project's policy."""
    context = Context(session, [project_id])
    policy, _ = context.policy_changes(project_id, "closure", filed_at)
    state = clocks.compute(policy, [Change(filed_at, domain.FILED)], filed_at,
                           context.calendar(project_id))
    return state.current.due_at


def _insert_ignoring_duplicates(session, table, values) -> bool:
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(builder(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def sweep(uow_factory, now=None, batch_size=500) -> dict:
    """One periodic pass over the watched cases whose next level is due (or that changed
    since the last pass); returns what it raised. Each case examined gets its next check time:
    when its earliest running clock reaches its next level."""
    now = now or utcnow()
    totals = {"cases": 0, "warnings": 0, "escalations": 0, "breaches": 0}
    for kind, model in ((COMPLAINT, Complaint), (REPAIR, RepairOrder)):
        after = 0
        while True:
            with uow_factory() as uow:
                cases = uow.session.scalars(
                    select(model).where(model.watched.is_(True), model.next_check_at <= now,
                                        model.id > after)
                    .order_by(model.id).limit(batch_size)
                    .with_for_update(skip_locked=True)).all()
                if not cases:
                    break
                after = cases[-1].id
                _sweep_batch(uow, kind, cases, now, totals)
                uow.commit()
    return totals


def _sweep_batch(uow, kind, cases, now, totals):
    session = uow.session
    context = Context(session, [c.project_id for c in cases])
    history = histories(session, kind, [c.id for c in cases])
    breaches = {(b.case_id, b.clock, b.round): b for b in session.scalars(select(ClockBreach).where(
        ClockBreach.case_kind == kind, ClockBreach.case_id.in_([c.id for c in cases])))}
    finished = []
    for case in cases:
        totals["cases"] += 1
        states = case_clocks(context, kind, case, history.get(case.id, []), now)
        next_checks = []
        for policy, state in states:
            for round_ in state.rounds:
                _raise_alerts(uow, kind, case, policy, state.name, round_, now, totals, breaches)
            if state.current is not None:
                next_checks.append(clocks.next_level_at(state.current, policy, now,
                                                        context.calendar(case.project_id)))
        next_checks = [t for t in next_checks if t is not None]
        case.next_check_at = min(next_checks) if next_checks else None
        terminal = (case.status in (domain.REJECTED, domain.VISITED) if kind == COMPLAINT
                    else case.status == domain.REPAIR_VISITED)
        if terminal and not any(r.running for _, s in states for r in s.rounds):
            finished.append(case.id)
    if finished:
        model = Complaint if kind == COMPLAINT else RepairOrder
        session.execute(update(model).where(model.id.in_(finished)).values(watched=False))


def _raise_alerts(uow, kind, case, policy, clock, round_, now, totals, breaches):
    levels = clocks.levels_reached(round_, policy) if round_.running else []
    if round_.breached:
        # past its due time: the 50/75 % warnings are stale by now, the 100 % one is the
        # due-time notice; a clock already stopped late only records its breach
        escalations = [level for level in levels if level.startswith("escalation_")]
        levels = ["warning_100", "breach"] + escalations if round_.running else ["breach"]
        _store_breach(uow.session, kind, case, clock, round_, now, breaches)
    for level in levels:
        if not _insert_ignoring_duplicates(uow.session, ClockAlert.__table__, {
                "case_kind": kind, "case_id": case.id, "clock": clock, "round": round_.number,
                "level": level, "raised_at": now}):
            continue
        if level == "breach":
            name, notify, counter = "clock_breached", None, "breaches"
        elif level.startswith("escalation_"):
            rung = level.removeprefix("escalation_")
            name, notify, counter = "clock_escalated", ESCALATION_ROLES.get(rung, rung), "escalations"
        else:
            name, notify, counter = "clock_warning", None, "warnings"
        totals[counter] += 1
        uow.emit(name, {"case_kind": kind, "case_id": case.id, "number": case.number or "",
                        "clock": clock, "round": round_.number, "level": level,
                        "percent": round(round_.percent, 1), "due_at": round_.due_at,
                        "overrun_minutes": round_.overrun, "basis": round_.basis,
                        "notify_role": notify},
                 project_id=case.project_id, unit_id=case.unit_id, customer_id=case.customer_id)


def _store_breach(session, kind, case, clock, round_, now, breaches):
    """The breach with its overrun, kept up to date while the clock still runs; never deleted."""
    existing = breaches.get((case.id, clock, round_.number))
    if existing is None:
        _insert_ignoring_duplicates(session, ClockBreach.__table__, {
            "case_kind": kind, "case_id": case.id, "clock": clock, "round": round_.number,
            "due_at": round_.due_at, "detected_at": now, "overrun_minutes": round_.overrun,
            "basis": round_.basis})
    elif existing.overrun_minutes < round_.overrun:
        existing.overrun_minutes = round_.overrun


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
