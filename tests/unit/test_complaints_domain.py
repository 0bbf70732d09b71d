"""Complaint and repair rules of 第4篇 and seed 001, without a database."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from contracts.errors import Conflict, Forbidden, InvalidInput
from infra.working_calendar import WorkingCalendar
from services.complaints import clocks, domain
from services.complaints.clocks import Change


@pytest.mark.parametrize("step, status, role, expected", [
    ("accept", "filed", "customer_service", "accepted"),
    ("reject", "filed", "customer_service", "rejected"),
    ("route", "accepted", "administration", "routed"),
    ("report", "routed", "engineering", "investigated"),
    ("review", "investigated", "general_manager", "reviewed"),
    ("resolve", "reviewed", "engineering", "resolved"),
    ("reply", "resolved", "customer_service", "replied"),
    ("close", "replied", "customer_service", "closed"),
    ("visit", "closed", "customer_service", "visited"),
    ("reopen", "visited", "customer_service", "reopened"),
    ("report", "reopened", "engineering", "investigated"),
    ("record_accountability", "closed", "administration", "closed"),
])
def test_each_step_in_order_by_its_role(step, status, role, expected):
    assert domain.check_step(step, status, role, "engineering") == expected


@pytest.mark.parametrize("step, status, role, error", [
    ("reply", "routed", "customer_service", Conflict),      # reply before investigation
    ("close", "resolved", "customer_service", Conflict),    # closure before the reply
    ("route", "accepted", "customer_service", Forbidden),   # customer service does not route
    ("report", "routed", "finance", Forbidden),             # not the department routed to
    ("review", "investigated", "engineering", Forbidden),   # only the general manager reviews
    ("reopen", "routed", "customer_service", Conflict),     # nothing to reopen
    ("accept", "rejected", "customer_service", Conflict),
])
def test_out_of_order_or_wrong_role_is_refused(step, status, role, error):
    with pytest.raises(error):
        domain.check_step(step, status, role, "engineering")


def test_the_valid_scope_and_the_sanctions():
    domain.check_category("quality_defect")
    with pytest.raises(InvalidInput) as outside:
        domain.check_category("rude_neighbour")
    assert "category" in outside.value.details
    assert domain.bonus_share("warning") == Decimal("100")
    assert domain.bonus_share("minor_demerit") == Decimal("30")
    assert domain.bonus_share("major_demerit") == Decimal("100")


def test_repair_clocks_and_the_deposit_charge():
    assert domain.on_site_clock("normal", Decimal("1000.00")) == "repair_on_site_small"
    assert domain.on_site_clock("normal", Decimal("1000.01")) == "repair_on_site_large"
    assert domain.on_site_clock("emergency", Decimal("5.00")) == "repair_emergency"
    assert domain.deposit_charge(Decimal("650.55"), True) == Decimal("1301.10")
    assert domain.deposit_charge(Decimal("650.55"), False) == Decimal("650.55")
    with pytest.raises(Conflict):
        domain.check_repair_step("complete", "ordered")


def test_the_next_check_is_the_next_level_of_the_running_clock():
    policy = clocks.COMPLAINT_CLOCKS["first_response"]
    start = datetime(2026, 11, 2, 1, tzinfo=timezone.utc)
    state = clocks.compute(policy, [Change(start, "filed")], start + timedelta(hours=13),
                           WorkingCalendar())
    assert clocks.next_level_at(state.current, policy, start + timedelta(hours=13),
                                WorkingCalendar()) == start + timedelta(hours=18)
    paused = clocks.compute(clocks.COMPLAINT_CLOCKS["closure"],
                            [Change(start, "filed"), Change(start, "waiting_customer")],
                            start + timedelta(hours=1), WorkingCalendar())
    assert clocks.next_level_at(paused.current, clocks.COMPLAINT_CLOCKS["closure"],
                                start, WorkingCalendar()) is None


def test_the_steps_offered_are_those_check_step_lets_through():
    from services.complaints.domain import STEPS, available_steps, check_step
    assert available_steps("filed", "customer_service", None) == ["accept", "reject"]
    assert available_steps("accepted", "administration", None) == ["route"]
    assert available_steps("routed", "engineering", "engineering") == ["await_customer",
                                                                        "report"]
    assert available_steps("routed", "finance", "engineering") == []
    assert available_steps("closed", "customer_service", "engineering") == ["visit", "reopen"]
    for status in ("filed", "accepted", "routed", "investigated", "reviewed", "closed"):
        for role in ("customer_service", "administration", "engineering", "general_manager",
                     "admin"):
            for name in STEPS:
                offered = name in available_steps(status, role, "engineering")
                try:
                    check_step(name, status, role, "engineering", resumes_to="routed")
                    allowed = True
                except Exception:
                    allowed = False
                assert offered == allowed, (status, role, name)
