"""Bad input through the gateway: a 4xx naming the field and the reason, and nothing changed;
an XLSX call list with unusable columns refused whole, a good one imported once."""
import io
import uuid

import pytest
from openpyxl import Workbook

from gateway.tables import XLSX

pytestmark = pytest.mark.e2e


def fields_of(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["fields"]


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, body):
    return client.upload("/api/v1/call-lists", body, XLSX, source="other", file_name="名单.xlsx")


def test_registration_and_staff_input_is_checked_field_by_field(suite, admin):
    office_id = admin.post("/api/v1/offices", {"code": f"e2e-bad-{uuid.uuid4().hex[:6]}",
                                               "name": "校验", "region_code": "jy"}).json()["id"]
    seller = admin.post("/api/v1/consultants", {"office_id": office_id, "name": "甲"}).json()
    visit = {"office_id": office_id, "name": "郑十二"}
    mobile = f"188{uuid.uuid4().int % 10**8:08d}"

    assert "mobile" in fields_of(admin.post("/api/v1/visits", {**visit, "mobile": "2881234567"}),
                                 400)
    assert "other_mobiles.0" in fields_of(admin.post("/api/v1/visits", {
        **visit, "mobile": mobile, "other_mobiles": ["12"]}), 400)
    assert "referrer_mobile" in fields_of(admin.post("/api/v1/visits", {
        **visit, "mobile": mobile, "referrer_mobile": "abc"}), 400)
    reasons = fields_of(admin.post("/api/v1/visits", {**visit, "mobile": mobile,
                                                      "invited_by": 999_999}), 404)
    assert "no consultant 999999" in reasons["invited_by"][0]
    assert "office_id" in fields_of(admin.post("/api/v1/visits", {
        **visit, "office_id": 999_999, "mobile": mobile}), 404)
    assert "office_id" in fields_of(admin.post("/api/v1/consultants", {
        "office_id": 999_999, "name": "乙"}), 404)
    assert "consultant_id" in fields_of(admin.put("/api/v1/consultants/999999/status",
                                                  {"status": "busy"}), 404)
    assert "status" in fields_of(admin.put(f"/api/v1/consultants/{seller['id']}/status",
                                           {"status": "asleep"}), 400)
    # none of the refused registrations made a customer of the number
    first = admin.post("/api/v1/visits", {**visit, "mobile": mobile}).json()
    assert first["returning"] is False and first["customer"]["visit_count"] == 1

    customer = f"/api/v1/customers/{first['customer']['id']}"
    assert fields_of(admin.put(f"{customer}/grade", {"grade": "a"}), 400)["grade"]
    assert "customer_id" in fields_of(admin.put("/api/v1/customers/999999/grade",
                                                {"grade": "A"}), 404)
    assert "kind" in fields_of(admin.post(f"{customer}/hopeless", {
        "kind": "bored", "analysis": {"reasons": "x"}}), 400)
    assert admin.get(customer).json()["grade"] is None


def test_an_xlsx_call_list_is_refused_whole_or_imported_once(suite, admin):
    numbers = [f"199{uuid.uuid4().int % 10**8:08d}" for _ in range(3)]
    refused = upload(admin, xlsx([["姓名", "微信"], *[["甲", n] for n in numbers]]))
    assert fields_of(refused, 400) == {"header": ["missing: mobile", "unknown: 微信"]}

    good = xlsx([["姓名", "手机"], *[["客户", n] for n in numbers], ["坏", "12345"]])
    first = admin.finished_job(upload(admin, good))["result"]
    assert {k: first[k] for k in ("added", "duplicates", "rejected", "errors")} == {
        "added": 3, "duplicates": 0, "rejected": 1,  # the refused list added nothing
        "errors": [{"line": 5, "field": "mobile", "reason": "not a mainland mobile number"}]}
    again = admin.finished_job(upload(admin, good))["result"]
    assert (again["added"], again["duplicates"], again["rejected"]) == (0, 3, 1)
