"""Guards between the order form's moves and its open applications on PostgreSQL: no void or
forfeiture under an open swap or refund, nothing signed, filed or paid under a refund, the
discounted price is the price paid against, a swap never leaves more paid than the unit costs,
and races on unique numbers answer 409."""
from datetime import date
from decimal import Decimal

import pytest

from contracts.errors import Conflict
from infra.database import handle_once
from services.transactions import applications, sales
from services.transactions.models import OrderForm
from tests.integration.test_transactions_applications import (apply, approve_all, decide,
                                                              events_of, swapped)
from tests.integration.test_transactions_sales import (confirmed_order, new_project, order, pay,
                                                       sign_all)

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
    swap = decide(store, apply(store, form["id"], "swap", to_unit_id=91)["id"], "sales_manager")
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
    swap = decide(store, apply(store, form["id"], "swap", to_unit_id=92)["id"], "sales_manager")
    with store() as uow:  # a form ended before the guard existed
        uow.session.get(OrderForm, form["id"]).status = "forfeited"
        uow.commit()
    handle_once(store, swapped(swap, form["deposit_id"], 92), applications.on_reservation_swapped)
    failed = application(store, swap["id"])
    assert failed["status"] == "failed" and "forfeited" in failed["outcome"]
    with store() as uow:
        assert sales.get_deposit_order_form(uow.session, form["deposit_id"])["id"] == form["id"]
    assert events_of(store, "transactions.unit_swapped", swap["id"]) == []
