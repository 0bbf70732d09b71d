"""A swap (换房) through the real services: the manager approves, inventory moves the
reservation (or refuses it), transactions writes the new order form and receipts."""
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import ID_NUMBER, confirmed_deposit

pytestmark = pytest.mark.e2e


def outbox_events(suite, routing_key, **data):
    engine = create_engine(suite.database_urls["transactions"])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT payload FROM outbox WHERE routing_key = :key "
                                       "ORDER BY id"), {"key": routing_key}).scalars().all()
    engine.dispose()
    return [row for row in rows if all(row["data"].get(k) == v for k, v in data.items())]


def settled(client, application_id):
    def answer():
        application = client.get(f"/api/v1/applications/{application_id}").json()
        return application if application["status"] not in ("pending", "approved") else None
    return wait_for(answer)


def signers(suite, name, project):
    """The 调房申请单's signers of the project, in the seed's order: 销售部 → 总经理 → 财务部."""
    return [suite.add_user(f"{name}-{role}", role, project_ids=[project["id"]])
            for role in ("sales_manager", "general_manager", "finance")]


def swap(consultant, approvers, form, to_unit_id):
    filed = consultant.post(f"/api/v1/order-forms/{form['id']}/applications", {
        "kind": "swap", "reason": "客户想换到朝南的房子", "to_unit_id": to_unit_id})
    assert filed.status_code == 201, filed.text
    assert filed.json()["chain"] == ["sales_manager", "general_manager", "finance"]
    for approver in approvers:
        approved = approver.post(f"/api/v1/applications/{filed.json()['id']}/decisions",
                                 {"decision": "approve", "comment": "同意调房"})
        assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    return approved.json()


def test_a_swap_moves_the_reservation_order_form_and_receipts_and_a_taken_unit_refuses_it(
        suite, admin):
    office, (consultant_id, other_id) = make_office(admin)
    project, (unit_a, unit_b, unit_c) = make_project(admin, rooms=3)
    consultant = suite.add_user(f"swap-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    colleague = suite.add_user(f"swap-consultant-{other_id}", "consultant",
                               consultant_id=other_id)
    approvers = signers(suite, f"swap-{consultant_id}", project)
    manager = approvers[0]
    customer = consultant.post("/api/v1/visits", {
        "office_id": office["id"], "name": "周八", "mobile": "13500135000"}).json()["customer"]
    deposit, form = confirmed_deposit(consultant, admin, project, unit_a, customer["id"])
    assert admin.get(f"/api/v1/units/{unit_a}").json()["reserved_by_deposit_id"] == deposit["id"]

    # someone else's customer holds unit C: inventory refuses, nothing changes
    stranger = colleague.post("/api/v1/visits", {
        "office_id": office["id"], "name": "钱十", "mobile": "13400134000"}).json()["customer"]
    held = colleague.post("/api/v1/holds", {"unit_id": unit_c, "customer_id": stranger["id"]})
    assert held.status_code == 201 and held.json()["status"] == "held", held.text
    refused = settled(manager, swap(consultant, approvers, form, unit_c)["id"])
    assert refused["status"] == "failed" and "another customer" in refused["outcome"]
    unit = admin.get(f"/api/v1/units/{unit_a}").json()
    assert (unit["status"], unit["reserved_by_deposit_id"]) == ("reserved", deposit["id"])
    assert admin.get(f"/api/v1/units/{unit_c}").json()["customer_id"] == stranger["id"]
    assert admin.get(f"/api/v1/deposits/{deposit['id']}/order-form").json() == admin.get(
        f"/api/v1/order-forms/{form['id']}").json()
    assert admin.get(f"/api/v1/order-forms/{form['id']}").json()["status"] == "active"

    unknown = consultant.post(f"/api/v1/order-forms/{form['id']}/applications", {
        "kind": "swap", "reason": "客户想换房", "to_unit_id": 987654})
    assert unknown.status_code == 404 and "to_unit_id" in unknown.json()["error"]["fields"]

    # unit B is free: the reservation, the order form and the receipts move to it
    paid = consultant.post(f"/api/v1/order-forms/{form['id']}/payments",
                           {"amount": "30000.00", "purpose": "other"})
    assert paid.status_code == 201, paid.text
    done = settled(manager, swap(consultant, approvers, form, unit_b)["id"])
    assert done["status"] == "completed", done
    grid = admin.get(f"/api/v1/projects/{project['id']}/board").json()
    board = {cell["id"]: cell for cell in (dict(zip(grid["columns"], row))
                                           for row in grid["units"])}
    assert (board[unit_a]["status"], board[unit_b]["status"]) == ("available", "reserved")
    a, b = (admin.get(f"/api/v1/units/{unit_id}").json() for unit_id in (unit_a, unit_b))
    assert a["customer_id"] is None and a["reserved_by_deposit_id"] is None
    assert b["reserved_by_deposit_id"] == deposit["id"]
    assert admin.get(f"/api/v1/deposits/{deposit['id']}").json()["unit_id"] == unit_b

    old = admin.get(f"/api/v1/order-forms/{form['id']}").json()
    new = admin.get(f"/api/v1/deposits/{deposit['id']}/order-form").json()
    assert old["status"] == "replaced" and str(unit_b) in old["void_reason"]
    assert [r["status"] for r in old["receipts"]] == ["exchanged", "exchanged"]
    assert (new["unit_id"], new["status"], done["outcome"]) == (
        unit_b, "active", f"new order form {new['id']}")
    assert (new["total_price"], new["amount_paid"], new["customer_id_number"]) == (
        "1200000.00", "50000.00", ID_NUMBER)
    assert new["building_area"] == "89.50"  # the new unit's, read from inventory
    assert [(r["kind"], r["amount"], r["status"]) for r in new["receipts"]] == [
        ("deposit", "20000.00", "issued"), ("purchase", "30000.00", "issued")]
    swapped = wait_for(lambda: outbox_events(suite, "transactions.unit_swapped",
                                             application_id=done["id"]))
    assert [(e["data"]["from_unit_id"], e["data"]["to_unit_id"], e["data"]["new_order_form_id"])
            for e in swapped] == [(unit_a, unit_b, new["id"])]

    # the new form is signed and contracted: no swap after the contract
    for client, party in ((consultant, "customer"), (consultant, "consultant"),
                          (manager, "manager")):
        signed = client.post(f"/api/v1/order-forms/{new['id']}/signatures",
                             {"party": party, "name": f"{party} 签名"})
        assert signed.status_code == 200, signed.text
    subscription = consultant.post(f"/api/v1/order-forms/{new['id']}/subscription", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"}).json()
    contract = consultant.post(f"/api/v1/subscriptions/{subscription['id']}/contract", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三",
        "payment_method": "lump_sum"})
    assert contract.status_code == 201, contract.text
    late = consultant.post(f"/api/v1/order-forms/{new['id']}/applications", {
        "kind": "swap", "reason": "又想换", "to_unit_id": unit_a})
    assert late.status_code == 409 and "kind" in late.json()["error"]["fields"]
    assert admin.get(f"/api/v1/units/{unit_a}").json()["status"] == "available"
    assert wait_for(lambda: admin.get(f"/api/v1/units/{unit_b}").json()["status"]
                    == "contracted")


def board_cells(admin, project_id):
    grid = admin.get(f"/api/v1/projects/{project_id}/board").json()
    return {cell["id"]: cell for cell in (dict(zip(grid["columns"], row))
                                          for row in grid["units"])}


def transactions_story(suite, deposit_id):
    """(unit, the board status transactions' records imply) for the deposit's live order form:
    a filed contract → filed, a signed one → contracted, a subscription → subscribed, else
    reserved."""
    engine = create_engine(suite.database_urls["transactions"])
    with engine.connect() as connection:
        form_id, unit_id = connection.execute(text(
            "SELECT id, unit_id FROM order_forms WHERE deposit_id = :d AND status = 'active'"),
            {"d": deposit_id}).one()
        contract = connection.execute(text(
            "SELECT status FROM contracts WHERE order_form_id = :f AND status <> 'voided'"),
            {"f": form_id}).scalar()
        subscribed = connection.execute(text(
            "SELECT count(*) FROM subscriptions WHERE order_form_id = :f "
            "AND status <> 'voided'"), {"f": form_id}).scalar()
    engine.dispose()
    if contract is not None:
        return unit_id, "filed" if contract == "filed" else "contracted"
    return unit_id, "subscribed" if subscribed else "reserved"


def same_story(suite, admin, project_id, deposit_id):
    """Inventory's board agrees with transactions on the deposit's unit and its stage."""
    unit_id, stage = transactions_story(suite, deposit_id)
    unit = admin.get(f"/api/v1/units/{unit_id}").json()
    return (board_cells(admin, project_id)[unit_id]["status"], unit["status"],
            unit["reserved_by_deposit_id"]) == (stage, stage, deposit_id)


def sign_form(consultant, manager, form_id):
    for client, party in ((consultant, "customer"), (consultant, "consultant"),
                          (manager, "manager")):
        signed = client.post(f"/api/v1/order-forms/{form_id}/signatures",
                             {"party": party, "name": f"{party} 签名"})
        assert signed.status_code == 200, signed.text


def test_after_swapping_a_subscribed_unit_inventory_and_transactions_tell_the_same_story(
        suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_a, unit_b) = make_project(admin, rooms=2)
    consultant = suite.add_user(f"story-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    approvers = signers(suite, f"story-{consultant_id}", project)
    customer = consultant.post("/api/v1/visits", {
        "office_id": office["id"], "name": "吴九", "mobile": "15966001001"}).json()["customer"]
    deposit, form = confirmed_deposit(consultant, admin, project, unit_a, customer["id"])
    sign_form(consultant, approvers[0], form["id"])
    subscription = consultant.post(f"/api/v1/order-forms/{form['id']}/subscription", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"})
    assert subscription.status_code == 201, subscription.text
    assert wait_for(lambda: board_cells(admin, project["id"])[unit_a]["status"] == "subscribed")
    assert same_story(suite, admin, project["id"], deposit["id"])

    done = settled(admin, swap(consultant, approvers, form, unit_b)["id"])
    assert done["status"] == "completed", done
    new = admin.get(f"/api/v1/deposits/{deposit['id']}/order-form").json()
    assert (new["unit_id"], new["status"]) == (unit_b, "active")
    assert admin.get(f"/api/v1/subscriptions/{subscription.json()['id']}").json()["status"] \
        == "voided"
    board = board_cells(admin, project["id"])
    assert (board[unit_a]["status"], board[unit_b]["status"]) == ("available", "reserved")
    assert transactions_story(suite, deposit["id"]) == (unit_b, "reserved")
    assert same_story(suite, admin, project["id"], deposit["id"])

    # the new unit's own subscription: both services move on together
    sign_form(consultant, approvers[0], new["id"])
    again = consultant.post(f"/api/v1/order-forms/{new['id']}/subscription", {
        "buyer_name": "张三", "buyer_id_number": ID_NUMBER, "signed_by": "张三"})
    assert again.status_code == 201, again.text
    assert wait_for(lambda: board_cells(admin, project["id"])[unit_b]["status"] == "subscribed")
    assert same_story(suite, admin, project["id"], deposit["id"])
