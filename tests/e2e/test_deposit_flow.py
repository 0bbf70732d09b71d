"""The foundation flow through the gateway: project → walk-in → hold → deposit saga → dossier."""
import itertools
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e
_codes = itertools.count(1)


def make_office(admin, consultants=("王五", "赵六")):
    n = next(_codes)
    office = admin.post("/api/v1/offices", {"code": f"office-{n}", "name": f"洛阳{n}号案场",
                                            "region_code": "ly"})
    assert office.status_code == 201, office.text
    office = office.json()
    ids = []
    for name in consultants:
        consultant = admin.post("/api/v1/consultants", {"office_id": office["id"], "name": name})
        assert consultant.status_code == 201, consultant.text
        ids.append(consultant.json()["id"])
    return office, ids


def make_project(admin, rooms=2):
    n = next(_codes)
    units = [{"number": f"{101 + i}", "floor": 1, "building_area": "89.50",
              "list_price": "1200000.00", "layout": "3/2"} for i in range(rooms)]
    project = admin.post("/api/v1/projects", {"code": f"garden-{n}", "name": f"Garden {n}",
                                              "buildings": [{"name": "1", "units": units}]})
    assert project.status_code == 201, project.text
    board = admin.get(f"/api/v1/projects/{project.json()['id']}/board").json()
    return project.json(), [row[board["columns"].index("id")] for row in board["units"]]


def deposit_status(client, deposit_id):
    return client.get(f"/api/v1/deposits/{deposit_id}").json()["status"]


def test_walk_in_hold_deposit_reservation_and_dossier(suite, admin):
    office, (first, second) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    consultant = suite.add_user(f"consultant-{first}", "consultant", consultant_id=first)
    archivist = suite.add_user(f"archivist-{first}", "archivist")

    visit = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": "张三",
                                               "mobile": "138 0013 8000", "channel": "passing_by"})
    assert visit.status_code == 201, visit.text
    visit = visit.json()
    customer = visit["customer"]
    # region + pinyin initials + sequence; the sequence depends on earlier tests' 张s
    assert re.fullmatch(r"ly-zs\d{3}", customer["code"]), customer["code"]
    assert visit["assignment"] == {"consultant_id": first, "rule": "new_visitor_rotation",
                                   "explanation": visit["assignment"]["explanation"],
                                   "assisted_by": None}
    assert customer["mobile"] == "13800138000"  # the consultant's own customer: unmasked

    # the next new visitor goes to the next consultant in the rotation
    other = admin.post("/api/v1/visits", {"office_id": office["id"], "name": "李四",
                                          "mobile": "13900139000"}).json()
    assert other["assignment"]["consultant_id"] == second
    assert re.fullmatch(r"ly-ls\d{3}", other["customer"]["code"]), other["customer"]["code"]

    # a second visit by the same number, written differently, returns to the same consultant
    again = admin.post("/api/v1/visits", {"office_id": office["id"], "name": "张三",
                                          "mobile": "+86 138-0013-8000"}).json()
    assert again["returning"] is True
    assert again["customer"]["id"] == customer["id"]
    assert again["assignment"]["consultant_id"] == first
    assert again["assignment"]["rule"] == "returning_customer"

    assert admin.get(f"/api/v1/units/{unit_id}").json()["status"] == "available"
    hold = consultant.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": customer["id"]})
    assert hold.status_code == 201, hold.text
    assert hold.json()["status"] == "held"
    assert hold.json()["hold"]["customer_id"] == customer["id"]

    deposit = consultant.post("/api/v1/deposits", {"unit_id": unit_id, "project_id": project["id"],
                                                   "customer_id": customer["id"],
                                                   "amount": "20000.00", "kind": "small"})
    assert deposit.status_code == 201, deposit.text
    deposit = deposit.json()
    assert deposit["amount"] == "20000.00"
    assert wait_for(lambda: deposit_status(admin, deposit["id"]) == "confirmed")
    unit = admin.get(f"/api/v1/units/{unit_id}").json()
    assert unit["status"] == "reserved"
    assert unit["reserved_by_deposit_id"] == deposit["id"]

    # someone else's deposit on the reserved unit is refused and marked for refund
    late = admin.post("/api/v1/deposits", {"unit_id": unit_id, "customer_id": other["customer"]["id"],
                                           "consultant_id": second, "amount": "50000.00"}).json()
    assert wait_for(lambda: deposit_status(admin, late["id"]) == "refund_pending")
    assert "reserved" in admin.get(f"/api/v1/deposits/{late['id']}").json()["status_reason"]
    assert admin.get(f"/api/v1/units/{unit_id}").json()["reserved_by_deposit_id"] == deposit["id"]

    expected = ["visit_recorded", "visit_recorded", "unit_held",
                "deposit_received", "unit_reserved", "deposit_confirmed", "payment_received",
                "deposit_received",
                "unit_reservation_rejected", "deposit_rejected"]

    def timeline():
        response = archivist.get(f"/api/v1/units/{unit_id}/dossier", params={"purpose": "audit"})
        if response.status_code != 200:
            return None
        entries = response.json()["entries"]
        types = [entry["type"] for entry in entries if entry["type"] != "dossier_opened"]
        return entries if all(t in types for t in set(expected)) and len(types) >= len(expected) else None

    entries = wait_for(timeline)
    assert entries, "the dossier never received every event"
    times = [entry["occurred_at"] for entry in entries]
    assert times == sorted(times)
    assert [e["type"] for e in entries].count("dossier_opened") == 1
    customer_types = [e["type"] for e in entries
                      if e["customer_id"] == customer["id"] and e["type"] != "dossier_opened"]
    # the confirmed deposit's order form records the deposit as its first payment
    assert customer_types == ["visit_recorded", "visit_recorded", "unit_held", "deposit_received",
                              "unit_reserved", "deposit_confirmed", "payment_received"]
    assert len({entry["event_id"] for entry in entries}) == len(entries)

    engine = create_engine(suite.database_urls["archive"])
    with engine.connect() as connection:
        reads = connection.execute(text("SELECT reader, purpose FROM dossier_reads")).all()
    engine.dispose()
    assert (f"archivist-{first}", "audit") in reads


def test_fifty_concurrent_deposits_on_one_unit_end_in_one_reservation(suite, admin):
    project, (unit_id, _) = make_project(admin)

    def pay(customer_id):
        response = admin.post("/api/v1/deposits", {"unit_id": unit_id, "customer_id": customer_id,
                                                   "consultant_id": 1, "amount": "10000.00"})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        deposit_ids = list(pool.map(pay, range(1000, 1050)))

    def settled():
        statuses = [deposit_status(admin, deposit_id) for deposit_id in deposit_ids]
        return statuses if "pending" not in statuses else None

    statuses = wait_for(settled, timeout=60)
    assert statuses is not None, "some deposits never heard back from inventory"
    assert statuses.count("confirmed") == 1
    assert statuses.count("refund_pending") == 49
    winner = deposit_ids[statuses.index("confirmed")]
    unit = admin.get(f"/api/v1/units/{unit_id}").json()
    assert (unit["status"], unit["reserved_by_deposit_id"]) == ("reserved", winner)

    engine = create_engine(suite.database_urls["inventory"])
    with engine.connect() as connection:
        active = connection.execute(text(
            "SELECT count(*) FROM reservations WHERE unit_id = :u AND status = 'active'"),
            {"u": unit_id}).scalar_one()
    engine.dispose()
    assert active == 1
