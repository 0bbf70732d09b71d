"""Demo data through the public API: one office with its rotation, one project, users."""
import json
import time
import urllib.error
import urllib.request

from contracts.errors import Conflict

CONSULTANTS = ("王五", "赵六", "孙七", "周八")


def _request(base_url, method, path, body=None, token=None):
    request = urllib.request.Request(base_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_for_gateway(base_url, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _request(base_url, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"the gateway at {base_url} is not healthy")


def load_demo(base_url, admin_password):
    from gateway.commands import create_user

    _wait_for_gateway(base_url)
    status, token = _request(base_url, "POST", "/api/v1/auth/tokens",
                             {"username": "admin", "password": admin_password})
    if status != 201:
        raise SystemExit(f"cannot log in as admin: {token}")
    token = token["token"]
    status, office = _request(base_url, "POST", "/api/v1/offices",
                              {"code": "ly-demo", "name": "洛阳示范案场", "region_code": "ly"}, token)
    if status == 409:
        print("demo data is loaded already")
        return
    for name in CONSULTANTS:
        _, consultant = _request(base_url, "POST", "/api/v1/consultants",
                                 {"office_id": office["id"], "name": name}, token)
        try:
            create_user(f"consultant{consultant['id']}", "demo-password", "consultant",
                        consultant["id"])
        except Conflict:
            pass
    for username, role in (("archivist", "archivist"), ("finance", "finance")):
        try:
            create_user(username, "demo-password", role)
        except Conflict:
            pass
    buildings = [{"name": str(b), "units": [
        {"number": f"{floor}{room:02d}", "floor": floor, "building_area": "89.50",
         "list_price": f"{1_000_000 + floor * 10_000}.00", "layout": "3/2"}
        for floor in range(1, 7) for room in range(1, 5)]} for b in (1, 2)]
    _, project = _request(base_url, "POST", "/api/v1/projects",
                          {"code": "demo-garden", "name": "示范花园", "buildings": buildings},
                          token)
    # the office sells the project; its manager acts on the office's projects
    _request(base_url, "PUT", f"/api/v1/offices/{office['id']}/projects",
             {"project_ids": [project["id"]]}, token)
    _, manager = _request(base_url, "POST", "/api/v1/consultants",
                          {"office_id": office["id"], "name": "案场经理", "kind": "manager"}, token)
    try:
        create_user("manager", "demo-password", "sales_manager", manager["id"])
    except Conflict:
        pass
    print(f"demo data loaded: office ly-demo, project demo-garden (48 units); users admin, "
          f"manager, archivist, finance, consultant1..{len(CONSULTANTS)} "
          f"(password demo-password; admin: {admin_password})")
