"""Price lists as versions on PostgreSQL: a version applies from its time, the old stay
readable, a unit's price at a past moment, the price a reservation pins, bad prices refused."""
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.base import load
from contracts.envelope import build_event, parse_event
from contracts.errors import InvalidInput
from contracts.inventory import CreatePriceListSchema
from infra.database import handle_once, utcnow
from services.inventory import board, handlers, prices, sales
from services.inventory.models import PriceList

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def new_project(store):
    with store() as uow:
        project = handlers.create_project(uow, {
            "code": f"prices-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Prices",
            "hold_days": 3, "holds_auto_approved": True, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": "101", "floor": 1, "building_area": "100.00",
                 "list_price": "1000000.00", "list_unit_price": None,
                 "floor_total_price": "950000.00", "layout": "3/2"},
                {"number": "102", "floor": 1, "building_area": "80.00", "list_price": None,
                 "list_unit_price": None, "floor_total_price": None, "layout": None}]}]})
    with store() as uow:
        units = board.cells(board.board(uow.session, project["id"]))
    return project["id"], [unit["id"] for unit in units]


def price_list(store, project_id, items, effective_from=None, now=None):
    cmd = load(CreatePriceListSchema(), {
        "project_id": project_id, "created_by": "manager-wang", "prices": items,
        "effective_from": effective_from.isoformat() if effective_from else None})
    with store() as uow:
        return prices.create_price_list(uow, cmd, now=now)


def unit(store, unit_id):
    with store() as uow:
        return handlers.unit_view(uow.session, unit_id)


def test_the_prices_given_with_the_units_are_version_one(stores):
    store = stores["inventory"]
    project_id, (priced, unpriced) = new_project(store)
    view = unit(store, priced)
    assert (view["price_list_version"], view["list_price"], view["list_unit_price"],
            view["floor_total_price"]) == (1, Decimal("1000000.00"), Decimal("10000.00"),
                                           Decimal("950000.00"))
    assert unit(store, unpriced)["list_price"] is None
    with store() as uow:
        assert prices.price_at(uow.session, priced)["price_list_version"] == 1


def test_a_new_version_applies_from_its_time_and_the_old_stays_readable(stores):
    store = stores["inventory"]
    project_id, (first, second) = new_project(store)
    created = utcnow()
    later = created + timedelta(hours=1)
    version = price_list(store, project_id, [
        {"unit_id": first, "unit_price": "11000.00", "floor_total_price": "1000000.00"},
        {"unit_id": second, "total_price": "900000.00"}], effective_from=later)
    assert (version["version"], version["in_force"]) == (2, False)
    assert unit(store, first)["list_price"] == Decimal("1000000.00")  # not yet
    with store() as uow:
        assert prices.apply_due(uow.session, later + timedelta(seconds=1)) == 1
        assert prices.apply_due(uow.session, later + timedelta(seconds=1)) == 0  # once
        uow.commit()
    view = unit(store, first)
    assert (view["price_list_version"], view["list_price"], view["list_unit_price"]) == (
        2, Decimal("1100000.00"), Decimal("11000.00"))
    assert unit(store, second)["list_unit_price"] == Decimal("11250.00")  # 900000 / 80
    with store() as uow:
        before = prices.price_at(uow.session, first, created)
        after = prices.price_at(uow.session, first, later + timedelta(minutes=5))
        old = prices.get_version(uow.session, project_id, 1)
        versions = prices.list_versions(uow.session, project_id)["price_lists"]
    assert (before["price_list_version"], before["total_price"]) == (1, Decimal("1000000.00"))
    assert (after["price_list_version"], after["total_price"]) == (2, Decimal("1100000.00"))
    assert old["prices"][0]["total_price"] == Decimal("1000000.00")
    assert [v["version"] for v in versions] == [1, 2]


def test_a_version_may_not_start_in_the_past_nor_price_below_zero(stores):
    store = stores["inventory"]
    project_id, (first, second) = new_project(store)
    with pytest.raises(InvalidInput) as past:
        price_list(store, project_id, [{"unit_id": first, "total_price": "1.00"}],
                   effective_from=utcnow() - timedelta(minutes=1))
    assert past.value.details == {"effective_from": ["in the past"]}
    with pytest.raises(InvalidInput) as negative:
        price_list(store, project_id, [{"unit_id": first, "total_price": "-1.00"}])
    assert negative.value.details == {"prices": {0: {"total_price": ["must be greater than 0"]}}}
    with pytest.raises(InvalidInput) as wrong:
        price_list(store, project_id, [
            {"unit_id": first, "total_price": "1000.00"},
            {"unit_id": second, "total_price": "800000.00", "floor_total_price": "900000.00"},
            {"unit_id": 999_999, "total_price": "1.00"}])
    assert wrong.value.details == {"prices": {
        "1": {"floor_total_price": ["above the total price"]},
        "2": {"unit_id": ["not a unit of this project"]}}}
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PriceList).where(
            PriceList.project_id == project_id)) == 1  # nothing saved


def test_a_reservation_pins_the_current_price_and_a_swap_the_new_units(stores):
    store = stores["inventory"]
    project_id, (first, second) = new_project(store)
    price_list(store, project_id, [{"unit_id": second, "unit_price": "10000.00",
                                    "floor_total_price": "780000.00"}])
    handle_once(store, parse_event(build_event(
        "transactions", "deposit_received", {"deposit_id": 61_001, "amount": "20000.00",
                                             "kind": "small", "consultant_id": 3},
        unit_id=first, customer_id=7)), handlers.reserve_for_deposit)
    pinned = unit(store, first)["reservation"]
    assert (pinned["price_list_version"], pinned["total_price"], pinned["unit_price"],
            pinned["floor_total_price"]) == (1, Decimal("1000000.00"), Decimal("10000.00"),
                                             Decimal("950000.00"))
    price_list(store, project_id, [{"unit_id": first, "total_price": "1200000.00"}])
    assert unit(store, first)["reservation"]["total_price"] == Decimal("1000000.00")
    handle_once(store, parse_event(build_event(
        "transactions", "swap_approved", {"application_id": 1, "deposit_id": 61_001,
                                          "from_unit_id": first, "to_unit_id": second},
        customer_id=7)), sales.swap_reservation)
    moved = unit(store, second)["reservation"]
    assert (moved["price_list_version"], moved["total_price"], moved["floor_total_price"]) == (
        2, Decimal("800000.00"), Decimal("780000.00"))
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        events = [row for row in connection.execute(select(table.c.payload)).scalars()
                  if row["type"] in ("unit_reserved", "reservation_swapped")
                  and row["data"]["deposit_id"] == 61_001]
    assert [(e["type"], e["data"]["total_price"]) for e in events] == [
        ("unit_reserved", "1000000.00"), ("reservation_swapped", "800000.00")]
