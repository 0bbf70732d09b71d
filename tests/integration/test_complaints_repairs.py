"""Repairs (售后维修) on PostgreSQL: on-site clocks by amount, self-repair only once missed and
then 200 % from the warranty deposit, the four signatures, the visit; the contractor list,
its evaluation, the monthly statistics and the forms."""
import base64
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from contracts import complaints as C
from contracts.base import load
from contracts.scope import actor
from contracts.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.complaints import handlers, reports, repairs, sla

pytestmark = pytest.mark.integration

CS = {"actor": actor("kefu1", "customer_service")}
REPAIR_DEPT = {"actor": actor("weixiu1", "engineering")}
START = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)


def run(store, handler, schema, payload):
    with store() as uow:
        return handler(uow, load(schema(), payload))


def at(monkeypatch, moment):
    monkeypatch.setattr(repairs, "utcnow", lambda: moment)


def contractor(store, name, deposit="50000.00"):
    return run(store, repairs.register_contractor, C.RegisterContractorSchema, {
        **CS, "name": name, "trade": "水电", "contact_person": "陈工", "phone": "13900000000",
        "warranty_deposit": deposit})


def order(store, contractor_id, amount, urgency="normal"):
    return run(store, repairs.order_repair, C.OrderRepairSchema, {
        **CS, "unit_id": 21, "project_id": 3, "customer_id": 11, "contractor_id": contractor_id,
        "description": "厨房水管漏水", "estimated_amount": amount, "urgency": urgency})


def test_a_missed_on_site_deadline_charges_the_deposit_200_percent(stores, monkeypatch):
    store = stores["complaints"]
    builder = contractor(store, "恒通水电")
    at(monkeypatch, START)
    small = order(store, builder["id"], "800.00")
    large = order(store, builder["id"], "1000.01")
    assert [c["due_at"] for c in small["clocks"]][0] == START + timedelta(hours=24)
    assert [c["due_at"] for c in large["clocks"]][0] == START + timedelta(hours=36)
    at(monkeypatch, START + timedelta(hours=23))
    with pytest.raises(Conflict) as early:  # the contractor still has an hour
        run(store, repairs.self_repair, C.RepairRef, {**REPAIR_DEPT, "repair_id": small["id"]})
    assert "status" in early.value.details
    at(monkeypatch, START + timedelta(hours=25))
    ref = {"repair_id": small["id"]}
    with pytest.raises(Forbidden):
        run(store, repairs.self_repair, C.RepairRef, {**CS, **ref})
    run(store, repairs.self_repair, C.RepairRef, {**REPAIR_DEPT, **ref})
    done = run(store, repairs.complete, C.CompleteRepairSchema, {**REPAIR_DEPT, **ref,
                                                                 "actual_cost": "650.50"})
    assert done["deposit_charge"] == Decimal("1301.00") and done["missed"]
    for signer, name in (("repair_department", "周工"), ("owner", "王五"),
                         ("supervisor", "监理李"), ("project_department", "项目部赵")):
        with pytest.raises(Conflict):
            run(store, repairs.visit, C.RepairVisitSchema, {**CS, **ref, "satisfaction": "satisfied"})
        signed = run(store, repairs.sign, C.SignRepairSchema, {**REPAIR_DEPT, **ref,
                                                               "signer": signer, "name": name})
    assert signed["status"] == "signed_off"
    visited = run(store, repairs.visit, C.RepairVisitSchema, {**CS, **ref,
                                                              "satisfaction": "satisfied"})
    assert visited["status"] == "visited"
    # the large one: the contractor came in time
    at(monkeypatch, START + timedelta(hours=30))
    arrived = run(store, repairs.arrive, C.RepairRef, {**REPAIR_DEPT, "repair_id": large["id"]})
    assert not arrived["missed"]
    listed = repairs.list_contractors(store.session_factory(), CS)["contractors"]
    mine = next(c for c in listed if c["id"] == builder["id"])
    assert mine["charged"] == Decimal("1301.00")
    assert mine["deposit_left"] == Decimal("48699.00")
    types = [e for e in _outbox(store) if e["data"].get("repair_id") == small["id"]]
    assert [e["type"] for e in types] == ["repair_ordered", "self_repair_started",
                                          "repair_completed", "repair_signed", "repair_signed",
                                          "repair_signed", "repair_signed", "repair_visited"]
    assert {e["unit_id"] for e in types} == {21}
    # the pass stores the breach of the on-site clock with its overrun
    sla.sweep(store, now=START + timedelta(hours=31))
    view = repairs.get_repair(store.session_factory(), {**CS, **ref})
    assert [(b["clock"], b["overrun_minutes"]) for b in view["breaches"]] == [
        ("repair_on_site_small", 60)]


def test_an_emergency_is_repaired_at_once_and_charged_at_cost(stores, monkeypatch):
    store = stores["complaints"]
    builder = contractor(store, "急修队")
    at(monkeypatch, START)
    urgent = order(store, builder["id"], "300.00", "emergency")
    assert urgent["clock"] == "repair_emergency"
    ref = {"repair_id": urgent["id"]}
    run(store, repairs.self_repair, C.RepairRef, {**REPAIR_DEPT, **ref})
    done = run(store, repairs.complete, C.CompleteRepairSchema, {**REPAIR_DEPT, **ref,
                                                                 "actual_cost": "300.00"})
    assert done["deposit_charge"] == Decimal("300.00") and not done["missed"]


def test_bad_repair_input_names_the_field(stores):
    store = stores["complaints"]
    with pytest.raises(InvalidInput) as fen:
        load(C.OrderRepairSchema(), {**CS, "unit_id": 1, "project_id": 1, "contractor_id": 1,
                                     "description": "x", "estimated_amount": "10.001"})
    assert "estimated_amount" in fen.value.details
    with pytest.raises(NotFound) as unknown:
        order(store, 999999, "10.00")
    assert "contractor_id" in unknown.value.details
    with pytest.raises(InvalidInput) as control:
        load(C.FileComplaintSchema(), {**CS, "complainant_name": "a\x00b", "contact": "x",
                                       "channel": "phone", "content": "x"})
    assert "complainant_name" in control.value.details


def test_evaluation_statistics_and_forms(stores, monkeypatch):
    store = stores["complaints"]
    builder = contractor(store, "=HYPERLINK(\"http://x\")")
    run(store, repairs.evaluate_contractor, C.EvaluateContractorSchema, {
        **CS, "contractor_id": builder["id"], "period": "2026-11", "quality": 4,
        "timeliness": 3, "attitude": 5})
    with pytest.raises(Conflict):
        run(store, repairs.evaluate_contractor, C.EvaluateContractorSchema, {
            **CS, "contractor_id": builder["id"], "period": "2026-11", "quality": 1,
            "timeliness": 1, "attitude": 1})
    at(monkeypatch, START)
    repair = order(store, builder["id"], "500.00")
    at(monkeypatch, START + timedelta(hours=2))
    run(store, repairs.arrive, C.RepairRef, {**REPAIR_DEPT, "repair_id": repair["id"]})
    monkeypatch.setattr(handlers, "utcnow", lambda: START)
    with store() as uow:
        filed = handlers.file_complaint(uow, load(C.FileComplaintSchema(), {
            **CS, "complainant_name": "=1+1", "contact": "x", "channel": "phone",
            "content": "=HYPERLINK(\"http://evil\")", "project_id": 3}))
    session = store.session_factory()
    stats = reports.monthly_statistics(session, {**CS, "month": "2026-11", "project_id": 3})
    assert stats["complaints"]["total"] >= 1
    row = next(r for r in stats["repairs"] if r["contractor_id"] == builder["id"])
    assert row["repairs"] == 1 and row["on_time"] == 1 and row["on_time_rate"] == Decimal("100.0")
    with pytest.raises(Forbidden):
        reports.monthly_statistics(session, {"actor": actor("c", "consultant"), "month": "2026-11"})
    for kind, extra in (("record_card", {"complaint_id": filed["id"]}),
                        ("investigation_report", {"complaint_id": filed["id"]}),
                        ("monthly_statistics", {"month": "2026-11"}),
                        ("repair_register", {"month": "2026-11", "project_id": 3})):
        content = reports.export(session, load(C.ExportSchema(), {**CS, "kind": kind, **extra}))
        book = load_workbook(io.BytesIO(base64.b64decode(content["content_base64"])))
        cells = [c for sheet in book for r in sheet.iter_rows() for c in r]
        assert not any(c.data_type == "f" for c in cells), kind
    card = load_workbook(io.BytesIO(base64.b64decode(reports.export(session, load(
        C.ExportSchema(), {**CS, "kind": "record_card", "complaint_id": filed["id"]}))[
        "content_base64"])))
    values = [c.value for r in card.active.iter_rows() for c in r]
    assert "=1+1" in values
    session.close()


def _outbox(store):
    from sqlalchemy import select
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        return connection.execute(select(table.c.payload).order_by(table.c.id)).scalars().all()
