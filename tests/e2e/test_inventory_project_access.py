"""Users given a list of projects act only on those, through every inventory route; general
managers, admins and users without a list act on every project."""
import io

import pytest

from tests.e2e.conftest import customer_of
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
NOT_YOURS = {"project_id": ["not one of your projects"]}


def test_a_user_limited_to_some_projects_acts_only_on_those(suite, admin):
    mine, (my_unit, _) = make_project(admin)
    other, (other_unit, other_second) = make_project(admin)
    manager = suite.add_user(f"pm-{mine['id']}", "sales_manager", project_ids=[mine["id"]])
    office, (seller, _) = make_office(admin)
    buyer = customer_of(admin, office["id"], seller)
    consultant = suite.add_user(f"pc-{mine['id']}", "consultant", consultant_id=seller,
                                project_ids=[mine["id"]])
    boss = suite.add_user(f"gm-{mine['id']}", "general_manager", project_ids=[mine["id"]])
    anyone = suite.add_user(f"any-{mine['id']}", "finance")  # no list: every project
    # a sales manager is bound to their office's projects: with no office nor list, to none
    nowhere = suite.add_user(f"nowhere-{mine['id']}", "sales_manager")
    foreign_hold = admin.post("/api/v1/holds", {"unit_id": other_second, "customer_id": 3,
                                                "consultant_id": 62})
    assert foreign_hold.status_code == 201, foreign_hold.text
    foreign_hold = foreign_hold.json()["hold"]["id"]
    foreign_entry = admin.post(f"/api/v1/units/{other_second}/waitlist",
                               {"customer_id": 4, "consultant_id": 63})
    assert foreign_entry.status_code == 201, foreign_entry.text
    foreign_entry = foreign_entry.json()["id"]
    base = f"/api/v1/projects/{other['id']}"

    refused = [
        manager.get(f"{base}/board"), manager.get(f"{base}/board.xlsx"),
        manager.post(f"{base}/units", {"building": "9", "number": "901", "floor": 9,
                                       "building_area": "90.00"}),
        manager.post(f"{base}/buildings", {"building": "9", "floors": 1,
                                           "rooms": [{"building_area": "90"}]}),
        manager.post(f"{base}/units/import", headers={"Content-Type": "text/csv"},
                     data=io.BytesIO("号楼,房号,楼层,建筑面积\n9,901,9,90\n".encode())),
        manager.post(f"{base}/price-lists", {"prices": [{"unit_id": other_unit,
                                                         "total_price": "1.00"}]}),
        manager.get(f"{base}/price-lists"), manager.get(f"{base}/price-lists/1"),
        manager.get(f"{base}/progress/2026/4"),
        manager.put(f"{base}/progress/2026/4/plan", {"weeks": [{"week": 1, "units": 1,
                                                                "amount": "1.00"}]}),
        manager.get(f"/api/v1/units/{other_unit}"),
        manager.get(f"/api/v1/units/{other_unit}/history"),
        manager.get(f"/api/v1/units/{other_unit}/price"),
        consultant.post("/api/v1/holds", {"unit_id": other_unit, "customer_id": buyer}),
        consultant.post(f"/api/v1/units/{other_second}/waitlist", {"customer_id": buyer}),
        manager.get(f"/api/v1/holds/{foreign_hold}"),
        manager.post(f"/api/v1/holds/{foreign_hold}/approval", {"approve": False}),
        manager.post(f"/api/v1/holds/{foreign_hold}/extension", {"days": 1, "reason": "x"}),
        manager.post(f"/api/v1/holds/{foreign_hold}/release", {"reason": "mine now"}),
        manager.post(f"/api/v1/waitlist/{foreign_entry}/withdrawal"),
        manager.post("/api/v1/channels", {"code": f"pc-{other['id']}", "name": "代理",
                                          "kind": "agency", "project_ids": [other["id"]]}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert all(r.json()["error"]["fields"] == NOT_YOURS for r in refused)
    untouched = admin.get(f"/api/v1/units/{other_unit}").json()
    assert (untouched["status"], untouched["waitlist"]) == ("available", [])
    assert admin.get(f"/api/v1/holds/{foreign_hold}").json()["status"] in ("pending", "active")
    assert [entry["status"] for entry in admin.get(
        f"/api/v1/units/{other_second}").json()["waitlist"]] == ["waiting"]

    assert manager.get(f"/api/v1/projects/{mine['id']}/board").status_code == 200
    assert manager.get(f"/api/v1/units/{my_unit}/price").status_code == 200
    held = consultant.post("/api/v1/holds", {"unit_id": my_unit, "customer_id": buyer})
    assert held.status_code == 201, held.text
    assert manager.get(f"/api/v1/holds/{held.json()['hold']['id']}").status_code == 200
    assert boss.get(f"{base}/board").status_code == 200  # a general manager sees every project
    assert anyone.get(f"{base}/board").status_code == 200
    assert nowhere.get(f"{base}/board").status_code == 403
