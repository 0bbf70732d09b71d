"""Users and sessions over HTTP with two gateway processes on one database: what one worker
revokes, the other refuses at once; logins are throttled across both."""
import time
import uuid

import pytest
import requests

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateways(suite):
    """The suite's gateway and a second gateway process beside it."""
    port = free_port()
    env, suite.env = suite.env, {**suite.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}"}
    try:
        suite.start("gateway", instance="gateway-2")
    finally:
        suite.env = env
    second = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(f"{second}/api/v1/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "the second gateway did not start"
        time.sleep(0.5)
    yield suite.base_url, second
    suite.stop("gateway-2")


def log_in(base_url, username, password):
    return requests.post(f"{base_url}/api/v1/auth/tokens", timeout=30,
                         json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_user(admin, role="admin", **fields):
    username = f"u{uuid.uuid4().hex[:8]}"
    response = admin.post("/api/v1/admin/users", json={
        "username": username, "password": "sand-table-0931", "role": role, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_admin_creates_a_user_within_the_password_policy(admin):
    weak = admin.post("/api/v1/admin/users", json={
        "username": "li.si", "password": "li.si-2026", "role": "consultant"})
    assert weak.status_code == 400
    assert "password" in weak.json()["error"]["fields"]
    user = new_user(admin, "consultant", office_ids=[1], project_ids=[2])
    assert (user["role"], user["office_ids"], user["project_ids"], user["active"]) == (
        "consultant", [1], [2], True)
    changed = admin.put(f"/api/v1/admin/users/{user['id']}",
                        json={"role": "sales_manager", "office_ids": [1, 3]})
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["office_ids"]) == ("sales_manager", [1, 3])
    audit = admin.get("/api/v1/admin/audit", params={"subject": f"user:{user['id']}"}).json()
    assert [entry["action"] for entry in audit["entries"]] == ["user.changed", "user.created"]
    assert all(entry["username"] == "admin" for entry in audit["entries"])


def test_logout_is_refused_at_once_by_the_other_gateway(admin, gateways):
    first, second = gateways
    user = new_user(admin)
    token = log_in(first, user["username"], "sand-table-0931").json()["token"]
    for base_url in gateways:  # both workers have the token in their cache now
        assert requests.get(f"{base_url}/api/v1/admin/users", headers=bearer(token),
                            timeout=30).status_code == 200
    assert requests.delete(f"{first}/api/v1/auth/tokens/current", headers=bearer(token),
                           timeout=30).status_code == 204
    for base_url in (second, first):
        refused = requests.get(f"{base_url}/api/v1/admin/users", headers=bearer(token),
                               timeout=30)
        assert refused.status_code == 401


def test_deactivating_a_user_ends_their_sessions_at_once_everywhere(admin, gateways):
    first, second = gateways
    user = new_user(admin)
    token = log_in(second, user["username"], "sand-table-0931").json()["token"]
    for base_url in gateways:
        assert requests.get(f"{base_url}/api/v1/admin/users", headers=bearer(token),
                            timeout=30).status_code == 200
    assert admin.post(f"/api/v1/admin/users/{user['id']}/deactivation", json={}).json()[
        "active"] is False
    for base_url in gateways:
        assert requests.get(f"{base_url}/api/v1/admin/users", headers=bearer(token),
                            timeout=30).status_code == 401
    assert log_in(first, user["username"], "sand-table-0931").status_code == 401


def test_failed_logins_are_throttled_across_gateways_with_retry_after(admin, gateways):
    user = new_user(admin, "consultant")
    for attempt in range(5):
        assert log_in(gateways[attempt % 2], user["username"], "wrong-password-1"
                      ).status_code == 401
    for base_url in gateways:
        blocked = log_in(base_url, user["username"], "sand-table-0931")
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert blocked.json()["error"]["code"] == "too_many_attempts"


def test_a_user_changes_their_own_password_within_the_policy(admin, gateways):
    user = new_user(admin, "finance")
    token = log_in(gateways[0], user["username"], "sand-table-0931").json()["token"]
    weak = requests.put(f"{gateways[1]}/api/v1/auth/password", headers=bearer(token),
                        timeout=30, json={"current_password": "sand-table-0931",
                                          "new_password": "short"})
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    changed = requests.put(f"{gateways[1]}/api/v1/auth/password", headers=bearer(token),
                           timeout=30, json={"current_password": "sand-table-0931",
                                             "new_password": "deal-report-5521"})
    assert changed.status_code == 204
    assert log_in(gateways[0], user["username"], "deal-report-5521").status_code == 201
