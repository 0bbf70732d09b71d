"""Import jobs on PostgreSQL: an upload in chunks, checked when complete, run in the
background a batch at a time with its progress recorded, ending with the same result as the
import itself."""
import base64

import eventlet
import pytest
from sqlalchemy import func, select

from contracts.errors import Conflict, InvalidInput
from contracts.imports import CSV, XLSX
from infra import imports
from services.inventory import structure
from services.inventory.models import Unit
from services.leads import handlers
from tests.integration.test_inventory_structure import new_project
from tests.uploads import csv_bytes, giant_cell_xlsx, million_rows_xlsx, xlsx

pytestmark = pytest.mark.integration

HEADER = ["号楼", "单元", "房号", "楼层", "建筑面积", "户型", "物业类型", "单价", "底价"]
INVENTORY_IMPORTS = {"units": (20_000, structure.run_import)}


def rooms(count):
    return [["7", "1", f"{n // 10 + 1}{n % 10:02d}", str(n // 10 + 1), "90", "3/2", "高层",
             "10000", ""] for n in range(count)]


def upload(store, body, project_id, content_type=CSV, chunk=None, by="manager-wang"):
    """Send `body` as the gateway would, in chunks of `chunk` bytes; the job as answered."""
    chunk = chunk or len(body) or 1
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    job = None
    for seq, part in enumerate(parts):
        with store() as uow:
            job = imports.receive_chunk(
                uow, store.metadata.tables, "units",
                {"job_id": job and job["id"], "seq": seq, "last": seq == len(parts) - 1,
                 "data": base64.b64encode(part).decode(), "content_type": content_type,
                 "file_name": "rooms.csv", "uploaded_by": by},
                {"project_id": project_id, "channel_id": None}, structure.check_import_header)
    return job


def job_of(store, job_id, project_id):
    with store() as uow:
        return imports.get_job(uow.session, store.metadata.tables, "units", job_id,
                               lambda params: params["project_id"] == project_id)


def test_a_job_in_chunks_reports_its_progress_batch_by_batch_and_ends_as_the_import_would(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    table = [HEADER, *rooms(1_200), ["7", "1", "999", "1", "-5", "", "", "", ""]]
    job = upload(store, csv_bytes(table), project_id, chunk=4096)
    assert (job["status"], job["rows_total"], job["rows_done"]) == ("queued", None, 0)
    assert job["bytes"] == len(csv_bytes(table))

    seen = []
    runner = eventlet.spawn(imports.run_next, store, store.metadata.tables, INVENTORY_IMPORTS)
    while not runner.dead:  # the job yields between batches: each pause shows its progress
        seen.append(job_of(store, job["id"], project_id))
        eventlet.sleep(0)
    assert runner.wait() is True
    final = job_of(store, job["id"], project_id)
    progress = [(j["status"], j["rows_total"], j["rows_done"]) for j in seen]
    assert ("running", 1_201, 500) in progress and ("running", 1_201, 1_000) in progress
    assert (final["status"], final["rows_total"], final["rows_done"]) == ("done", 1_201, 1_201)
    assert {k: final["result"][k] for k in ("rows", "created", "updated", "unchanged",
                                            "priced")} == {
        "rows": 1_201, "created": 1_200, "updated": 0, "unchanged": 0, "priced": 1_200}
    assert final["errors"] == [{"line": 1_202, "field": "building_area",
                                "reason": "must be greater than 0"}]
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.project_id == project_id)) == 1_201
        chunks = store.metadata.tables["import_chunks"]
        assert uow.session.scalar(select(func.count()).select_from(chunks).where(
            chunks.c.job_id == job["id"])) == 0  # the upload is gone once read
    assert imports.run_next(store, store.metadata.tables, INVENTORY_IMPORTS) is False

    # the same table again, run directly: the job's result is the import's own
    with store() as uow:
        direct = structure.import_units(uow, {"project_id": project_id, "imported_by": "m",
                                              "header": table[0], "rows": table[1:]})
    again = upload(store, csv_bytes(table), project_id)
    imports.run_next(store, store.metadata.tables, INVENTORY_IMPORTS)
    assert job_of(store, again["id"], project_id)["result"] == direct


def test_unusable_files_are_refused_when_the_upload_completes_and_leave_nothing(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    jobs = store.metadata.tables["import_jobs"]
    with store() as uow:
        before = uow.session.scalar(select(func.count()).select_from(jobs))
    with pytest.raises(InvalidInput) as refused:
        upload(store, "号楼,颜色\n7,红\n".encode(), project_id)
    assert refused.value.details == {"missing_columns": ["number", "floor", "building_area"],
                                     "unknown_columns": ["颜色"]}
    with pytest.raises(InvalidInput) as refused:
        upload(store, giant_cell_xlsx(100), project_id, XLSX)
    assert "bytes uncompressed" in refused.value.details["_body"][0]
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(jobs)) == before
    with pytest.raises(InvalidInput) as refused:  # a multi-chunk upload ends failed
        upload(store, giant_cell_xlsx(100), project_id, XLSX, chunk=50_000)
    with store() as uow:
        failed = uow.session.execute(select(jobs).order_by(jobs.c.id.desc()).limit(1)).one()
    assert failed.status == "failed" and "unpacks" in failed.error["message"]


def test_chunks_come_in_order_from_their_uploader_only(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    body = csv_bytes([HEADER, *rooms(3)])
    with store() as uow:
        first = imports.receive_chunk(uow, store.metadata.tables, "units", {
            "job_id": None, "seq": 0, "last": False, "data": base64.b64encode(body[:10]).decode(),
            "content_type": CSV, "file_name": "x.csv", "uploaded_by": "manager-wang"},
            {"project_id": project_id, "channel_id": None}, structure.check_import_header)

    def chunk(seq, by="manager-wang"):
        with store() as uow:
            return imports.receive_chunk(uow, store.metadata.tables, "units", {
                "job_id": first["id"], "seq": seq, "last": True, "content_type": CSV,
                "data": base64.b64encode(body[10:]).decode(), "file_name": "x.csv",
                "uploaded_by": by}, {}, structure.check_import_header)
    with pytest.raises(Conflict):
        chunk(2)
    with pytest.raises(Exception) as foreign:
        chunk(1, by="someone-else")
    assert foreign.value.code == "not_found"
    assert chunk(1)["status"] == "queued"
    assert imports.run_next(store, store.metadata.tables, INVENTORY_IMPORTS)
    assert job_of(store, first["id"], project_id)["result"]["created"] == 3


def test_a_million_rows_fail_the_job_without_saving_anything(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    job = upload(store, million_rows_xlsx(header=HEADER), project_id, XLSX)
    while imports.run_next(store, store.metadata.tables, INVENTORY_IMPORTS):
        pass
    failed = job_of(store, job["id"], project_id)
    assert (failed["status"], failed["rows_done"], failed["error"]["code"]) == (
        "failed", 0, "invalid_input")
    assert failed["error"]["fields"] == {"_body": ["more than 20000 rows"]}


def test_a_call_list_job_ends_with_the_lists_result(stores):
    store = stores["leads"]
    body = xlsx([["姓名", "手机"], *[["客户", f"135{n:08d}"] for n in range(7)], ["坏", "1"]])
    with store() as uow:
        job = imports.receive_chunk(uow, store.metadata.tables, "call_list", {
            "job_id": None, "seq": 0, "last": True, "data": base64.b64encode(body).decode(),
            "content_type": XLSX, "file_name": "名单.xlsx", "uploaded_by": "manager-li"},
            {"source": "purchased", "file_name": "名单.xlsx"}, handlers.check_call_list_header)
    assert imports.run_next(store, store.metadata.tables, {
        "call_list": (50_000, handlers.run_call_list_import)})
    with store() as uow:
        done = imports.get_job(uow.session, store.metadata.tables, "call_list", job["id"])
    assert done["status"] == "done" and done["rows_done"] == done["rows_total"] == 8
    assert {k: done["result"][k] for k in ("file_name", "rows", "added", "duplicates",
                                           "rejected")} == {
        "file_name": "名单.xlsx", "rows": 8, "added": 7, "duplicates": 0, "rejected": 1}
    assert done["errors"] == [{"line": 9, "field": "mobile",
                               "reason": "not a mainland mobile number"}]
