"""Reads of personal data through the gateway: the owning service logs each with the reader
the token names and the purpose the request gives; a dossier is read for a purpose only."""
import uuid

import pytest

from tests.e2e.test_leads_privacy import office_with_staff

pytestmark = pytest.mark.e2e


def test_a_dossier_read_without_a_purpose_is_refused_naming_it(suite, admin):
    archivist = suite.add_user(f"reads-archivist-{uuid.uuid4().hex[:6]}", "archivist")
    for params in ({}, {"purpose": "   "}):
        refused = archivist.get("/api/v1/units/1/dossier", params=params)
        assert refused.status_code == 400, refused.text
        assert "purpose" in refused.json()["error"]["fields"]


def test_a_customer_read_is_logged_by_leads_with_reader_and_purpose(suite, admin):
    office_id, staff = office_with_staff(admin, "reads")
    jia = suite.add_user(f"reads-jia-{office_id}", "consultant", consultant_id=staff["甲"])
    registered = jia.post("/api/v1/visits", {"office_id": office_id, "name": "张三",
                                             "mobile": f"139{uuid.uuid4().int % 10**8:08d}"})
    assert registered.status_code == 201, registered.text
    customer_id = registered.json()["customer"]["id"]

    assert jia.get(f"/api/v1/customers/{customer_id}",
                   params={"purpose": "回访"}).status_code == 200
    assert jia.get(f"/api/v1/customers/{customer_id}/file").status_code == 200
    logged = admin.get("/api/v1/admin/personal-data-reads", params={
        "service": "leads", "subject_id": customer_id})
    assert logged.status_code == 200, logged.text
    reads = [(r["kind"], r["reader"], r["reader_role"], r["purpose"])
             for r in logged.json()["reads"]]
    assert reads[::-1] == [("customer", f"reads-jia-{office_id}", "consultant", "回访"),
                           ("customer_file", f"reads-jia-{office_id}", "consultant", None)]
