"""Imports as background jobs through the running suite: hostile files are refused quickly
while the gateway keeps answering, a normal import is followed to its end."""
import threading

import pytest

from tests.uploads import XLSX, csv_bytes, giant_cell_xlsx, million_rows_xlsx
from tests.e2e.test_deposit_flow import make_project

pytestmark = pytest.mark.e2e

ROOMS_HEADER = ["号楼", "单元", "房号", "楼层", "建筑面积", "户型", "物业类型", "单价", "底价"]


def rooms_table(buildings, floors, per_floor):
    return [ROOMS_HEADER] + [
        [str(building), "1", f"{floor}{room:02d}", floor, "90.50", "3/2", "高层", "10000", ""]
        for building in range(1, buildings + 1) for floor in range(1, floors + 1)
        for room in range(1, per_floor + 1)]


def while_uploading(client, path, body, **params):
    """Upload in a thread and make another request meanwhile: (upload answer, board answer)."""
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(
        upload=client.upload(path, body, XLSX, **params)))
    thread.start()
    return thread, answers


def test_a_million_rows_fail_as_a_job_while_the_gateway_keeps_answering(suite, admin):
    project, _ = make_project(admin, rooms=1)
    pid = project["id"]
    body = million_rows_xlsx(header=ROOMS_HEADER)
    assert len(body) < 400_000  # the size of the file that once held the gateway for 71 s
    accepted = admin.upload(f"/api/v1/projects/{pid}/units/import", body, XLSX)
    assert accepted.status_code == 202, accepted.text
    seen = admin.get(accepted.headers["Location"]).json()["status"]
    board = admin.get(f"/api/v1/projects/{pid}/board")  # the office goes on working meanwhile
    assert board.status_code == 200, board.text
    job = admin.finished_job(accepted)
    assert seen in ("queued", "running", "failed")
    assert job["status"] == "failed"
    assert job["error"]["fields"] == {"_body": ["more than 20000 rows"]}
    assert job["rows_done"] == 0 and job["result"] is None
    assert len(admin.get(f"/api/v1/projects/{pid}/board").json()["units"]) == 1  # none added

    calls = admin.finished_job(admin.upload("/api/v1/call-lists", million_rows_xlsx(), XLSX,
                                            source="purchased"))
    assert (calls["status"], calls["error"]["fields"]) == (
        "failed", {"_body": ["more than 50000 rows"]})


def test_a_giant_cell_is_refused_at_once_while_the_gateway_keeps_answering(suite, admin):
    project, _ = make_project(admin, rooms=1)
    pid = project["id"]
    thread, answers = while_uploading(admin, f"/api/v1/projects/{pid}/units/import",
                                      giant_cell_xlsx(200))
    board = admin.get(f"/api/v1/projects/{pid}/board")
    thread.join(timeout=60)
    assert board.status_code == 200, board.text
    refused = answers["upload"]
    assert refused.status_code == 400, refused.text
    assert "bytes uncompressed" in refused.json()["error"]["fields"]["_body"][0]
    calls = admin.upload("/api/v1/call-lists", giant_cell_xlsx(200), XLSX, source="purchased")
    assert calls.status_code == 400 and "unpacks" in calls.json()["error"]["message"]


def test_uploads_over_the_size_limit_or_of_another_type_are_refused(suite, admin):
    project, _ = make_project(admin, rooms=1)
    url = f"/api/v1/projects/{project['id']}/units/import"
    too_large = admin.upload(url, b"a" * (10 * 1024 * 1024 + 1))
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "payload_too_large"
    pdf = admin.upload(url, b"%PDF-1.4", "application/pdf")
    assert pdf.status_code == 400 and "Content-Type" in pdf.json()["error"]["fields"]
    assert admin.upload(url, b"").status_code == 400


def test_an_import_job_shows_its_progress_and_lands_every_room(suite, admin):
    project, _ = make_project(admin, rooms=1)
    pid = project["id"]
    table = rooms_table(buildings=3, floors=20, per_floor=50)  # 3,000 rooms, several batches
    accepted = admin.upload(f"/api/v1/projects/{pid}/units/import", csv_bytes(table),
                            file_name="价格表.csv")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "queued" and accepted.json()["file_name"] == "价格表.csv"
    seen = []
    while not seen or seen[-1]["status"] not in ("done", "failed"):
        job = admin.get(accepted.headers["Location"]).json()
        seen.append(job)
    assert "running" in [job["status"] for job in seen]
    done = [job["rows_done"] for job in seen]
    assert done == sorted(done) and done[-1] == seen[-1]["rows_total"] == 3000
    result = seen[-1]["result"]
    assert (result["rows"], result["created"], result["priced"], result["errors"]) == (
        3000, 3000, 3000, [])
    assert seen[-1]["started_at"] and seen[-1]["finished_at"]
    other = suite.add_user(f"manager-elsewhere-{pid}", "sales_manager", project_ids=[pid + 1000])
    assert other.get(accepted.headers["Location"]).status_code == 403
    assert admin.get(f"/api/v1/projects/{pid + 1}/unit-imports/{seen[-1]['id']}").status_code \
        in (403, 404)
