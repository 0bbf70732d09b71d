"""The call center's figures through the gateway, a deal coming from a real deposit: per agent
per day, per source (call → visit → deal), the monthly ranking; and the visit and call
registers as XLSX in the seed's columns, each export logged."""
import io
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e

VISIT_COLUMNS = ("客户编号", "来访日期", "置业顾问", "客户姓名", "性别", "年龄", "婚姻状况",
                 "手机", "现住区域", "地址", "邮编", "家庭结构", "来访人数及关系", "认知途径",
                 "询问重点", "购买动机", "客户类别", "物业类型", "所需面积", "户型", "单价",
                 "总价", "付款方式", "推荐房源", "意向房源", "其他洽谈内容及洽谈结果", "分配依据")
CALL_COLUMNS = ("序号", "来电时间", "客户姓名", "联系方式", "获知渠道", "现住区域", "购房类型",
                "需求房型", "需求面积", "购房用途", "接受价格", "咨询洽谈内容", "置业顾问",
                "广告投放媒体及主题")


def mobile():
    return f"15{uuid.uuid4().int % 10**9:09d}"


def sheet_rows(response):
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet.title, list(sheet.iter_rows(values_only=True))


def deposit_for(suite, admin, consultant, customer_id):
    """Project, hold and deposit as at the sales desk; waits for the deposit's confirmation."""
    code = uuid.uuid4().hex[:6]
    project = admin.post("/api/v1/projects", {"code": f"cc-{code}", "name": f"Garden {code}",
                                              "buildings": [{"name": "1", "units": [{
                                                  "number": "101", "floor": 1,
                                                  "building_area": "89.50",
                                                  "list_price": "1200000.00",
                                                  "layout": "3/2"}]}]})
    assert project.status_code == 201, project.text
    board = admin.get(f"/api/v1/projects/{project.json()['id']}/board").json()
    unit_id = board["units"][0][board["columns"].index("id")]
    hold = consultant.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": customer_id})
    assert hold.status_code == 201, hold.text
    deposit = consultant.post("/api/v1/deposits", {
        "unit_id": unit_id, "project_id": project.json()["id"], "customer_id": customer_id,
        "amount": "20000.00", "kind": "small"})
    assert deposit.status_code == 201, deposit.text
    assert wait_for(lambda: admin.get(f"/api/v1/deposits/{deposit.json()['id']}")
                    .json()["status"] == "confirmed")


def test_agent_day_source_conversion_ranking_and_register_exports(suite, admin):
    office = admin.post("/api/v1/offices", {"code": f"e2e-cc-{uuid.uuid4().hex[:6]}",
                                            "name": "电开中心", "region_code": "dk"}).json()
    office_id = office["id"]
    staff = {}
    for name, kind in (("顾问甲", "sales"), ("电开一", "call_agent"), ("电开二", "call_agent"),
                       ("经理", "manager")):
        staff[name] = admin.post("/api/v1/consultants", {"office_id": office_id, "name": name,
                                                         "kind": kind}).json()["id"]
    seller = suite.add_user(f"cc-seller-{office_id}", "consultant", consultant_id=staff["顾问甲"])
    first = suite.add_user(f"cc-agent1-{office_id}", "call_agent", consultant_id=staff["电开一"])
    second = suite.add_user(f"cc-agent2-{office_id}", "call_agent", consultant_id=staff["电开二"])
    manager = suite.add_user(f"cc-manager-{office_id}", "sales_manager",
                             consultant_id=staff["经理"])

    numbers = [mobile() for _ in range(3)]
    upload = manager.imported("/api/v1/call-lists",
                              ("手机\n" + "\n".join(numbers) + "\n").encode(),
                              source="expansion", file_name="拓展.csv")
    assert upload["added"] == 3, upload
    handed = manager.post("/api/v1/call-pool/distributions", {
        "agent_ids": [staff["电开一"], staff["电开二"]], "per_agent": 2, "source": "expansion"})
    assert handed.json()["assigned"] == {str(staff["电开一"]): 2, str(staff["电开二"]): 1}
    mine = first.get(f"/api/v1/call-agents/{staff['电开一']}/leads").json()["leads"]
    theirs = second.get(f"/api/v1/call-agents/{staff['电开二']}/leads").json()["leads"]
    invited = first.post(f"/api/v1/call-leads/{mine[0]['id']}/calls", {
        "connected": True, "outcome": "A", "invite_at": "2026-12-01T06:00:00+00:00"}).json()
    assert first.post(f"/api/v1/call-leads/{mine[1]['id']}/calls",
                      {"connected": False}).status_code == 201
    assert second.post(f"/api/v1/call-leads/{theirs[0]['id']}/calls",
                       {"connected": True, "outcome": "C"}).status_code == 201

    visit = seller.post("/api/v1/visits", {
        "office_id": office_id, "name": "周十", "mobile": mine[0]["mobile"], "gender": "female",
        "channel": "phone_invite", "visitors": 3, "visitor_relation": "一家",
        "intended_product": {"layout": "3b2l"}, "notes": "看样板间"}).json()
    customer = visit["customer"]
    confirmed = seller.post(f"/api/v1/invitations/{invited['invitation']['id']}/confirmation")
    assert confirmed.status_code == 201, confirmed.text
    deposit_for(suite, admin, seller, customer["id"])
    assert wait_for(lambda: admin.get(f"/api/v1/customers/{customer['id']}")
                    .json()["outcome"] == "deal")

    day = manager.get(f"/api/v1/offices/{office_id}/call-center/day").json()
    figures = {row["agent_id"]: {k: v for k, v in row.items() if k not in ("agent_id", "name")}
               for row in day["agents"]}
    assert figures == {
        staff["电开一"]: {"dialed": 2, "connected": 1, "A": 1, "B": 0, "C": 0, "D": 0,
                        "invitations": 1, "confirmed_visits": 1, "deals": 1},
        staff["电开二"]: {"dialed": 1, "connected": 1, "A": 0, "B": 0, "C": 1, "D": 0,
                        "invitations": 0, "confirmed_visits": 0, "deals": 0}}

    # a sales manager gets their office's conversion without naming it
    sources = manager.get("/api/v1/call-center/sources").json()["sources"]
    assert sources == [{"source": "expansion", "numbers": 3, "called": 3, "connected": 2,
                        "visits": 1, "deals": 1, "visit_rate": "0.3333",
                        "deal_rate": "1.0000"}]

    month = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    ranking = first.get(f"/api/v1/offices/{office_id}/call-center/ranking",
                        params={"month": month}).json()["ranking"]
    assert [(r["rank"], r["agent_id"], r["confirmed_visits"], r["deals"]) for r in ranking] == [
        (1, staff["电开一"], 1, 1), (2, staff["电开二"], 0, 0)]
    bad_month = manager.get(f"/api/v1/offices/{office_id}/call-center/ranking",
                            params={"month": "2026-13"})
    assert bad_month.status_code == 400 and "month" in bad_month.json()["error"]["fields"]

    caller = seller.post("/api/v1/calls", {
        "office_id": office_id, "name": "吴十一", "mobile": mobile(), "channel": "evening_paper",
        "residence_area": "西工区", "ad_medium": "晚报", "ad_theme": "开盘",
        "notes": "问价格"}).json()["customer"]

    title, rows = sheet_rows(manager.get(f"/api/v1/offices/{office_id}/exports/visit-register"))
    assert title == "来访客户登记表" and rows[0] == VISIT_COLUMNS and len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert (row["客户编号"], row["置业顾问"], row["客户姓名"], row["性别"], row["手机"]) == (
        customer["code"], "顾问甲", "周十", "女", mine[0]["mobile"])
    assert (row["来访人数及关系"], row["认知途径"], row["户型"], row["其他洽谈内容及洽谈结果"],
            row["婚姻状况"]) == ("3人 一家", "电话邀约", "3/2", "看样板间", "/")

    title, rows = sheet_rows(manager.get(f"/api/v1/offices/{office_id}/exports/call-register"))
    assert title == "来电客户登记表" and rows[0] == CALL_COLUMNS and len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert (row["序号"], row["客户姓名"], row["联系方式"], row["获知渠道"], row["现住区域"],
            row["咨询洽谈内容"], row["置业顾问"], row["广告投放媒体及主题"]) == (
        1, "吴十一", caller["mobile"], "晚报", "西工区", "问价格", "顾问甲", "晚报 开盘")

    log = manager.get(f"/api/v1/offices/{office_id}/exports").json()["exports"]
    assert [(e["kind"], e["exported_by"], e["row_count"]) for e in log] == [
        ("calls", manager_name(office_id), 1), ("visits", manager_name(office_id), 1)]


def manager_name(office_id):
    return f"cc-manager-{office_id}"
