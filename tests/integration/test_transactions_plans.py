"""Payment plans on PostgreSQL: the deposit covers the first items, payments the next ones,
overdue items show, mortgages carry their bank, repayments and documents."""
from datetime import timedelta
from decimal import Decimal

import pytest

from contracts import transactions as schemas
from contracts.base import load
from contracts.errors import Conflict, InvalidInput
from services.transactions import plans
from tests.conftest import office_today
from tests.integration.test_transactions_sales import (confirmed_order, contract, new_project,
                                                       pay, sign_all, subscribe)

pytestmark = pytest.mark.integration


def signed_contract(store, method="mortgage", **extra):
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    return contract(store, subscribe(store, form["id"])["id"], payment_method=method, **extra)


def set_plan(store, contract_id, items, mortgage=None):
    cmd = load(schemas.SetPaymentPlanSchema(), {"contract_id": contract_id, "items": items,
                                                "mortgage": mortgage})
    with store() as uow:
        return plans.set_payment_plan(uow, cmd)


def test_a_mortgage_plan_with_the_deposit_offsetting_the_down_payment(stores):
    store = stores["transactions"]
    signed = signed_contract(store)
    items = [{"kind": "down_payment", "due_date": "2026-01-10", "amount": "360000.00"},
             {"kind": "loan", "due_date": "2099-03-01", "amount": "840000.00"}]
    with pytest.raises(InvalidInput) as no_bank:
        set_plan(store, signed["id"], items)
    assert "mortgage" in no_bank.value.details
    with pytest.raises(InvalidInput) as wrong_total:
        set_plan(store, signed["id"], [{**items[0], "amount": "300000.00"}, items[1]],
                 {"bank": "建设银行", "annual_rate": "0.049", "months": 360})
    assert "contract price" in str(wrong_total.value.details["items"])
    plan = set_plan(store, signed["id"], items,
                    {"bank": "建设银行", "annual_rate": "0.049", "months": 360})
    down, loan = plan["items"]
    assert (down["paid"], down["outstanding"]) == (Decimal("20000.00"), Decimal("340000.00"))
    assert down["overdue"] is True and loan["overdue"] is False
    assert plan["mortgage"]["loan_amount"] == Decimal("840000.00")
    assert plan["mortgage"]["repayment"]["first_payment"] == Decimal("4458.10")
    with pytest.raises(Conflict):
        set_plan(store, signed["id"], items, {"bank": "x", "annual_rate": "0.049", "months": 1})

    pay(store, signed["order_form_id"], "340000.00")
    with store() as uow:
        plan = plans.get_payment_plan(uow.session, signed["id"])
    assert plan["items"][0]["outstanding"] == Decimal("0.00")
    assert plan["items"][0]["overdue"] is False
    assert plan["balance_due"] == Decimal("840000.00")


def test_mortgage_documents_are_dated_against_the_contracts_deadline(stores):
    store = stores["transactions"]
    deadline = office_today() - timedelta(days=3)
    signed = signed_contract(store, mortgage_documents_due=deadline.isoformat())
    set_plan(store, signed["id"],
             [{"kind": "down_payment", "due_date": "2026-01-10", "amount": "360000.00"},
              {"kind": "loan", "due_date": "2026-03-01", "amount": "840000.00"}],
             {"bank": "工商银行", "annual_rate": "0.0325", "months": 240,
              "repayment": "equal_principal"})
    for name, day in (("身份证", deadline - timedelta(days=1)), ("收入证明", deadline + timedelta(days=1))):
        with store() as uow:
            plan = plans.record_mortgage_document(uow, {
                "contract_id": signed["id"], "name": name, "handed_in_on": day,
                "recorded_by": "consultant-3"})
    assert [(d["name"], d["late"]) for d in plan["mortgage"]["documents"]] == [
        ("身份证", False), ("收入证明", True)]
    assert plan["mortgage"]["repayment"]["method"] == "equal_principal"
    with store() as uow, pytest.raises(InvalidInput):
        plans.record_mortgage_document(uow, {
            "contract_id": signed["id"], "name": "x",
            "handed_in_on": office_today() + timedelta(days=2), "recorded_by": "c"})


def test_lump_sum_takes_no_loan_and_no_mortgage_documents(stores):
    store = stores["transactions"]
    signed = signed_contract(store, method="lump_sum", mortgage_documents_due=None)
    full = [{"kind": "full_payment", "due_date": "2099-01-10", "amount": "1200000.00"}]
    with pytest.raises(InvalidInput) as refused:
        set_plan(store, signed["id"], full, {"bank": "x", "annual_rate": "0.04", "months": 12})
    assert "mortgage" in refused.value.details
    plan = set_plan(store, signed["id"], full)
    assert plan["items"][0]["paid"] == Decimal("20000.00") and plan["mortgage"] is None
    with store() as uow, pytest.raises(Conflict):
        plans.record_mortgage_document(uow, {"contract_id": signed["id"], "name": "x",
                                             "handed_in_on": office_today(), "recorded_by": "c"})
