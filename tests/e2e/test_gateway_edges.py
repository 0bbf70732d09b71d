"""The gateway's edges: authentication, roles, privacy, and clear 4xx errors for bad input."""
import pytest
import requests

from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e


def error_of(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_requests_without_a_valid_token_are_401(suite):
    assert error_of(requests.get(f"{suite.base_url}/api/v1/units/1"), 401)["code"]
    bad = requests.get(f"{suite.base_url}/api/v1/units/1",
                       headers={"Authorization": "Bearer not-a-token"})
    error_of(bad, 401)
    wrong = requests.post(f"{suite.base_url}/api/v1/auth/tokens",
                          json={"username": "admin", "password": "nope"})
    error_of(wrong, 401)


def test_roles_are_enforced(suite, admin):
    finance = suite.add_user("finance-1", "finance")
    error = error_of(finance.post("/api/v1/holds", {"unit_id": 1, "customer_id": 1,
                                                     "consultant_id": 1}), 403)
    assert "role" in error["fields"]
    consultant = suite.add_user("consultant-edge", "consultant", consultant_id=77)
    error = error_of(consultant.get("/api/v1/units/1/dossier"), 403)
    error = error_of(consultant.post("/api/v1/deposits", {
        "unit_id": 1, "customer_id": 1, "consultant_id": 78, "amount": "1.00"}), 403)
    assert "consultant_id" in error["fields"]


def test_bad_input_names_the_offending_fields(suite, admin):
    office, _ = make_office(admin)
    error = error_of(admin.post("/api/v1/visits", {"office_id": office["id"], "name": "张三",
                                                   "mobile": "12345"}), 400)
    assert "mobile" in error["fields"]
    error = error_of(admin.post("/api/v1/visits", {"office_id": 999999, "name": "张三",
                                                   "mobile": "13700137000"}), 404)
    assert "office_id" in error["fields"]
    error = error_of(admin.post("/api/v1/deposits", {"unit_id": 1, "customer_id": 1,
                                                     "consultant_id": 1, "amount": "0"}), 400)
    assert "amount" in error["fields"]
    error = error_of(admin.post("/api/v1/deposits", {"unit_id": "x", "customer_id": 1,
                                                     "consultant_id": 1, "amount": 12.5,
                                                     "surprise": 1}), 400)
    assert {"unit_id", "amount", "surprise"} <= set(error["fields"])
    broken = admin.http.post(f"{suite.base_url}/api/v1/offices", data="{not json",
                             headers={"Content-Type": "application/json"})
    error_of(broken, 400)
    error_of(admin.get("/api/v1/no/such/route"), 404)
    error_of(admin.get("/api/v1/units/999999"), 404)


def test_holding_a_held_unit_is_a_409_with_its_status(suite, admin):
    _, (unit_id, _) = make_project(admin)
    first = admin.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": 1, "consultant_id": 1})
    assert first.status_code == 201, first.text
    error = error_of(admin.post("/api/v1/holds", {"unit_id": unit_id, "customer_id": 2,
                                                  "consultant_id": 2}), 409)
    assert error["fields"]["status"] == "held"
    assert admin.get(f"/api/v1/units/{unit_id}").json()["hold"]["customer_id"] == 1


def test_other_consultants_see_masked_mobiles(suite, admin):
    office, (first, second) = make_office(admin)
    owner = suite.add_user(f"owner-{first}", "consultant", consultant_id=first)
    colleague = suite.add_user(f"colleague-{second}", "consultant", consultant_id=second)
    visit = owner.post("/api/v1/visits", {"office_id": office["id"], "name": "王芳",
                                          "mobile": "13600136000"}).json()
    customer_id = visit["customer"]["id"]
    assert visit["assignment"]["consultant_id"] == first
    assert owner.get(f"/api/v1/customers/{customer_id}").json()["mobile"] == "13600136000"
    assert colleague.get(f"/api/v1/customers/{customer_id}").json()["mobile"] == "136****6000"


def test_openapi_document_covers_every_route(suite):
    from gateway.routes import ROUTES
    spec = requests.get(f"{suite.base_url}/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for route in ROUTES:
        assert route.method.lower() in spec["paths"][route.path]
    visit_body = spec["paths"]["/api/v1/visits"]["post"]["requestBody"]
    assert visit_body["content"]["application/json"]["schema"]
