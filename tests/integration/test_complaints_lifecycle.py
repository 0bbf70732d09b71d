"""A complaint through 第4篇 on PostgreSQL: each step by its role and in its order, evented for
the unit's dossier; accountability, visit, reopen; the clocks' pass raising each alert once,
also with two workers at the same time."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts import complaints as C
from contracts.base import load
from contracts.scope import actor
from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.complaints import handlers, sla
from services.complaints.models import ClockAlert, ClockBreach

pytestmark = pytest.mark.integration

CS = {"actor": actor("kefu1", "customer_service")}
ADMIN_DEPT = {"actor": actor("xingzheng1", "administration")}
ENGINEERING = {"actor": actor("gongcheng1", "engineering")}
GM = {"actor": actor("zong1", "general_manager")}


def run(store, handler, schema, payload):
    with store() as uow:
        return handler(uow, load(schema(), payload))


def file(store, **extra):
    return run(store, handlers.file_complaint, C.FileComplaintSchema, {
        **CS, "complainant_name": "王五", "contact": "13800138000", "channel": "phone",
        "content": "卫生间渗水", "request": "compensation", "unit_id": 7, "project_id": 3,
        "customer_id": 11, "customer_consultant_id": 5, **extra})


def outbox(store, complaint_id=None):
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.payload).order_by(table.c.id)).scalars().all()
    return [row for row in rows if complaint_id is None
            or row["data"].get("complaint_id") == complaint_id
            or (row["data"].get("case_kind") == "complaint" and row["data"].get("case_id") == complaint_id)]


def walk_to_closure(store, complaint_id):
    ref = {"complaint_id": complaint_id}
    run(store, handlers.accept, C.AcceptComplaintSchema, {**CS, **ref, "category": "quality_defect"})
    run(store, handlers.route, C.RouteComplaintSchema, {**ADMIN_DEPT, **ref,
                                                        "department": "engineering"})
    run(store, handlers.report, C.InvestigationReportSchema, {
        **ENGINEERING, **ref, "cause": "防水层破损", "course": "现场查看", "responsible_party": "施工单位",
        "conclusion": "属实", "countermeasures": "返修并复查"})
    run(store, handlers.review, C.OpinionSchema, {**GM, **ref, "opinion": "同意"})
    run(store, handlers.resolve, C.OpinionSchema, {**ENGINEERING, **ref, "opinion": "三日内返修"})
    run(store, handlers.reply, C.ReplyComplaintSchema, {**CS, **ref, "form": "written",
                                                        "content": "已安排返修"})
    return run(store, handlers.close, C.ComplaintRef, {**CS, **ref})


def test_a_complaint_goes_from_filing_to_the_follow_up_visit(stores):
    store = stores["complaints"]
    filed = file(store)
    assert filed["number"].startswith("TS") and filed["status"] == "filed"
    closed = walk_to_closure(store, filed["id"])
    assert closed["status"] == "closed" and closed["department_opinion"] == "三日内返修"
    assert closed["reports"][0]["review_opinion"] == "同意"
    ref = {"complaint_id": filed["id"]}
    held = run(store, handlers.record_accountability, C.AccountabilitySchema, {
        **ADMIN_DEPT, **ref, "responsible_department": "工程部", "responsible_person": "李四",
        "sanction": "minor_demerit"})
    assert held["bonus_share_percent"] == Decimal("30.00")
    visited = run(store, handlers.visit, C.VisitSchema, {**CS, **ref, "satisfaction": "satisfied"})
    assert visited["status"] == "visited"
    types = [e["type"] for e in outbox(store, filed["id"])]
    assert types == ["complaint_filed", "complaint_accepted", "complaint_routed",
                     "investigation_reported", "complaint_reviewed", "complaint_resolved",
                     "complaint_replied", "complaint_closed", "accountability_recorded",
                     "complaint_visited"]
    # every event names the unit, the project and the customer, so it reaches the dossier
    assert {(e["unit_id"], e["project_id"], e["customer_id"]) for e in outbox(store, filed["id"])} \
        == {(7, 3, 11)}
    # a compensation claim is a major complaint: its own topic file (一事一档)
    assert outbox(store, filed["id"])[-1]["data"]["topic_file"] == filed["number"]
    statuses = [h["status"] for h in handlers.get_complaint(
        store.session_factory(), {**CS, **ref})["history"]]
    assert statuses == ["filed", "accepted", "routed", "investigated", "reviewed", "resolved",
                        "replied", "closed", "visited"]


def test_out_of_order_and_wrong_roles_are_refused_and_nothing_is_written(stores):
    store = stores["complaints"]
    filed = file(store)
    ref = {"complaint_id": filed["id"]}
    with pytest.raises(Conflict):  # a reply before any investigation
        run(store, handlers.reply, C.ReplyComplaintSchema, {**CS, **ref, "form": "oral",
                                                            "content": "好的"})
    with pytest.raises(Forbidden):  # customer service does not route
        run(store, handlers.route, C.RouteComplaintSchema, {**CS, **ref, "department": "finance"})
    with pytest.raises(InvalidInput) as outside:  # outside the valid scope of 第三条
        run(store, handlers.accept, C.AcceptComplaintSchema, {**CS, **ref, "category": "weather"})
    assert "category" in outside.value.details
    rejected = run(store, handlers.reject, C.RejectComplaintSchema,
                   {**CS, **ref, "reason": "属客户自身原因"})
    assert rejected["rejection_reason"] == "属客户自身原因"
    assert [e["type"] for e in outbox(store, filed["id"])] == ["complaint_filed",
                                                               "complaint_rejected"]


def test_departments_and_consultants_see_only_their_complaints(stores):
    store = stores["complaints"]
    mine = file(store, customer_consultant_id=5)
    walk_to_closure(store, mine["id"])
    other = file(store, customer_consultant_id=6)
    session = store.session_factory()
    with pytest.raises(NotFound):
        handlers.get_complaint(session, {"complaint_id": other["id"],
                                         "actor": actor("c5", "consultant", consultant_id=5)})
    assert handlers.get_complaint(session, {"complaint_id": mine["id"],
                                            "actor": actor("c5", "consultant", consultant_id=5)})
    seen = handlers.list_complaints(session, {**ENGINEERING, "limit": 1000})
    assert mine["id"] in [c["id"] for c in seen["complaints"]]
    assert other["id"] not in [c["id"] for c in seen["complaints"]]
    finance = handlers.list_complaints(session, {"actor": actor("f", "finance"), "limit": 1000})
    assert mine["id"] not in [c["id"] for c in finance["complaints"]]
    with pytest.raises(NotFound):  # a user of other projects
        handlers.get_complaint(session, {"complaint_id": mine["id"],
                                         "actor": actor("kefu2", "customer_service",
                                                        project_ids=[99])})
    # an actor of no project at all (contracts.scope: an empty list) sees none of project 3's
    nowhere = handlers.list_complaints(session, {
        "actor": actor("kefu3", "customer_service", project_ids=[]), "limit": 1000})
    assert mine["id"] not in [c["id"] for c in nowhere["complaints"]]
    assert handlers.get_complaint(session, {"complaint_id": mine["id"], "actor": actor(
        "kefu4", "customer_service", project_ids=[3])})["id"] == mine["id"]
    session.close()


def test_every_command_carries_the_suites_actor():
    """The complaints service takes who acts in contracts.scope's one form, as inventory and
    transactions do: a command without it, or with the old caller fields, is refused naming
    the field."""
    with pytest.raises(InvalidInput) as missing:
        load(C.ComplaintRef(), {"complaint_id": 1})
    assert "actor" in missing.value.details
    with pytest.raises(InvalidInput) as old_form:
        load(C.ComplaintRef(), {"complaint_id": 1, "by": "kefu1", "role": "customer_service"})
    assert {"actor", "by", "role"} <= set(old_form.value.details)
    with pytest.raises(InvalidInput) as malformed:
        load(C.ComplaintRef(), {"complaint_id": 1, "actor": {"username": "kefu1",
                                                              "role": "customer_service"}})
    assert "project_ids" in malformed.value.details["actor"]


def test_a_reopened_case_counts_and_keeps_its_breach(stores, monkeypatch):
    store = stores["complaints"]
    start = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(handlers, "utcnow", lambda: start)
    filed = file(store)
    monkeypatch.setattr(handlers, "utcnow", lambda: start + timedelta(days=8))
    walk_to_closure(store, filed["id"])  # a day late
    sla.sweep(store, now=start + timedelta(days=8, minutes=1))
    monkeypatch.setattr(handlers, "utcnow", lambda: start + timedelta(days=9))
    ref = {"complaint_id": filed["id"]}
    reopened = run(store, handlers.reopen, C.ReopenSchema, {**CS, **ref, "reason": "仍渗水"})
    assert reopened["reopen_count"] == 1 and reopened["status"] == "reopened"
    closure = [c for c in reopened["clocks"] if c["clock"] == "closure"]
    assert closure[0]["breached"] and closure[0]["overrun_minutes"] == 24 * 60
    assert not closure[1]["breached"]
    assert closure[1]["due_at"] == start + timedelta(days=16)
    assert [(b["clock"], b["round"]) for b in reopened["breaches"]] == [
        ("first_response", 1), ("closure", 1)]
    with pytest.raises(Conflict):  # nothing to reopen while it is open
        run(store, handlers.reopen, C.ReopenSchema, {**CS, **ref, "reason": "again"})


def test_a_project_sets_72_hours_and_a_negative_budget_is_refused(stores):
    store = stores["complaints"]
    with pytest.raises(InvalidInput) as negative:
        load(C.ClockPolicySchema(), {**GM, "project_id": 40, "clock": "closure", "hours": "-1"})
    assert "hours" in negative.value.details
    with pytest.raises(Forbidden):
        run(store, handlers.set_clock_policy, C.ClockPolicySchema,
            {**CS, "project_id": 40, "clock": "closure", "hours": "72"})
    run(store, handlers.set_clock_policy, C.ClockPolicySchema,
        {**GM, "project_id": 40, "clock": "closure", "hours": "72"})
    filed = file(store, project_id=40)
    # clocks count whole minutes from the minute of filing
    assert filed["due_at"] == filed["filed_at"].replace(second=0, microsecond=0) + timedelta(hours=72)


def test_two_workers_raise_each_warning_and_escalation_once(database_urls, stores):
    from tests.integration.conftest import Store
    store = stores["complaints"]
    start = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
    ids = []
    for _ in range(30):
        with store() as uow:
            ids.append(handlers.file_complaint(uow, load(C.FileComplaintSchema(), {
                **CS, "complainant_name": "赵六", "contact": "x", "channel": "visit",
                "content": "延期交房", "unit_id": 8, "project_id": 3}))["id"])
    from services.complaints.models import Complaint, StatusChange
    with store() as uow:  # file them all at `start`
        for change in uow.session.scalars(select(StatusChange).where(
                StatusChange.case_kind == "complaint", StatusChange.case_id.in_(ids))):
            change.at = start
        for complaint in uow.session.scalars(select(Complaint).where(Complaint.id.in_(ids))):
            complaint.next_check_at = start
        uow.commit()
    workers = [Store("complaints", database_urls["complaints"]) for _ in range(2)]
    moments = [start + timedelta(hours=h) for h in (13, 19, 25, 49, 100)]
    for now in moments:  # each pass run by both workers at once, as after restarts
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda w: sla.sweep(w, now=now, batch_size=7), workers))
    for worker in workers:
        worker.engine.dispose()
    alerts = [e for e in outbox(store) if e["type"].startswith("clock_")
              and e["data"]["case_id"] in ids]
    keys = [(e["data"]["case_id"], e["data"]["clock"], e["data"]["round"], e["data"]["level"])
            for e in alerts]
    assert len(keys) == len(set(keys))
    per_case = {(k[1], k[3]) for k in keys if k[0] == ids[0]}
    assert {("first_response", "warning_50"), ("first_response", "warning_75"),
            ("first_response", "warning_100"), ("first_response", "breach"),
            ("first_response", "escalation_supervisor"), ("first_response", "escalation_manager"),
            ("first_response", "escalation_general_manager"), ("closure", "warning_50")} <= per_case
    with store() as uow:
        rows = uow.session.scalars(select(ClockAlert).where(ClockAlert.case_id.in_(ids))).all()
        overrun = uow.session.scalar(select(ClockBreach.overrun_minutes).where(
            ClockBreach.case_kind == "complaint", ClockBreach.case_id == ids[0],
            ClockBreach.clock == "first_response"))
    assert len(rows) == len(keys)
    assert overrun == (100 - 24) * 60  # brought up to date whenever the case is examined
    # a pass finds nothing to do before a case's next level is due
    with store() as uow:
        next_check = uow.session.scalar(select(Complaint.next_check_at).where(
            Complaint.id == ids[0]))
    assert next_check == start + timedelta(hours=126)  # the closure clock reaches 75 %

