"""After the sale on PostgreSQL: collections of overdue items with their escalation, the deal
report fed by leads' events, and the deposit saga's timeout."""
import base64
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from contracts import transactions as schemas
from contracts.base import load
from contracts.envelope import parse_event
from contracts.errors import Conflict, Forbidden
from infra.database import handle_once
from services.transactions import collecting, deals, handlers, plans, sales

from tests.integration.test_transactions_plans import set_plan, signed_contract
from tests.integration.test_transactions_sales import (confirmed_order, deposit, new_project,
                                                       outbox, pay, reserved)
from tests.messaging import valid_event

pytestmark = pytest.mark.integration


def collect(store, contract_id, seq, role, action="contact", note="电话催款,客户答应周五付"):
    with store() as uow:
        return collecting.record_collection(uow, {"contract_id": contract_id, "seq": seq,
                                                  "action": action, "note": note,
                                                  "by": f"{role}-user", "role": role})


def test_overdue_items_per_consultant_and_the_escalation_ladder(stores):
    store = stores["transactions"]
    signed = signed_contract(store, method="installments", mortgage_documents_due=None)
    set_plan(store, signed["id"], [
        {"kind": "installment", "due_date": "2026-01-10", "amount": "400000.00"},
        {"kind": "installment", "due_date": "2026-02-10", "amount": "400000.00"},
        {"kind": "installment", "due_date": "2099-03-10", "amount": "400000.00"}])
    pay(store, signed["order_form_id"], "380000.00")  # with the deposit: the first item
    with store() as uow:
        mine = collecting.overdue(uow.session, consultant_id=3)
        nobody = collecting.overdue(uow.session, consultant_id=999)
    items = [i for c in mine["consultants"] for i in c["items"]
             if i["contract_id"] == signed["id"]]
    assert [(i["seq"], i["outstanding"], i["level"]) for i in items] == [
        (2, Decimal("400000.00"), "consultant")]
    assert nobody["consultants"] == []

    with pytest.raises(Conflict):  # paid, or not due yet: nothing to collect
        collect(store, signed["id"], 1, "consultant")
    with pytest.raises(Conflict):
        collect(store, signed["id"], 3, "consultant")
    with pytest.raises(Forbidden):
        collect(store, signed["id"], 2, "sales_manager")
    collect(store, signed["id"], 2, "consultant")
    collect(store, signed["id"], 2, "consultant", "escalate", "客户对合同有异议")
    with pytest.raises(Forbidden) as moved:
        collect(store, signed["id"], 2, "consultant")
    assert "sales_manager" in moved.value.message
    collect(store, signed["id"], 2, "sales_manager", "escalate", "客户拒不交款,交财务")
    case = collect(store, signed["id"], 2, "finance", note="发律师函")
    with pytest.raises(Conflict):
        collect(store, signed["id"], 2, "finance", "escalate", "还能往哪")
    assert case["level"] == "finance"
    assert [(s["level"], s["action"], s["by"]) for s in case["steps"]] == [
        ("consultant", "contact", "consultant-user"), ("consultant", "escalate", "consultant-user"),
        ("sales_manager", "escalate", "sales_manager-user"), ("finance", "contact", "finance-user")]


def leads_event(key, customer_id, occurred_at, data):
    return parse_event(valid_event(key, data, customer_id=customer_id, occurred_at=occurred_at))


def test_the_deal_report_counts_visits_from_leads_events(stores):
    store = stores["transactions"]
    project = new_project()
    customer = project  # a customer id of this test alone
    for days, kind in ((12, "visit"), (5, "call"), (4, "visit"), (1, "visit")):
        recorded = leads_event("leads.visit_recorded", customer,
                               datetime.now(timezone.utc) - timedelta(days=days), {
            "kind": kind, "office_id": 1, "customer_code": "ly-zs001", "consultant_id": 3,
            "assisted_by": None, "rule": "returning_customer", "explanation": "their consultant",
            "channel": "referral", "first": days == 12})
        handle_once(store, recorded, deals.on_visit_recorded)
        handle_once(store, recorded, deals.on_visit_recorded)  # redelivered: counted once
    form = confirmed_order(store, project, customer_id=customer)
    with store() as uow:
        report = deals.deal_report(uow.session, form["deposit_id"])
        listed = deals.project_deals(uow.session, project)
    assert (report["customer_code"], report["channel"], report["visits"], report["calls"]) == (
        "ly-zs001", "referral", 3, 1)
    assert report["visits_box"] == "三次" and report["days_first_visit_to_deposit"] in (11, 12, 13)
    assert (report["total_price"], report["building_area"]) == (Decimal("1200000.00"),
                                                                Decimal("89.50"))
    assert [r["deposit_id"] for r in listed] == [form["deposit_id"]]
    # the form's 自首次看房至大定时间 counts to the 大定: a small deposit has none until topped up
    assert (report["deposit_kind"], report["large_deposit_at"]) == ("small", None)
    assert report["days_first_visit_to_large_deposit"] is None
    assert (report["queue_date"], report["birth_date"]) == (
        plans.office_date(report["deposit_at"]), date(1990, 1, 1))
    assert set(report["customer"]) >= {"gender", "mobile", "occupation", "friends_looking"}
    assert set(report["property"]) == {"location", "garden_area", "other_area",
                                       "property_type", "building_category", "layout"}
    with store() as uow:
        top_up = sales.record_payment(uow, load(schemas.RecordPaymentSchema(), {
            "order_form_id": form["id"], "amount": "30000.00", "purpose": "deposit",
            "recorded_by": "finance-li"}))
    pay(store, form["id"], "1000.00")  # not a deposit payment: not the 大定
    with store() as uow:
        report = deals.deal_report(uow.session, form["deposit_id"])
    assert report["large_deposit_at"] == top_up["paid_at"]
    assert report["days_first_visit_to_large_deposit"] in (11, 12, 13)

    boxes = [{"deposit_id": form["deposit_id"],
              "customer": {**report["customer"], "gender": "female", "occupation": "teacher"},
              "property": {**report["property"], "location": "1-101", "layout": "3/2"}}]
    with store() as uow:
        file = deals.deal_reports_file(uow.session, project, boxes)
    sheet = load_workbook(io.BytesIO(base64.b64decode(file["content_base64"])))["客户成交报告"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("客户编号", "成交业务员", "排号日期", "认购日期", "签约日期")
    cells = dict(zip(header, row))
    assert {title: cells[title] for title in ("客户编号", "性别", "职业", "出生日期", "坐落位置",
                                              "房型", "来访次数", "主要异议", "签约日期")} == {
        "客户编号": "ly-zs001", "性别": "female", "职业": "teacher",
        "出生日期": datetime(1990, 1, 1), "坐落位置": "1-101", "房型": "3/2", "来访次数": "三次",
        "主要异议": "/", "签约日期": "/"}
    assert cells["自首次看房至大定时间(天)"] == report["days_first_visit_to_large_deposit"]
    assert cells["总房款"] == 1200000 and sheet["AH2"].number_format == "#,##0.00"


def test_a_deposit_inventory_never_answers_is_flagged_once_and_still_settles_late(stores):
    store = stores["transactions"]
    taken = deposit(store, new_project())
    now = datetime.now(timezone.utc)
    with store() as uow:
        assert taken["id"] not in handlers.flag_unanswered_deposits(uow, now, timedelta(hours=1))
    later = now + timedelta(minutes=20)
    with store() as uow:
        assert taken["id"] in handlers.flag_unanswered_deposits(uow, later, timedelta(minutes=15))
    with store() as uow:  # once only
        assert taken["id"] not in handlers.flag_unanswered_deposits(uow, later,
                                                                    timedelta(minutes=15))
        assert taken["id"] in [d["id"] for d in handlers.unanswered_deposits(uow.session)]
    flagged = [e for e in outbox(store, "transactions.deposit_unanswered")
               if e["data"]["deposit_id"] == taken["id"]]
    assert len(flagged) == 1 and flagged[0]["data"]["waited_seconds"] >= 1200
    handle_once(store, reserved(taken), handlers.on_unit_reserved)  # the late answer
    with store() as uow:
        assert handlers.get_deposit(uow.session, taken["id"])["status"] == "confirmed"
        assert taken["id"] not in [d["id"] for d in handlers.unanswered_deposits(uow.session)]
