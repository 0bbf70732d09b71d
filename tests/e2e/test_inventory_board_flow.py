"""Inventory through the gateway: a building generated in bulk, a price-list version, an
import, a hold that a deposit turns into a reservation at the pinned price, the board (JSON
and XLSX) and the unit's history."""
import io
import itertools
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from contracts.board import board_cells as cells

from tests.e2e.conftest import customer_of, wait_for
from tests.messaging import send_to_queue, valid_event
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
_codes = itertools.count(1)


def test_generate_price_hold_reserve_board_and_history(suite, admin):
    project, _ = make_project(admin, rooms=1)
    pid = project["id"]
    manager = suite.add_user("inventory-manager", "sales_manager", project_ids=[pid])
    office, (seller, _) = make_office(admin)
    buyer = customer_of(admin, office["id"], seller)
    consultant = suite.add_user("inventory-consultant", "consultant", consultant_id=seller)

    generated = manager.post(f"/api/v1/projects/{pid}/buildings", {
        "building": "3", "entrances": 2, "floors": 10, "property_type": "小高层",
        "rooms": [{"building_area": "89.50", "layout": "3/2", "orientation": "南"},
                  {"building_area": "120.00", "layout": "4/2"}],
        "unit_price": "12000.00"})
    assert generated.status_code == 201, generated.text
    assert (generated.json()["created"], generated.json()["price_list_version"]) == (40, 2)
    assert manager.post(f"/api/v1/projects/{pid}/buildings", {
        "building": "3", "floors": 1, "rooms": [{"building_area": "90"}]}).status_code == 409
    bad = manager.post(f"/api/v1/projects/{pid}/buildings", {
        "building": "4", "floors": 1, "rooms": [{"building_area": "-5"}]})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"rooms": {"0": {"building_area": ["impossible area"]}}}

    grid = manager.get(f"/api/v1/projects/{pid}/board?building=3")
    assert grid.status_code == 200, grid.text
    rooms = {(r["entrance"], r["number"]): r for r in cells(grid.json())}
    unit_id = rooms[("2", "1001")]["id"]
    assert rooms[("2", "1001")]["list_price"] == "1074000.00"  # 89.50 × 12000

    version = manager.post(f"/api/v1/projects/{pid}/price-lists", {
        "note": "opening discount", "prices": [
            {"unit_id": unit_id, "total_price": "1050000.00", "floor_total_price": "1000000.00"}]})
    assert version.status_code == 201, version.text
    assert (version.json()["version"], version.json()["in_force"]) == (3, True)
    negative = manager.post(f"/api/v1/projects/{pid}/price-lists", {
        "prices": [{"unit_id": unit_id, "total_price": "-1.00"}]})
    assert negative.status_code == 400
    assert negative.json()["error"]["fields"] == {
        "prices": {"0": {"total_price": ["must be greater than 0"]}}}
    assert consultant.post(f"/api/v1/projects/{pid}/price-lists", {
        "prices": [{"unit_id": unit_id, "total_price": "1.00"}]}).status_code == 403
    just_before = datetime.fromisoformat(version.json()["effective_from"]) - timedelta(
        milliseconds=1)
    before = manager.get(f"/api/v1/units/{unit_id}/price", params={"at": just_before.isoformat()})
    assert before.status_code == 200, before.text
    assert before.json()["price_list_version"] == 2
    assert manager.get(f"/api/v1/projects/{pid}/price-lists/2").json()["prices"][0][
        "total_price"] in ("1074000.00", "1440000.00")

    held = consultant.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": buyer,
                                             "customer_name": "钱七"})
    assert held.status_code == 201, held.text
    assert manager.post(f"/api/v1/holds/{held.json()['hold']['id']}/approval",
                        {"approve": True}).status_code == 200
    taken = admin.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": 78,
                                         "consultant_id": 32})
    assert taken.status_code == 409 and taken.json()["error"]["fields"]["status"] == "held"
    # the office takes the deposit in the consultant's name
    deposit = admin.post("/api/v1/deposits", {"unit_id": unit_id, "project_id": pid,
                                              "customer_id": buyer, "consultant_id": seller,
                                              "amount": "20000.00"})
    assert deposit.status_code == 201, deposit.text
    unit = wait_for(lambda: (lambda u: u if u["status"] == "reserved" else None)(
        manager.get(f"/api/v1/units/{unit_id}").json()))
    assert unit, "the deposit never reserved the unit"
    assert {k: unit["reservation"][k] for k in ("deposit_id", "price_list_version",
                                                 "total_price", "floor_total_price")} == {
        "deposit_id": deposit.json()["id"], "price_list_version": 3,
        "total_price": "1050000.00", "floor_total_price": "1000000.00"}
    assert (unit["property_type"], unit["entrance"], unit["consultant_id"]) == ("小高层", "2", seller)

    # a reserved unit is neither held again nor waited for; its converted hold is not released
    hold_id = held.json()["hold"]["id"]
    again = admin.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": 78,
                                         "consultant_id": 32})
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["status"] == "reserved"
    waiting = admin.post(f"/api/v1/units/{unit_id}/waitlist", {"customer_id": 78,
                                                               "consultant_id": 32})
    assert waiting.status_code == 409 and waiting.json()["error"]["fields"]["status"] == "reserved"
    assert consultant.post(f"/api/v1/holds/{hold_id}/extension",
                           {"days": 2, "reason": "abroad"}).status_code == 403  # managers only
    released = consultant.post(f"/api/v1/holds/{hold_id}/release", {"reason": "changed mind"})
    assert released.status_code == 409
    assert released.json()["error"]["fields"] == {"hold_id": ["the hold is converted"]}
    assert manager.get(f"/api/v1/units/{unit_id}").json()["version"] == unit["version"]

    board = manager.get(f"/api/v1/projects/{pid}/board").json()
    assert board["project"]["unit_count"] == 41
    cell = next(c for c in cells(board) if c["id"] == unit_id)
    assert (cell["status"], cell["consultant_id"], cell["list_price"]) == (
        "reserved", seller, "1050000.00")
    assert [b["building"] for b in board["buildings"]] == ["1", "3"]

    workbook = manager.get(f"/api/v1/projects/{pid}/board.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("号楼", "单元", "楼层", "房号") and len(rows) == 42
    assert ("3", "2", 10, "1001") in [row[:4] for row in rows]
    assert "已定" in [row[8] for row in rows if row[:4] == ("3", "2", 10, "1001")]

    history = manager.get(f"/api/v1/units/{unit_id}/history")
    assert history.status_code == 200, history.text
    assert [(c["from_status"], c["to_status"], c["event_type"]) for c in
            history.json()["changes"]] == [
        ("available", "held", None),
        ("held", "reserved", "transactions.deposit_received")]
    assert history.json()["changes"][0]["changed_by"] == f"consultant {seller}"


def test_import_of_rooms_and_prices(suite, admin):
    project, _ = make_project(admin, rooms=1)
    pid = project["id"]
    table = ("号楼,单元,房号,楼层,建筑面积,户型,物业类型,单价,底价\n"
             "8,1,101,1,90,3/2,高层,10000,850000\n"
             "8,1,102,1,0,3/2,高层,10000,\n"
             "8,1,103,1,95.5,2/1,洋房,,\n").encode("utf-8")
    url = f"/api/v1/projects/{pid}/units/import"
    first = admin.imported(url, table)
    assert (first["created"], first["priced"]) == (1, 1)
    assert first["errors"] == [
        {"line": 3, "field": "building_area", "reason": "must be greater than 0"},
        {"line": 4, "field": "property_type",
         "reason": "one of 楼梯多层、电梯多层、小高层、高层、叠加、联排、独栋"}]
    again = admin.imported(url, table)
    assert (again["created"], again["unchanged"], again["priced"]) == (0, 1, 0)
    room = admin.post(f"/api/v1/projects/{pid}/units", {
        "building": "8", "entrance": "1", "number": "201", "floor": 2, "building_area": "88.00",
        "layout": "2/1", "property_type": "高层", "orientation": "南北", "list_price": "880000.00"})
    assert room.status_code == 201, room.text
    assert (room.json()["list_unit_price"], room.json()["orientation"]) == ("10000.00", "南北")
    refused = admin.upload(url, "号楼,颜色\n8,红\n".encode())
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "missing_columns": ["number", "floor", "building_area"], "unknown_columns": ["颜色"]}


def test_a_channel_user_sees_only_the_projects_the_channel_sells(suite, admin):
    sold, (sold_unit, _) = make_project(admin)
    other, (other_unit, _) = make_project(admin)
    channel = admin.post("/api/v1/channels", {"code": f"agency-{sold['id']}", "name": "链家",
                                              "kind": "agency", "project_ids": [sold["id"]]})
    assert channel.status_code == 201, channel.text
    office, (seller, _) = make_office(admin)
    buyer = customer_of(admin, office["id"], seller)
    agent = suite.add_user(f"agent-{sold['id']}", "consultant", consultant_id=seller)
    engine = create_engine(suite.database_urls["gateway"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET channel_id = :c WHERE username = :u"),
                           {"c": channel.json()["id"], "u": f"agent-{sold['id']}"})
    engine.dispose()
    assert agent.get(f"/api/v1/projects/{sold['id']}/board").status_code == 200
    assert agent.get(f"/api/v1/units/{sold_unit}").status_code == 200
    refused = agent.get(f"/api/v1/projects/{other['id']}/board")
    assert refused.status_code == 403
    assert refused.json()["error"]["fields"] == {"project_id": ["not sold by your channel"]}
    assert agent.get(f"/api/v1/units/{other_unit}").status_code == 403
    assert admin.get(f"/api/v1/projects/{other['id']}/board").status_code == 200  # no channel
    # nor hold, wait for or price its units, or set up channels
    hold = agent.post("/api/v1/holds", {"unit_id": other_unit, "customer_id": buyer})
    assert hold.status_code == 403, hold.text
    assert hold.json()["error"]["fields"] == {"unit_id": ["in a project not sold by your channel"]}
    assert admin.get(f"/api/v1/units/{other_unit}").json()["status"] == "available"
    assert admin.post("/api/v1/holds", {"unit_id": other_unit, "customer_id": 6,
                                        "consultant_id": 40}).status_code == 201
    assert agent.post(f"/api/v1/units/{other_unit}/waitlist",
                      {"customer_id": buyer}).status_code == 403
    assert agent.get(f"/api/v1/units/{other_unit}/price").status_code == 403
    assert agent.get(f"/api/v1/projects/{other['id']}/price-lists").status_code == 403
    assert agent.get(f"/api/v1/projects/{other['id']}/price-lists/1").status_code == 403
    assert agent.get(f"/api/v1/units/{sold_unit}/price").status_code == 200
    assert agent.post("/api/v1/holds", {"unit_id": sold_unit, "customer_id": buyer,
                                        "channel_id": None}).status_code == 400  # not the client's
    assert agent.post("/api/v1/holds", {"unit_id": sold_unit, "customer_id": buyer}
                      ).status_code == 201
    # an agency's manager reads its own channel only and cannot widen what it sells
    suite.add_user(f"agency-boss-{sold['id']}", "sales_manager")
    engine = create_engine(suite.database_urls["gateway"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET channel_id = :c WHERE username = :u"),
                           {"c": channel.json()["id"], "u": f"agency-boss-{sold['id']}"})
    engine.dispose()
    boss = suite.client(f"agency-boss-{sold['id']}")
    assert boss.get(f"/api/v1/channels/{channel.json()['id']}").status_code == 200
    other_channel = admin.post("/api/v1/channels", {"code": f"own-{sold['id']}", "name": "自销",
                                                    "kind": "own_team", "project_ids": []})
    assert boss.get(f"/api/v1/channels/{other_channel.json()['id']}").status_code == 403
    widened = boss.put(f"/api/v1/channels/{channel.json()['id']}/projects",
                       {"project_ids": [sold["id"], other["id"]]})
    assert widened.status_code == 403
    assert widened.json()["error"]["fields"] == {"channel_id": ["you belong to a channel"]}
    assert boss.post("/api/v1/channels", {"code": f"mine-{sold['id']}", "name": "我的",
                                          "kind": "agency", "project_ids": [other["id"]]}
                     ).status_code == 403
    assert admin.get(f"/api/v1/channels/{channel.json()['id']}").json()["project_ids"] == [
        sold["id"]]


def test_the_quarterly_progress_table_through_the_gateway(suite, admin):
    project, _ = make_project(admin, rooms=1)
    url = f"/api/v1/projects/{project['id']}/progress/2026/4"
    planned = admin.put(f"{url}/plan", {"weeks": [{"week": 1, "units": 3, "amount": "3000000.00"},
                                                  {"week": 2, "units": 1, "amount": "900000.00"}]})
    assert planned.status_code == 200, planned.text
    weeks = admin.get(url).json()["weeks"]
    assert (weeks[1]["plan_cumulative_units"], weeks[1]["plan_cumulative_amount"],
            weeks[1]["actual_cumulative_units"], weeks[1]["amount_completion_ratio"]) == (
        4, "3900000.00", 0, "0.0000")
    negative = admin.put(f"{url}/plan", {"weeks": [{"week": 1, "units": 1, "amount": "-1.00"}]})
    assert negative.status_code == 400
    assert negative.json()["error"]["fields"] == {"weeks": {"0": {"amount": ["must not be negative"]}}}


def test_the_sale_after_the_deposit_arrives_as_events(suite, admin):
    """transactions' later events reach inventory's queue: a swap, a subscription, a
    contract and the filing move the units, and the history names every event."""
    project, (first, second) = make_project(admin)
    deposit = admin.post("/api/v1/deposits", {"unit_id": first, "project_id": project["id"],
                                              "customer_id": 91, "consultant_id": 5,
                                              "amount": "20000.00"})
    assert deposit.status_code == 201, deposit.text
    deposit_id = deposit.json()["id"]
    assert wait_for(lambda: admin.get(f"/api/v1/units/{first}").json()["status"] == "reserved")

    def send(name, data):
        send_to_queue(suite.env["AMQP_URI"], "inventory", [valid_event(
            f"transactions.{name}", {"deposit_id": deposit_id, **data}, customer_id=91)])

    send("swap_approved", {"application_id": 1, "from_unit_id": first, "to_unit_id": second})
    assert wait_for(lambda: admin.get(f"/api/v1/units/{second}").json()["status"] == "reserved")
    assert admin.get(f"/api/v1/units/{first}").json()["status"] == "available"
    for name, data, status in (
            ("subscription_signed", {"subscription_id": 3, "consultant_id": 5,
                                     "total_price": "1200000.00", "price_list_version": 1},
             "subscribed"),
            ("contract_signed", {"contract_id": 4, "subscription_id": 3,
                                 "total_price": "1200000.00", "payment_method": "lump_sum"},
             "contracted"),
            ("contract_filed", {"contract_id": 4, "filing_number": "LY2026-000042"}, "filed")):
        send(name, data)
        assert wait_for(lambda: admin.get(f"/api/v1/units/{second}").json()["status"] == status)
    history = admin.get(f"/api/v1/units/{second}/history").json()["changes"]
    assert [(c["to_status"], c["event_type"]) for c in history] == [
        ("reserved", "transactions.swap_approved"),
        ("subscribed", "transactions.subscription_signed"),
        ("contracted", "transactions.contract_signed"),
        ("filed", "transactions.contract_filed")]
    assert admin.get(f"/api/v1/units/{second}").json()["reservation"]["status"] == "sold"
