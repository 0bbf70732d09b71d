"""Through the gateway: a deposit is checked against the unit's current price when the
consultant states none, and a consultant sees and acts only on their own deals."""
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import ID_NUMBER, confirmed_deposit

pytestmark = pytest.mark.e2e


def stored_deposits(suite, unit_id):
    engine = create_engine(suite.database_urls["transactions"])
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM deposits WHERE unit_id = :u"),
                                   {"u": unit_id}).scalar_one()
    engine.dispose()
    return count


def test_a_deposit_above_the_units_price_or_for_no_unit_is_refused_and_nothing_stored(
        suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)  # 1,200,000.00 on the price list
    consultant = suite.add_user(f"price-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    customer = consultant.post("/api/v1/visits", {
        "office_id": office["id"], "name": "冯十一", "mobile": "13300133000"}).json()["customer"]
    deposit = {"unit_id": unit_id, "project_id": project["id"], "customer_id": customer["id"],
               "kind": "large"}

    for amount in ("1200000.01", "0", "0.00", "-20000.00"):
        refused = consultant.post("/api/v1/deposits", {**deposit, "amount": amount})
        assert refused.status_code == 400, refused.text
        assert "amount" in refused.json()["error"]["fields"], refused.text
    above = consultant.post("/api/v1/deposits", {**deposit, "amount": "1200000.01"})
    assert "1200000.00" in str(above.json()["error"]["fields"]["amount"])
    missing = consultant.post("/api/v1/deposits", {**deposit, "unit_id": 987654,
                                                  "amount": "20000.00"})
    assert missing.status_code == 404 and "unit_id" in missing.json()["error"]["fields"]
    assert stored_deposits(suite, unit_id) == 0
    assert stored_deposits(suite, 987654) == 0
    assert admin.get(f"/api/v1/units/{unit_id}").json()["status"] == "available"

    # the whole price is a valid deposit; the stated price (the consultant's) still wins
    stated = consultant.post("/api/v1/deposits", {**deposit, "amount": "1300000.00",
                                                 "total_price": "1200000.00"})
    assert stated.status_code == 400 and "amount" in stated.json()["error"]["fields"]
    _, form = confirmed_deposit(consultant, admin, project, unit_id, customer["id"],
                                total_price=None, amount="1200000.00")
    assert (form["total_price"], form["amount_paid"], form["balance_due"]) == (
        "1200000.00", "1200000.00", "0.00")


def test_a_consultant_sees_and_acts_only_on_their_own_deals(suite, admin):
    office, (own_id, other_id) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    owner = suite.add_user(f"own-consultant-{own_id}", "consultant", consultant_id=own_id)
    other = suite.add_user(f"other-consultant-{other_id}", "consultant", consultant_id=other_id)
    manager = suite.add_user(f"own-manager-{own_id}", "sales_manager",
                             project_ids=[project["id"]])
    finance = suite.add_user(f"own-finance-{own_id}", "finance")
    customer = owner.post("/api/v1/visits", {
        "office_id": office["id"], "name": "陈十二", "mobile": "13200132000"}).json()["customer"]
    deposit, form = confirmed_deposit(owner, admin, project, unit_id, customer["id"])

    def refused(response, field):
        assert response.status_code == 403, response.text
        assert field in response.json()["error"]["fields"], response.text

    base = f"/api/v1/order-forms/{form['id']}"
    refused(other.get(f"/api/v1/deposits/{deposit['id']}"), "deposit_id")
    refused(other.get(f"/api/v1/deposits/{deposit['id']}/order-form"), "deposit_id")
    refused(other.get(f"/api/v1/deposits/{deposit['id']}/deal-report"), "deposit_id")
    refused(other.get(base), "order_form_id")
    refused(other.post(f"{base}/signatures", {"party": "customer", "name": "冒签"}),
            "order_form_id")
    refused(other.post(f"{base}/payments", {"amount": "1000.00"}), "order_form_id")
    refused(other.post(f"{base}/applications", {"kind": "refund", "reason": "代客退房",
                                                "penalty": "0.00"}), "order_form_id")
    unchanged = admin.get(base).json()
    assert unchanged["signatures"]["customer"]["name"] is None
    assert (unchanged["amount_paid"], len(unchanged["receipts"])) == ("20000.00", 1)

    refund = owner.post(f"{base}/applications", {"kind": "refund", "reason": "资金困难",
                                                 "penalty": "0.00"})
    assert refund.status_code == 201, refund.text
    application = f"/api/v1/applications/{refund.json()['id']}"
    refused(other.get(application), "application_id")
    refused(other.post(f"{application}/decisions", {"decision": "approve"}), "application_id")
    assert admin.get(application).json()["steps"] == []
    assert owner.post(f"{application}/decisions", {"decision": "reject",
                                                   "comment": "客户改主意"}).status_code == 200

    for client, party in ((owner, "customer"), (owner, "consultant"), (manager, "manager")):
        assert client.post(f"{base}/signatures", {"party": party, "name": party}).status_code == 200
    refused(other.post(f"{base}/subscription", {"buyer_name": "张三", "buyer_id_number": ID_NUMBER,
                                                "signed_by": "张三"}), "order_form_id")
    subscription = owner.post(f"{base}/subscription", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"}).json()
    refused(other.get(f"/api/v1/subscriptions/{subscription['id']}"), "subscription_id")
    contract_body = {"buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三",
                     "payment_method": "lump_sum"}
    refused(other.post(f"/api/v1/subscriptions/{subscription['id']}/contract", contract_body),
            "subscription_id")
    contract = owner.post(f"/api/v1/subscriptions/{subscription['id']}/contract", contract_body)
    assert contract.status_code == 201, contract.text
    contract = f"/api/v1/contracts/{contract.json()['id']}"
    plan = {"items": [{"kind": "full_payment", "due_date": "2026-12-31",
                       "amount": "1200000.00"}]}
    refused(other.get(contract), "contract_id")
    refused(other.put(f"{contract}/payment-plan", plan), "contract_id")
    refused(other.get(f"{contract}/payment-plan"), "contract_id")
    refused(other.post(f"{contract}/mortgage-documents", {"name": "收入证明",
                                                          "handed_in_on": "2026-11-30"}),
            "contract_id")
    assert owner.put(f"{contract}/payment-plan", plan).status_code == 200
    assert owner.get(f"{contract}/payment-plan").status_code == 200

    # the owner, managers and finance see the deal as before
    for client in (owner, manager, finance):
        for path in (f"/api/v1/deposits/{deposit['id']}", base, application, contract,
                     f"{contract}/payment-plan", f"/api/v1/deposits/{deposit['id']}/deal-report"):
            assert client.get(path).status_code == 200, (path, client.get(path).text)


def test_a_consultant_takes_no_deposit_for_another_consultants_customer(suite, admin):
    office, (own_id, other_id) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    owner = suite.add_user(f"deposit-owner-{own_id}", "consultant", consultant_id=own_id)
    other = suite.add_user(f"deposit-other-{other_id}", "consultant", consultant_id=other_id)
    customer = owner.post("/api/v1/visits", {
        "office_id": office["id"], "name": "魏十三", "mobile": "13100131000"}).json()["customer"]
    deposit = {"unit_id": unit_id, "project_id": project["id"], "customer_id": customer["id"],
               "amount": "20000.00", "kind": "small", "total_price": "1200000.00"}

    taken_over = other.post("/api/v1/deposits", deposit)
    assert taken_over.status_code == 403, taken_over.text
    assert f"customer {customer['id']}" in str(taken_over.json()["error"]["fields"]["customer_id"])
    assert stored_deposits(suite, unit_id) == 0
    unknown = other.post("/api/v1/deposits", {**deposit, "customer_id": 987654})
    assert unknown.status_code == 404 and "customer_id" in unknown.json()["error"]["fields"]
    assert stored_deposits(suite, unit_id) == 0

    _, form = confirmed_deposit(owner, admin, project, unit_id, customer["id"])
    assert form["consultant_id"] == own_id
