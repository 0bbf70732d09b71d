"""Managers see their office: a sales manager (their user linked to the office's manager
record) reads and acts only on their own office; general managers and admins see every one."""
import uuid

import pytest

pytestmark = pytest.mark.e2e


def make_office(admin, label):
    code = f"e2e-{label}-{uuid.uuid4().hex[:6]}"
    office = admin.post("/api/v1/offices", {"code": code, "name": label, "region_code": "bg"})
    assert office.status_code == 201, office.text
    office_id = office.json()["id"]
    ids = {}
    for name, kind in (("甲", "sales"), ("乙", "sales"), ("经理", "manager"),
                       ("电开", "call_agent")):
        added = admin.post("/api/v1/consultants", {"office_id": office_id, "name": name,
                                                   "kind": kind})
        assert added.status_code == 201, added.text
        ids[kind if kind != "sales" else name] = added.json()["id"]
    return office_id, ids


def refused(response, office_id=None):
    assert response.status_code == 403, response.text
    reasons = response.json()["error"]["fields"]["office_id"]
    assert office_id is None or any(str(office_id) in reason for reason in reasons), reasons
    return True


def test_a_sales_manager_sees_and_acts_on_their_office_only(suite, admin):
    east, east_staff = make_office(admin, "east")
    west, west_staff = make_office(admin, "west")
    east_manager = suite.add_user(f"manager-east-{east}", "sales_manager",
                                  consultant_id=east_staff["manager"])
    general = suite.add_user(f"general-{east}", "general_manager")
    unlinked = suite.add_user(f"manager-nowhere-{east}", "sales_manager")
    mobile = f"137{uuid.uuid4().int % 10**8:08d}"
    customer = admin.post("/api/v1/visits", {"office_id": west, "name": "钱八",
                                             "mobile": mobile}).json()["customer"]
    assert admin.post(f"/api/v1/customers/{customer['id']}/hopeless", {
        "kind": "never_returns", "analysis": {"reasons": "不再来访"}}).status_code == 201

    office_paths = [f"/api/v1/offices/{{}}/{path}" for path in (
        "hopeless-customers", "exports/visit-register", "exports/call-register",
        "exports/grade-tracking", "exports", "call-center/day")]
    for path in office_paths:
        assert refused(east_manager.get(path.format(west)), west), path
        assert east_manager.get(path.format(east)).status_code == 200, path
        assert general.get(path.format(west)).status_code == 200, path
        assert refused(unlinked.get(path.format(east))), path
    ranking = "/api/v1/offices/{}/call-center/ranking?month=2026-11"
    assert refused(east_manager.get(ranking.format(west)), west)
    assert east_manager.get(ranking.format(east)).json()["office_id"] == east
    west_agent = suite.add_user(f"agent-west-{west}", "call_agent",
                                consultant_id=west_staff["call_agent"])
    assert refused(west_agent.get(f"/api/v1/offices/{east}/call-center/day"), east)
    assert refused(west_agent.get(ranking.format(east)), east)
    assert west_agent.get(f"/api/v1/offices/{west}/call-center/day").status_code == 200
    assert west_agent.get(ranking.format(west)).status_code == 200
    assert refused(east_manager.put(f"/api/v1/offices/{west}/roster",
                                    {"reception_order": [west_staff["甲"]]}), west)
    assert east_manager.put(f"/api/v1/offices/{east}/roster",
                            {"reception_order": [east_staff["乙"], east_staff["甲"]]}
                            ).status_code == 200
    assert refused(east_manager.get(f"/api/v1/call-center/sources?office_id={west}"), west)
    assert east_manager.get("/api/v1/call-center/sources").status_code == 200
    assert general.get(f"/api/v1/call-center/sources?office_id={west}").status_code == 200

    # the west office's staff: not to be added to, directed or read from the east
    assert refused(east_manager.post("/api/v1/consultants", {"office_id": west, "name": "丙"}),
                   west)
    assert refused(east_manager.put(f"/api/v1/consultants/{west_staff['甲']}/status",
                                    {"status": "absent"}), west)
    assert refused(east_manager.get(f"/api/v1/consultants/{west_staff['甲']}/care-reminders"),
                   west)
    assert refused(east_manager.get(f"/api/v1/call-agents/{west_staff['call_agent']}/leads"),
                   west)
    assert refused(east_manager.post("/api/v1/call-pool/distributions", {
        "agent_ids": [east_staff["call_agent"], west_staff["call_agent"]], "per_agent": 1}),
        west)
    assert admin.get(f"/api/v1/call-agents/{west_staff['call_agent']}/leads").json() == {
        "leads": []}  # the refused distribution handed out nothing
    assert east_manager.put(f"/api/v1/consultants/{east_staff['甲']}/status",
                            {"status": "busy"}).json()["status"] == "busy"
    assert east_manager.post("/api/v1/consultants", {"office_id": east, "name": "丁"}
                             ).status_code == 201

    # the west office's customer: not to be read, graded, given up or reassigned from the east
    path = f"/api/v1/customers/{customer['id']}"
    assert refused(east_manager.get(path), west)
    assert refused(east_manager.get(f"{path}/file"), west)
    assert refused(east_manager.put(f"{path}/grade", {"grade": "B"}), west)
    assert refused(east_manager.put(f"{path}/profile", {"archive": {"company": "x"}}), west)
    assert refused(east_manager.post(f"{path}/reassignments", {
        "consultant_id": west_staff["乙"], "reason": "越权"}), west)
    assert refused(east_manager.post(f"{path}/hopeless-reassignments", {
        "consultant_id": west_staff["乙"], "reason": "越权"}), west)
    still = admin.get(path).json()
    assert (still["consultant_id"], still["outcome"], still["grade"]) == (
        customer["consultant_id"], "hopeless", None)  # nothing changed
    listed = general.get(f"/api/v1/offices/{west}/hopeless-customers").json()["customers"]
    assert [(c["id"], c["mobile"]) for c in listed] == [(customer["id"], mobile)]
    unknown = general.post(f"{path}/hopeless-reassignments", {"consultant_id": 999_999,
                                                               "reason": "x"})
    assert unknown.status_code == 404 and "consultant_id" in unknown.json()["error"]["fields"]
    moved = general.post(f"{path}/hopeless-reassignments", {
        "consultant_id": west_staff["乙"] if customer["consultant_id"] == west_staff["甲"]
        else west_staff["甲"], "reason": "经理重新分配"})
    assert moved.status_code == 201, moved.text

    # the east manager's own customer, unmasked
    own = admin.post("/api/v1/visits", {"office_id": east, "name": "孙九",
                                        "mobile": f"135{uuid.uuid4().int % 10**8:08d}"}).json()
    seen = east_manager.get(f"/api/v1/customers/{own['customer']['id']}")
    assert seen.status_code == 200 and "*" not in seen.json()["mobile"]
