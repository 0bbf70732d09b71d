from datetime import datetime, timezone
from decimal import Decimal

import pytest

from services.complaints.domain import closure_due
from services.inventory import domain as inventory
from services.transactions import domain as transactions


def test_a_deposit_reserves_an_available_unit():
    assert inventory.decide_reservation("available", None, 7).accepted


def test_a_deposit_reserves_a_unit_held_for_the_same_customer_only():
    assert inventory.decide_reservation("held", 7, 7).accepted
    refused = inventory.decide_reservation("held", 8, 7)
    assert not refused.accepted and "another customer" in refused.reason


@pytest.mark.parametrize("status", ["reserved", "subscribed", "contracted", "filed"])
def test_a_deposit_on_a_taken_unit_is_refused(status):
    decision = inventory.decide_reservation(status, 1, 7)
    assert not decision.accepted and status in decision.reason


def test_unknown_units_are_refused():
    assert not inventory.decide_reservation(None, None, 7).accepted


def test_holds_last_the_projects_days_and_need_aware_times():
    start = datetime(2026, 11, 22, 2, tzinfo=timezone.utc)
    assert inventory.hold_expires_at(start, 3) == datetime(2026, 11, 25, 2, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        inventory.hold_expires_at(datetime(2026, 11, 22), 3)


def test_only_a_pending_deposit_is_settled():
    assert transactions.settle("pending", "reserved") == "confirmed"
    assert transactions.settle("pending", "rejected") == "refund_pending"
    assert transactions.settle("confirmed", "rejected") is None
    assert transactions.settle("refund_pending", "reserved") is None


def test_money_is_kept_to_the_fen_and_never_rounded_silently():
    assert transactions.to_fen(Decimal("20000")) == Decimal("20000.00")
    assert str(transactions.to_fen(Decimal("0.1"))) == "0.10"
    with pytest.raises(ValueError):
        transactions.to_fen(Decimal("0.001"))


def test_complaints_close_within_seven_days():
    filed = datetime(2026, 11, 22, 2, tzinfo=timezone.utc)
    assert closure_due(filed) == datetime(2026, 11, 29, 2, tzinfo=timezone.utc)


def test_a_hold_waits_for_approval_unless_the_project_approves_by_itself():
    from services.inventory.domain import opening_hold_status
    assert opening_hold_status(auto_approved=False) == "pending"
    assert opening_hold_status(auto_approved=True) == "active"


def test_waiting_consultants_come_before_a_renewal():
    from services.inventory.domain import may_extend
    assert may_extend(waiting_consultants=0)
    assert not may_extend(waiting_consultants=1)


def test_an_offer_lasts_the_projects_claim_window():
    from datetime import datetime, timezone

    import pytest

    from services.inventory.domain import offer_expires_at
    start = datetime(2026, 11, 22, 2, tzinfo=timezone.utc)
    assert offer_expires_at(start, 2) == datetime(2026, 11, 22, 4, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        offer_expires_at(datetime(2026, 11, 22, 2), 2)


def test_a_sale_stage_follows_any_earlier_stage_and_never_a_later_one():
    from services.inventory.domain import stages_before
    assert stages_before("subscribed") == ("reserved",)
    assert stages_before("filed") == ("reserved", "subscribed", "contracted")
    assert "contracted" not in stages_before("subscribed")


@pytest.mark.parametrize("status, holder, refusal", [
    ("available", None, None),
    ("held", 7, None),
    ("offered", 7, None),
    ("held", 8, "the unit is held for another customer"),
    ("reserved", 8, "the unit is already reserved"),
    (None, None, "unknown unit"),
])
def test_a_swap_goes_only_to_a_free_unit_or_one_kept_for_the_same_customer(status, holder,
                                                                           refusal):
    from services.inventory.domain import swap_refusal
    assert swap_refusal(status, holder, 7) == refusal


def test_the_unit_price_and_the_total_price_follow_from_each_other_by_the_area():
    from services.inventory.domain import complete_price
    assert complete_price(Decimal("89.50"), Decimal("12345.67"), None) == (
        Decimal("12345.67"), Decimal("1104937.47"))  # 1104937.4665 → half up
    assert complete_price(Decimal("3.00"), None, Decimal("100.00")) == (
        Decimal("33.33"), Decimal("100.00"))
    assert complete_price(Decimal("90"), None, None) == (None, None)


def test_prices_below_zero_and_a_floor_above_the_list_price_are_refused():
    from services.inventory.domain import price_problems
    assert price_problems(Decimal("1"), Decimal("100"), Decimal("90")) == {}
    assert price_problems(Decimal("-1"), Decimal("100"), Decimal("-5")) == {
        "unit_price": ["must be greater than 0"], "floor_total_price": ["must not be negative"]}
    assert price_problems(Decimal("1"), Decimal("100"), Decimal("101")) == {
        "floor_total_price": ["above the total price"]}


def test_a_quarter_has_thirteen_weeks_from_its_first_day_in_office_time():
    from services.inventory.domain import OFFICE_TIME, quarter_weeks
    weeks = quarter_weeks(2026, 4)
    assert len(weeks) == 14  # 92 days: thirteen full weeks and one day
    assert weeks[0][0] == datetime(2026, 10, 1, tzinfo=OFFICE_TIME)
    assert weeks[0][0].astimezone(timezone.utc) == datetime(2026, 9, 30, 16, tzinfo=timezone.utc)
    assert weeks[-1] == (datetime(2026, 12, 31, tzinfo=OFFICE_TIME),
                         datetime(2027, 1, 1, tzinfo=OFFICE_TIME))
    assert len(quarter_weeks(2026, 1)) == 13  # 90 days


def test_completion_is_actual_over_plan_and_none_without_a_plan():
    from services.inventory.domain import completion_ratio
    assert completion_ratio(Decimal("2500000"), Decimal("3000000")) == Decimal("0.8333")
    assert completion_ratio(3, 2) == Decimal("1.5000")
    assert completion_ratio(1, 0) is None


def test_what_is_overdue_is_what_the_buyer_owes_past_its_date():
    from decimal import Decimal as D
    from services.transactions.domain import overdue_owed
    items = [{"kind": "down_payment", "outstanding": D("100.00"), "overdue": True},
             {"kind": "installment", "outstanding": D("50.00"), "overdue": False},
             {"kind": "loan", "outstanding": D("900.00"), "overdue": True},  # the bank's
             {"kind": "full_payment", "outstanding": D("0.00"), "overdue": False}]
    assert overdue_owed(items) == D("100.00")
    assert overdue_owed([]) == D("0.00")
