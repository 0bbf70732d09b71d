"""Applications and their approval chains on PostgreSQL: refund, swap (a saga with inventory,
driven here by sending its answers), rename, discount, layout change; wrong roles, wrong
order and rejections change nothing."""
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts import transactions as schemas
from contracts.base import load
from contracts.envelope import parse_event
from contracts.errors import Conflict, Forbidden, InvalidInput
from infra.database import handle_once
from services.transactions import applications, sales
from services.transactions.models import Deposit, OrderForm
from tests.integration.test_transactions_sales import (confirmed_order, contract, new_project,
                                                       order, outbox, pay, sign_all, subscribe)
from tests.messaging import valid_event

pytestmark = pytest.mark.integration


def apply(store, order_id, kind, **fields):
    cmd = load(schemas.FileApplicationSchema(), {
        "order_form_id": order_id, "kind": kind, "reason": "客户原因", "applicant": "consultant-3",
        **fields})
    with store() as uow:
        return applications.file_application(uow, cmd)


def decide(store, application_id, role, decision="approve", comment="同意"):
    with store() as uow:
        return applications.decide(uow, {"application_id": application_id, "role": role,
                                          "decision": decision, "comment": comment,
                                          "approver": f"{role}-user"})


def approve_all(store, application):
    for role in application["chain"]:
        application = decide(store, application["id"], role, comment="检查合格")
    return application


def events_of(store, key, application_id):
    return [e for e in outbox(store, key) if e["data"]["application_id"] == application_id]


def test_refund_walks_its_chain_in_order_then_finance_pays_and_voids(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    pay(store, form["id"], "80000.00")
    with pytest.raises(InvalidInput) as too_much:
        apply(store, form["id"], "refund", penalty="5000.00", refund_amount="100000.01")
    assert "more than the 100000.00 paid" in str(too_much.value.details["refund_amount"])
    with pytest.raises(InvalidInput):
        apply(store, form["id"], "refund", penalty="100000.01")
    refund = apply(store, form["id"], "refund", penalty="5000.00")
    assert refund["details"]["refund_amount"] == "95000.00"
    assert refund["chain"] == ["consultant", "sales_statistician", "sales_manager",
                               "general_manager"]
    with pytest.raises(Conflict):  # one open refund per order form
        apply(store, form["id"], "refund", penalty="0.00")

    with pytest.raises(Forbidden) as wrong_role:
        decide(store, refund["id"], "legal")
    assert "consultant" in wrong_role.value.message
    decide(store, refund["id"], "consultant")
    with pytest.raises(Conflict) as early:
        decide(store, refund["id"], "sales_manager")
    assert "sales_statistician first" in early.value.message
    for role in ("sales_statistician", "sales_manager"):
        decide(store, refund["id"], role)
    assert events_of(store, "transactions.refund_approved", refund["id"]) == []
    approved = decide(store, refund["id"], "general_manager")
    assert approved["status"] == "approved" and approved["waiting_for"] is None
    assert [(s["seq"], s["role"]) for s in approved["steps"]] == list(enumerate(refund["chain"], 1))
    event = events_of(store, "transactions.refund_approved", refund["id"])[0]
    assert (event["data"]["amount_paid"], event["data"]["refund_amount"]) == ("100000.00",
                                                                              "95000.00")
    assert order(store, form["id"])["status"] == "active"  # until finance pays out

    with store() as uow, pytest.raises(Forbidden):
        applications.pay_refund(uow, {"application_id": refund["id"], "role": "sales_manager",
                                      "paid_by": "x", "bank_reference": "B1"})
    with store() as uow:
        paid = applications.pay_refund(uow, {"application_id": refund["id"], "role": "finance",
                                             "paid_by": "finance-li", "bank_reference": "B1"})
    assert paid["status"] == "completed"
    voided = order(store, form["id"])
    assert voided["status"] == "voided" and voided["void_approved_by"] == "general_manager-user"
    assert {r["status"] for r in voided["receipts"]} == {"voided"}
    assert len(events_of(store, "transactions.refund_paid", refund["id"])) == 1
    with pytest.raises(Conflict):
        pay(store, form["id"], "1.00")
    with store() as uow:
        assert uow.session.get(Deposit, form["deposit_id"]).status == "refunded"


def test_a_rejection_ends_the_application_and_changes_nothing(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    rename = apply(store, form["id"], "rename", new_buyer_name="李四",
                   new_buyer_id_number="410302199202021234")
    decide(store, rename["id"], "sales_manager")
    rejected = decide(store, rename["id"], "general_manager", "reject", "资料不全")
    assert rejected["status"] == "rejected" and rejected["steps"][-1]["comment"] == "资料不全"
    with pytest.raises(Conflict):
        decide(store, rename["id"], "finance")
    assert order(store, form["id"])["customer_name"] == "张三"
    assert events_of(store, "transactions.buyer_renamed", rename["id"]) == []

    again = approve_all(store, apply(store, form["id"], "rename", new_buyer_name="李四",
                                     new_buyer_id_number="410302199202021234"))
    assert again["chain"] == ["sales_manager", "general_manager", "finance"]
    assert again["status"] == "completed"
    assert order(store, form["id"])["customer_name"] == "李四"


def test_concurrent_approvals_of_one_step_record_one_decision(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    layout = apply(store, form["id"], "layout_change", requirements="打通两个次卧")

    def attempt(_):
        try:
            return decide(store, layout["id"], "finance")
        except Conflict:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = [r for r in pool.map(attempt, range(8)) if r]
    assert len(results) == 1
    with store() as uow:
        assert len(applications.get_application(uow.session, layout["id"])["steps"]) == 1
    for role in ("sales_manager", "engineering", "cost_review", "general_manager"):
        decide(store, layout["id"], role)
    with pytest.raises(InvalidInput) as no_record:
        decide(store, layout["id"], "engineering", comment=" ")
    assert "comment" in no_record.value.details
    done = decide(store, layout["id"], "engineering", comment="改造已完成,检查合格")
    assert done["status"] == "completed" and len(done["steps"]) == 6


def test_a_discount_walks_the_seeds_chain_at_any_depth_and_is_applied_at_subscription(stores):
    """特惠申请单: 销售部 → 总经理 → 财务部, above the floor price as well as below it."""
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    with pytest.raises(InvalidInput):
        apply(store, form["id"], "discount", discounted_total_price="1200000.00")
    small = apply(store, form["id"], "discount", discounted_total_price="1180000.00")
    assert (small["chain"], small["chain_source"]) == (
        ["sales_manager", "general_manager", "finance"], "default")
    assert small["details"]["discounted_unit_price"] == "13184.36"  # 1180000 / 89.50
    assert decide(store, small["id"], "sales_manager")["waiting_for"] == "general_manager"
    with pytest.raises(Conflict):  # the general manager is not skipped above the floor
        decide(store, small["id"], "finance")
    decide(store, small["id"], "general_manager", "reject", "幅度太大")
    deep = apply(store, form["id"], "discount", discounted_total_price="1100000.00")
    assert deep["chain"] == ["sales_manager", "general_manager", "finance"]
    with pytest.raises(Conflict):
        decide(store, deep["id"], "finance")
    approve_all(store, deep)
    sign_all(store, form["id"])
    signed = subscribe(store, form["id"])
    assert (signed["list_total_price"], signed["discount"], signed["total_price"]) == (
        Decimal("1200000.00"), Decimal("100000.00"), Decimal("1100000.00"))
    with pytest.raises(Conflict):  # after the subscription, no more discounts
        apply(store, form["id"], "discount", discounted_total_price="1000000.00")


def set_chains(store, project_id, chains, role="general_manager"):
    cmd = load(schemas.SetApprovalChainsSchema(), {"project_id": project_id, "chains": chains,
                                                   "set_by": f"{role}-user", "role": role})
    with store() as uow:
        return applications.set_approval_chains(uow, cmd)


def test_a_project_shortens_its_chains_and_each_application_keeps_the_chain_it_ran_under(stores):
    store = stores["transactions"]
    project = new_project()
    form = confirmed_order(store, project)
    before = apply(store, form["id"], "discount", discounted_total_price="1190000.00")
    with pytest.raises(Forbidden):  # the general manager's (or an admin's) setting
        set_chains(store, project, {"discount": ["sales_manager", "finance"]}, "sales_manager")
    with pytest.raises(InvalidInput) as added:  # shorter only: no new signer, no new order
        set_chains(store, project, {"discount": ["finance", "sales_manager"],
                                    "swap": ["legal"]})
    assert set(added.value.details) == {"chains.discount", "chains.swap"}
    chains = set_chains(store, project, {"discount": ["sales_manager", "finance"],
                                         "swap": ["sales_manager"]})["chains"]
    assert chains["discount"]["chain"] == ["sales_manager", "finance"]
    assert (chains["discount"]["source"], chains["discount"]["set_by"]) == (
        "project", "general_manager-user")
    assert (chains["rename"]["chain"], chains["rename"]["source"]) == (
        ["sales_manager", "general_manager", "finance"], "default")

    decide(store, before["id"], "sales_manager")  # filed before: keeps the seed's chain
    assert decide(store, before["id"], "general_manager")["waiting_for"] == "finance"
    decide(store, before["id"], "finance", "reject", "重新申请")
    short = apply(store, form["id"], "discount", discounted_total_price="1190000.00")
    assert (short["chain"], short["chain_source"]) == (["sales_manager", "finance"], "project")
    decide(store, short["id"], "sales_manager")
    assert decide(store, short["id"], "finance")["status"] == "completed"
    swap = apply(store, form["id"], "swap", to_unit_id=301)
    assert decide(store, swap["id"], "sales_manager")["status"] == "approved"

    other = confirmed_order(store, new_project())  # another project: the seed's chains
    assert apply(store, other["id"], "swap", to_unit_id=302)["chain"] == [
        "sales_manager", "general_manager", "finance"]
    restored = set_chains(store, project, {"swap": None})["chains"]["swap"]
    assert (restored["chain"], restored["source"]) == (
        ["sales_manager", "general_manager", "finance"], "default")


def swapped(application, deposit_id, to_unit, total="1250000.00"):
    return parse_event(valid_event("inventory.reservation_swapped", {
        "application_id": application["id"], "deposit_id": deposit_id,
        "from_unit_id": application["details"]["from_unit_id"], "to_unit_id": to_unit,
        "price_list_version": 3, "unit_price": "13000.00", "total_price": total,
        "floor_total_price": None}))


def test_a_swap_moves_the_order_and_receipts_when_inventory_confirms(stores):
    store = stores["transactions"]
    project = new_project()
    form = confirmed_order(store, project)
    pay(store, form["id"], "30000.00")
    swap = apply(store, form["id"], "swap", to_unit_id=99, to_building_area="96.15")
    # 调房申请单: 销售部 → 总经理 → 财务部, the seed's form
    assert (swap["chain"], swap["chain_source"]) == (
        ["sales_manager", "general_manager", "finance"], "default")
    with pytest.raises(Forbidden):
        decide(store, swap["id"], "consultant")
    assert decide(store, swap["id"], "sales_manager")["status"] == "pending"
    with pytest.raises(Conflict):  # the general manager comes before finance
        decide(store, swap["id"], "finance")
    assert decide(store, swap["id"], "general_manager")["status"] == "pending"
    assert events_of(store, "transactions.swap_approved", swap["id"]) == []
    approved = decide(store, swap["id"], "finance")
    assert approved["status"] == "approved"
    assert events_of(store, "transactions.swap_approved", swap["id"])[0]["data"]["to_unit_id"] == 99
    assert order(store, form["id"])["status"] == "active"  # nothing moves before inventory

    event = swapped(swap, form["deposit_id"], 99)
    handle_once(store, event, applications.on_reservation_swapped)
    handle_once(store, event, applications.on_reservation_swapped)  # redelivered
    old = order(store, form["id"])
    assert old["status"] == "replaced" and old["amount_paid"] == Decimal("0.00")
    assert [r["status"] for r in old["receipts"]] == ["exchanged", "exchanged"]
    with store() as uow:
        new = sales.get_deposit_order_form(uow.session, form["deposit_id"])
        done = applications.get_application(uow.session, swap["id"])
    assert (new["unit_id"], new["total_price"], new["amount_paid"]) == (
        99, Decimal("1250000.00"), Decimal("50000.00"))
    assert [(r["number"], r["kind"]) for r in new["receipts"]] == [(3, "deposit"), (4, "purchase")]
    assert done["status"] == "completed" and f"order form {new['id']}" in done["outcome"]
    assert len(events_of(store, "transactions.unit_swapped", swap["id"])) == 1


def test_a_swap_records_both_units_and_is_refused_onto_a_unit_cheaper_than_what_was_paid(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    pay(store, form["id"], "80000.00")  # 100,000.00 paid with the deposit
    with pytest.raises(InvalidInput) as cheaper:
        apply(store, form["id"], "swap", to_unit_id=88, to_total_price="99999.99")
    assert "below the 100000.00 paid" in str(cheaper.value.details["to_unit_id"])
    with pytest.raises(InvalidInput) as elsewhere:
        apply(store, form["id"], "swap", to_unit_id=88, to_project_id=form["project_id"] + 1)
    assert "another project" in str(elsewhere.value.details["to_unit_id"])
    swap = apply(store, form["id"], "swap", to_unit_id=88, to_total_price="1300000.00",
                 to_project_id=form["project_id"],
                 to_unit_price="14525.14", to_building_area="89.50", to_layout="3/2")
    assert {key: swap["details"][key] for key in (
        "original_total_price", "original_unit_price", "to_total_price", "to_unit_price",
        "to_layout")} == {"original_total_price": "1200000.00", "original_unit_price": "13407.82",
                          "to_total_price": "1300000.00", "to_unit_price": "14525.14",
                          "to_layout": "3/2"}


def test_a_swap_refused_by_inventory_fails_and_one_after_the_contract_is_refused(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=77))
    handle_once(store, parse_event(valid_event("inventory.swap_rejected", {
        "application_id": swap["id"], "deposit_id": form["deposit_id"],
        "reason": "unit 77 is reserved", "unit_status": "reserved"})),
        applications.on_swap_rejected)
    with store() as uow:
        failed = applications.get_application(uow.session, swap["id"])
    assert failed["status"] == "failed" and "reserved" in failed["outcome"]
    assert order(store, form["id"])["status"] == "active"

    pending = apply(store, form["id"], "swap", to_unit_id=78)
    sign_all(store, form["id"])
    contract(store, subscribe(store, form["id"])["id"])
    for role in pending["chain"][:-1]:
        decide(store, pending["id"], role)
    with pytest.raises(Conflict) as late:
        decide(store, pending["id"], pending["chain"][-1])
    assert "contract" in late.value.message
    with store() as uow:
        assert len(applications.get_application(uow.session, pending["id"])["steps"]) == 2
    decide(store, pending["id"], pending["chain"][-1], "reject", "已签约")
    with pytest.raises(Conflict) as refused:
        apply(store, form["id"], "swap", to_unit_id=79)
    assert "contract" in str(refused.value.details)


def test_concurrent_copies_of_inventorys_swap_answer_make_one_new_order_form(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=55))
    copies = [swapped(swap, form["deposit_id"], 55) for _ in range(6)]  # distinct event ids
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda event: handle_once(store, event,
                                                applications.on_reservation_swapped), copies))
    with store() as uow:
        statuses = uow.session.scalars(select(OrderForm.status).where(
            OrderForm.deposit_id == form["deposit_id"])).all()
    assert sorted(statuses) == ["active", "replaced"]
    assert len(events_of(store, "transactions.unit_swapped", swap["id"])) == 1
    assert [r["status"] for r in order(store, form["id"])["receipts"]] == ["exchanged"]


def test_no_contract_while_a_swap_is_under_way_and_no_payment_while_a_refund_is(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    subscription = subscribe(store, form["id"])
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=66))
    with pytest.raises(Conflict) as under_way:
        contract(store, subscription["id"])
    assert "swap" in under_way.value.message
    handle_once(store, parse_event(valid_event("inventory.swap_rejected", {
        "application_id": swap["id"], "deposit_id": form["deposit_id"], "reason": "taken",
        "unit_status": "sold"})), applications.on_swap_rejected)
    assert contract(store, subscription["id"])["status"] == "signed"

    refund = approve_all(store, apply(store, form["id"], "refund", penalty="0.00"))
    assert refund["status"] == "approved"
    with pytest.raises(Conflict) as paying_out:
        pay(store, form["id"], "1000.00")
    assert "refund" in paying_out.value.message


def test_no_subscription_while_a_swap_waits_for_inventory(stores):
    """Signed now, it would be voided by the swap while inventory, hearing of it after the
    move, would show the new unit subscribed: the two services would disagree."""
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    sign_all(store, form["id"])
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=69))
    with pytest.raises(Conflict) as under_way:
        subscribe(store, form["id"])
    assert f"swap {swap['id']}" in under_way.value.message
    handle_once(store, parse_event(valid_event("inventory.swap_rejected", {
        "application_id": swap["id"], "deposit_id": form["deposit_id"], "reason": "taken",
        "unit_status": "reserved"})), applications.on_swap_rejected)
    assert subscribe(store, form["id"])["status"] == "signed"


def test_a_swap_and_a_refund_are_never_under_way_at_once(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    swap = approve_all(store, apply(store, form["id"], "swap", to_unit_id=67))
    refund = apply(store, form["id"], "refund", penalty="0.00")
    for role in refund["chain"][:-1]:
        decide(store, refund["id"], role)
    with pytest.raises(Conflict) as refused:
        decide(store, refund["id"], refund["chain"][-1])
    assert f"swap application {swap['id']}" in str(refused.value.details["application_id"])
    with store() as uow:  # the last step is not recorded; it waits for the swap's answer
        assert applications.get_application(uow.session, refund["id"])["status"] == "pending"
    assert events_of(store, "transactions.refund_approved", refund["id"]) == []
    handle_once(store, parse_event(valid_event("inventory.swap_rejected", {
        "application_id": swap["id"], "deposit_id": form["deposit_id"], "reason": "taken",
        "unit_status": "reserved"})), applications.on_swap_rejected)
    approved = decide(store, refund["id"], refund["chain"][-1])
    assert approved["status"] == "approved"
    second = apply(store, form["id"], "swap", to_unit_id=68)
    for role in second["chain"][:-1]:
        decide(store, second["id"], role)
    with pytest.raises(Conflict) as no_swap:
        decide(store, second["id"], second["chain"][-1])
    assert "refund" in no_swap.value.message
