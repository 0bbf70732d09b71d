"""The archive acts as its own database role (migration archive_0005): everything it does works
with SELECT and INSERT on its records, and an UPDATE, DELETE or TRUNCATE of a record by that
role is refused by the database for lack of privilege — also with the append-only trigger
out of the way."""
import io
import json
import random

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from contracts import archive as schemas
from contracts.base import load
from contracts.envelope import parse_event
from infra import config
from infra.database import handle_once
from infra.filestore import FileStore
from services.archive import handlers
from services.archive.models import APPEND_ONLY, Dossier

from tests.conftest import office_today
from tests.integration.conftest import Store
from tests.messaging import valid_event

pytestmark = pytest.mark.integration

ROLE = config.database_role("archive")
ARCHIVIST = {"username": "archivist-wu", "role": "archivist", "project_ids": None}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
CHANGES = ("UPDATE documents SET title = 'x' WHERE dossier_id = :d",
           "DELETE FROM documents WHERE dossier_id = :d",
           "UPDATE chain_links SET hash = 'x' WHERE dossier_id = :d",
           "DELETE FROM dossier_reads WHERE dossier_id = :d",
           "UPDATE dossiers SET title = 'x' WHERE id = :d",
           "DELETE FROM loans WHERE dossier_id = :d",
           "TRUNCATE documents CASCADE")


@pytest.fixture(scope="module")
def service(database_urls):
    """The archive's database as the service sees it: connections act as its role."""
    store = Store("archive", database_urls["archive"], role=ROLE)
    yield store
    store.engine.dispose()


def call(store, handler, schema, payload, *extra):
    with store() as uow:
        return handler(uow, load(schema(), payload), *extra)


def test_the_service_files_reads_lends_and_verifies_as_its_own_role(service, tmp_path):
    files = FileStore(f"file://{tmp_path}/files")
    with service() as uow:
        assert uow.session.scalar(text("SELECT current_user")) == ROLE
    unit_id, customer_id = random.randrange(10**6, 10**9), random.randrange(10**6, 10**9)
    project_id = random.randrange(10**6, 10**9)
    event = parse_event(json.loads(json.dumps(valid_event(
        "transactions.subscription_signed", project_id=project_id, unit_id=unit_id,
        customer_id=customer_id))))
    handle_once(service, event, handlers.file_event)
    assert handle_once(service, event, handlers.file_event) is None  # the inbox, as the role
    with service() as uow:
        dossier_id = uow.session.scalar(select(Dossier.id).where(Dossier.unit_id == unit_id))
    stored = files.put_stream(io.BytesIO(PDF).read, "application/pdf", 10**6)
    call(service, handlers.file_document, schemas.FileDocumentSchema, {
        "dossier_id": dossier_id, "kind": "subscription_agreement", "title": "认购书",
        "category": "sales", "actor": ARCHIVIST,
        "file": {"digest": stored.digest, "size": stored.size, "media_type": stored.media_type,
                 "file_name": "rengou.pdf"}}, files)
    volume = call(service, handlers.register_volume, schemas.RegisterVolumeSchema, {
        "dossier_id": dossier_id, "label": "第1册", "storage_location": "B-1-1",
        "actor": ARCHIVIST})
    loan = call(service, handlers.lend_volume, schemas.LendVolumeSchema, {
        "volume_id": volume["id"], "borrower": "李四", "department": "客服部", "purpose": "办证",
        "due_on": office_today().isoformat(), "actor": ARCHIVIST})
    call(service, handlers.return_volume, schemas.ReturnVolumeSchema,
         {"loan_id": loan["id"], "actor": ARCHIVIST})
    dossier = call(service, handlers.read_dossier, schemas.ReadDossierSchema,
                   {"unit_id": unit_id, "actor": ARCHIVIST, "purpose": "audit"})
    assert [e["type"] for e in dossier["entries"]] == ["subscription_signed", "deposit"]
    run = call(service, handlers.start_verification, schemas.StartVerificationSchema,
               {"project_id": project_id, "actor": ARCHIVIST})
    while handlers.verify_next_batch(service, files):
        pass
    state = call(service, handlers.get_verification, schemas.RunIdSchema,
                 {"run_id": run["id"], "actor": ARCHIVIST})
    assert state["status"] == "done" and state["broken"] == []
    fixity = handlers.run_fixity(service, files)  # every file of the database: other tests'
    assert fixity["status"] != "failed", fixity["error"]  # files are not in this store
    assert stored.digest not in [p["digest"] for p in fixity["problems"]]
    result = call(service, handlers.verify_one, schemas.DossierIdSchema,
                  {"dossier_id": dossier_id, "actor": ARCHIVIST}, files)
    assert result["ok"] and result["links"] == 6  # event, deposit, volume, loan, return, read
    assert dossier["chain_head"] == result["head"]  # the read answered its own link as head


def test_the_service_role_holds_no_privilege_to_change_a_record(service):
    with service() as uow:
        granted = {(table, privilege): uow.session.scalar(
            text("SELECT has_table_privilege(current_user, :t, :p)"),
            {"t": table, "p": privilege})
            for table in APPEND_ONLY for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE",
                                                       "TRUNCATE")}
    assert {key for key, yes in granted.items() if yes} == \
        {(table, privilege) for table in APPEND_ONLY for privilege in ("SELECT", "INSERT")}


def test_an_update_or_delete_by_the_service_role_is_refused_for_lack_of_privilege(
        service, stores):
    handle_once(service, parse_event(json.loads(json.dumps(valid_event(
        "inventory.unit_held", project_id=5, unit_id=random.randrange(10**6, 10**9))))),
        handlers.file_event)
    with service() as uow:
        dossier_id = uow.session.scalar(select(Dossier.id).order_by(Dossier.id.desc()).limit(1))
    for statement in CHANGES + ("ALTER TABLE documents DISABLE TRIGGER USER",):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            with service.engine.begin() as connection:
                connection.execute(text(statement), {"d": dossier_id})
    # with the trigger out of the way (replica mode, which only a superuser can set), the
    # role is still refused: the privilege, not the trigger, stops it
    for statement in CHANGES:
        with pytest.raises(DBAPIError, match="permission denied"):
            with stores["archive"].engine.begin() as connection:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                connection.execute(text(f'SET LOCAL ROLE "{ROLE}"'))
                connection.execute(text(statement), {"d": dossier_id})
    with service() as uow:
        assert uow.session.scalar(text(
            "SELECT count(*) FROM documents WHERE dossier_id = :d"), {"d": dossier_id}) == 1
