"""Transactions' money rules, pure: repayments to the fen with ROUND_HALF_UP, deposits,
payments, buyer identity and payment plans."""
from datetime import date
from decimal import Decimal as D

import pytest

from contracts.base import load
from contracts.errors import InvalidInput
from contracts.transactions import RepaymentQuery
from services.transactions import domain, repayment


def test_equal_installments_known_values():
    # 100万, 30 years at 4.9 %: 5307.27 a month (the figure every bank calculator gives)
    assert repayment.equal_installment_payment(D("1000000.00"), D("0.049"), 360) == D("5307.27")
    # 公积金 50万, 20 years at 3.25 %: 2835.98
    assert repayment.equal_installment_payment(D("500000.00"), D("0.0325"), 240) == D("2835.98")
    assert repayment.equal_installment_payment(D("120000.00"), D("0"), 12) == D("10000.00")


def test_equal_installments_schedule_repays_the_loan_to_the_fen():
    rows = repayment.schedule(D("1000000.00"), D("0.049"), 360, "equal_installments")
    assert {row.payment for row in rows[:-1]} == {D("5307.27")}
    assert rows[0].interest == D("4083.33") and rows[0].principal == D("1223.94")
    assert sum(row.principal for row in rows) == D("1000000.00")
    assert rows[-1].remaining == D("0.00")
    assert all(row.payment == row.payment.quantize(D("0.01")) for row in rows)


def test_equal_principal_known_values():
    summary = repayment.summary(D("1000000.00"), D("0.049"), 360, "equal_principal")
    assert summary["first_payment"] == D("6861.11")  # 2777.78 + 4083.33
    assert summary["monthly_decrease"] == D("11.34")
    # the closed form P·r·(n+1)/2 = 737041.67; monthly rounding to the fen moves it by cents
    assert abs(summary["total_interest"] - D("737041.67")) < D("1.00")
    rows = repayment.schedule(D("1000000.00"), D("0.049"), 360, "equal_principal")
    assert sum(row.principal for row in rows) == D("1000000.00")


def test_rounding_is_half_up_to_the_fen():
    assert repayment.fen(D("0.005")) == D("0.01")
    assert repayment.fen(D("2.675")) == D("2.68")  # a float would give 2.67
    assert repayment.fen(D("-0.005")) == D("-0.01")


def test_no_float_enters_the_arithmetic():
    with pytest.raises(TypeError):
        repayment.equal_installment_payment(1000000.0, D("0.049"), 360)
    with pytest.raises(InvalidInput) as refused:
        load(RepaymentQuery(), {"principal": "1000.00", "annual_rate": 0.049, "months": 12})
    assert "annual_rate" in refused.value.details
    with pytest.raises(ValueError):
        repayment.schedule(D("0"), D("0.049"), 12, "equal_principal")


def test_deposit_and_payment_limits():
    assert domain.check_deposit_amount(D("0"), None) == {"amount": ["must be greater than 0"]}
    assert "more than the total" in domain.check_deposit_amount(D("11"), D("10"))["amount"][0]
    assert domain.check_deposit_amount(D("10"), D("10")) == {}
    assert domain.check_payment(D("5.01"), D("10"), D("5")) != {}
    assert domain.check_payment(D("5.00"), D("10"), D("5")) == {}
    assert domain.check_payment(D("-1"), None, D("0")) == {"amount": ["must be greater than 0"]}


def test_the_deal_reports_birth_date_comes_from_the_id_number():
    assert domain.birth_date("41030219900101123x") == date(1990, 1, 1)
    assert domain.birth_date("410302 19851231 123X") == date(1985, 12, 31)
    assert domain.birth_date("410302851231123") == date(1985, 12, 31)  # the old 15 digits
    assert domain.birth_date("41030219901301123X") is None  # month 13
    assert domain.birth_date(None) is None and domain.birth_date("passport-E123") is None


def test_buyer_identity_and_proxy():
    assert domain.check_buyer("41030219900101123x", "410302 19900101123X", "张三", "张三",
                              None) == {}
    assert "buyer_id_number" in domain.check_buyer("41030219900101123X", "410302199001011234",
                                                   "张三", "张三", None)
    assert "buyer_id_number" in domain.check_buyer(None, "410302199001011234", "张三", "张三",
                                                   None)
    assert "power_of_attorney" in domain.check_buyer("1" * 18, "1" * 18, "李四", "张三", None)
    assert domain.check_buyer("1" * 18, "1" * 18, "李四", "张三", "委托书 7") == {}


def item(kind, amount, day):
    return {"kind": kind, "amount": D(amount), "due_date": date(2026, 12, day)}


@pytest.mark.parametrize("method, items, ok", [
    ("lump_sum", [item("full_payment", "100.00", 1)], True),
    ("lump_sum", [item("installment", "100.00", 1)], False),
    ("lump_sum", [item("full_payment", "99.99", 1)], False),
    ("mortgage", [item("down_payment", "30.00", 1), item("loan", "70.00", 20)], True),
    ("mortgage", [item("loan", "70.00", 1), item("down_payment", "30.00", 20)], False),
    ("provident_fund", [item("down_payment", "100.00", 1)], False),
    ("installments", [item("installment", "50.00", 1), item("installment", "50.00", 20)], True),
    ("installments", [item("installment", "50.00", 20), item("installment", "50.00", 1)], False),
    ("installments", [item("installment", "100.00", 1)], False),
])
def test_payment_plans_fit_their_method_and_add_up(method, items, ok):
    assert (domain.check_plan(method, D("100.00"), items) == {}) is ok


def test_what_is_paid_covers_the_first_items_first():
    items = [item("down_payment", "30.00", 1), item("installment", "30.00", 2),
             item("installment", "40.00", 3)]
    assert domain.allocate(D("45.00"), items) == [D("30.00"), D("15.00"), D("0")]


def test_the_approval_chain_is_walked_in_order_by_the_right_roles():
    from services.transactions import approvals
    chain, _ = approvals.chain_for("refund")
    assert approvals.check_decision("pending", chain, 0, "consultant") is None
    wrong = approvals.check_decision("pending", chain, 0, "legal")
    assert (wrong.status, "consultant" in wrong.reason) == (403, True)
    early = approvals.check_decision("pending", chain, 1, "sales_manager")
    assert (early.status, "sales_statistician" in early.reason) == (409, True)
    again = approvals.check_decision("pending", chain, 2, "consultant")
    assert again.status == 409
    assert approvals.check_decision("rejected", chain, 1, "sales_statistician").status == 409
    assert approvals.status_after(chain, 0, True) == "pending"
    assert approvals.status_after(chain, 3, True) == "approved"
    assert approvals.status_after(chain, 0, False) == "rejected"


def test_the_seed_forms_chains_are_the_default_and_a_project_only_shortens_them():
    """特惠, 调房 and 更名申请单 are signed 销售部 → 总经理 → 财务部, whatever the discount."""
    from services.transactions import approvals
    seed = ("sales_manager", "general_manager", "finance")
    for kind in ("discount", "swap", "rename"):
        assert approvals.chain_for(kind) == (seed, "default")
        assert approvals.chain_for(kind, {"refund": ["sales_manager"]}) == (seed, "default")
    assert approvals.chain_for("discount", {"discount": ["sales_manager", "finance"]}) == (
        ("sales_manager", "finance"), "project")
    assert approvals.chain_refusal("discount", ["sales_manager", "finance"]) is None
    assert approvals.chain_refusal("swap", ["general_manager"]) is None
    assert "reordered" in approvals.chain_refusal("swap", ["finance", "sales_manager"])
    assert "reordered" in approvals.chain_refusal("rename", ["sales_manager", "legal"])
    assert "reordered" in approvals.chain_refusal(
        "discount", ["sales_manager", "sales_manager", "general_manager", "finance"])
    assert approvals.chain_refusal("discount", []) is not None
    # the layout change's inspection step repeats a role: both may stay
    assert approvals.chain_refusal("layout_change", ["finance", "engineering", "engineering"]) \
        is None