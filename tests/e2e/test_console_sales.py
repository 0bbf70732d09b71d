"""The console's sales screens in a real headless Chromium against the real services: a
consultant's customers (grades, follow-ups due today, care reminders) and a customer's file,
shown as the API shows it to that person; the deals from deposit to contract, payment plan and
overdue payments."""
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from infra.working_calendar import SHANGHAI
from tests.e2e.conftest import _mobiles, customer_of, wait_for
from tests.e2e.test_console import browser, open_as, screenshot  # noqa: F401
from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import ID_NUMBER, confirmed_deposit

pytestmark = pytest.mark.e2e


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_a_consultant_sees_their_customers_due_follow_ups_and_care_reminders(
        browser, suite, admin):  # noqa: F811
    office, (mine, other) = make_office(admin, ("顾问甲", "顾问乙"))
    oid = office["id"]
    project, (unit_id,) = make_project(admin, rooms=1)
    name = f"console-mine-{oid}"
    seller = suite.add_user(name, "consultant", consultant_id=mine, project_ids=[project["id"]])
    due = customer_of(admin, oid, mine, "李跟进")
    bought = customer_of(admin, oid, mine, "陈成交")
    elsewhere = customer_of(admin, oid, other, "周别人")
    today = datetime.now(SHANGHAI)
    ok(seller.put(f"/api/v1/customers/{due}/grade", {"grade": "A", "note": "预算充足"}))
    ok(seller.post(f"/api/v1/customers/{due}/follow-ups", {
        "kind": "call", "content": "约看样板间",
        "next_appointment": today.replace(hour=23, minute=30, second=0,
                                          microsecond=0).isoformat()}), 201)
    # a deal, and a birthday in its family today: a care reminder
    ok(seller.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": bought}), 201)
    ok(seller.post("/api/v1/deposits", {"unit_id": unit_id, "customer_id": bought,
                                        "amount": "20000.00"}), 201)
    wait_for(lambda: ok(seller.get(f"/api/v1/customers/{bought}"))["outcome"] == "deal",
             timeout=30)
    ok(seller.put(f"/api/v1/customers/{bought}/profile", {"family": [
        {"relation": "spouse", "name": "陈太", "birthday": f"1990-{today:%m-%d}"}]}))

    page = open_as(browser, suite, name, "/")
    # what the consultant has to do today: the follow-up due
    expect(page.locator(f'.home-follow-ups li[data-customer-id="{due}"]')).to_contain_text(
        "李跟进")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="我的客户").click()
    page.wait_for_url(f"{suite.console_url}/consultants/{mine}/customers")
    rows = page.locator("table.customers tr[data-customer-id]")
    listed = ok(seller.get(f"/api/v1/consultants/{mine}/customers"))["customers"]
    expect(rows).to_have_count(len(listed))
    assert [c["id"] for c in listed][0] == due  # due today comes first
    expect(rows.first).to_have_attribute("data-customer-id", str(due))
    expect(rows.first).to_have_attribute("data-grade", "A")
    expect(rows.first).to_have_attribute("data-due", "true")
    expect(page.locator(f'tr[data-customer-id="{elsewhere}"]')).to_have_count(0)
    expect(page.locator(f'.due-list li[data-customer-id="{due}"]')).to_contain_text("李跟进")
    expect(page.locator(f'.care-list li[data-customer-id="{bought}"]')).to_contain_text(
        "spouse 陈太生日")
    screenshot(page, "customers")

    # the file: the full mobile, as the API shows it to the customer's own consultant
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"{suite.console_url}/customers/{due}")
    shown = ok(seller.get(f"/api/v1/customers/{due}/file"))["customer"]["mobile"]
    assert "*" not in shown
    expect(page.locator("dd.mobile")).to_have_text(shown)
    # a follow-up without its content: the API's message next to the field, the rest kept
    page.get_by_label("客户反应").fill("嫌价格高")
    page.get_by_label("下次约定时间").fill(f"{today:%Y-%m-%d}T20:00")
    page.get_by_role("button", name="记录").click()
    expect(page.locator("#f-content-error")).to_be_visible()
    expect(page.get_by_label("客户反应")).to_have_value("嫌价格高")
    before = len(ok(seller.get(f"/api/v1/customers/{due}/file"))["follow_ups"])
    assert before == 1
    page.get_by_label("跟进内容").fill("电话沟通付款方式")
    page.get_by_role("button", name="记录").click()
    expect(page.get_by_role("status")).to_have_text("已记录跟进")
    expect(page.locator(".follow-ups li[data-follow-up-id]")).to_have_count(2)
    recorded = ok(seller.get(f"/api/v1/customers/{due}/file"))["follow_ups"][-1]
    assert datetime.fromisoformat(recorded["next_appointment"]) == today.replace(
        hour=20, minute=0, second=0, microsecond=0)  # the office's 20:00
    screenshot(page, "customer-file")

    # another consultant's customer: the API's refusal, in the page
    page.goto(f"{suite.console_url}/customers/{elsewhere}")
    expect(page.get_by_role("alert")).to_contain_text("403")
    page.goto(f"{suite.console_url}/consultants/{other}/customers")
    expect(page.get_by_role("alert")).to_contain_text("403")
    page.context.close()


def test_deals_show_each_deposit_to_its_contract_plan_and_overdue_payments(
        browser, suite, admin):  # noqa: F811
    office, (mine, other) = make_office(admin, ("顾问丙", "顾问丁"))
    project, (unit_id,) = make_project(admin, rooms=1)
    pid = project["id"]
    name, colleague = f"console-deals-{pid}", f"console-deals-other-{pid}"
    seller = suite.add_user(name, "consultant", consultant_id=mine, project_ids=[pid])
    suite.add_user(colleague, "consultant", consultant_id=other, project_ids=[pid])
    customer = customer_of(admin, office["id"], mine, "吴签约")
    deposit, form = confirmed_deposit(seller, admin, project, unit_id, customer)
    base = f"/api/v1/order-forms/{form['id']}"
    for client, party in ((seller, "customer"), (seller, "consultant"), (admin, "manager")):
        ok(client.post(f"{base}/signatures", {"party": party, "name": party}))
    buyer = {"buyer_name": "吴签约", "buyer_id_number": ID_NUMBER, "signed_by": "吴签约"}
    subscription = ok(seller.post(f"{base}/subscription", buyer), 201)
    contract = ok(seller.post(f"/api/v1/subscriptions/{subscription['id']}/contract",
                              {**buyer, "payment_method": "lump_sum"}), 201)
    past = (datetime.now(SHANGHAI) - timedelta(days=10)).date().isoformat()
    ok(seller.put(f"/api/v1/contracts/{contract['id']}/payment-plan", {"items": [
        {"kind": "full_payment", "due_date": past, "amount": "1200000.00"}]}))
    listed = ok(seller.get("/api/v1/deals", params={"project_id": pid}))["deals"]
    deal = next(d for d in listed if d["deposit_id"] == deposit["id"])
    assert deal["contract_id"] == contract["id"] and deal["overdue_amount"] == "1180000.00"

    page = open_as(browser, suite, name, "/")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="成交").click()
    page.wait_for_url(f"{suite.console_url}/deals")
    row = page.locator(f'tr[data-deposit-id="{deposit["id"]}"]')
    expect(row).to_have_attribute("data-overdue", "true")
    expect(row.locator('[data-stage="order_form"]')).to_contain_text(f"#{form['id']}")
    expect(row.locator('[data-stage="subscription"]')).to_contain_text(f"#{subscription['id']}")
    expect(row.locator('[data-stage="contract"]')).to_contain_text(f"#{contract['id']}")
    expect(row).to_contain_text("1,180,000.00")
    plan = page.get_by_role("table", name=f"合同 #{contract['id']} 付款计划")
    expect(plan.locator('tr[data-seq="1"]')).to_have_class("overdue")
    expect(plan.locator('tr[data-seq="1"]')).to_contain_text("逾期")
    screenshot(page, "deals")
    # a project that is no number: the API's message next to the field, what was typed kept
    page.get_by_label("项目编号").fill("第一期")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#f-project_id-error")).to_be_visible()
    expect(page.get_by_label("项目编号")).to_have_value("第一期")
    page.get_by_label("项目编号").fill(str(pid))
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr[data-deposit-id]")).to_have_count(len(listed))
    page.context.close()

    # another consultant of the project sees none of it
    theirs = open_as(browser, suite, colleague, "/deals")
    expect(theirs.get_by_text("没有成交记录。")).to_be_visible()
    theirs.context.close()


def test_a_returning_customer_is_recognised_as_the_mobile_is_typed(
        browser, suite, admin):  # noqa: F811
    office, (mine, other) = make_office(admin, ("顾问戊", "顾问己"))
    elsewhere, _ = make_office(admin, ("顾问庚",))
    oid = office["id"]
    name = f"console-known-{oid}"
    suite.add_user(name, "consultant", consultant_id=mine)
    returning = customer_of(admin, oid, other, "郑老客")
    known = ok(admin.get(f"/api/v1/customers/{returning}"))
    fresh = str(next(_mobiles))

    page = open_as(browser, suite, name, "/reception")
    page.get_by_label("案场编号").fill(str(oid))
    field = page.get_by_label("联系电话")
    field.press_sequentially(known["mobile"][:7])
    hint = page.locator("#known-customer")
    page.wait_for_timeout(600)  # a partial number: nothing said yet
    expect(hint.locator("[data-known]")).to_have_count(0)
    field.press_sequentially(known["mobile"][7:])
    expect(hint.locator('[data-known="true"]')).to_have_text(
        f"老客户：{known['code']}，置业顾问 {other}（登记时按老客户处理）")
    screenshot(page, "reception-known")
    # the match is a read of the customer, logged under this user
    reads = ok(admin.get("/api/v1/admin/personal-data-reads", params={
        "service": "leads", "kind": "customer", "subject_id": returning}))["reads"]
    assert any(r["reader"] == name and "recognised" in (r["purpose"] or "") for r in reads)

    field.fill("")
    field.press_sequentially(fresh)
    expect(hint.locator('[data-known="false"]')).to_be_visible()
    # another office's customers are not this consultant's to look up: the API's 403
    page.get_by_label("案场编号").fill(str(elsewhere["id"]))
    field.press("End")
    field.press_sequentially("0")
    field.press("Backspace")
    expect(hint.get_by_role("alert")).to_contain_text("403")

    # registering the known number: a returning customer, the same code
    page.get_by_label("案场编号").fill(str(oid))
    field.fill(known["mobile"])
    page.get_by_label("客户姓名").fill("郑老客")
    page.get_by_role("button", name="登记并分配").click()
    expect(page.locator("#registration")).to_contain_text(f"老客户：郑老客（{known['code']}）")
    page.context.close()


def test_the_board_draws_the_building_asked_for_and_the_first_for_an_unknown_one(
        browser, suite, admin):  # noqa: F811
    rooms = [{"number": f"{floor}01", "floor": floor, "building_area": "90.00",
              "list_price": "1000000.00", "layout": "3/2"} for floor in (1, 2)]
    project = ok(admin.post("/api/v1/projects", {
        "code": f"tabs-{next(_mobiles)}", "name": "楼栋分页",
        "buildings": [{"name": "1", "units": rooms}, {"name": "2", "units": rooms[:1]}]}), 201)
    path = f"/projects/{project['id']}/board"
    page = open_as(browser, suite, "admin", f"{path}?building=2")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("2号楼")
    expect(page.locator("button.unit")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("共 3 套")  # the project's count, not the tab's
    page.goto(f"{suite.console_url}{path}?building=9")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text("1号楼")
    expect(page.locator("button.unit")).to_have_count(2)
    page.context.close()
