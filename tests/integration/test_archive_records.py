"""The archive on PostgreSQL: chained documents and logs, tamper detection, the database's
refusal to change a record, lending, external access, levels, deadlines, fixity, BagIt."""
import json
import os
import random
import time
import zipfile
from datetime import timedelta
from zoneinfo import ZoneInfo

import bagit
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from contracts import archive as schemas
from contracts.base import load
from contracts.envelope import parse_event
from contracts.errors import Conflict, Forbidden, InvalidInput
from infra.database import handle_once
from infra.filestore import FileStore
from services.archive import handlers
from services.archive.models import Document, Dossier

from tests.conftest import office_today
from tests.messaging import valid_event

pytestmark = pytest.mark.integration

ARCHIVIST = {"username": "archivist-li", "role": "archivist", "project_ids": None}
LEGAL = {"username": "legal-zhao", "role": "legal", "project_ids": None}
PDF = b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n"


@pytest.fixture
def store(tmp_path):
    return FileStore(f"file://{tmp_path}/files")


def filed(routing_key, **envelope):
    return parse_event(json.loads(json.dumps(valid_event(routing_key, **envelope))))


def new_unit(stores, project_id=7, events=("inventory.unit_held",)):
    unit_id, customer_id = random.randrange(10**6, 10**9), random.randrange(10**6, 10**9)
    for key in events:
        handle_once(stores["archive"], filed(key, project_id=project_id, unit_id=unit_id,
                                             customer_id=customer_id), handlers.file_event)
    with stores["archive"]() as uow:
        dossier_id = uow.session.scalar(select(Dossier.id).where(Dossier.unit_id == unit_id))
    return unit_id, customer_id, dossier_id


def call(stores, handler, schema, payload, *extra):
    with stores["archive"]() as uow:
        return handler(uow, load(schema(), payload), *extra)


def deposit_pdf(stores, store, dossier_id, actor=ARCHIVIST, **fields):
    stored = store.put_stream(__import__("io").BytesIO(PDF).read, "application/pdf", 10**6)
    payload = {"dossier_id": dossier_id, "kind": "subscription_agreement", "title": "认购书",
               "category": "sales", "actor": actor,
               "file": {"digest": stored.digest, "size": stored.size,
                        "media_type": stored.media_type, "file_name": "rengou.pdf"}, **fields}
    return call(stores, handlers.file_document, schemas.FileDocumentSchema, payload, store)


def verify(stores, dossier_id, store):
    return call(stores, handlers.verify_one, schemas.DossierIdSchema,
                {"dossier_id": dossier_id, "actor": ARCHIVIST}, store)


def test_events_and_deposits_and_reads_form_one_chain_that_verifies(stores, store):
    unit_id, customer_id, dossier_id = new_unit(
        stores, events=("inventory.unit_held", "transactions.subscription_signed",
                        "transactions.contract_signed"))
    document = deposit_pdf(stores, store, dossier_id)
    dossier = call(stores, handlers.read_dossier, schemas.ReadDossierSchema,
                   {"unit_id": unit_id, "actor": ARCHIVIST, "purpose": "audit"})
    categories = {e["type"]: (e["category"], e["group"]) for e in dossier["entries"]}
    assert categories["unit_held"] == ("sales", "required")
    assert categories["contract_signed"] == ("signing", "required")
    assert categories["deposit"] == ("sales", "required")
    assert document["security_level"] == "C" and document["retention"] == "permanent"
    assert document["carrier"] == "electronic"
    result = verify(stores, dossier_id, store)
    # 3 events + the document + the read, each a link
    assert result["ok"] and result["links"] == 5 and result["algorithm"] == "sm3"
    assert result["head"] == dossier["chain_head"] or result["links"] > 4


def test_a_changed_row_or_stored_byte_behind_the_services_back_is_caught(stores, store):
    _, _, dossier_id = new_unit(stores)
    document = deposit_pdf(stores, store, dossier_id)
    assert verify(stores, dossier_id, store)["ok"]

    path = store.path(document["file_digest"])
    data = bytearray(open(path, "rb").read())
    data[100] ^= 0xFF
    open(path, "wb").write(bytes(data))
    problems = verify(stores, dossier_id, store)["problems"]
    assert [p["problem"] for p in problems] == ["the stored file was changed"]
    fixity = handlers.run_fixity(stores["archive"], store)
    assert fixity["status"] == "mismatch"
    assert {"digest": document["file_digest"], "problem": "changed"} in fixity["problems"]
    with stores["archive"]() as uow:
        alert = uow.session.execute(text(
            "SELECT payload FROM outbox WHERE routing_key = 'archive.fixity_failed' "
            "ORDER BY id DESC LIMIT 1")).scalar_one()
    assert alert["data"]["run_id"] == fixity["id"]

    with stores["archive"].engine.begin() as connection:  # past the trigger, as a superuser
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("UPDATE documents SET title = '假' WHERE id = :id"),
                           {"id": document["id"]})
    problems = verify(stores, dossier_id, store)["problems"]
    assert "the record was changed" in [p["problem"] for p in problems]


def test_the_database_refuses_updates_and_deletes_of_filed_records(stores, store):
    _, _, dossier_id = new_unit(stores)
    document = deposit_pdf(stores, store, dossier_id)
    call(stores, handlers.read_dossier, schemas.ReadDossierSchema,
         {"dossier_id": dossier_id, "actor": ARCHIVIST, "purpose": "audit"})
    for statement in ("UPDATE documents SET title = 'x' WHERE id = :id",
                      "DELETE FROM documents WHERE id = :id",
                      "UPDATE chain_links SET hash = 'x' WHERE dossier_id = :d",
                      "DELETE FROM dossier_reads WHERE dossier_id = :d",
                      "TRUNCATE documents CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"):
            with stores["archive"].engine.begin() as connection:
                connection.execute(text(statement), {"id": document["id"], "d": dossier_id})
    assert verify(stores, dossier_id, store)["ok"]


def test_a_correction_is_a_new_version_naming_the_corrected_and_why(stores, store):
    _, _, dossier_id = new_unit(stores)
    first = deposit_pdf(stores, store, dossier_id)
    with pytest.raises(InvalidInput) as missing_reason:
        deposit_pdf(stores, store, dossier_id, corrects_id=first["id"])
    assert "correction_reason" in missing_reason.value.details
    second = deposit_pdf(stores, store, dossier_id, corrects_id=first["id"],
                         correction_reason="wrong page order")
    dossier = call(stores, handlers.read_dossier, schemas.ReadDossierSchema,
                   {"dossier_id": dossier_id, "actor": ARCHIVIST, "purpose": "check"})
    by_id = {e["id"]: e for e in dossier["entries"]}
    assert by_id[first["id"]]["corrected_by"] == [second["id"]]
    assert by_id[second["id"]]["correction_reason"] == "wrong page order"
    assert first["file_digest"] == second["file_digest"]  # the same bytes, stored once
    assert len(store.all_digests()) == 1


def test_reads_need_a_purpose_and_are_bounded_by_level_and_project(stores, store):
    unit_id, _, dossier_id = new_unit(stores, project_id=8)
    with pytest.raises(InvalidInput) as no_purpose:
        load(schemas.ReadDossierSchema(), {"unit_id": unit_id, "actor": ARCHIVIST})
    assert "purpose" in no_purpose.value.details
    with pytest.raises(Forbidden):  # B needs the department named together with the archive
        deposit_pdf(stores, store, dossier_id, security_level="B",
                    actor={"username": "m", "role": "sales_manager", "project_ids": None})
    secret = deposit_pdf(stores, store, dossier_id, security_level="B",
                         level_agreed_with="法律室 王")
    manager = {"username": "mgr", "role": "sales_manager", "project_ids": [8]}
    seen = call(stores, handlers.read_dossier, schemas.ReadDossierSchema,
                {"unit_id": unit_id, "actor": manager, "purpose": "review"})
    assert secret["id"] not in [e["id"] for e in seen["entries"]] and seen["withheld"] == 1
    with pytest.raises(Forbidden):
        call(stores, handlers.open_document, schemas.OpenDocumentSchema,
             {"document_id": secret["id"], "actor": manager, "purpose": "review"})
    other_project = {"username": "mgr2", "role": "sales_manager", "project_ids": [9]}
    with pytest.raises(Forbidden):
        call(stores, handlers.read_dossier, schemas.ReadDossierSchema,
             {"unit_id": unit_id, "actor": other_project, "purpose": "review"})
    with stores["archive"]() as uow:
        logged = uow.session.execute(text(
            "SELECT reader, action FROM dossier_reads WHERE dossier_id = :d ORDER BY id"),
            {"d": dossier_id}).all()
    assert [tuple(r) for r in logged] == [("mgr", "view")]  # refused reads leave nothing


def test_external_access_needs_credentials_notice_and_legal_approval(stores, store):
    _, _, dossier_id = new_unit(stores)
    request = {"dossier_id": dossier_id, "requester_name": "刘警官", "organization": "洛阳市公安局",
               "authority": "police", "credential_number": "410300123",
               "purpose": "案件调查", "actor": ARCHIVIST}
    with pytest.raises(InvalidInput) as no_notice:
        load(schemas.ExternalRequestInput(), request)
    assert "notice_number" in no_notice.value.details
    recorded = call(stores, handlers.record_external_request, schemas.ExternalRequestInput,
                    {**request, "notice_number": "协查2026-18"})
    read = {"dossier_id": dossier_id, "actor": ARCHIVIST, "purpose": "协助调查",
            "external_request_id": recorded["id"]}
    with pytest.raises(Forbidden):
        call(stores, handlers.read_dossier, schemas.ReadDossierSchema, read)
    with pytest.raises(Forbidden):  # only the legal office approves
        call(stores, handlers.decide_external_request, schemas.DecideExternalSchema,
             {"request_id": recorded["id"], "approve": True, "actor": ARCHIVIST})
    decided = call(stores, handlers.decide_external_request, schemas.DecideExternalSchema,
                   {"request_id": recorded["id"], "approve": True, "actor": LEGAL})
    assert decided["status"] == "approved"
    assert call(stores, handlers.read_dossier, schemas.ReadDossierSchema, read)["id"] == \
        dossier_id
    assert verify(stores, dossier_id, store)["ok"]


def test_a_volume_out_on_loan_is_not_lent_again_and_overdue_loans_are_listed(stores, store):
    _, _, dossier_id = new_unit(stores, project_id=11)
    volume = call(stores, handlers.register_volume, schemas.RegisterVolumeSchema,
                  {"dossier_id": dossier_id, "label": "第1册", "storage_location": "A-3-12",
                   "actor": ARCHIVIST})
    lend = {"volume_id": volume["id"], "borrower": "张三", "department": "销售经营部",
            "purpose": "办证", "due_on": office_today().isoformat(), "actor": ARCHIVIST}
    loan = call(stores, handlers.lend_volume, schemas.LendVolumeSchema, lend)
    with pytest.raises(Conflict):
        call(stores, handlers.lend_volume, schemas.LendVolumeSchema, lend)
    later = office_today() + timedelta(days=3)
    overdue = call(stores, handlers.overdue_loans, schemas.LoanQuery,
                   {"project_id": 11, "today": later.isoformat(), "actor": ARCHIVIST})
    assert [(o["id"], o["overdue_days"]) for o in overdue["loans"]] == [(loan["id"], 3)]
    call(stores, handlers.return_volume, schemas.ReturnVolumeSchema,
         {"loan_id": loan["id"], "actor": ARCHIVIST})
    assert call(stores, handlers.overdue_loans, schemas.LoanQuery,
                {"project_id": 11, "today": later.isoformat(), "actor": ARCHIVIST}) == \
        {"loans": []}
    assert call(stores, handlers.lend_volume, schemas.LendVolumeSchema, lend)["id"] > loan["id"]
    assert verify(stores, dossier_id, store)["ok"]


def test_missing_papers_are_overdue_by_the_working_calendar_per_department(stores, store):
    project_id = random.randrange(1000, 10**6)
    _, _, dossier_id = new_unit(stores, project_id=project_id,
                                events=("transactions.subscription_signed",))
    with stores["archive"]() as uow:
        signed = uow.session.scalar(select(Document.occurred_at).where(
            Document.dossier_id == dossier_id, Document.type == "subscription_signed"))
    day = signed.astimezone(ZoneInfo("Asia/Shanghai")).date()  # the office's day
    due = handlers.calendar().add_working_days(day, 5)
    query = {"dossier_id": dossier_id, "today": due.isoformat(), "actor": ARCHIVIST}
    items = call(stores, handlers.dossier_completeness, schemas.CompletenessQuery, query)
    assert [(i["kind"], i["status"], i["due_on"]) for i in items["items"]] == [
        ("subscription_agreement", "missing", due)]
    late = (due + timedelta(days=1)).isoformat()
    overdue = call(stores, handlers.overdue_handovers, schemas.OverdueQuery,
                   {"project_id": project_id, "today": late, "actor": ARCHIVIST})
    assert [i["dossier_id"] for i in overdue["by_department"]["sales"]] == [dossier_id]
    call(stores, handlers.add_calendar_entry, schemas.CalendarEntryInput,
         {"project_id": project_id, "day": due.isoformat(), "kind": "day_off",
          "note": "项目停工", "actor": ARCHIVIST})  # the project's own day off counts
    moved = call(stores, handlers.dossier_completeness, schemas.CompletenessQuery, query)
    assert moved["items"][0]["due_on"] == handlers.calendar().add_working_days(due, 1)
    deposit_pdf(stores, store, dossier_id)
    items = call(stores, handlers.dossier_completeness, schemas.CompletenessQuery,
                 {**query, "today": late})
    assert items["complete"] and items["items"][0]["status"] == "present"


def test_inspections_twice_a_year_with_findings(stores):
    project_id = random.randrange(1000, 10**6)
    plan = {"project_id": project_id, "period": "2026H2", "planned_on": "2026-12-10",
            "inspector": "王主任", "scope": "全部客户档案", "actor": ARCHIVIST}
    with pytest.raises(InvalidInput):
        call(stores, handlers.plan_inspection, schemas.PlanInspectionSchema,
             {**plan, "planned_on": "2026-03-01"})
    created = call(stores, handlers.plan_inspection, schemas.PlanInspectionSchema, plan)
    with pytest.raises(Conflict):
        call(stores, handlers.plan_inspection, schemas.PlanInspectionSchema, plan)
    call(stores, handlers.record_finding, schemas.FindingInput,
         {"plan_id": created["id"], "severity": "minor", "finding": "目录缺页",
          "actor": ARCHIVIST})
    year = call(stores, handlers.inspections, schemas.InspectionsQuery,
                {"project_id": project_id, "year": 2026, "actor": ARCHIVIST})["inspections"]
    assert [(i["period"], i["planned"], len(i["findings"])) for i in year] == [
        ("2026H1", False, 0), ("2026H2", True, 1)]


def test_the_exported_bag_validates_offline(stores, store, tmp_path):
    _, _, dossier_id = new_unit(stores)
    deposit_pdf(stores, store, dossier_id)
    export = call(stores, handlers.export_dossier, schemas.ExportDossierSchema,
                  {"dossier_id": dossier_id, "purpose": "移交", "actor": ARCHIVIST}, store)
    bag_zip = tmp_path / "bag.zip"
    bag_zip.write_bytes(b"".join(store.export_chunks(export["name"])))
    with zipfile.ZipFile(bag_zip) as zf:
        zf.extractall(tmp_path / "out")
    bag = bagit.Bag(str(tmp_path / "out" / f"dossier-{dossier_id}"))
    assert bag.is_valid()
    chain = json.loads((tmp_path / "out" / f"dossier-{dossier_id}" / "data" / "chain.json")
                       .read_text())
    assert bag.info["Chain-Head"] == chain[-1]["hash"]
    (tmp_path / "out" / f"dossier-{dossier_id}" / "data" / "records.json").write_text("[]")
    assert not bagit.Bag(str(tmp_path / "out" / f"dossier-{dossier_id}")).is_valid()


def test_verifying_all_dossiers_runs_in_batches_with_progress_and_names_the_broken(
        stores, store, monkeypatch):
    project_id = random.randrange(1000, 10**6)
    dossiers = [new_unit(stores, project_id=project_id)[2] for _ in range(5)]
    with stores["archive"].engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("DELETE FROM documents WHERE dossier_id = :d"),
                           {"d": dossiers[3]})
    monkeypatch.setattr(handlers, "VERIFY_BATCH", 2)
    run = call(stores, handlers.start_verification, schemas.StartVerificationSchema,
               {"project_id": project_id, "actor": ARCHIVIST})
    assert (run["status"], run["total"], run["progress"]) == ("queued", 5, 0.0)
    progress = []
    while handlers.verify_next_batch(stores["archive"], store):
        state = call(stores, handlers.get_verification, schemas.RunIdSchema,
                     {"run_id": run["id"], "actor": ARCHIVIST})
        progress.append((state["status"], state["checked"]))
    assert progress == [("running", 2), ("running", 4), ("done", 5)]
    assert [b["dossier_id"] for b in state["broken"]] == [dossiers[3]]
    assert state["broken"][0]["problems"][0]["problem"] == "the record is gone"


def test_a_fixity_check_that_cannot_run_says_so_with_an_event(stores, store):
    _, _, dossier_id = new_unit(stores)
    deposit_pdf(stores, store, dossier_id)

    def broken_store(digest, algorithm):
        raise OSError("the bucket does not answer")
    run = handlers.run_fixity(stores["archive"], store, broken_store)
    assert run["status"] == "failed" and "bucket" in run["error"]
    with stores["archive"]() as uow:
        alert = uow.session.execute(text(
            "SELECT payload FROM outbox WHERE routing_key = 'archive.fixity_failed' "
            "ORDER BY id DESC LIMIT 1")).scalar_one()
    assert alert["data"]["status"] == "failed" and alert["data"]["run_id"] == run["id"]


def test_concurrent_events_of_one_new_unit_make_one_dossier_and_one_unbroken_chain(
        stores, store):
    from concurrent.futures import ThreadPoolExecutor
    unit_id, customer_id = random.randrange(10**6, 10**9), random.randrange(10**6, 10**9)
    events = [filed("transactions.payment_received", project_id=7, unit_id=unit_id,
                    customer_id=customer_id) for _ in range(12)]

    def file(event):
        for _ in range(5):  # what the consumer's retry does when the database says no
            try:
                return handle_once(stores["archive"], event, handlers.file_event)
            except DBAPIError as exc:
                error = exc
                time.sleep(0.5)
        raise AssertionError(f"never filed: {error}")
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(file, events))
    with stores["archive"]() as uow:
        dossiers = uow.session.scalars(select(Dossier.id).where(Dossier.unit_id == unit_id)).all()
    assert len(dossiers) == 1
    result = verify(stores, dossiers[0], store)
    assert result["ok"] and result["links"] == 12
