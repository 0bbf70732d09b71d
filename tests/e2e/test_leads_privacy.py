"""Privacy through the gateway: a consultant reads the file only of their own customers, and
whoever may not see a customer's contact details gets none of them (phones, addresses,
postcode, car plate, family) in any customer view."""
import uuid

import pytest

pytestmark = pytest.mark.e2e

ARCHIVE = {"office_phone": "0379-65550001", "home_phone": "0379-65550002",
           "mailing_address": "洛阳市西工区中州路1号", "company": "洛阳一拖", "car_plate": "豫C12345",
           "spouse": "王芳 13900001111", "native_place": "洛阳"}
FAMILY = [{"relation": "spouse", "name": "王芳", "birthday": "1985-03-08"}]


def office_with_staff(admin, label):
    office = admin.post("/api/v1/offices", {"code": f"e2e-{label}-{uuid.uuid4().hex[:6]}",
                                            "name": label, "region_code": "pv"})
    assert office.status_code == 201, office.text
    office_id = office.json()["id"]
    staff = {}
    for name, kind in (("甲", "sales"), ("乙", "sales"), ("经理", "manager")):
        added = admin.post("/api/v1/consultants", {"office_id": office_id, "name": name,
                                                   "kind": kind})
        assert added.status_code == 201, added.text
        staff[name] = added.json()["id"]
    return office_id, staff


def test_only_the_own_consultant_and_the_office_read_a_customers_contact_details(suite, admin):
    office_id, staff = office_with_staff(admin, "privacy")
    jia = suite.add_user(f"privacy-jia-{office_id}", "consultant", consultant_id=staff["甲"])
    yi = suite.add_user(f"privacy-yi-{office_id}", "consultant", consultant_id=staff["乙"])
    boss = suite.add_user(f"privacy-boss-{office_id}", "sales_manager",
                          consultant_id=staff["经理"])
    mobile = f"139{uuid.uuid4().int % 10**8:08d}"
    registered = jia.post("/api/v1/visits", {
        "office_id": office_id, "name": "张三", "mobile": mobile, "residence_area": "西工区",
        "address": "中州路1号3单元", "postcode": "471000"})
    assert registered.status_code == 201, registered.text
    customer = registered.json()["customer"]
    assert customer["consultant_id"] == staff["甲"]
    path = f"/api/v1/customers/{customer['id']}"
    profile = jia.put(f"{path}/profile", {"archive": ARCHIVE, "family": FAMILY})
    assert profile.status_code == 200, profile.text
    jia.post(f"{path}/follow-ups", {"kind": "call", "content": "约周六看房", "reaction": "积极"})

    # another consultant of the office: no file at all
    refused = yi.get(f"{path}/file")
    assert refused.status_code == 403, refused.text
    assert str(customer["id"]) in refused.json()["error"]["fields"]["customer_id"][0]
    # the own consultant, the office's manager and the admin read it whole
    for reader in (jia, boss, admin):
        file = reader.get(f"{path}/file")
        assert file.status_code == 200, file.text
        file = file.json()
        assert file["archive"] == ARCHIVE and file["family"] == FAMILY
        assert file["customer"]["profile"]["address"] == "中州路1号3单元"
        assert file["customer"]["mobile"] == mobile and len(file["follow_ups"]) == 1

    # the customer itself: mobile masked and no address or postcode for another consultant
    seen = yi.get(path).json()
    assert seen["mobile"] == f"{mobile[:3]}****{mobile[-4:]}"
    assert "address" not in seen["profile"] and "postcode" not in seen["profile"]
    assert seen["profile"]["residence_area"] == "西工区"
    own = jia.get(path).json()
    assert (own["profile"]["address"], own["profile"]["postcode"]) == ("中州路1号3单元", "471000")
    # nor when the other consultant registers the customer's next visit
    again = yi.post("/api/v1/visits", {"office_id": office_id, "name": "张三", "mobile": mobile,
                                       "address": "新地址"})
    assert again.status_code == 201, again.text
    shown = again.json()["customer"]
    assert shown["consultant_id"] == staff["甲"] and "****" in shown["mobile"]
    assert "address" not in shown["profile"] and "postcode" not in shown["profile"]
