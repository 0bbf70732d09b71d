"""The console's customer-service, call-center and Excel screens in a real headless Chromium
against the real services: complaints with their clocks (red when breached) and steps, an
agent's call list with a call recorded and the day's figures, the API's workbooks passed on
with their file names, and the archive's borrowing register."""
import re
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from console.board_view import local_time
from infra.working_calendar import SHANGHAI
from tests.e2e.conftest import wait_for
from tests.e2e.test_console import browser, mobile, open_as, screenshot  # noqa: F401
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_customer_service_sees_complaints_with_their_clocks_red_when_breached(
        browser, suite, admin):  # noqa: F811
    project, (unit_id, _) = make_project(admin)
    # another project gives no time for the first response: its complaint's clock is breached
    strict, (other_unit, _) = make_project(admin)
    pid = project["id"]
    kefu = suite.add_user(f"console-kefu-{pid}", "customer_service",
                          project_ids=[pid, strict["id"]])
    zong = suite.add_user(f"console-zong-{pid}", "general_manager")
    suite.add_user(f"console-weixiu-{pid}", "engineering", project_ids=[pid])
    ok(kefu.post("/api/v1/contractors", {
        "name": f"安装维修{pid}", "trade": "水电", "contact_person": "陈工",
        "phone": "13900139001", "warranty_deposit": "8000.00"}), 201)
    body = {"complainant_name": "孙七", "contact": "13700137001", "channel": "phone",
            "content": "卧室墙面开裂", "request": "compensation"}
    in_time = ok(kefu.post("/api/v1/complaints", {**body, "unit_id": unit_id}), 201)
    ok(zong.post(f"/api/v1/projects/{strict['id']}/clock-policies",
                 {"clock": "first_response", "hours": "0"}), 201)
    late = ok(kefu.post("/api/v1/complaints", {**body, "content": "电梯噪音",
                                                "unit_id": other_unit}), 201)
    wait_for(lambda: any(c["breached"] for c in ok(kefu.get(
        f"/api/v1/complaints/{late['id']}"))["clocks"]), timeout=60)
    ok(kefu.post(f"/api/v1/complaints/{in_time['id']}/acceptance",
                 {"category": "quality_defect", "note": "现场核实"}))

    page = open_as(browser, suite, f"console-kefu-{pid}", "/complaints")
    expect(page.get_by_role("navigation", name="主菜单").get_by_role("link", name="客服")) \
        .to_be_visible()
    late_row = page.locator(f'tr[data-complaint-id="{late["id"]}"]')
    expect(late_row).to_have_attribute("data-breached", "true")
    expect(late_row).to_have_class(re.compile("overdue"))
    expect(late_row).to_contain_text("超时")
    fine_row = page.locator(f'tr[data-complaint-id="{in_time["id"]}"]')
    expect(fine_row).to_have_attribute("data-breached", "false")
    closure = ok(kefu.get(f"/api/v1/complaints/{in_time['id']}"))["clocks"]
    due = next(c for c in closure if c["clock"] == "closure" and not c["stopped_at"])
    expect(fine_row.locator('[data-clock="closure"]')).to_contain_text(
        local_time(due["due_at"]) + " · 剩")
    expect(page.locator('tr[data-contractor-id]').filter(has_text=f"安装维修{pid}")) \
        .to_contain_text("8,000.00")
    screenshot(page, "complaints")

    # the detail: clocks, the steps so far, and the record card as Excel
    fine_row.get_by_role("link").click()
    page.wait_for_url(f"{suite.console_url}/complaints/{in_time['id']}")
    expect(page.locator('.timeline li[data-status="accepted"]')).to_contain_text(
        f"已受理 · console-kefu-{pid}")
    expect(page.locator('.clocks tr[data-clock="closure"]')).to_be_visible()
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=re.compile("投诉记录卡")).click()
    card = downloaded.value
    assert card.suggested_filename.endswith(".xlsx")
    with open(card.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"
    page.goto(f"{suite.console_url}/complaints/{late['id']}")
    expect(page.locator('.clocks tr[data-clock="first_response"]')).to_have_attribute(
        "data-breached", "true")
    page.context.close()

    # a consultant with no complaint of theirs sees an empty list; an archivist the API's 403
    archivist = f"console-kefu-archivist-{pid}"
    suite.add_user(archivist, "archivist")
    other = open_as(browser, suite, archivist, "/complaints")
    expect(other.get_by_role("alert")).to_contain_text("403")
    other.context.close()


def test_an_agent_records_calls_from_the_list_and_the_manager_sees_the_day_and_ranking(
        browser, suite, admin):  # noqa: F811
    office = admin.post("/api/v1/offices", {"code": f"console-cc-{uuid.uuid4().hex[:6]}",
                                            "name": "来电中心案场", "region_code": "cc"}).json()
    office_id = office["id"]
    staff = {name: ok(admin.post("/api/v1/consultants", {
        "office_id": office_id, "name": name, "kind": kind}), 201)["id"]
        for name, kind in (("电开甲", "call_agent"), ("经理乙", "manager"))}
    agent = f"console-agent-{office_id}"
    manager_name = f"console-cc-manager-{office_id}"
    suite.add_user(agent, "call_agent", consultant_id=staff["电开甲"])
    manager = suite.add_user(manager_name, "sales_manager", consultant_id=staff["经理乙"])
    numbers = [mobile() for _ in range(2)]
    manager.imported("/api/v1/call-lists", ("手机\n" + "\n".join(numbers) + "\n").encode(),
                     source="expansion", file_name="拓展.csv")
    ok(manager.post("/api/v1/call-pool/distributions", {
        "agent_ids": [staff["电开甲"]], "per_agent": 2, "source": "expansion"}), 201)

    page = open_as(browser, suite, agent, "/call-center")
    page.get_by_label("话务员编号").fill(str(staff["电开甲"]))
    page.get_by_role("button", name="打开名单").click()
    page.wait_for_url(f"{suite.console_url}/call-agents/{staff['电开甲']}")
    rows = page.locator("tr[data-call-lead-id]")
    expect(rows).to_have_count(2)
    first = rows.filter(has_text=numbers[0])
    # a visit time that is no time: the API's refusal, next to the call, nothing recorded
    first.get_by_label("已接通").check()
    first.get_by_label("结果").select_option("A")
    first.get_by_label("邀约来访时间").fill("明天下午")
    first.get_by_label("备注").fill("意向三房")
    first.get_by_role("button", name="记录").click()
    expect(page.locator("tr[data-call-lead-id]").filter(has_text=numbers[0])
           .get_by_role("alert")).to_be_visible()
    first = page.locator("tr[data-call-lead-id]").filter(has_text=numbers[0])
    expect(first.get_by_label("备注")).to_have_value("意向三房")
    assert "invite_at" in first.get_by_role("alert").inner_text()
    assert all(a["dialed"] == 0 for a in ok(manager.get(
        f"/api/v1/offices/{office_id}/call-center/day"))["agents"])
    first.get_by_label("邀约来访时间").fill("")
    first.get_by_role("button", name="记录").click()
    recorded = page.get_by_role("status")
    expect(recorded).to_contain_text(f"已记录通话：{numbers[0]}，结果 A")
    expect(recorded).to_have_attribute("data-outcome", "A")
    # the list is what the API still gives this agent to call
    listed = ok(suite.client(agent).get(f"/api/v1/call-agents/{staff['电开甲']}/leads"))
    expect(page.locator("tr[data-call-lead-id]")).to_have_count(len(listed["leads"]))
    screenshot(page, "call-list")
    page.context.close()

    boss = open_as(browser, suite, manager_name, "/call-center")
    boss.get_by_label("案场编号").fill(str(office_id))
    boss.get_by_role("button", name="查看统计").click()
    boss.wait_for_url(re.compile(rf"/offices/{office_id}/call-center"))
    day = ok(manager.get(f"/api/v1/offices/{office_id}/call-center/day"))
    mine = next(a for a in day["agents"] if a["agent_id"] == staff["电开甲"])
    row = boss.locator(f'.day-figures tr[data-agent-id="{staff["电开甲"]}"]')
    for figure in ("dialed", "connected", "A"):
        expect(row.locator(f'td[data-figure="{figure}"]')).to_have_text(str(mine[figure]))
    assert mine["A"] == 1
    expect(boss.get_by_role("heading", name=re.compile("月度排名"))).to_be_visible()
    # the call register as the API's workbook, with its file name
    with boss.expect_download() as downloaded:
        boss.get_by_role("link", name=re.compile("来电客户登记表")).click()
    with open(downloaded.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"
    assert downloaded.value.suggested_filename.endswith(".xlsx")
    screenshot(boss, "call-center")
    boss.context.close()


def test_the_board_offers_the_apis_workbooks_by_role_and_nothing_else_passes(
        browser, suite, admin):  # noqa: F811
    project, _ = make_project(admin, rooms=3)
    pid = project["id"]
    board_path = f"/projects/{pid}/board"
    manager = f"console-xlsx-gm-{pid}"
    suite.add_user(manager, "general_manager")
    page = open_as(browser, suite, manager, board_path)
    downloads = page.get_by_role("navigation", name="Excel 下载")
    with page.expect_download() as downloaded:
        downloads.get_by_role("link", name="⬇ 销控表（Excel）").click()
    board = admin.get(f"/api/v1/projects/{pid}/board.xlsx")
    assert board.status_code == 200
    expected = re.search(r'filename="([^"]+)"', board.headers["Content-Disposition"]).group(1)
    assert downloaded.value.suggested_filename == expected
    with open(downloaded.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"
    expect(downloads.get_by_role("link", name=re.compile("客户成交报告"))).to_be_visible()
    # a JSON route is no download, whatever the address says
    answer = page.request.get(f"{suite.console_url}/files/api/v1/projects/{pid}/board")
    assert answer.status == 404
    page.context.close()

    # a consultant may take the board's workbook but not the deal reports
    office, consultants = make_office(admin, ("顾问丙",))
    consultant = f"console-xlsx-c-{pid}"
    suite.add_user(consultant, "consultant", consultant_id=consultants[0])
    seller = open_as(browser, suite, consultant, board_path)
    links = seller.get_by_role("navigation", name="Excel 下载")
    expect(links.get_by_role("link", name="⬇ 销控表（Excel）")).to_be_visible()
    expect(links.get_by_role("link", name=re.compile("客户成交报告"))).to_have_count(0)
    refused = seller.request.get(f"{suite.console_url}/files/api/v1/projects/{pid}/"
                                 "deal-reports.xlsx")
    assert refused.status == 403
    seller.context.close()


def test_complaint_steps_are_offered_by_role_and_a_refusal_shows_next_to_its_field(
        browser, suite, admin):  # noqa: F811
    project, (unit_id, _) = make_project(admin)
    pid = project["id"]
    kefu, router, works = (f"console-step-{role}-{pid}"
                           for role in ("kefu", "xingzheng", "gongcheng"))
    api = suite.add_user(kefu, "customer_service", project_ids=[pid])
    suite.add_user(router, "administration", project_ids=[pid])
    suite.add_user(works, "engineering", project_ids=[pid])
    filed = ok(api.post("/api/v1/complaints", {
        "complainant_name": "冯八", "contact": "13700137002", "channel": "phone",
        "content": "阳台渗水", "request": "compensation", "unit_id": unit_id}), 201)
    path = f"/complaints/{filed['id']}"

    page = open_as(browser, suite, kefu, path)
    steps = page.locator("form.step-form")
    expect(steps).to_have_count(2)
    expect(page.get_by_role("form", name="受理", exact=True)).to_be_visible()
    expect(page.get_by_role("form", name="不予受理")).to_be_visible()
    accept = page.get_by_role("form", name="受理", exact=True)
    # no category: the API's message next to the category, the note kept, nothing changed
    accept.get_by_label("备注").fill("已电话核实")
    accept.get_by_role("button", name="受理").click()
    expect(page.locator("#s-acceptance-category-error")).to_be_visible()
    accept = page.get_by_role("form", name="受理", exact=True)
    expect(accept.get_by_label("备注")).to_have_value("已电话核实")
    assert ok(api.get(f"/api/v1/complaints/{filed['id']}"))["status"] == "filed"
    accept.get_by_label("投诉类别").select_option("quality_defect")
    accept.get_by_role("button", name="受理").click()
    expect(page.get_by_role("status")).to_have_text("已受理")
    expect(page.locator('dd[data-status="accepted"]')).to_be_visible()
    expect(page.locator("form.step-form")).to_have_count(0)  # routing is the administration's
    page.context.close()

    office = open_as(browser, suite, router, path)
    route_form = office.get_by_role("form", name="转处理部门")
    route_form.get_by_label("处理部门").select_option("engineering")
    route_form.get_by_role("button", name="转处理部门").click()
    expect(office.locator('dd[data-status="routed"]')).to_be_visible()
    office.context.close()

    department = open_as(browser, suite, works, path)
    expect(department.get_by_role("form", name="提交调查报告")).to_be_visible()
    expect(department.get_by_role("form", name="等待客户")).to_be_visible()
    screenshot(department, "complaint-steps")
    department.context.close()
    assert ok(api.get(f"/api/v1/complaints/{filed['id']}"))["department"] == "engineering"


def test_the_archive_page_shows_the_borrowing_register_and_the_overdue_loans(
        browser, suite, admin):  # noqa: F811
    project, _ = make_project(admin)
    name = f"console-archivist-{uuid.uuid4().hex[:6]}"
    archivist = suite.add_user(name, "archivist")
    today = datetime.now(SHANGHAI).date()
    in_two_days = (today + timedelta(days=2)).isoformat()
    dossier = ok(archivist.post("/api/v1/dossiers", {
        "kind": "project", "project_id": project["id"], "title": "项目证照"}), 201)
    lent = {}
    for label, borrower in (("第1册 证照", "李四"), ("第2册 图纸", "王五")):
        volume = ok(archivist.post(f"/api/v1/dossiers/{dossier['id']}/volumes", {
            "label": label, "storage_location": "档案室B-1"}), 201)
        lent[borrower] = ok(archivist.post(f"/api/v1/volumes/{volume['id']}/loans", {
            "borrower": borrower, "department": "工程部", "purpose": "办理验收",
            "due_on": today.isoformat()}), 201)
    ok(archivist.post(f"/api/v1/loans/{lent['李四']['id']}/return", {}), 201)

    page = open_as(browser, suite, name, "/archive")
    page.get_by_label("项目编号").fill(str(project["id"]))
    page.get_by_role("button", name="查看").click()
    register = page.locator("table.register")
    expect(register.locator(f'tr[data-loan-id="{lent["王五"]["id"]}"]')).to_contain_text("未还")
    expect(page.locator("section", has_text="借阅逾期")).to_contain_text("没有逾期未还的案卷")
    # as of two days after the due day: 王五's volume is late, 李四's came back
    page.get_by_label("截至日期").fill(in_two_days)
    page.get_by_role("button", name="查看").click()
    expect(register.locator(f'tr[data-loan-id="{lent["李四"]["id"]}"]')).to_contain_text("已还")
    late = register.locator(f'tr[data-loan-id="{lent["王五"]["id"]}"]')
    expect(late).to_contain_text("逾期 2 天")
    expect(late).to_have_class(re.compile("overdue"))
    assert register.locator("tbody tr").first.get_attribute("data-loan-id") == \
        str(lent["王五"]["id"])  # newest first
    overdue = page.locator("section", has_text="借阅逾期")
    expect(overdue).to_contain_text("第2册 图纸")
    expect(overdue).not_to_contain_text("第1册 证照")
    screenshot(page, "archive-register")
    page.context.close()
