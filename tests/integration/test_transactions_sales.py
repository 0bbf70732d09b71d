"""From confirmed deposit to filed contract on PostgreSQL: the order form (定单), payments with
receipts numbered without gaps per project, voiding, subscription, contract and filing."""
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts import transactions as schemas
from contracts.base import load
from contracts.envelope import parse_event
from contracts.errors import Conflict, Forbidden, InvalidInput
from infra.database import handle_once
from services.transactions import handlers, sales
from services.transactions.models import OrderForm, Receipt
from tests.messaging import valid_event

pytestmark = pytest.mark.integration
_projects = itertools.count(int(threading.get_ident() % 100000) * 1000 + 1)
ID_NUMBER = "41030219900101123X"


def new_project() -> int:
    return next(_projects)


def deposit(store, project_id, amount="20000.00", unit_id=1, **extra):
    cmd = load(schemas.TakeDepositSchema(), {
        "unit_id": unit_id, "customer_id": 5, "consultant_id": 3, "project_id": project_id,
        "amount": amount, "kind": "small", "customer_name": "张三",
        "customer_id_number": ID_NUMBER, "building_area": "89.50", "due_date": "2026-11-29",
        **extra})
    with store() as uow:
        return handlers.take_deposit(uow, cmd)


def reserved(deposit_view, total_price="1200000.00", project_id=None):
    data = {"deposit_id": deposit_view["id"], "hold_id": None, "price_list_version": 2,
            "unit_price": "13407.82", "total_price": total_price,
            "floor_total_price": "1150000.00"}
    return parse_event(valid_event("inventory.unit_reserved", data,
                                   project_id=project_id or deposit_view["project_id"],
                                   unit_id=deposit_view["unit_id"]))


def confirmed_order(store, project_id, **extra):
    taken = deposit(store, project_id, **extra)
    handle_once(store, reserved(taken), handlers.on_unit_reserved)
    with store() as uow:
        return sales.get_deposit_order_form(uow.session, taken["id"])


def sign_all(store, order_id):
    for party, role in (("customer", "consultant"), ("consultant", "consultant"),
                        ("manager", "sales_manager")):
        with store() as uow:
            sales.sign_order_form(uow, {"order_form_id": order_id, "party": party,
                                        "name": f"{party}-name", "role": role})


def pay(store, order_id, amount):
    cmd = load(schemas.RecordPaymentSchema(), {"order_form_id": order_id, "amount": amount,
                                               "purpose": "down_payment",
                                               "recorded_by": "finance-li"})
    with store() as uow:
        return sales.record_payment(uow, cmd)


def order(store, order_id):
    with store() as uow:
        return sales.get_order_form(uow.session, order_id)


def outbox(store, routing_key):
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        return [row.payload for row in connection.execute(
            select(table).where(table.c.routing_key == routing_key).order_by(table.c.id))]


def subscribe(store, order_id, **extra):
    cmd = load(schemas.SignSubscriptionSchema(), {
        "order_form_id": order_id, "buyer_name": "张三", "buyer_id_number": ID_NUMBER,
        "signed_by": "张三", **extra})
    with store() as uow:
        return sales.sign_subscription(uow, cmd)


def contract(store, subscription_id, **extra):
    cmd = load(schemas.SignContractSchema(), {
        "subscription_id": subscription_id, "buyer_name": "张三",
        "buyer_id_number": ID_NUMBER.lower(), "signed_by": "张三",
        "payment_method": "mortgage", "mortgage_documents_due": "2026-12-20", **extra})
    with store() as uow:
        return sales.sign_contract(uow, cmd)


def test_a_confirmed_deposit_makes_one_order_form_with_the_pinned_price_and_a_receipt(stores):
    store = stores["transactions"]
    project = new_project()
    taken = deposit(store, project)
    event = reserved(taken)
    handle_once(store, event, handlers.on_unit_reserved)
    handle_once(store, event, handlers.on_unit_reserved)  # redelivered: nothing more
    with store() as uow:
        form = sales.get_deposit_order_form(uow.session, taken["id"])
    assert (form["total_price"], form["price_list_version"]) == (Decimal("1200000.00"), 2)
    assert (form["building_area"], form["customer_id_number"]) == (Decimal("89.50"), ID_NUMBER)
    assert form["deposit_amount"] == form["amount_paid"] == Decimal("20000.00")
    assert form["balance_due"] == Decimal("1180000.00")
    assert [(r["number"], r["kind"], r["status"]) for r in form["receipts"]] == [
        (1, "deposit", "issued")]
    assert form["signatures"]["manager"] == {"name": None, "signed_at": None}
    assert len([p for p in outbox(store, "transactions.payment_received")
                if p["project_id"] == project]) == 1


def test_a_rejected_deposit_makes_no_order_form(stores):
    store = stores["transactions"]
    taken = deposit(store, new_project())
    event = parse_event(valid_event("inventory.unit_reservation_rejected", {
        "deposit_id": taken["id"], "reason": "reserved by another deposit",
        "unit_status": "reserved"}))
    handle_once(store, event, handlers.on_unit_reservation_rejected)
    with store() as uow, pytest.raises(Exception) as missing:
        sales.get_deposit_order_form(uow.session, taken["id"])
    assert "no order form" in str(missing.value.details)


@pytest.mark.parametrize("amount, extra, reason", [
    ("0", {}, "greater than 0"), ("-5.00", {}, "greater than 0"),
    ("1300000.00", {"total_price": "1200000.00"}, "more than the total price"),
])
def test_a_deposit_of_zero_negative_or_above_the_price_is_refused(stores, amount, extra, reason):
    with pytest.raises(InvalidInput) as refused:
        deposit(stores["transactions"], new_project(), amount=amount, **extra)
    assert reason in str(refused.value.details["amount"])


def test_the_three_signatures_and_the_managers_own(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    with store() as uow, pytest.raises(Forbidden):
        sales.sign_order_form(uow, {"order_form_id": form["id"], "party": "manager",
                                    "name": "consultant-3", "role": "consultant"})
    sign_all(store, form["id"])
    with store() as uow, pytest.raises(Conflict):
        sales.sign_order_form(uow, {"order_form_id": form["id"], "party": "customer",
                                    "name": "someone else", "role": "consultant"})
    assert all(s["signed_at"] for s in order(store, form["id"])["signatures"].values())


def test_payments_get_consecutive_receipts_and_never_exceed_the_price(stores):
    store = stores["transactions"]
    project = new_project()
    form = confirmed_order(store, project)
    first = pay(store, form["id"], "300000.00")
    assert first["receipt"]["number"] == 2 and first["receipt"]["kind"] == "purchase"
    with pytest.raises(InvalidInput) as refused:
        pay(store, form["id"], "880000.01")
    assert "still due" in str(refused.value.details["amount"])
    assert pay(store, form["id"], "880000.00")["receipt"]["number"] == 3
    assert order(store, form["id"])["balance_due"] == Decimal("0.00")
    other = confirmed_order(store, project, unit_id=2)
    assert [r["number"] for r in other["receipts"]] == [4]  # the project's sequence


def test_voiding_needs_a_reason_and_a_manager_and_rewrites_the_form(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    pay(store, form["id"], "100000.00")
    request = {"order_form_id": form["id"], "reason": "ID number written wrongly",
               "requested_by": "consultant-3", "customer_id_number": "410302199001011250"}
    with store() as uow, pytest.raises(Forbidden):
        sales.void_order_form(uow, {**request, "approved_by": "consultant-3",
                                    "approver_role": "consultant"})
    with pytest.raises(InvalidInput):
        load(schemas.VoidOrderFormSchema(), {**request, "reason": "", "approved_by": "m",
                                             "approver_role": "sales_manager"})
    with store() as uow:
        new = sales.void_order_form(uow, load(schemas.VoidOrderFormSchema(), {
            **request, "approved_by": "manager-wang", "approver_role": "sales_manager"}))
    old = order(store, form["id"])
    assert (old["status"], old["void_approved_by"]) == ("voided", "manager-wang")
    assert [r["status"] for r in old["receipts"]] == ["exchanged", "exchanged"]
    assert old["amount_paid"] == Decimal("0.00")
    assert (new["status"], new["customer_id_number"]) == ("active", "410302199001011250")
    assert (new["total_price"], new["amount_paid"]) == (Decimal("1200000.00"),
                                                        Decimal("120000.00"))
    assert [(r["number"], r["kind"]) for r in new["receipts"]] == [(3, "deposit"),
                                                                   (4, "purchase")]
    assert all(s["name"] is None for s in new["signatures"].values())  # signed again
    with pytest.raises(Conflict) as refused:
        pay(store, form["id"], "1.00")
    assert "voided" in str(refused.value.details["order_form_id"])
    with store() as uow:
        assert sales.get_deposit_order_form(uow.session, form["deposit_id"])["id"] == new["id"]


def test_concurrent_payments_take_every_number_once_without_gaps(stores):
    store = stores["transactions"]
    project = new_project()
    forms = [confirmed_order(store, project, unit_id=10 + i) for i in range(4)]

    def attempt(i):
        try:
            # every fifth payment is too large: refused after the checks, it takes no number
            return pay(store, forms[i % 4]["id"], "999999999.00" if i % 5 == 4 else "1000.00")
        except InvalidInput:
            return None

    with ThreadPoolExecutor(16) as pool:
        results = [r for r in pool.map(attempt, range(40)) if r]
    assert len(results) == 32
    with store() as uow:
        numbers = sorted(uow.session.scalars(select(Receipt.number)
                                             .where(Receipt.project_id == project)))
    assert numbers == list(range(1, 4 + 32 + 1))


def test_subscription_checks_signatures_identity_proxy_and_pins_the_price(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    with pytest.raises(Conflict) as unsigned:
        subscribe(store, form["id"])
    assert "missing signatures" in str(unsigned.value.details)
    sign_all(store, form["id"])
    with pytest.raises(InvalidInput) as wrong_id:
        subscribe(store, form["id"], buyer_id_number="410302199001011234")
    assert "buyer_id_number" in wrong_id.value.details
    with pytest.raises(InvalidInput) as proxy:
        subscribe(store, form["id"], signed_by="李四")
    assert "power_of_attorney" in proxy.value.details
    with pytest.raises(Conflict) as price:
        subscribe(store, form["id"], total_price="1000000.00")
    assert "pinned" in str(price.value.details["total_price"])
    signed = subscribe(store, form["id"], signed_by="李四", power_of_attorney="公证(2026)123号",
                       power_of_attorney_notarized=True)
    assert (signed["total_price"], signed["price_list_version"]) == (Decimal("1200000.00"), 2)
    assert signed["power_of_attorney"] == "公证(2026)123号"
    with pytest.raises(Conflict):
        subscribe(store, form["id"])
    emitted = [e for e in outbox(store, "transactions.subscription_signed")
               if e["data"]["subscription_id"] == signed["id"]]
    assert emitted[0]["data"]["total_price"] == "1200000.00"


def test_contract_exchanges_the_deposit_receipt_and_filing_makes_the_sale_final(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    subscription = subscribe(store, form["id"])
    with pytest.raises(InvalidInput) as deadline:
        contract(store, subscription["id"], mortgage_documents_due=None)
    assert "mortgage_documents_due" in deadline.value.details
    signed = contract(store, subscription["id"])
    assert (signed["total_price"], signed["status"]) == (Decimal("1200000.00"), "signed")
    with pytest.raises(Conflict):
        contract(store, subscription["id"])
    receipts = order(store, form["id"])["receipts"]
    assert [(r["number"], r["kind"], r["status"]) for r in receipts] == [
        (1, "deposit", "exchanged"), (2, "purchase", "issued")]
    assert receipts[0]["replaced_by_id"] == receipts[1]["id"]
    assert receipts[0]["payment_id"] == receipts[1]["payment_id"]

    with store() as uow:
        filed = sales.file_contract(uow, {"contract_id": signed["id"],
                                          "filing_number": f"LY-{signed['id']}"})
    assert (filed["status"], filed["filing_number"]) == ("filed", f"LY-{signed['id']}")
    with store() as uow:  # the same filing again: the same answer, one event
        assert sales.file_contract(uow, {"contract_id": signed["id"],
                                         "filing_number": f"LY-{signed['id']}"}) == filed
    with store() as uow, pytest.raises(Conflict):
        sales.file_contract(uow, {"contract_id": signed["id"], "filing_number": "LY-other"})
    assert len([e for e in outbox(store, "transactions.contract_filed")
                if e["data"]["contract_id"] == signed["id"]]) == 1


def test_concurrent_answers_for_one_deposit_make_one_outcome_and_one_order_form(stores):
    store = stores["transactions"]
    taken = deposit(store, new_project())
    rejected = parse_event(valid_event("inventory.unit_reservation_rejected", {
        "deposit_id": taken["id"], "reason": "race", "unit_status": "reserved"}))
    answers = [(reserved(taken), handlers.on_unit_reserved) for _ in range(6)]
    answers.insert(3, (rejected, handlers.on_unit_reservation_rejected))
    with ThreadPoolExecutor(7) as pool:
        list(pool.map(lambda answer: handle_once(store, *answer), answers))
    with store() as uow:
        status = handlers.get_deposit(uow.session, taken["id"])["status"]
        forms = uow.session.scalars(select(OrderForm.id).where(
            OrderForm.deposit_id == taken["id"])).all()
    assert status in ("confirmed", "refund_pending")
    assert len(forms) == (1 if status == "confirmed" else 0)
    receipts = [e for e in outbox(store, "transactions.payment_received")
                if e["data"]["deposit_id"] == taken["id"]]
    assert len(receipts) == len(forms)


def test_a_deposit_is_forfeited_only_after_the_agreed_date_and_by_a_manager(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project(), due_date="2026-11-29")
    request = {"order_form_id": form["id"], "reason": "not signed by the agreed date",
               "approved_by": "manager-wang", "approver_role": "sales_manager"}
    with store() as uow, pytest.raises(Conflict) as early:
        sales.forfeit_deposit(uow, request, today=date(2026, 11, 29))
    assert "has not passed" in str(early.value.details)
    with store() as uow, pytest.raises(Forbidden):
        sales.forfeit_deposit(uow, {**request, "approver_role": "consultant"},
                              today=date(2026, 11, 30))
    with store() as uow:
        forfeited = sales.forfeit_deposit(uow, request, today=date(2026, 11, 30))
    assert forfeited["status"] == "forfeited"
    assert [r["status"] for r in forfeited["receipts"]] == ["issued"]  # the money is kept
    events = [e for e in outbox(store, "transactions.deposit_forfeited")
              if e["data"]["deposit_id"] == form["deposit_id"]]
    assert len(events) == 1 and events[0]["unit_id"] == form["unit_id"]
    with pytest.raises(Conflict):
        pay(store, form["id"], "1.00")

    signed = confirmed_order(store, new_project(), due_date="2026-11-01")
    sign_all(store, signed["id"])
    subscribe(store, signed["id"])
    with store() as uow, pytest.raises(Conflict) as subscribed:
        sales.forfeit_deposit(uow, {**request, "order_form_id": signed["id"]},
                              today=date(2026, 11, 30))
    assert "refund" in subscribed.value.message
