"""Idempotency-Key through the real services: a retried command answers the first result, a key
reused with another body is 422, a key still in flight is 409, and a deposit retried after the
gateway gave up with 504 (the service committed anyway) is taken once. A deposit's project is
the unit's, read from inventory."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import wait_for
from tests.e2e.test_deposit_flow import make_office, make_project
from tests.e2e.test_transactions_sale import confirmed_deposit

pytestmark = pytest.mark.e2e
HEADER = "Idempotency-Key"


def keyed(key):
    return {"headers": {HEADER: key}}


def rows(suite, owner, sql, **params):
    engine = create_engine(suite.database_urls[owner])
    with engine.connect() as connection:
        result = connection.execute(text(sql), params).all()
    engine.dispose()
    return result


def customer_of(consultant, office, name, mobile):
    visit = consultant.post("/api/v1/visits", {"office_id": office["id"], "name": name,
                                               "mobile": mobile})
    assert visit.status_code == 201, visit.text
    return visit.json()["customer"]["id"]


def test_a_retried_deposit_payment_and_hold_answer_the_first_result(suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_a, unit_b, unit_c) = make_project(admin, rooms=3)
    consultant = suite.add_user(f"idem-consultant-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    customer = customer_of(consultant, office, "郑一", "15966001003")
    body = {"unit_id": unit_a, "customer_id": customer, "amount": "20000.00", "kind": "large"}
    key = str(uuid.uuid4())

    first = consultant.post("/api/v1/deposits", body, **keyed(key))
    assert first.status_code == 201, first.text
    assert first.json()["project_id"] == project["id"]  # the unit's, from inventory
    again = consultant.post("/api/v1/deposits", {**body}, **keyed(f'"{key}"'))
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    other = consultant.post("/api/v1/deposits", {**body, "amount": "30000.00"}, **keyed(key))
    assert other.status_code == 422 and HEADER in other.json()["error"]["fields"], other.text
    assert rows(suite, "transactions", "SELECT id FROM deposits WHERE unit_id = :u",
                u=unit_a) == [(first.json()["id"],)]
    unusable = consultant.post("/api/v1/deposits", body, **keyed("x" * 201))
    assert unusable.status_code == 400 and HEADER in unusable.json()["error"]["fields"]

    # a payment retried: one payment, one receipt
    deposit, form = confirmed_deposit(consultant, admin, project, unit_b, customer)
    payment = {"amount": "30000.00", "purpose": "down_payment"}
    pay_key = str(uuid.uuid4())
    paid = [consultant.post(f"/api/v1/order-forms/{form['id']}/payments", payment,
                            **keyed(pay_key)) for _ in range(2)]
    assert [p.status_code for p in paid] == [201, 201] and paid[0].json() == paid[1].json()
    form = admin.get(f"/api/v1/order-forms/{form['id']}").json()
    assert (form["amount_paid"], len(form["receipts"])) == ("50000.00", 2)

    # a hold retried: the first answer, not "the unit is held"
    hold_key = str(uuid.uuid4())
    hold = {"unit_id": unit_c, "customer_id": customer}
    held = [consultant.post("/api/v1/holds", hold, **keyed(hold_key)) for _ in range(2)]
    assert [h.status_code for h in held] == [201, 201] and held[0].json() == held[1].json()
    assert consultant.post("/api/v1/holds", hold).status_code == 409  # without a key: a new try


def test_a_deposits_project_is_the_units_and_a_mismatch_is_refused(suite, admin):
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    other_project, _ = make_project(admin)
    consultant = suite.add_user(f"idem-project-{consultant_id}", "consultant",
                                consultant_id=consultant_id)
    customer = customer_of(consultant, office, "郑三", "15966001004")
    body = {"unit_id": unit_id, "customer_id": customer, "amount": "20000.00"}
    wrong = consultant.post("/api/v1/deposits", {**body, "project_id": other_project["id"]})
    assert wrong.status_code == 400 and "project_id" in wrong.json()["error"]["fields"]
    assert rows(suite, "transactions", "SELECT id FROM deposits WHERE unit_id = :u",
                u=unit_id) == []
    right = consultant.post("/api/v1/deposits", {**body, "project_id": project["id"]})
    assert right.status_code == 201 and right.json()["project_id"] == project["id"]


def test_a_deposit_retried_after_a_504_is_taken_once(suite, admin):
    """The service commits after the gateway gave up: the gateway has no answer to replay, the
    service finds the deposit under the key."""
    office, (consultant_id, _) = make_office(admin)
    project, (unit_id, _) = make_project(admin)
    customer = customer_of(admin, office, "郑四", "15966001005")
    body = {"unit_id": unit_id, "customer_id": customer, "consultant_id": consultant_id,
            "amount": "20000.00"}
    key = str(uuid.uuid4())
    second_window = suite.client("admin")  # the same user, another tab

    engine = create_engine(suite.database_urls["transactions"])
    connection = engine.connect()
    lock = connection.begin()
    connection.execute(text("LOCK TABLE deposits IN EXCLUSIVE MODE"))  # the service stalls
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(admin.post, "/api/v1/deposits", body, **keyed(key))
            assert wait_for(lambda: rows(suite, "gateway", "SELECT status FROM "
                                         "idempotency_keys WHERE key = :k", k=key))
            in_flight = second_window.post("/api/v1/deposits", body, **keyed(key))
            assert in_flight.status_code == 409, in_flight.text
            assert HEADER in in_flight.json()["error"]["fields"]
            gave_up = pending.result()
        assert gave_up.status_code == 504, gave_up.text
    finally:
        lock.commit()  # the stalled call goes on and commits the deposit
        connection.close()
        engine.dispose()
    taken = wait_for(lambda: rows(suite, "transactions", "SELECT id FROM deposits "
                                  "WHERE unit_id = :u", u=unit_id))
    retry = admin.post("/api/v1/deposits", body, **keyed(key))
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == taken[0][0]
    assert len(rows(suite, "transactions", "SELECT id FROM deposits WHERE unit_id = :u",
                    u=unit_id)) == 1
    replayed = admin.post("/api/v1/deposits", body, **keyed(key))  # now the gateway's answer
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json() == retry.json()


def test_the_openapi_documents_the_header_on_every_command_that_creates_money_or_a_hold(suite):
    import requests
    spec = requests.get(f"{suite.base_url}/api/v1/openapi.json", timeout=30).json()
    documented = sorted(
        f"{method.upper()} {path}" for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if any(p.get("in") == "header" and p.get("name") == HEADER
               for p in operation.get("parameters", [])))
    assert documented == sorted([
        "POST /api/v1/deposits", "POST /api/v1/holds",
        "POST /api/v1/order-forms/{order_form_id}/payments",
        "POST /api/v1/order-forms/{order_form_id}/applications",
        "POST /api/v1/applications/{application_id}/refund-payment",
        "POST /api/v1/finance/bank-receipts",
        "POST /api/v1/projects/{project_id}/queue-numbers",
        "POST /api/v1/openings/{opening_id}/selections"])
