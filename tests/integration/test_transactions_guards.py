"""Guards between the order form's moves and its open applications on PostgreSQL: no void or
forfeiture under an open swap or refund, nothing signed, filed or paid under a refund, the
discounted price is the price paid against, a swap never leaves more paid than the unit costs,
and races on unique numbers answer 409."""
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from contracts.errors import Conflict, InvalidInput
from infra.database import handle_once
from services.transactions import applications, sales
from services.transactions.models import Contract, OrderForm
from tests.integration.test_transactions_applications import (apply, approve_all, decide,
                                                              events_of, swapped)
from tests.integration.test_transactions_plans import set_plan
from tests.integration.test_transactions_sales import (confirmed_order, contract, new_project,
                                                       order, pay, sign_all, subscribe)

pytestmark = pytest.mark.integration

VOID = {"reason": "ID number written wrongly", "requested_by": "consultant-3",
        "approved_by": "manager-wang", "approver_role": "sales_manager"}
FORFEIT = {"reason": "not signed by the agreed date", "approved_by": "manager-wang",
           "approver_role": "sales_manager"}


def void(store, order_id):
    with store() as uow:
        return sales.void_order_form(uow, {**VOID, "order_form_id": order_id})


def forfeit(store, order_id):
    with store() as uow:
        return sales.forfeit_deposit(uow, {**FORFEIT, "order_form_id": order_id},
                                     today=date(2026, 12, 31))


def application(store, application_id):
    with store() as uow:
        return applications.get_application(uow.session, application_id)


def test_no_void_or_forfeiture_while_a_swap_or_refund_is_open(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project(), due_date="2026-11-29")
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=91))
    for end in (void, forfeit):
        with pytest.raises(Conflict) as refused:
            end(store, form["id"])
        assert f"swap application {swap['id']} is approved" in str(
            refused.value.details["order_form_id"])
    assert order(store, form["id"])["status"] == "active"

    handle_once(store, swapped(swap, form["deposit_id"], 91), applications.on_reservation_swapped)
    with store() as uow:
        current = sales.get_deposit_order_form(uow.session, form["deposit_id"])
    refund = apply(store, current["id"], "refund", penalty="0.00")
    for end in (void, forfeit):  # pending: the chain is still deciding
        with pytest.raises(Conflict) as refused:
            end(store, current["id"])
        assert f"refund application {refund['id']} is pending" in str(refused.value.details)
    approve_all(store, refund)
    with pytest.raises(Conflict):  # approved: finance is to pay it out
        forfeit(store, current["id"])
    with store() as uow:
        paid = applications.pay_refund(uow, {"application_id": refund["id"], "role": "finance",
                                             "paid_by": "finance-li", "bank_reference": "G1"})
    assert paid["status"] == "completed"


def test_inventorys_swap_answer_for_a_form_ended_meanwhile_fails_and_makes_no_form(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=92))
    with store() as uow:  # a form ended before the guard existed
        uow.session.get(OrderForm, form["id"]).status = "forfeited"
        uow.commit()
    handle_once(store, swapped(swap, form["deposit_id"], 92), applications.on_reservation_swapped)
    failed = application(store, swap["id"])
    assert failed["status"] == "failed" and "forfeited" in failed["outcome"]
    with store() as uow:
        assert sales.get_deposit_order_form(uow.session, form["deposit_id"])["id"] == form["id"]
    assert events_of(store, "transactions.unit_swapped", swap["id"]) == []


LUMP_SUM = [{"kind": "full_payment", "due_date": "2026-12-01", "amount": "1200000.00"}]


def file(store, contract_id, number):
    with store() as uow:
        return sales.file_contract(uow, {"contract_id": contract_id, "filing_number": number})


def test_nothing_is_signed_filed_or_planned_while_a_refund_is_pending_or_approved(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    refund = apply(store, form["id"], "refund", penalty="0.00")
    with pytest.raises(Conflict) as no_subscription:
        subscribe(store, form["id"])
    assert f"refund application {refund['id']} is pending" in str(
        no_subscription.value.details["order_form_id"])
    decide(store, refund["id"], refund["chain"][0], "reject", "客户改主意")
    subscription = subscribe(store, form["id"])

    refund = apply(store, form["id"], "refund", penalty="0.00")
    with pytest.raises(Conflict) as no_contract:
        contract(store, subscription["id"], payment_method="lump_sum",
                 mortgage_documents_due=None)
    assert "refund" in str(no_contract.value.details["subscription_id"])
    decide(store, refund["id"], refund["chain"][0], "reject", "客户改主意")
    signed = contract(store, subscription["id"], payment_method="lump_sum",
                      mortgage_documents_due=None)

    refund = approve_all(store, apply(store, form["id"], "refund", penalty="0.00"))
    assert refund["status"] == "approved"  # inventory releases the unit
    with pytest.raises(Conflict) as no_plan:
        set_plan(store, signed["id"], LUMP_SUM)
    assert f"refund application {refund['id']} is approved" in str(
        no_plan.value.details["contract_id"])
    number = f"F-{form['id']}"
    with pytest.raises(Conflict) as no_filing:
        file(store, signed["id"], number)
    assert "refund" in str(no_filing.value.details["contract_id"])
    with store() as uow:
        assert uow.session.get(Contract, signed["id"]).status == "signed"


def test_a_refund_is_not_approved_once_the_contract_is_filed(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    signed = contract(store, subscribe(store, form["id"])["id"], payment_method="lump_sum",
                      mortgage_documents_due=None)
    refund = apply(store, form["id"], "refund", penalty="0.00")
    with store() as uow:  # filed while the refund was pending, before the guard existed
        filed = uow.session.get(Contract, signed["id"])
        filed.status, filed.filing_number = "filed", f"F-{form['id']}"
        uow.commit()
    for role in refund["chain"][:-1]:
        decide(store, refund["id"], role)
    with pytest.raises(Conflict) as final:
        decide(store, refund["id"], refund["chain"][-1])
    assert "filed" in final.value.message
    assert application(store, refund["id"])["status"] == "pending"
    assert events_of(store, "transactions.refund_approved", refund["id"]) == []


def test_an_approved_discount_is_the_price_paid_against(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())  # 1,200,000.00 list, 20,000.00 deposit
    approve_all(store, apply(store, form["id"], "discount", discounted_total_price="1180000.00"))
    discounted = order(store, form["id"])
    assert (discounted["total_price"], discounted["price_payable"], discounted["balance_due"]) == (
        Decimal("1200000.00"), Decimal("1180000.00"), Decimal("1160000.00"))
    with pytest.raises(InvalidInput) as over:
        pay(store, form["id"], "1160000.01")
    assert "1160000.00 still due" in str(over.value.details["amount"])
    pay(store, form["id"], "1000000.00")
    sign_all(store, form["id"])
    subscribe(store, form["id"])
    with pytest.raises(InvalidInput):
        pay(store, form["id"], "160000.01")
    assert order(store, form["id"])["balance_due"] == Decimal("160000.00")


def test_a_discount_is_not_approved_after_the_subscription_or_below_what_is_paid(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    late = apply(store, form["id"], "discount", discounted_total_price="1180000.00")
    for role in late["chain"][:-1]:
        decide(store, late["id"], role)
    sign_all(store, form["id"])
    subscribe(store, form["id"])
    with pytest.raises(Conflict) as signed:
        decide(store, late["id"], late["chain"][-1])
    assert "subscription" in signed.value.message
    assert application(store, late["id"])["status"] == "pending"

    paid_up = confirmed_order(store, new_project())
    deep = apply(store, paid_up["id"], "discount", discounted_total_price="1150000.00")
    pay(store, paid_up["id"], "1160000.00")  # 1,180,000.00 paid with the deposit
    for role in deep["chain"][:-1]:
        decide(store, deep["id"], role)
    with pytest.raises(Conflict) as overpaid:
        decide(store, deep["id"], deep["chain"][-1])
    assert "1180000.00 paid" in str(overpaid.value.details["application_id"])


def test_no_payment_while_a_refund_is_pending(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    refund = apply(store, form["id"], "refund", penalty="0.00")
    decide(store, refund["id"], refund["chain"][0])
    with pytest.raises(Conflict) as refused:
        pay(store, form["id"], "1000.00")
    assert f"refund application {refund['id']} is pending" in str(
        refused.value.details["order_form_id"])
    assert order(store, form["id"])["amount_paid"] == Decimal(refund["details"]["refund_amount"])
    decide(store, refund["id"], refund["chain"][1], "reject", "客户继续购买")
    assert pay(store, form["id"], "1000.00")["amount"] == Decimal("1000.00")


def test_a_swap_onto_a_unit_priced_below_what_was_paid_stands_and_flags_the_excess(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    pay(store, form["id"], "80000.00")  # 100,000.00 paid with the deposit
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=93,
                                    to_total_price="1250000.00"))
    # inventory re-priced the unit meanwhile and pinned a lower total
    handle_once(store, swapped(swap, form["deposit_id"], 93, total="90000.00"),
                applications.on_reservation_swapped)
    done = application(store, swap["id"])
    assert done["status"] == "completed"
    assert "10000.00 above its total price 90000.00" in done["outcome"]
    with store() as uow:
        new = sales.get_deposit_order_form(uow.session, form["deposit_id"])
    assert (new["unit_id"], new["amount_paid"], new["balance_due"]) == (
        93, Decimal("100000.00"), Decimal("-10000.00"))
    [event] = events_of(store, "transactions.unit_swapped", swap["id"])
    assert event["data"]["overpaid_amount"] == "10000.00"
    with pytest.raises(InvalidInput):
        pay(store, new["id"], "0.01")


def test_a_swap_whose_payments_fit_flags_nothing(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=94))
    handle_once(store, swapped(swap, form["deposit_id"], 94), applications.on_reservation_swapped)
    [event] = events_of(store, "transactions.unit_swapped", swap["id"])
    assert event["data"]["overpaid_amount"] == "0.00"
    assert "above" not in application(store, swap["id"])["outcome"]


def test_two_contracts_filed_under_one_number_at_the_same_moment_answer_409(stores):
    store = stores["transactions"]
    first, second = (contract(store, subscribe(store, form["id"])["id"],
                              payment_method="lump_sum", mortgage_documents_due=None)
                     for form in _signed_forms(store, 2))
    number = f"RACE-{first['id']}-{second['id']}"
    contracts = store.metadata.tables["contracts"]
    with store.engine.connect() as other, ThreadPoolExecutor(1) as pool:
        # the first filing is written but not committed: the second one cannot see it yet
        other.execute(update(contracts).where(contracts.c.id == first["id"])
                      .values(status="filed", filing_number=number))
        racing = pool.submit(file, store, second["id"], number)
        time.sleep(0.5)  # the second waits on the unique index for the first to commit
        other.commit()
        with pytest.raises(Conflict) as refused:
            racing.result(timeout=30)
    assert "another contract" in str(refused.value.details["filing_number"])
    with store() as uow:
        assert uow.session.get(Contract, second["id"]).status == "signed"


def _signed_forms(store, count):
    forms = [confirmed_order(store, new_project()) for _ in range(count)]
    for form in forms:
        sign_all(store, form["id"])
    return forms


def test_a_mortgage_rate_finer_than_the_record_keeps_is_refused_not_rounded(stores):
    store = stores["transactions"]
    [form] = _signed_forms(store, 1)
    signed = contract(store, subscribe(store, form["id"])["id"])
    items = [{"kind": "down_payment", "due_date": "2026-12-10", "amount": "360000.00"},
             {"kind": "loan", "due_date": "2027-03-01", "amount": "840000.00"}]
    with pytest.raises(InvalidInput) as refused:
        set_plan(store, signed["id"], items,
                 {"bank": "建设银行", "annual_rate": "0.0491234", "months": 360})
    assert "at most 5 decimal places" in str(refused.value.details["mortgage"]["annual_rate"])
    plan = set_plan(store, signed["id"], items,
                    {"bank": "建设银行", "annual_rate": "0.04912", "months": 360})
    assert plan["mortgage"]["annual_rate"] == Decimal("0.04912")


def test_a_discount_survives_the_void_that_corrects_the_form(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    approve_all(store, apply(store, form["id"], "discount", discounted_total_price="1180000.00"))
    rewritten = void(store, form["id"])
    assert (rewritten["price_payable"], rewritten["balance_due"]) == (
        Decimal("1180000.00"), Decimal("1160000.00"))
    with pytest.raises(InvalidInput):
        pay(store, rewritten["id"], "1160000.01")
    sign_all(store, rewritten["id"])
    assert subscribe(store, rewritten["id"])["total_price"] == Decimal("1180000.00")
