"""Complaints use cases (第4篇): file, accept or reject, route, investigate, review, resolve,
reply, close, hold to account, visit, reopen. Each step checks the role and the order, writes
the status change the clocks are computed from, and announces itself through the outbox."""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from contracts import scope
from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from infra.working_calendar import SHANGHAI
from services.complaints import domain, sla
from services.complaints.clocks import ALL_CLOCKS, with_override
from services.complaints.models import (CalendarEntry, ClockPolicyChange, Complaint,
                                        InvestigationReport, RepairOrder, StatusChange)

SEES_EVERY_COMPLAINT = ("general_manager", "admin", "administration", "customer_service")
FILERS = ("customer_service", "admin")
POLICY_SETTERS = ("general_manager", "admin")


# ---- who sees what -------------------------------------------------------------------

# Who acts is the suite's actor (contracts.scope.ActorSchema, `cmd["actor"]`): its username,
# role, projects (None: every project) and consultant id, checked here again.

def in_projects(actor, project_id) -> bool:
    """The actor's projects (contracts.scope); a complaint of no known project (a caller who
    names no unit) belongs to the whole customer-service desk."""
    return (actor["role"] in scope.EVERY_PROJECT_ROLES or scope.every_project(actor)
            or project_id is None or project_id in actor["project_ids"])


def can_see(complaint: Complaint, actor) -> bool:
    """Customer service, the administration and the general manager see every complaint of
    their projects; a handling department only what was routed to it; a consultant only the
    complaints of their own customers."""
    if not in_projects(actor, complaint.project_id):
        return False
    role = actor["role"]
    if role in SEES_EVERY_COMPLAINT:
        return True
    if role == "consultant":
        return (actor["consultant_id"] is not None
                and complaint.customer_consultant_id == actor["consultant_id"])
    return role in domain.DEPARTMENTS and complaint.department == role


def visible_filter(query, actor):
    role = actor["role"]
    if role not in scope.EVERY_PROJECT_ROLES and not scope.every_project(actor):
        query = query.where(Complaint.project_id.in_(actor["project_ids"])
                            | Complaint.project_id.is_(None))
    if role in SEES_EVERY_COMPLAINT:
        return query
    if role == "consultant":
        return query.where(Complaint.customer_consultant_id == actor["consultant_id"],
                           Complaint.customer_consultant_id.is_not(None))
    if role in domain.DEPARTMENTS:
        return query.where(Complaint.department == role)
    return query.where(False)


def _load(session, cmd) -> Complaint:
    complaint = session.get(Complaint, cmd["complaint_id"])
    if complaint is None or not can_see(complaint, cmd["actor"]):
        # a complaint one may not see is answered as one that does not exist
        raise NotFound("unknown complaint", {"complaint_id": ["unknown complaint"]})
    return complaint


# ---- the lifecycle -------------------------------------------------------------------

def file_complaint(uow, cmd) -> dict:
    if cmd["actor"]["role"] not in FILERS:
        raise Forbidden(f"role {cmd['actor']['role']} may not file complaints",
                        {"role": ["customer_service files complaints"]})
    if not in_projects(cmd["actor"], cmd.get("project_id")):
        raise Forbidden("not one of your projects", {"project_id": ["not one of your projects"]})
    now = utcnow()
    fields = {k: cmd.get(k) for k in (
        "complainant_name", "contact", "channel", "content", "request", "request_detail",
        "customer_id", "unit_id", "project_id", "customer_consultant_id")}
    context = sla.Context(uow.session, [cmd.get("project_id")])
    complaint = Complaint(**fields, status=domain.FILED, filed_at=now, filed_by=cmd["actor"]["username"],
                          due_at=sla.closure_due(context, cmd.get("project_id"), now),
                          reopen_count=0, major=domain.is_major(cmd.get("request"), None),
                          watched=True)
    uow.session.add(complaint)
    uow.session.flush()
    complaint.number = f"TS{now.astimezone(SHANGHAI):%Y%m}-{complaint.id:05d}"
    change = _history(uow.session, complaint, domain.FILED, now, cmd["actor"]["username"], None)
    # its clocks, once: the next check time (when its first warning is due) and the view
    computed = sla.written(uow.session, sla.COMPLAINT, complaint, now, context, [change])
    uow.emit("complaint_filed", {"complaint_id": complaint.id, "channel": complaint.channel,
                                 "due_at": complaint.due_at}, **_envelope(complaint))
    uow.commit()
    return complaint_view(uow.session, complaint, now, computed, new=True)


def accept(uow, cmd) -> dict:
    domain.check_category(cmd["category"])
    return _step(uow, cmd, "accept", "complaint_accepted", lambda c, now: {
        "category": cmd["category"], "accepted_at": now, "accepted_by": cmd["actor"]["username"]},
        {"category": cmd["category"]})


def reject(uow, cmd) -> dict:
    return _step(uow, cmd, "reject", "complaint_rejected", lambda c, now: {
        "rejection_reason": cmd["reason"], "accepted_at": now, "accepted_by": cmd["actor"]["username"]},
        {"reason": cmd["reason"]}, note=cmd["reason"])


def route(uow, cmd) -> dict:
    return _step(uow, cmd, "route", "complaint_routed",
                 lambda c, now: {"department": cmd["department"]},
                 {"department": cmd["department"]}, note=cmd.get("note"))


def await_customer(uow, cmd) -> dict:
    return _step(uow, cmd, "await_customer", "complaint_awaiting_customer", None, {},
                 note=cmd.get("note"))


def resume(uow, cmd) -> dict:
    complaint = _load(uow.session, cmd)
    before = [h.status for h in sla.histories(uow.session, sla.COMPLAINT, [complaint.id])
              .get(complaint.id, []) if h.status != domain.WAITING_CUSTOMER]
    return _step(uow, cmd, "resume", "complaint_resumed", None, {}, note=cmd.get("note"),
                 resumes_to=before[-1] if before else domain.ROUTED)


def report(uow, cmd) -> dict:
    """投诉调查报告 (第十七条), filed by the department the complaint was routed to."""
    def apply(complaint, now):
        uow.session.add(InvestigationReport(
            complaint_id=complaint.id, round=complaint.reopen_count + 1, filed_by=cmd["actor"]["username"],
            filed_at=now, **{k: cmd[k] for k in ("cause", "course", "responsible_party",
                                                  "conclusion", "countermeasures")}))
        return {}
    return _step(uow, cmd, "report", "investigation_reported", apply,
                 {"responsible_party": cmd["responsible_party"], "conclusion": cmd["conclusion"]})


def review(uow, cmd) -> dict:
    """The general manager's review of the report (第十二条)."""
    def apply(complaint, now):
        current = uow.session.scalar(select(InvestigationReport).where(
            InvestigationReport.complaint_id == complaint.id,
            InvestigationReport.round == complaint.reopen_count + 1))
        current.review_opinion, current.reviewed_by, current.reviewed_at = (
            cmd["opinion"], cmd["actor"]["username"], now)
        return {}
    return _step(uow, cmd, "review", "complaint_reviewed", apply, {"opinion": cmd["opinion"]})


def resolve(uow, cmd) -> dict:
    """The handling department's resolution (受理部门处理意见, 第十三条)."""
    return _step(uow, cmd, "resolve", "complaint_resolved",
                 lambda c, now: {"department_opinion": cmd["opinion"]},
                 {"opinion": cmd["opinion"]})


def reply(uow, cmd) -> dict:
    """Customer service answers the customer, in writing or orally (第十四条)."""
    return _step(uow, cmd, "reply", "complaint_replied", lambda c, now: {
        "reply_form": cmd["form"], "reply_content": cmd["content"], "replied_at": now},
        {"form": cmd["form"]})


def close(uow, cmd) -> dict:
    return _step(uow, cmd, "close", "complaint_closed", lambda c, now: {"closed_at": now}, {})


def record_accountability(uow, cmd) -> dict:
    """第十九–二十四条: the responsible department or person and the sanction."""
    share = domain.bonus_share(cmd["sanction"])
    return _step(uow, cmd, "record_accountability", "accountability_recorded", lambda c, now: {
        "responsible_department": cmd["responsible_department"],
        "responsible_person": cmd.get("responsible_person"), "sanction": cmd["sanction"],
        "bonus_share_percent": share},
        {"responsible_department": cmd["responsible_department"],
         "responsible_person": cmd.get("responsible_person"), "sanction": cmd["sanction"],
         "bonus_share_percent": str(share)})


def visit(uow, cmd) -> dict:
    """回访: the customer's satisfaction after closure."""
    return _step(uow, cmd, "visit", "complaint_visited", lambda c, now: {
        "satisfaction": cmd["satisfaction"], "visited_at": now},
        {"satisfaction": cmd["satisfaction"]}, note=cmd.get("note"))


def reopen(uow, cmd) -> dict:
    """A customer who is not satisfied reopens the case: counted; breaches stay."""
    return _step(uow, cmd, "reopen", "complaint_reopened", lambda c, now: {
        "reopen_count": c.reopen_count + 1, "closed_at": None, "watched": True,
        "visited_at": None, "satisfaction": None}, {"reason": cmd["reason"]}, note=cmd["reason"])


def _step(uow, cmd, step, event, apply, detail, note=None, resumes_to=None) -> dict:
    session = uow.session
    complaint = _load(session, cmd)
    old = complaint.status
    new = domain.check_step(step, old, cmd["actor"]["role"], complaint.department, resumes_to)
    now = utcnow()
    values = apply(complaint, now) if apply else {}
    values = dict(values or {}, status=new)
    # a conditional update: of two concurrent steps on one case, the second finds it moved on
    moved = session.execute(update(Complaint).where(Complaint.id == complaint.id,
                                                    Complaint.status == old).values(**values))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("the complaint changed meanwhile; reload it",
                       {"status": ["changed by someone else"]})
    session.refresh(complaint)
    if new != old or step in ("reopen",):
        _history(session, complaint, new, now, cmd["actor"]["username"], note)
    computed = sla.written(session, sla.COMPLAINT, complaint, now)
    uow.emit(event, {"complaint_id": complaint.id, "number": complaint.number, "status": new,
                     "by": cmd["actor"]["username"], "topic_file": complaint.number if complaint.major else None,
                     "detail": detail}, **_envelope(complaint))
    uow.commit()
    return complaint_view(session, complaint, now, computed)


def _history(session, complaint, status, at, by, note) -> StatusChange:
    change = StatusChange(case_kind=sla.COMPLAINT, case_id=complaint.id, status=status, at=at,
                          by=by, note=note)
    session.add(change)
    return change


def _envelope(complaint) -> dict:
    return {"project_id": complaint.project_id, "unit_id": complaint.unit_id,
            "customer_id": complaint.customer_id}


# ---- reads ---------------------------------------------------------------------------

def get_complaint(session, query, now=None) -> dict:
    return complaint_view(session, _load(session, query), now or utcnow())


def list_complaints(session, query) -> dict:
    stmt = visible_filter(select(Complaint), query["actor"]).order_by(Complaint.id.desc()).limit(query["limit"])
    if query.get("status"):
        stmt = stmt.where(Complaint.status == query["status"])
    if query.get("project_id"):
        stmt = stmt.where(Complaint.project_id == query["project_id"])
    return {"complaints": [complaint_view(session, c, None) for c in session.scalars(stmt)]}


CARD_FIELDS = (
    "id", "number", "complainant_name", "contact", "channel", "content", "request",
    "request_detail", "customer_id", "unit_id", "project_id", "customer_consultant_id", "status",
    "filed_at", "filed_by", "due_at", "category", "accepted_at", "accepted_by",
    "rejection_reason", "department", "department_opinion", "reply_form", "reply_content",
    "replied_at", "closed_at", "responsible_department", "responsible_person", "sanction",
    "bonus_share_percent", "satisfaction", "visited_at", "reopen_count", "major")


def complaint_view(session, complaint, now: datetime | None, computed=None,
                   new=False) -> dict:
    """The record card; with `now`, also its history, reports, clocks and breaches.
    `computed`: (context, history, clock states) a write computed already; `new`: a complaint
    just filed (no report or breach to read)."""
    view = {name: getattr(complaint, name) for name in CARD_FIELDS}
    view.update(history=[], reports=[], clocks=[], breaches=[])
    if now is None:
        return view
    if computed is None:
        context = sla.Context(session, [complaint.project_id])
        history = sla.histories(session, sla.COMPLAINT, [complaint.id]).get(complaint.id, [])
        states = sla.case_clocks(context, sla.COMPLAINT, complaint, history, now)
    else:
        _, history, states = computed
    view["history"] = [{"status": h.status, "at": h.at, "by": h.by, "note": h.note}
                       for h in history]
    view["clocks"] = sla.clock_rows(states)
    if new:
        return view
    view["reports"] = [{k: getattr(r, k) for k in (
        "round", "cause", "course", "responsible_party", "conclusion", "countermeasures",
        "filed_by", "filed_at", "review_opinion", "reviewed_by", "reviewed_at")}
        for r in session.scalars(select(InvestigationReport).where(
            InvestigationReport.complaint_id == complaint.id).order_by(InvestigationReport.round))]
    view["breaches"] = sla.breach_rows(session, sla.COMPLAINT, complaint.id)
    return view


# ---- a project's clocks and calendar -------------------------------------------------

def set_clock_policy(uow, cmd) -> dict:
    if cmd["actor"]["role"] not in POLICY_SETTERS:
        raise Forbidden("only the general manager sets a project's clocks",
                        {"role": ["general_manager is required"]})
    default = ALL_CLOCKS[cmd["clock"]]
    policy = with_override(default, hours=cmd["hours"], basis=cmd.get("basis"),
                           on_reopen=cmd.get("on_reopen"), ladder_hours=cmd.get("ladder_hours"))
    row = ClockPolicyChange(
        project_id=cmd["project_id"], clock=cmd["clock"], hours=cmd["hours"], basis=policy.basis,
        on_reopen=policy.on_reopen, ladder_hours=[str(Decimal(m) / 60) for _, m in policy.ladder],
        changed_at=utcnow(), changed_by=cmd["actor"]["username"])
    uow.session.add(row)
    sla.look_again(uow.session, Complaint, project_id=row.project_id)
    sla.look_again(uow.session, RepairOrder, project_id=row.project_id)
    uow.commit()
    return {"project_id": row.project_id, "clock": row.clock, "hours": row.hours,
            "basis": row.basis, "on_reopen": row.on_reopen, "ladder_hours": row.ladder_hours,
            "changed_at": row.changed_at, "changed_by": row.changed_by}


def set_calendar_entry(uow, cmd) -> dict:
    if cmd["actor"]["role"] not in POLICY_SETTERS + ("administration",):
        raise Forbidden("only the administration sets a project's calendar",
                        {"role": ["administration is required"]})
    entry = uow.session.scalar(select(CalendarEntry).where(
        CalendarEntry.project_id == cmd["project_id"], CalendarEntry.day == cmd["day"]))
    if entry is None:
        entry = CalendarEntry(project_id=cmd["project_id"], day=cmd["day"])
        uow.session.add(entry)
    entry.kind = cmd["kind"]
    sla.look_again(uow.session, Complaint, project_id=entry.project_id)
    sla.look_again(uow.session, RepairOrder, project_id=entry.project_id)
    uow.commit()
    return {"project_id": entry.project_id, "day": entry.day, "kind": entry.kind}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=SHANGHAI)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end
