"""Visits and calls are registered in one's own office: a sales manager in the office they
manage, a consultant in the office of their record; general managers and admins anywhere."""
import uuid

import pytest

from tests.e2e.test_leads_privacy import office_with_staff

pytestmark = pytest.mark.e2e


def new_mobile():
    return f"136{uuid.uuid4().int % 10**8:08d}"


def refused(response, office_id):
    assert response.status_code == 403, response.text
    reasons = response.json()["error"]["fields"]["office_id"]
    assert any(f"office {office_id} is not yours" in reason for reason in reasons), reasons
    return True


def test_staff_register_visitors_and_callers_in_their_own_office_only(suite, admin):
    east, east_staff = office_with_staff(admin, "reg-east")
    west, _ = office_with_staff(admin, "reg-west")
    manager = suite.add_user(f"reg-manager-{east}", "sales_manager",
                             consultant_id=east_staff["经理"])
    consultant = suite.add_user(f"reg-consultant-{east}", "consultant",
                                consultant_id=east_staff["甲"])
    general = suite.add_user(f"reg-general-{east}", "general_manager")

    for user in (manager, consultant):
        for kind in ("visits", "calls"):
            mobile = new_mobile()
            # at home first, so the answer kept for the office is exercised too
            own = user.post(f"/api/v1/{kind}", {"office_id": east, "name": "张三",
                                                "mobile": new_mobile()})
            assert own.status_code == 201, own.text
            assert refused(user.post(f"/api/v1/{kind}", {"office_id": west, "name": "李四",
                                                         "mobile": mobile}), west)
            # nothing was registered: the number is new to the west office's admin
            first = admin.post(f"/api/v1/{kind}", {"office_id": west, "name": "李四",
                                                   "mobile": mobile})
            assert first.status_code == 201 and first.json()["returning"] is False, first.text
    unknown = consultant.post("/api/v1/visits", {"office_id": 999_999, "name": "王五",
                                                 "mobile": new_mobile()})
    assert unknown.status_code == 404 and "office_id" in unknown.json()["error"]["fields"]
    assert general.post("/api/v1/visits", {"office_id": west, "name": "赵六",
                                           "mobile": new_mobile()}).status_code == 201
