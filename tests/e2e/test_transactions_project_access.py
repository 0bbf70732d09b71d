"""Users given a list of projects act only on those projects' deals: deposits, order forms,
contracts, applications, reconciliation, deal reports and bank confirmations."""
import pytest

from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import confirmed_deposit

pytestmark = pytest.mark.e2e


def test_a_user_limited_to_some_projects_acts_only_on_their_deals(suite, admin):
    office, (consultant_id, _) = make_office(admin)
    mine, (my_unit, _) = make_project(admin)
    other, (other_unit, _) = make_project(admin)
    customer = admin.post("/api/v1/visits", {"office_id": office["id"], "name": "钱十二",
                                             "mobile": "13300133012"}).json()["customer"]
    deposit, form = confirmed_deposit(admin, admin, other, other_unit, customer["id"],
                                      consultant_id=consultant_id)
    manager = suite.add_user(f"tx-pm-{mine['id']}", "sales_manager", project_ids=[mine["id"]])
    finance = suite.add_user(f"tx-pf-{mine['id']}", "finance", project_ids=[mine["id"]])
    base = f"/api/v1/projects/{other['id']}"
    period = {"from": "2026-01-01", "to": "2026-12-31"}

    refused = {
        "deposit_id": [manager.get(f"/api/v1/deposits/{deposit['id']}"),
                       manager.get(f"/api/v1/deposits/{deposit['id']}/order-form"),
                       manager.get(f"/api/v1/deposits/{deposit['id']}/deal-report")],
        "order_form_id": [
            manager.get(f"/api/v1/order-forms/{form['id']}"),
            manager.post(f"/api/v1/order-forms/{form['id']}/void",
                         {"reason": "name misspelt", "requested_by": "wang"}),
            manager.post(f"/api/v1/order-forms/{form['id']}/forfeiture", {"reason": "late"}),
            finance.post(f"/api/v1/order-forms/{form['id']}/payments",
                         {"amount": "1000.00", "purpose": "other"}),
            manager.post(f"/api/v1/order-forms/{form['id']}/applications",
                         {"kind": "rename", "reason": "gift to a son", "new_buyer_name": "李四",
                          "new_buyer_id_number": "410102199001011234"})],
        "project_id": [
            finance.get(f"{base}/reconciliation", params=period),
            finance.get(f"{base}/reconciliation.xlsx", params=period),
            manager.get(f"{base}/deal-reports"), manager.get(f"{base}/deal-reports.xlsx"),
            finance.post("/api/v1/finance/bank-receipts", {
                "bank_reference": "B-1", "project_id": other["id"], "receipt_number": 1,
                "amount": "20000.00", "received_on": "2026-11-20", "bank": "工行"}),
            manager.post("/api/v1/deposits", {
                "unit_id": other_unit, "customer_id": customer["id"],
                "consultant_id": consultant_id, "amount": "20000.00"})],
    }
    for field, responses in refused.items():
        assert [r.status_code for r in responses] == [403] * len(responses), \
            [r.text for r in responses]
        assert all(field in r.json()["error"]["fields"] for r in responses)

    after = admin.get(f"/api/v1/order-forms/{form['id']}").json()
    assert (after["status"], after["amount_paid"]) == (form["status"], form["amount_paid"])
    assert admin.get(f"{base}/reconciliation", params=period).status_code == 200
    assert manager.get(f"/api/v1/projects/{mine['id']}/deal-reports").status_code == 200
