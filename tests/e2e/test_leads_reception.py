"""Reception through the gateway: registration with the allocation's explanation, a follow-up
by the own consultant only, a grade change, masked mobiles for everyone else, and an export."""
import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import wait_for
from tests.messaging import send_to_queue, valid_event

pytestmark = pytest.mark.e2e


def test_register_follow_up_grade_and_masking(suite, admin):
    manager = suite.add_user("manager-reception", "sales_manager")
    office = manager.post("/api/v1/offices", {"code": "e2e-reception", "name": "洛阳案场",
                                              "region_code": "xc"})
    assert office.status_code == 201, office.text
    office_id = office.json()["id"]
    # a sales manager who manages no office yet staffs none: the admin does
    assert manager.post("/api/v1/consultants", {"office_id": office_id,
                                                "name": "甲"}).status_code == 403
    staff = [admin.post("/api/v1/consultants", {"office_id": office_id, "name": name}).json()
             for name in ("甲", "乙")]
    # the office manager is a consultant record of kind manager (their user's consultant_id)
    office_manager = admin.post("/api/v1/consultants", {"office_id": office_id, "name": "经理",
                                                        "kind": "manager"}).json()
    boss = suite.add_user("manager-of-reception", "sales_manager",
                          consultant_id=office_manager["id"])
    first = suite.add_user("consultant-jia", "consultant", consultant_id=staff[0]["id"])
    second = suite.add_user("consultant-yi", "consultant", consultant_id=staff[1]["id"])

    registered = first.post("/api/v1/visits", {
        "office_id": office_id, "name": "张三", "mobile": "13912345678", "gender": "male",
        "age_band": "35_44", "channel": "daily_paper", "focus_points": ["school"],
        "intended_product": {"layout": "3b2l", "total_price_band": "610k_800k"},
        "visitors": 2, "visitor_relation": "夫妻"})
    assert registered.status_code == 201, registered.text
    body = registered.json()
    customer = body["customer"]
    assert customer["code"] == "xc-zs001" and customer["mobile"] == "13912345678"
    assert body["assignment"]["rule"] == "new_visitor_rotation"
    assert body["assignment"]["explanation"].startswith("reception rotation")
    assert customer["consultant_id"] == staff[0]["id"]

    bad = first.post("/api/v1/visits", {"office_id": office_id, "name": "李四",
                                        "mobile": "1234"})
    assert bad.status_code == 400 and "mobile" in bad.json()["error"]["fields"]
    unknown = first.post("/api/v1/calls", {"office_id": 999_999, "name": "李四",
                                           "mobile": "13912345679"})
    assert unknown.status_code == 404 and "office_id" in unknown.json()["error"]["fields"]

    path = f"/api/v1/customers/{customer['id']}"
    follow = {"kind": "call", "content": "约周六看样板间", "reaction": "积极",
              "next_appointment": "2026-12-05T02:00:00+00:00"}
    logged = first.post(f"{path}/follow-ups", follow)
    assert logged.status_code == 201, logged.text
    refused = second.post(f"{path}/follow-ups", follow)
    assert refused.status_code == 403 and "customer_id" in refused.json()["error"]["fields"]

    graded = first.put(f"{path}/grade", {"grade": "B", "note": "资金未到位"})
    assert graded.status_code == 200, graded.text
    promoted = boss.put(f"{path}/grade", {"grade": "A"})
    assert [(g["to_grade"], g["changed_by"]) for g in promoted.json()["grades"]] == [
        ("B", "consultant-jia"), ("A", "manager-of-reception")]
    outside = first.put(f"{path}/grade", {"grade": "E"})
    assert outside.status_code == 400 and "grade" in outside.json()["error"]["fields"]
    assert second.put(f"{path}/grade", {"grade": "C"}).status_code == 403

    assert second.get(path).json()["mobile"] == "139****5678"
    assert first.get(path).json()["mobile"] == "13912345678"
    assert boss.get(path).json()["mobile"] == "13912345678"  # manager of this office
    assert manager.get(path).status_code == 403  # a sales manager who manages no office
    assert admin.get(path).json()["mobile"] == "13912345678"
    file = first.get(f"{path}/file").json()
    assert len(file["follow_ups"]) == 1 and file["customer"]["grade"] == "A"

    exported = second.get(f"/api/v1/offices/{office_id}/exports/visit-register")
    assert exported.status_code == 200, exported.text
    assert exported.headers["X-Export-Rows"] == "0"  # a consultant exports only their own
    sheet = load_workbook(io.BytesIO(boss.get(
        f"/api/v1/offices/{office_id}/exports/grade-tracking").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("NO.", "时间", "客户姓名", "客户级别", "置业顾问", "升级情况")
    assert rows[1][2:6] == ("张三", "A", "甲", "B→A")
    assert first.get(f"/api/v1/offices/{office_id}/exports/grade-tracking").status_code == 403
    log = boss.get(f"/api/v1/offices/{office_id}/exports").json()["exports"]
    assert [(e["kind"], e["exported_by"], e["row_count"]) for e in log] == [
        ("grades", "manager-of-reception", 1), ("visits", "consultant-yi", 0)]


def test_an_agents_call_becomes_a_confirmed_visit(suite, admin):
    office_id = admin.post("/api/v1/offices", {"code": "e2e-callcenter", "name": "电开",
                                               "region_code": "dk"}).json()["id"]
    sales = admin.post("/api/v1/consultants", {"office_id": office_id, "name": "丙"}).json()
    agent = admin.post("/api/v1/consultants", {"office_id": office_id, "name": "电开一",
                                               "kind": "call_agent"}).json()
    head = admin.post("/api/v1/consultants", {"office_id": office_id, "name": "经理",
                                              "kind": "manager"}).json()
    manager = suite.add_user("manager-calls-center", "sales_manager", consultant_id=head["id"])
    consultant = suite.add_user("consultant-bing", "consultant", consultant_id=sales["id"])
    caller = suite.add_user("agent-one", "call_agent", consultant_id=agent["id"])
    manager.imported("/api/v1/call-lists", "手机\n17300000001\n".encode(), source="own_visitors")
    handed = manager.post("/api/v1/call-pool/distributions", {
        "agent_ids": [agent["id"]], "per_agent": 5, "source": "own_visitors"})
    assert handed.status_code == 201 and handed.json()["assigned"] == {str(agent["id"]): 1}
    lead = caller.get(f"/api/v1/call-agents/{agent['id']}/leads").json()["leads"][0]
    assert consultant.get(f"/api/v1/call-agents/{agent['id']}/leads").status_code == 403
    called = caller.post(f"/api/v1/call-leads/{lead['id']}/calls", {
        "connected": True, "outcome": "A", "invite_at": "2026-12-01T06:00:00+00:00"})
    assert called.status_code == 201, called.text
    invitation = called.json()["invitation"]
    consultant.post("/api/v1/visits", {"office_id": office_id, "name": "王五",
                                       "mobile": lead["mobile"]})
    confirmed = consultant.post(f"/api/v1/invitations/{invitation['id']}/confirmation")
    assert confirmed.status_code == 201 and confirmed.json()["status"] == "confirmed"
    day = caller.get(f"/api/v1/offices/{office_id}/call-center/day").json()["agents"][0]
    assert (day["dialed"], day["A"], day["invitations"], day["confirmed_visits"]) == (1, 1, 1, 1)


def test_a_confirmed_deposit_on_the_broker_makes_the_customer_a_deal(suite, admin):
    office_id = admin.post("/api/v1/offices", {"code": "e2e-deal", "name": "成交",
                                               "region_code": "cj"}).json()["id"]
    admin.post("/api/v1/consultants", {"office_id": office_id, "name": "丁"})
    customer = admin.post("/api/v1/visits", {"office_id": office_id, "name": "赵六",
                                             "mobile": "13512340000"}).json()["customer"]
    event = valid_event("transactions.deposit_confirmed", customer_id=customer["id"], unit_id=1)
    send_to_queue(suite.env["AMQP_URI"], "leads", [event, event])  # a duplicate changes nothing

    def dealt():
        found = admin.get(f"/api/v1/customers/{customer['id']}").json()
        return found if found["outcome"] == "deal" else None
    assert wait_for(dealt)["outcome"] == "deal"
    graded = admin.put(f"/api/v1/customers/{customer['id']}/grade", {"grade": "A"})
    assert graded.status_code == 409 and "customer_id" in graded.json()["error"]["fields"]


def test_phone_order_calls_and_a_manager_override_through_the_gateway(suite, admin):
    office_id = admin.post("/api/v1/offices", {"code": "e2e-phones", "name": "电话",
                                               "region_code": "dh"}).json()["id"]
    a, b = [admin.post("/api/v1/consultants", {"office_id": office_id, "name": name}).json()["id"]
            for name in ("戊", "己")]
    roster = admin.put(f"/api/v1/offices/{office_id}/roster", {"phone_order": [b, a]})
    assert roster.status_code == 200 and roster.json()["phone_order"] == [b, a]
    unknown = admin.put(f"/api/v1/offices/{office_id}/roster", {"phone_order": [999_999]})
    assert unknown.status_code == 404 and "phone_order.0" in unknown.json()["error"]["fields"]
    called = admin.post("/api/v1/calls", {"office_id": office_id, "name": "孙七",
                                          "mobile": "13612340000", "ad_medium": "晚报",
                                          "ad_theme": "开盘"})
    assert called.status_code == 201, called.text
    assert called.json()["assignment"]["rule"] == "call_phone_order"
    assert called.json()["assignment"]["consultant_id"] == b
    path = f"/api/v1/customers/{called.json()['customer']['id']}/reassignments"
    no_reason = admin.post(path, {"consultant_id": a})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    moved = admin.post(path, {"consultant_id": a, "reason": "客户要求"})
    assert moved.status_code == 201 and moved.json()["assignment"]["rule"] == "manager_override"
