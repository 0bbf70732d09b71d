"""From a deposit to an exported bag that validates offline, through the gateway: the unit's
dossier files the sale's events, takes an uploaded PDF, logs every read, lends its paper
volume, keeps outsiders out until legal approves, and verifies."""
import io
import os
import uuid
import zipfile
from datetime import datetime

import bagit
import pytest

from infra.working_calendar import SHANGHAI
from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import deposit_status, make_office, make_project

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n" + os.urandom(150_000) + b"\n%%EOF\n"


def test_a_deposit_ends_in_a_verified_exported_bag(suite, admin, tmp_path):
    office, (first, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    consultant = suite.add_user(f"consultant-a{first}", "consultant", consultant_id=first)
    archivist = suite.add_user(f"archivist-a{first}", "archivist")
    legal = suite.add_user(f"legal-a{first}", "legal")
    customer = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": "王五",
                                                  "mobile": f"137{uuid.uuid4().int % 10**8:08d}"}).json()["customer"]
    assert consultant.post("/api/v1/holds", {"unit_id": unit_id,
                                             "customer_id": customer["id"]}).status_code == 201
    deposit = consultant.post("/api/v1/deposits", {
        "unit_id": unit_id, "project_id": project["id"], "customer_id": customer["id"],
        "amount": "20000.00", "kind": "small"}).json()
    assert wait_for(lambda: deposit_status(admin, deposit["id"]) == "confirmed")

    path = f"/api/v1/units/{unit_id}/dossier"
    assert archivist.get(path).status_code == 400  # no purpose, nothing shown

    def filed():
        response = archivist.get(path, params={"purpose": "建档"})
        types = [e["type"] for e in response.json().get("entries", [])]
        return response.json() if "deposit_confirmed" in types else None
    dossier = wait_for(filed)
    assert {e["category"] for e in dossier["entries"] if e["type"] == "deposit_received"} == \
        {"sales"}

    numbered = archivist.post(f"{path}/number", {"project_id": project["id"], "garden": "牡丹苑",
                                                 "building": "1栋", "entrance": "1单元",
                                                 "room": "101"})
    assert numbered.status_code == 201, numbered.text
    assert numbered.json()["number"] == "牡丹苑-1栋-1单元-101"
    dossier_id = numbered.json()["id"]

    files = f"/api/v1/dossiers/{dossier_id}/files"
    meta = {"kind": "subscription_agreement", "title": "认购书", "category": "sales",
            "file_name": "rengou.pdf"}
    too_big = archivist.post(files, params=meta, data=PDF + os.urandom(60_000),
                             headers={"Content-Type": "application/pdf"})
    assert too_big.status_code == 400 and "file" in too_big.json()["error"]["fields"]
    not_pdf = archivist.post(files, params=meta, data=b"MZ\x90\x00" + os.urandom(100),
                             headers={"Content-Type": "application/pdf"})
    assert not_pdf.status_code == 400 and "file" in not_pdf.json()["error"]["fields"]
    unknown = archivist.post(files, params={**meta, "category": "gossip"}, data=PDF,
                             headers={"Content-Type": "application/pdf"})
    assert unknown.status_code == 400 and "category" in unknown.json()["error"]["fields"]
    upload = archivist.post(files, params=meta, data=io.BytesIO(PDF),
                            headers={"Content-Type": "application/pdf"})
    assert upload.status_code == 201, upload.text
    document = upload.json()
    assert (document["carrier"], document["security_level"], document["file_size"]) == \
        ("electronic", "C", len(PDF))

    download = archivist.get(f"/api/v1/documents/{document['id']}/file",
                             params={"purpose": "核对"})
    assert download.status_code == 200 and download.content == PDF
    assert archivist.get(f"/api/v1/documents/{document['id']}/file").status_code == 400
    for method in ("put", "patch", "delete"):  # no route changes or removes a record
        response = getattr(archivist.http, method)(
            f"{suite.base_url}/api/v1/documents/{document['id']}", timeout=30)
        assert response.status_code in (404, 405)

    volume = archivist.post(f"/api/v1/dossiers/{dossier_id}/volumes",
                            {"label": "第1册", "storage_location": "档案室A-3-12"}).json()
    lend = {"borrower": "张三", "department": "销售经营部", "purpose": "办证",
            "due_on": "2099-01-01"}
    assert archivist.post(f"/api/v1/volumes/{volume['id']}/loans", lend).status_code == 400
    lend["due_on"] = datetime.now(SHANGHAI).date().isoformat()
    loan = archivist.post(f"/api/v1/volumes/{volume['id']}/loans", lend)
    assert loan.status_code == 201, loan.text
    assert archivist.post(f"/api/v1/volumes/{volume['id']}/loans", lend).status_code == 409
    register = f"/api/v1/projects/{project['id']}/loans"
    out = archivist.get(register, params={"status": "out"}).json()["loans"]
    assert [(line["id"], line["returned_at"]) for line in out] == [(loan.json()["id"], None)]
    assert archivist.post(f"/api/v1/loans/{loan.json()['id']}/return", {}).status_code == 201
    assert archivist.get(register, params={"status": "out"}).json()["loans"] == []
    (line,) = archivist.get(register).json()["loans"]
    assert (line["borrower"], line["purpose"], line["received_by"]) == \
        ("张三", "办证", f"archivist-a{first}")
    assert line["returned_at"] is not None
    refused = archivist.get(register, params={"status": "lost"})
    assert refused.status_code == 400 and "status" in refused.json()["error"]["fields"]
    elsewhere = suite.add_user(f"archivist-b{first}", "archivist",
                               project_ids=[project["id"] + 10_000])
    assert elsewhere.get(register).status_code == 403  # another project's archivist

    request = archivist.post(f"/api/v1/dossiers/{dossier_id}/external-requests", {
        "requester_name": "刘警官", "organization": "洛阳市公安局", "authority": "police",
        "credential_number": "410300123", "notice_number": "协查2026-18", "purpose": "案件调查"})
    assert request.status_code == 201, request.text
    outside = {"purpose": "协助调查", "external_request_id": request.json()["id"]}
    assert archivist.get(f"/api/v1/dossiers/{dossier_id}", params=outside).status_code == 403
    assert archivist.post(f"/api/v1/external-requests/{request.json()['id']}/decision",
                          {"approve": True}).status_code == 403
    assert legal.post(f"/api/v1/external-requests/{request.json()['id']}/decision",
                      {"approve": True}).status_code == 201
    assert archivist.get(f"/api/v1/dossiers/{dossier_id}", params=outside).status_code == 200

    verification = archivist.get(f"/api/v1/dossiers/{dossier_id}/verification").json()
    assert verification["ok"] and verification["problems"] == []

    # this project's dossiers: other tests of the run store their files elsewhere
    run = archivist.post("/api/v1/archive/verifications", {"project_id": project["id"]}).json()
    done = wait_for(lambda: (lambda r: r if r["status"] == "done" else None)(
        archivist.get(f"/api/v1/archive/verifications/{run['id']}").json()), timeout=60)
    assert done["progress"] == 1.0 and done["broken"] == []
    fixity = archivist.post("/api/v1/archive/fixity-runs")
    assert fixity.status_code == 201 and fixity.json()["files_checked"] >= 1
    # every stored file is re-read; this run's databases also hold other tests' documents,
    # whose files live in their own stores, so only this dossier's file is judged here
    assert fixity.json()["status"] in ("ok", "mismatch"), fixity.json()
    assert document["file_digest"] not in {p.get("digest") for p in fixity.json()["problems"]}

    export = archivist.post(f"/api/v1/dossiers/{dossier_id}/export", params={"purpose": "移交"})
    assert export.status_code == 200, export.text
    with zipfile.ZipFile(io.BytesIO(export.content)) as bag_zip:
        bag_zip.extractall(tmp_path)
    bag = bagit.Bag(str(tmp_path / f"dossier-{dossier_id}"))
    bag.validate()  # raises on any missing file or wrong digest
    assert (tmp_path / f"dossier-{dossier_id}" / "data" / "files" /
            document["file_digest"]).read_bytes() == PDF
    assert bag.info["External-Identifier"] == "牡丹苑-1栋-1单元-101"

    actions = [e for e in archivist.get(f"/api/v1/dossiers/{dossier_id}",
                                        params={"purpose": "复核"}).json()["entries"]]
    assert document["id"] in [e["id"] for e in actions]
