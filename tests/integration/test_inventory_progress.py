"""The quarterly progress table on PostgreSQL: the plan a manager sets, the sales counted
from the events (a subscription counts, a refund takes it back), weekly and cumulated."""
import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from contracts.base import load
from contracts.envelope import build_event, parse_event
from contracts.errors import InvalidInput
from contracts.inventory import CreateProjectSchema, SetWeeklyPlanSchema
from infra.database import handle_once, utcnow
from services.inventory import board, handlers, progress, sales
from services.inventory.domain import OFFICE_TIME

pytestmark = pytest.mark.integration
_codes = itertools.count(1)
_deposits = itertools.count(90_000)
WEEK_1 = datetime(2026, 10, 2, 10, tzinfo=OFFICE_TIME)  # a Friday in week 1 of 2026 Q4
WEEK_3 = WEEK_1 + timedelta(days=14)


def new_units(store):
    cmd = load(CreateProjectSchema(), {
        "code": f"progress-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Progress",
        "buildings": [{"name": "2", "units": [
            {"number": f"10{i}", "floor": 1, "building_area": "100.00",
             "list_price": "1000000.00"} for i in range(1, 4)]}]})
    with store() as uow:
        project_id = handlers.create_project(uow, cmd)["id"]
        return project_id, [c["id"] for c in board.cells(board.board(uow.session, project_id))]


def apply(store, name, data, handler, at, unit_id=None):
    event = parse_event(build_event("transactions", name, data, unit_id=unit_id, customer_id=7,
                                    occurred_at=at))
    handle_once(store, event, handler)


def sell(store, unit_id, at, price="1000000.00"):
    deposit_id = next(_deposits)
    apply(store, "deposit_received", {"deposit_id": deposit_id, "amount": "20000.00",
                                      "kind": "small", "consultant_id": 3},
          handlers.reserve_for_deposit, at, unit_id)
    apply(store, "subscription_signed", {"subscription_id": deposit_id, "deposit_id": deposit_id,
                                         "consultant_id": 3, "total_price": price,
                                         "price_list_version": 1}, sales.advance_sale, at)
    return deposit_id


def test_plan_and_actual_per_week_cumulated_with_the_completion(stores):
    store = stores["inventory"]
    project_id, (first, second, third) = new_units(store)
    cmd = load(SetWeeklyPlanSchema(), {
        "project_id": project_id, "year": 2026, "quarter": 4, "set_by": "manager-wang",
        "weeks": [{"week": 1, "units": 2, "amount": "2000000.00"},
                  {"week": 3, "units": 2, "amount": "2000000.00"}]})
    with store() as uow:
        progress.set_plan(uow, cmd)
    sold = sell(store, first, WEEK_1, "980000.00")
    sell(store, second, WEEK_1)
    apply(store, "contract_signed", {"contract_id": 1, "subscription_id": sold,
                                     "deposit_id": sold, "total_price": "980000.00",
                                     "payment_method": "mortgage"}, sales.advance_sale,
          WEEK_1 + timedelta(days=1))  # a contract after the subscription is no second sale
    apply(store, "refund_approved", {"application_id": 1, "deposit_id": sold,
                                     "amount_paid": "20000.00", "penalty": "0.00",
                                     "refund_amount": "20000.00"}, sales.release_unit, WEEK_3)
    sell(store, third, WEEK_3, "1200000.00")
    with store() as uow:
        table = progress.quarterly_progress(uow.session, project_id, 2026, 4)
    week1, week2, week3 = table["weeks"][:3]
    assert (week1["starts_on"].isoformat(), week1["ends_on"].isoformat()) == (
        "2026-10-01", "2026-10-07")
    assert (week1["plan_units"], week1["actual_units"], week1["actual_amount"],
            week1["units_completion_ratio"], week1["amount_completion_ratio"]) == (
        2, 2, Decimal("1980000.00"), Decimal("1.0000"), Decimal("0.9900"))
    assert sorted(week1["units_sold"]) == ["2-101", "2-102"]
    assert (week2["actual_units"], week2["actual_cumulative_units"],
            week2["plan_cumulative_units"]) == (0, 2, 2)
    assert (week3["actual_units"], week3["actual_amount"], week3["actual_cumulative_units"],
            week3["actual_cumulative_amount"], week3["plan_cumulative_amount"],
            week3["amount_completion_ratio"]) == (
        0, Decimal("220000.00"), 2, Decimal("2200000.00"), Decimal("4000000.00"),
        Decimal("0.5500"))  # one refunded (−980,000), one sold (+1,200,000)
    assert week3["units_sold"] == ["2-103"]


def test_a_plan_for_a_week_the_quarter_does_not_have_is_refused(stores):
    store = stores["inventory"]
    project_id, _ = new_units(store)
    cmd = load(SetWeeklyPlanSchema(), {"project_id": project_id, "year": 2026, "quarter": 1,
                                       "set_by": "m", "weeks": [{"week": 14, "units": 1,
                                                                 "amount": "1.00"}]})
    with store() as uow, pytest.raises(InvalidInput) as refused:
        progress.set_plan(uow, cmd)
    assert refused.value.details == {"weeks": ["no week 14"]}
