"""开盘选房 in the console, in a real headless Chromium against the real services: consultants
choose units for their buyers during an opening (a win shown at once and on every open board,
a lost race shown at once with another pick), on a phone, and refused where the API refuses."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_console import (CHROMIUM, LIVE_WITHIN_MS, browser, open_as,  # noqa: F401
                                    screenshot)
from tests.e2e.test_opening import started_opening

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
SOLD = re.compile(r"^(held|reserved)$")


@pytest.fixture(scope="module")
def opening(suite, admin):
    """Two consultants with two buyers each in a started opening of five units."""
    started = started_opening(suite, admin, buyers_per_consultant=2, rooms=5)
    first, second = started["consultants"]
    oid = started["opening_id"]
    started["users"] = {first: f"opening-a-{oid}", second: f"opening-b-{oid}"}
    for consultant_id, name in started["users"].items():
        suite.add_user(name, "consultant", consultant_id=consultant_id)
    return started


def pick(page, unit_id):
    return page.locator(f'#free-units button.pick[data-unit-id="{unit_id}"]')


def test_one_consultant_wins_a_unit_and_another_who_tried_it_picks_another(
        browser, suite, admin, opening):  # noqa: F811
    oid, pid = opening["opening_id"], opening["project"]["id"]
    first, second = opening["consultants"]
    unit, other_unit = opening["units"][0], opening["units"][1]
    board = open_as(browser, suite, f"opening-manager-{pid}", f"/projects/{pid}/board")
    board_cell = board.locator(f'button.unit[data-unit-id="{unit}"]')
    expect(board_cell).to_have_attribute("data-status", "available")
    board.wait_for_timeout(500)  # the board listens before anything is chosen
    winner = open_as(browser, suite, opening["users"][first],
                     f"/openings/{oid}/buyers/{opening['numbers'][first][0]}")
    # the second consultant's page misses the live refresh (a phone on a weak line): it still
    # offers the unit after it is gone, and learns so when choosing it
    late = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    late.route(re.compile(r".*/board/events.*"), lambda route: route.abort())
    loser = late.new_page()
    loser.goto(f"{suite.console_url}/openings/{oid}/buyers/{opening['numbers'][second][0]}")
    loser.get_by_label("用户名").fill(opening["users"][second])
    loser.get_by_label("密码").fill(f"{opening['users'][second]}-secret")
    loser.get_by_role("button", name="登录").click()
    expect(pick(loser, unit)).to_be_visible()
    expect(winner.locator("[data-slot-state]")).to_have_attribute("data-slot-state", "open")

    key = winner.locator(f'#free-units form:has(button[data-unit-id="{unit}"]) '
                         'input[name="_key"]').get_attribute("value")
    pick(winner, unit).click()
    expect(winner.locator('[data-outcome="won"]')).to_contain_text("选中：1号楼 101")
    # the same click again (its answer lost on a weak line): the win again, not "taken"
    again = winner.request.post(
        f"{suite.console_url}/openings/{oid}/buyers/{opening['numbers'][first][0]}/selections",
        form={"_key": key, "unit_id": str(unit)}, headers={"HX-Request": "true"})
    assert again.status == 201 and 'data-outcome="won"' in again.text(), again.text()
    expect(pick(winner, unit)).to_have_count(0)
    # the sale shows on the open board (held, then reserved once the 诚意金 is the deposit)
    expect(board_cell).to_have_attribute("data-status", SOLD, timeout=LIVE_WITHIN_MS)
    screenshot(winner, "opening-select")

    pick(loser, unit).click()
    expect(loser.locator('[data-outcome="lost"]')).to_contain_text("1号楼 101 已被他人先选")
    expect(pick(loser, unit)).to_have_count(0)  # the list is what is left
    pick(loser, other_unit).click()
    expect(loser.locator('[data-outcome="won"]')).to_contain_text("选中：1号楼 102")
    expect(pick(winner, other_unit)).to_have_count(0, timeout=LIVE_WITHIN_MS)  # live
    # the household's limit is one: the API's own reason, not "taken"
    pick(winner, opening["units"][2]).click()
    expect(winner.get_by_role("alert")).to_contain_text("409")
    expect(winner.locator('[data-outcome="lost"]')).to_have_count(0)

    assert admin.get(f"/api/v1/openings/{oid}").json()["sold"] == 2
    assert {admin.get(f"/api/v1/units/{u}").json()["status"] for u in (unit, other_unit)} <= {
        "held", "reserved"}
    # the opening's state: the order, what is left, the results workbook
    board.goto(f"{suite.console_url}/openings/{oid}")
    expect(board.locator("#opening-live [data-taken]")).to_have_text("2")
    expect(board.locator(".slots tr[data-slot]")).to_have_count(1)
    results = board.get_by_role("link", name="选房结果（Excel）")
    answer = board.request.get(suite.console_url + results.get_attribute("href"))
    assert answer.status == 200 and answer.body()[:2] == b"PK"
    screenshot(board, "opening")
    for page in (board, winner, loser):
        page.context.close()


def test_a_consultant_chooses_on_a_phone(browser, suite, opening):  # noqa: F811
    oid, first = opening["opening_id"], opening["consultants"][0]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    path = f"/openings/{oid}/buyers/{opening['numbers'][first][1]}"
    page.goto(suite.console_url + path)
    page.get_by_label("用户名").fill(opening["users"][first])
    page.get_by_label("密码").fill(f"{opening['users'][first]}-secret")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(suite.console_url + path)
    button = page.locator("#free-units button.pick").first
    expect(button).to_be_visible()
    # nothing wider than the phone; each unit a finger-sized target
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 44
    unit_id = button.get_attribute("data-unit-id")
    screenshot(page, "opening-phone")
    button.tap()
    expect(page.locator('[data-outcome="won"]')).to_be_visible()
    expect(page.locator(f'button.pick[data-unit-id="{unit_id}"]')).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_who_may_not_choose_is_refused_in_the_page(browser, suite, admin, opening):  # noqa: F811
    oid, (first, second) = opening["opening_id"], opening["consultants"]
    # a consultant choosing for another consultant's buyer: the API's 403, nothing taken
    page = open_as(browser, suite, opening["users"][second],
                   f"/openings/{oid}/buyers/{opening['numbers'][first][1]}")
    button = page.locator("#free-units button.pick").first
    unit_id = button.get_attribute("data-unit-id")
    sold = admin.get(f"/api/v1/openings/{oid}").json()["sold"]
    button.click()
    expect(page.get_by_role("alert")).to_contain_text("403")
    assert admin.get(f"/api/v1/units/{unit_id}").json()["status"] == "available"
    assert admin.get(f"/api/v1/openings/{oid}").json()["sold"] == sold
    page.context.close()
    # finance sees the opening but is offered no choosing; an archivist may not see it
    suite.add_user(f"opening-finance-{oid}", "finance")
    page = open_as(browser, suite, f"opening-finance-{oid}", f"/openings/{oid}/buyers/1")
    expect(page.locator(".pick.readonly").first).to_be_visible()
    expect(page.locator("button.pick")).to_have_count(0)
    page.context.close()
    suite.add_user(f"opening-archivist-{oid}", "archivist")
    page = open_as(browser, suite, f"opening-archivist-{oid}", f"/openings/{oid}")
    expect(page.get_by_role("alert")).to_contain_text("403")
    page.context.close()
