"""The sale through the gateway: deposit → order form → payment with receipt → subscription →
contract → filing, and a refund walking its approval chain to finance's payout."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.conftest import office_today
from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
ID_NUMBER = "41030219900101123X"


def confirmed_deposit(client, admin, project, unit_id, customer_id, **extra):
    deposit = client.post("/api/v1/deposits", {
        "unit_id": unit_id, "project_id": project["id"], "customer_id": customer_id,
        "amount": "20000.00", "kind": "large", "customer_name": "张三",
        "customer_id_number": ID_NUMBER, "building_area": "89.50",
        "total_price": "1200000.00", "due_date": "2026-12-01", **extra})
    assert deposit.status_code == 201, deposit.text
    deposit = deposit.json()
    form = wait_for(lambda: admin.get(f"/api/v1/deposits/{deposit['id']}/order-form").json()
                    if admin.get(f"/api/v1/deposits/{deposit['id']}/order-form").status_code == 200
                    else None)
    assert form, "the deposit was never confirmed"
    return deposit, form


def test_deposit_to_filed_contract_with_receipts(suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    consultant = suite.add_user(f"tx-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    # the office's manager is a consultant record of kind manager: they see its customers,
    # and act on the projects the office sells
    sells = admin.put(f"/api/v1/offices/{office['id']}/projects",
                      {"project_ids": [project["id"]]})
    assert sells.status_code == 200 and sells.json()["project_ids"] == [project["id"]]
    office_manager = admin.post("/api/v1/consultants", {"office_id": office["id"], "name": "经理",
                                                        "kind": "manager"}).json()
    manager = suite.add_user(f"tx-manager-{consultant_id}", "sales_manager",
                             consultant_id=office_manager["id"])
    finance = suite.add_user(f"tx-finance-{consultant_id}", "finance")
    customer = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": "孙七",
                                                  "mobile": "13710137000",
                                                  "channel": "passing_by", "age_band": "25_34",
                                                  "customer_category": "teacher",
                                                  "address": "洛阳市西工区王城大道1号"}
                              ).json()["customer"]

    for amount, extra in (("0", {}), ("-1.00", {}), ("1200000.01", {})):
        refused = consultant.post("/api/v1/deposits", {
            "unit_id": unit_id, "customer_id": customer["id"], "amount": amount,
            "total_price": "1200000.00", **extra})
        assert refused.status_code == 400 and "amount" in refused.json()["error"]["fields"]

    deposit, form = confirmed_deposit(consultant, admin, project, unit_id, customer["id"])
    assert (form["total_price"], form["deposit_amount"], form["kind"]) == (
        "1200000.00", "20000.00", "large")
    assert [(r["number"], r["kind"]) for r in form["receipts"]] == [(1, "deposit")]

    base = f"/api/v1/order-forms/{form['id']}"
    assert consultant.post(f"{base}/signatures", {"party": "manager", "name": "x"}).status_code == 403
    for client, party in ((consultant, "customer"), (consultant, "consultant"),
                          (manager, "manager")):
        signed = client.post(f"{base}/signatures", {"party": party, "name": f"{party} 签名"})
        assert signed.status_code == 200, signed.text

    paid = finance.post(f"{base}/payments", {"amount": "340000.00", "purpose": "down_payment"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["receipt"]["number"] == 2
    assert finance.post(f"{base}/payments", {"amount": "-5.00"}).status_code == 400
    too_much = finance.post(f"{base}/payments", {"amount": "840000.01"})
    assert too_much.status_code == 400 and "still due" in too_much.text

    wrong = consultant.post(f"{base}/subscription", {
        "buyer_name": "张三", "buyer_id_number": "410302199001011234", "signed_by": "张三"})
    assert wrong.status_code == 400 and "buyer_id_number" in wrong.json()["error"]["fields"]
    subscription = consultant.post(f"{base}/subscription", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"})
    assert subscription.status_code == 201, subscription.text
    assert subscription.json()["total_price"] == "1200000.00"

    contract = consultant.post(f"/api/v1/subscriptions/{subscription.json()['id']}/contract", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "李四",
        "power_of_attorney": "(2026)洛证字第88号", "power_of_attorney_notarized": True,
        "payment_method": "mortgage", "mortgage_documents_due": "2026-12-20"})
    assert contract.status_code == 201, contract.text
    contract = contract.json()
    receipts = admin.get(base).json()["receipts"]
    assert [(r["number"], r["kind"], r["status"]) for r in receipts] == [
        (1, "deposit", "exchanged"), (2, "purchase", "issued"), (3, "purchase", "issued")]

    plan = finance.put(f"/api/v1/contracts/{contract['id']}/payment-plan", {
        "items": [{"kind": "down_payment", "due_date": "2026-11-30", "amount": "360000.00"},
                  {"kind": "loan", "due_date": "2027-01-31", "amount": "840000.00"}],
        "mortgage": {"bank": "建设银行", "annual_rate": "0.049", "months": 360}})
    assert plan.status_code == 200, plan.text
    assert plan.json()["items"][0]["outstanding"] == "0.00"
    assert plan.json()["mortgage"]["repayment"]["first_payment"] == "4458.10"
    calc = finance.get("/api/v1/repayments", params={"principal": "1000000.00",
                                                     "annual_rate": "0.049", "months": "360"})
    assert calc.status_code == 200 and calc.json()["first_payment"] == "5307.27"

    bank = {"bank_reference": f"CCB-{contract['id']}", "project_id": project["id"],
            "receipt_number": 2, "amount": "340000.00", "received_on": "2026-11-22",
            "bank": "建设银行"}
    first = finance.post("/api/v1/finance/bank-receipts", bank)
    assert first.status_code == 200, first.text
    again = finance.post("/api/v1/finance/bank-receipts", bank)
    assert (again.status_code, again.json()) == (200, first.json())
    changed = finance.post("/api/v1/finance/bank-receipts", {**bank, "amount": "340000.01"})
    assert changed.status_code == 409 and "bank_reference" in changed.json()["error"]["fields"]
    period = {"from": (office_today() - timedelta(days=20)).isoformat(),
              "to": (office_today() + timedelta(days=1)).isoformat()}
    report = finance.get(f"/api/v1/projects/{project['id']}/reconciliation", params=period)
    assert report.status_code == 200, report.text
    assert report.json()["total_confirmed"] == "340000.00"
    assert {d["receipt_number"] for d in report.json()["differences"]} == {3}  # the deposit's
    assert [(r["receipt_number"], r["status"], r["replaced_by_number"], r["bank_reference"])
            for r in report.json()["receipts"]] == [
        (1, "exchanged", 3, None), (2, "issued", None, f"CCB-{contract['id']}"),
        (3, "issued", None, None)]
    xlsx = finance.get(f"/api/v1/projects/{project['id']}/reconciliation.xlsx", params=period)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "spreadsheetml" in xlsx.headers["Content-Type"]

    deal = wait_for(lambda: (lambda r: r if r["visits"] else None)(
        manager.get(f"/api/v1/deposits/{deposit['id']}/deal-report").json()))
    assert deal, "the deal report never heard of the customer's visit"
    assert (deal["customer_code"], deal["channel"]) == (customer["code"], "passing_by")
    assert deal["days_first_visit_to_deposit"] in (0, 1)  # the same office day, but midnight
    assert (deal["payment_method"], deal["total_price"]) == ("mortgage", "1200000.00")
    # the seed's form: the customer's boxes from leads, the property's from inventory
    assert (deal["days_first_visit_to_large_deposit"], deal["birth_date"]) == (
        deal["days_first_visit_to_deposit"], "1990-01-01")
    assert {box: deal["customer"][box] for box in ("age_band", "occupation", "address",
                                                   "mobile", "objections")} == {
        "age_band": "25_34", "occupation": "teacher", "address": "洛阳市西工区王城大道1号",
        "mobile": "13710137000", "objections": None}
    assert (deal["property"]["location"], deal["property"]["layout"]) == ("1-101", "3/2")
    listed = manager.get(f"/api/v1/projects/{project['id']}/deal-reports").json()["deals"]
    assert [(d["deposit_id"], d["property"]["location"]) for d in listed] == [
        (deposit["id"], "1-101")]
    book = manager.get(f"/api/v1/projects/{project['id']}/deal-reports.xlsx")
    assert book.status_code == 200 and "spreadsheetml" in book.headers["Content-Type"]
    header, row = load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True)
    cells = dict(zip(header, row))
    assert (cells["客户编号"], cells["坐落位置"], cells["职业"], cells["来访渠道"],
            cells["第几次置业"]) == (customer["code"], "1-101", "teacher", "passing_by", "/")
    assert consultant.get(f"/api/v1/projects/{project['id']}/deal-reports.xlsx"
                          ).status_code == 403
    mine = consultant.get("/api/v1/collections", params={"consultant_id": "999"})
    assert mine.status_code == 200 and all(
        group["consultant_id"] == consultant_id for group in mine.json()["consultants"])

    filing = f"/api/v1/contracts/{contract['id']}/filing"
    filed = manager.post(filing, {"filing_number": f"LY2026-{contract['id']:06d}"})
    assert filed.status_code == 200 and filed.json()["status"] == "filed"
    assert manager.post(filing, {"filing_number": f"LY2026-{contract['id']:06d}"}).json() == filed.json()
    assert manager.post(filing, {"filing_number": "LY2026-other"}).status_code == 409


def test_a_refund_walks_its_chain_and_finance_pays_it_out(suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (_, unit_id) = make_project(admin)
    users = {role: suite.add_user(f"tx-{role}-{consultant_id}", role,
                                  consultant_id=consultant_id if role == "consultant" else None,
                                  project_ids=[project["id"]] if role == "sales_manager" else ())
             for role in ("consultant", "sales_statistician", "sales_manager",
                          "general_manager", "finance", "legal")}
    customer = users["consultant"].post("/api/v1/visits", {
        "office_id": office["id"], "name": "吴九", "mobile": "13610136000"}).json()["customer"]
    _, form = confirmed_deposit(users["consultant"], admin, project, unit_id, customer["id"])

    base = f"/api/v1/order-forms/{form['id']}/applications"
    too_much = users["consultant"].post(base, {"kind": "refund", "reason": "资金困难",
                                               "penalty": "0.00", "refund_amount": "20000.01"})
    assert too_much.status_code == 400 and "refund_amount" in too_much.json()["error"]["fields"]
    refund = users["consultant"].post(base, {"kind": "refund", "reason": "资金困难",
                                             "penalty": "2000.00"})
    assert refund.status_code == 201, refund.text
    decisions = f"/api/v1/applications/{refund.json()['id']}/decisions"

    assert users["legal"].post(decisions, {"decision": "approve"}).status_code == 403
    assert users["consultant"].post(decisions, {"decision": "approve"}).status_code == 200
    early = users["sales_manager"].post(decisions, {"decision": "approve"})
    assert early.status_code == 409 and "sales_statistician" in early.json()["error"]["message"]
    wrong = users["finance"].post(decisions, {"decision": "approve"})
    assert wrong.status_code == 403
    for role in ("sales_statistician", "sales_manager", "general_manager"):
        step = users[role].post(decisions, {"decision": "approve", "comment": "同意退房"})
        assert step.status_code == 200, step.text
    approved = step.json()
    assert approved["status"] == "approved"
    assert [(s["role"], s["approver"]) for s in approved["steps"]][-1] == (
        "general_manager", f"tx-general_manager-{consultant_id}")

    paid = users["finance"].post(f"/api/v1/applications/{approved['id']}/refund-payment",
                                 {"bank_reference": "ICBC-0001"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "completed"
    voided = admin.get(f"/api/v1/order-forms/{form['id']}").json()
    assert voided["status"] == "voided"
    assert [r["status"] for r in voided["receipts"]] == ["voided"]
    late = users["finance"].post(f"/api/v1/order-forms/{form['id']}/payments", {"amount": "1.00"})
    assert late.status_code == 409 and "voided" in late.text
