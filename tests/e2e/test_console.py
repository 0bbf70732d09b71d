"""The console in a real headless Chromium (Debian's, driven by Playwright) against the real
services: log in, register a visitor, hold from the board, take a deposit, approve an
application, and the live board across two browsers."""
import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from infra.config import REPO_ROOT
from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "docs" / "console"
# what the board's live update may take, from a change anywhere to every open board
LIVE_WITHIN_MS = 2000


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def open_as(browser, suite, username, path="/"):
    """A fresh browser window logged in as `username` (password as the suite sets it)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(suite.console_url + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"{username}-secret")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(suite.console_url + path)
    return page


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def office_and_project(admin):
    office, consultants = make_office(admin, ("王五", "赵六"))
    project, units = make_project(admin, rooms=8)
    return office, consultants, project, units


def register(client, office, name, mobile):
    response = client.post("/api/v1/visits", {"office_id": office["id"], "name": name,
                                              "mobile": mobile})
    assert response.status_code == 201, response.text
    return response.json()


def customer_of(admin, office, consultant_id, name, mobile_prefix):
    """A new customer the rotation gives to `consultant_id` (it alternates between two)."""
    for n in range(4):
        visit = register(admin, office, f"{name}{n}", f"{mobile_prefix}{n}")
        if visit["assignment"]["consultant_id"] == consultant_id:
            return visit["customer"]
    raise AssertionError("the rotation never reached the consultant")


def test_a_wrong_password_is_refused_and_an_expired_session_returns_to_the_page(
        browser, suite, admin):
    suite.add_user("console-manager", "general_manager")
    context = browser.new_context()
    page = context.new_page()
    page.goto(suite.console_url + "/reception")
    page.get_by_label("用户名").fill("console-manager")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_value("console-manager")  # kept as typed
    page.get_by_label("密码").fill("console-manager-secret")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(suite.console_url + "/reception")
    screenshot(page, "reception")

    # the token is no longer valid: the next page goes to the login, and back after it
    context.add_cookies([{"name": "anchang_token", "value": "expired", "url": suite.console_url}])
    page.goto(suite.console_url + "/collections")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcollections"))
    page.get_by_label("用户名").fill("console-manager")
    page.get_by_label("密码").fill("console-manager-secret")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(suite.console_url + "/collections")
    context.close()


def test_a_consultant_registers_a_walk_in_and_sees_the_allocation_at_once(
        browser, suite, office_and_project):
    office, consultants, _, _ = office_and_project
    suite.add_user("console-c1", "consultant", consultant_id=consultants[0])
    page = open_as(browser, suite, "console-c1", "/reception")

    page.get_by_label("案场编号").fill(str(office["id"]))
    page.get_by_label("客户姓名").fill("王小明")
    page.get_by_label("联系电话").fill("13600136000")
    page.get_by_label("邮编").fill("4710")  # not six digits: the API's message, kept values
    page.get_by_role("button", name="登记并分配").click()
    error = page.locator("#f-postcode-error")
    expect(error).to_be_visible()
    expect(page.get_by_label("客户姓名")).to_have_value("王小明")

    page.get_by_label("邮编").fill("471000")
    page.get_by_role("button", name="登记并分配").click()
    result = page.locator("#registration")
    expect(result).to_contain_text("新客户：王小明")
    expect(result.locator(".explanation")).not_to_be_empty()
    screenshot(page, "registration")
    page.context.close()


def test_another_role_sees_the_apis_refusal_in_the_page(browser, suite, office_and_project):
    _, _, project, _ = office_and_project
    suite.add_user("console-archivist", "archivist")
    page = open_as(browser, suite, "console-archivist", "/")
    page.goto(f"{suite.console_url}/projects/{project['id']}/board")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("403")
    page.context.close()


def test_a_hold_from_one_board_shows_on_every_open_board_within_two_seconds(
        browser, suite, admin, office_and_project):
    office, consultants, project, units = office_and_project
    suite.add_user("console-c2", "consultant", consultant_id=consultants[1])
    suite.add_user("console-watcher", "general_manager")
    customer = customer_of(admin, office, consultants[1], "赵", "1370013700")

    board_path = f"/projects/{project['id']}/board"
    holder = open_as(browser, suite, "console-c2", board_path)
    watcher = open_as(browser, suite, "console-watcher", board_path)
    unit_id = units[2]
    watched_cell = watcher.locator(f'button.unit[data-unit-id="{unit_id}"]')
    expect(watched_cell).to_have_attribute("data-status", "available")
    # both boards are listening before the change is made
    wait_for(lambda: watcher.evaluate("document.querySelector('[sse-connect]') !== null"))
    watcher.wait_for_timeout(500)

    holder.locator(f'button.unit[data-unit-id="{unit_id}"]').click()
    panel = holder.locator("#unit-panel")
    panel.get_by_label("客户编号").fill(str(customer["id"]))
    panel.get_by_role("button", name="预留").click()
    expect(panel.get_by_role("status")).to_have_text("预留成功")
    expect(watched_cell).to_have_attribute("data-status", "held", timeout=LIVE_WITHIN_MS)
    expect(holder.locator(f'button.unit[data-unit-id="{unit_id}"]')).to_have_attribute(
        "data-status", "held", timeout=LIVE_WITHIN_MS)
    # the hold is on the consultant's list, soonest to expire first, and on nobody else's
    holder.goto(f"{suite.console_url}/holds")
    number = admin.get(f"/api/v1/units/{unit_id}").json()["number"]
    expect(holder.locator("tr[data-hold-id]").filter(has_text=f"1号楼 {number}")).to_be_visible()
    other = suite.add_user("console-c2-colleague", "consultant", consultant_id=consultants[0])
    assert all(h["consultant_id"] == consultants[0]
               for h in other.get("/api/v1/holds").json()["holds"])
    assert any(h["unit_id"] == unit_id
               for h in suite.client("console-c2").get("/api/v1/holds").json()["holds"])
    holder.goto(suite.console_url + board_path)
    legend_held = watcher.locator('.legend tr[data-status="held"] td[data-count]')
    board = admin.get(f"/api/v1/projects/{project['id']}/board").json()
    assert legend_held.inner_text() == str(board["buildings"][0]["by_status"].get("held"))
    screenshot(watcher, "board")

    # released on one board, available again on the other
    holder.locator(f'button.unit[data-unit-id="{unit_id}"]').click()
    panel.get_by_label("释放原因").fill("客户改选其他房源")
    panel.get_by_role("button", name="释放预留").click()
    expect(panel.get_by_role("status")).to_have_text("已释放")
    expect(watched_cell).to_have_attribute("data-status", "available", timeout=LIVE_WITHIN_MS)
    holder.context.close()
    watcher.context.close()


def test_two_people_holding_one_unit_at_once_get_one_hold_and_one_reason(
        browser, suite, admin, office_and_project):
    office, consultants, project, units = office_and_project
    suite.add_user("console-m1", "general_manager")
    suite.add_user("console-m2", "general_manager")
    first = register(admin, office, "钱一", "13700137011")["customer"]
    second = register(admin, office, "钱二", "13700137012")["customer"]
    board_path = f"/projects/{project['id']}/board"
    pages = [open_as(browser, suite, name, board_path) for name in ("console-m1", "console-m2")]
    unit_id = units[3]
    for page, customer in zip(pages, (first, second)):
        page.locator(f'button.unit[data-unit-id="{unit_id}"]').click()
        panel = page.locator("#unit-panel")
        panel.get_by_label("客户编号").fill(str(customer["id"]))
        panel.get_by_label("置业顾问编号").fill(str(customer["consultant_id"]))

    # both buttons pressed before either answer comes back
    for page in pages:
        page.evaluate("document.querySelector('#unit-panel form button').click()")
    outcomes = []
    for page in pages:
        panel = page.locator("#unit-panel")
        expect(panel.locator(".ok, .error").first).to_be_visible()
        outcomes.append("ok" if panel.locator(".ok").count() else panel.locator(".error")
                        .inner_text())
    assert outcomes.count("ok") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "ok")
    assert "409" in refusal, refusal
    for page in pages:
        page.context.close()


def test_a_deposit_taken_in_the_console_is_confirmed_with_its_order_form(
        browser, suite, admin, office_and_project):
    office, consultants, project, units = office_and_project
    suite.add_user("console-c3", "consultant", consultant_id=consultants[0])
    api = suite.client("console-c3")
    customer = customer_of(admin, office, consultants[0], "孙", "1350013500")
    unit_id = units[4]
    assert api.post("/api/v1/holds", {"unit_id": unit_id,
                                      "customer_id": customer["id"]}).status_code == 201
    page = open_as(browser, suite, "console-c3", f"/deposits/new?unit_id={unit_id}")
    expect(page.get_by_label("房源编号")).to_have_value(str(unit_id))
    page.get_by_label("客户编号").fill(str(customer["id"]))
    page.get_by_label("定金金额（元）").fill("50000.00")
    page.get_by_role("button", name="收取").click()
    page.wait_for_url(re.compile(r"/deposits/\d+$"))
    expect(page.locator('dd[data-status="confirmed"]')).to_be_visible(timeout=15000)
    expect(page.get_by_role("heading", name=re.compile("定单"))).to_be_visible(timeout=5000)
    screenshot(page, "deposit")
    page.context.close()


def test_an_approver_decides_an_application_in_the_console(
        browser, suite, admin, office_and_project):
    office, consultants, project, units = office_and_project
    suite.add_user("console-gm", "general_manager")
    manager_api = suite.client("console-gm")
    customer = register(manager_api, office, "周甲", "13800138021")["customer"]
    unit_id = units[5]
    assert manager_api.post("/api/v1/holds", {
        "unit_id": unit_id, "customer_id": customer["id"],
        "consultant_id": customer["consultant_id"]}).status_code == 201
    deposit = manager_api.post("/api/v1/deposits", {
        "unit_id": unit_id, "customer_id": customer["id"], "amount": "50000.00",
        "consultant_id": customer["consultant_id"]})
    assert deposit.status_code == 201, deposit.text
    order = wait_for(lambda: manager_api.get(
        f"/api/v1/deposits/{deposit.json()['id']}/order-form").json().get("id"))
    application = manager_api.post(f"/api/v1/order-forms/{order}/applications", {
        "kind": "rename", "reason": "夫妻共有，加名", "new_buyer_name": "周甲 周乙",
        "new_buyer_id_number": "410302199202021234"})
    assert application.status_code == 201, application.text
    application = application.json()
    role = application["waiting_for"]
    approver = f"console-approver-{role}"
    suite.add_user(approver, role, project_ids=[project["id"]])

    page = open_as(browser, suite, approver, f"/applications/{application['id']}")
    expect(page.locator("dd[data-status]")).to_have_text("pending")
    page.get_by_label("意见").fill("同意加名")
    page.get_by_role("button", name="同意").click()
    expect(page.get_by_text("同意加名")).to_be_visible()
    decided = admin.get(f"/api/v1/applications/{application['id']}").json()
    assert decided["steps"][0]["approver"] == approver
    assert decided["steps"][0]["comment"] == "同意加名"
    screenshot(page, "application")
    page.context.close()
