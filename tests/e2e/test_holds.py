"""Holds through the gateway (第9篇): approval by a manager, the waitlist, who may do what."""
import pytest

from tests.e2e.conftest import customer_of
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e


def test_hold_approval_waitlist_and_offer(suite, admin):
    office, (first, second) = make_office(admin, consultants=("周一", "吴二"))
    project, (unit_id, _) = make_project(admin)
    holder = suite.add_user(f"holder-{first}", "consultant", consultant_id=first)
    waiter = suite.add_user(f"waiter-{second}", "consultant", consultant_id=second)
    manager = suite.add_user(f"manager-{first}", "sales_manager", project_ids=[project["id"]])
    mine = customer_of(admin, office["id"], first)
    theirs = customer_of(admin, office["id"], second)

    held = holder.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": mine,
                                         "customer_name": "郑三"})
    assert held.status_code == 201, held.text
    hold = held.json()["hold"]
    assert (hold["status"], hold["customer_name"]) == ("pending", "郑三")

    assert holder.post(f"/api/v1/holds/{hold['id']}/approval", {"approve": True}).status_code \
        == 403  # a consultant cannot approve
    approved = manager.post(f"/api/v1/holds/{hold['id']}/approval",
                            {"approve": True, "comment": "ok"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == (
        "active", f"manager-{first}")

    taken = waiter.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": theirs})
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"]["status"] == "held"
    assert "waitlist" in taken.json()["error"]["message"]
    waiting = waiter.post(f"/api/v1/units/{unit_id}/waitlist", {"customer_id": theirs})
    assert waiting.status_code == 201, waiting.text
    assert (waiting.json()["position"], waiting.json()["consultant_id"]) == (1, second)

    assert holder.post(f"/api/v1/holds/{hold['id']}/extension",
                       {"days": 2, "reason": "abroad"}).status_code == 403
    refused = manager.post(f"/api/v1/holds/{hold['id']}/extension",
                           {"days": 2, "reason": "abroad"})
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"] == {"hold_id": ["1 consultant(s) wait for the unit"]}
    assert waiter.post(f"/api/v1/holds/{hold['id']}/release",
                       {"reason": "mine"}).status_code == 403  # not the waiter's hold

    released = holder.post(f"/api/v1/holds/{hold['id']}/release",
                           {"reason": "the customer chose another project"})
    assert released.status_code == 200 and released.json()["status"] == "released"
    unit = admin.get(f"/api/v1/units/{unit_id}").json()
    assert unit["status"] == "offered" and unit["offered_until"] is not None
    assert admin.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": 503,
                                        "consultant_id": first}).status_code == 409

    claimed = waiter.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": theirs})
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["hold"]["consultant_id"] == second
    assert claimed.json()["waitlist"] == []


def test_hold_requests_are_checked(suite, admin):
    manager = suite.add_user("manager-checks", "sales_manager")
    bad = manager.post("/api/v1/holds/1/extension", {"days": 0, "reason": ""})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"days", "reason"}
    assert manager.get("/api/v1/holds/999999").status_code == 404
    assert manager.post("/api/v1/units/1/waitlist", {"customer_id": 1}).json()["error"][
        "fields"] == {"consultant_id": ["required for a manager"]}
