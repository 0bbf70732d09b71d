"""The sale after the deposit on PostgreSQL: subscription, contract, filing, refund, forfeiture
and swap, each applied once, only from the states it may follow, and every change recorded."""
import itertools

import pytest
from sqlalchemy import func, select

from contracts.envelope import build_event, parse_event
from infra.database import handle_once, utcnow
from services.inventory import board, handlers, history, holds, sales
from services.inventory.models import Reservation, SaleRecord

pytestmark = pytest.mark.integration
_codes = itertools.count(1)
_deposits = itertools.count(80_000)


def new_units(store, count=2):
    with store() as uow:
        project = handlers.create_project(uow, {
            "code": f"sales-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Sales",
            "hold_days": 3, "holds_auto_approved": True, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": f"10{i + 1}", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": "3/2"} for i in range(count)]}]})
    with store() as uow:
        return [unit["id"] for unit in board.cells(board.board(uow.session, project["id"]))]


def event(name, data, unit_id=None, customer_id=None):
    return parse_event(build_event("transactions", name, data, unit_id=unit_id,
                                   customer_id=customer_id))


def apply(store, evt):
    handlers_by_type = {"deposit_received": handlers.reserve_for_deposit,
                        "subscription_signed": sales.advance_sale,
                        "contract_signed": sales.advance_sale,
                        "contract_filed": sales.advance_sale,
                        "refund_approved": sales.release_unit,
                        "deposit_forfeited": sales.release_unit,
                        "swap_approved": sales.swap_reservation}
    return handle_once(store, evt, handlers_by_type[evt["type"]])


def reserve(store, unit_id, customer_id=7):
    deposit_id = next(_deposits)
    apply(store, event("deposit_received", {"deposit_id": deposit_id, "amount": "20000.00",
                                            "kind": "small", "consultant_id": 3},
                       unit_id=unit_id, customer_id=customer_id))
    return deposit_id


def status(store, unit_id):
    with store() as uow:
        return handlers.unit_view(uow.session, unit_id)["status"]


def outbox(store, unit_id, name):
    table = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.payload).order_by(table.c.id)).scalars().all()
    return [row["data"] for row in rows if row["unit_id"] == unit_id and row["type"] == name]


def signed(deposit_id):
    return event("subscription_signed", {"subscription_id": 5, "deposit_id": deposit_id,
                                         "consultant_id": 4, "total_price": "1000000.00",
                                         "price_list_version": None})


def contracted(deposit_id):
    return event("contract_signed", {"contract_id": 9, "subscription_id": 5,
                                     "deposit_id": deposit_id, "total_price": "1000000.00",
                                     "payment_method": "mortgage"})


def filed(deposit_id):
    return event("contract_filed", {"contract_id": 9, "deposit_id": deposit_id,
                                    "filing_number": "LY2026-000001"})


def test_a_sale_moves_forward_to_filing_and_every_change_is_recorded(stores):
    store = stores["inventory"]
    unit_id, = new_units(store, 1)
    deposit_id = reserve(store, unit_id)
    subscription = signed(deposit_id)
    apply(store, subscription)
    apply(store, subscription)  # a redelivery changes nothing
    assert status(store, unit_id) == "subscribed"
    apply(store, contracted(deposit_id))
    apply(store, signed(deposit_id))  # late, under another id: never moves the unit back
    assert status(store, unit_id) == "contracted"
    apply(store, filed(deposit_id))
    assert status(store, unit_id) == "filed"
    assert outbox(store, unit_id, "unit_sold") == [
        {"deposit_id": deposit_id, "contract_id": 9, "filing_number": "LY2026-000001"}]
    apply(store, event("refund_approved", {"application_id": 1, "deposit_id": deposit_id,
                                           "amount_paid": "1.00", "penalty": "0.00",
                                           "refund_amount": "1.00"}))
    assert status(store, unit_id) == "filed"  # a filed sale is final here
    with store() as uow:
        changes = history.unit_history(uow.session, unit_id)["changes"]
    assert [(c["from_status"], c["to_status"]) for c in changes] == [
        ("available", "reserved"), ("reserved", "subscribed"), ("subscribed", "contracted"),
        ("contracted", "filed")]
    assert changes[1]["event_id"] == str(subscription["event_id"])
    assert changes[1]["event_type"] == "transactions.subscription_signed"
    assert changes[2]["reason"] == "contract signed (subscription_id 5, contract_id 9)"
    assert all(c["changed_at"].tzinfo is not None and c["changed_by"] for c in changes)


def test_a_contract_before_its_subscription_still_moves_the_unit_forward(stores):
    store = stores["inventory"]
    unit_id, = new_units(store, 1)
    deposit_id = reserve(store, unit_id)
    apply(store, contracted(deposit_id))
    apply(store, signed(deposit_id))
    assert status(store, unit_id) == "contracted"


def test_an_event_for_another_deposit_changes_nothing(stores):
    store = stores["inventory"]
    unit_id, = new_units(store, 1)
    reserve(store, unit_id)
    apply(store, signed(999_999))
    assert status(store, unit_id) == "reserved"


@pytest.mark.parametrize("name, data, reason", [
    ("refund_approved", {"application_id": 3, "amount_paid": "20000.00", "penalty": "0.00",
                         "refund_amount": "20000.00"}, "refund"),
    ("deposit_forfeited", {"reason": "not signed in time"}, "forfeiture"),
])
def test_a_refund_or_forfeiture_puts_the_unit_back_on_sale(stores, name, data, reason):
    store = stores["inventory"]
    unit_id, = new_units(store, 1)
    deposit_id = reserve(store, unit_id)
    apply(store, signed(deposit_id))
    apply(store, event(name, {**data, "deposit_id": deposit_id}))
    with store() as uow:
        unit = handlers.unit_view(uow.session, unit_id)
        ended = uow.session.execute(select(Reservation.status, Reservation.end_reason).where(
            Reservation.deposit_id == deposit_id)).one()
    assert (unit["status"], unit["customer_id"], unit["reserved_by_deposit_id"]) == (
        "available", None, None)
    assert tuple(ended) == ("released", reason)
    assert outbox(store, unit_id, "unit_released") == [
        {"deposit_id": deposit_id, "reason": reason, "previous_status": "subscribed"}]
    reserve(store, unit_id, customer_id=8)  # on sale again: a new deposit reserves it
    assert status(store, unit_id) == "reserved"


def test_a_forfeiture_after_the_contract_is_ignored(stores):
    store = stores["inventory"]
    unit_id, = new_units(store, 1)
    deposit_id = reserve(store, unit_id)
    apply(store, contracted(deposit_id))
    apply(store, event("deposit_forfeited", {"deposit_id": deposit_id, "reason": "late"}))
    assert status(store, unit_id) == "contracted"
    assert outbox(store, unit_id, "unit_released") == []


def swap(deposit_id, from_id, to_id):
    return event("swap_approved", {"application_id": 2, "deposit_id": deposit_id,
                                   "from_unit_id": from_id, "to_unit_id": to_id},
                 customer_id=7)


def test_a_swap_moves_the_reservation_in_one_step_and_a_subscribed_unit_arrives_reserved(
        stores):
    """Transactions voids the subscription of the old unit and writes a new order form with
    none: the new unit is reserved until its own subscription is signed."""
    store = stores["inventory"]
    old, new = new_units(store, 2)
    deposit_id = reserve(store, old)
    apply(store, signed(deposit_id))
    assert apply(store, swap(deposit_id, old, new)) is True
    with store() as uow:
        old_view, new_view = (handlers.unit_view(uow.session, u) for u in (old, new))
        reservation = uow.session.execute(select(Reservation.unit_id, Reservation.status).where(
            Reservation.deposit_id == deposit_id)).one()
    assert (old_view["status"], old_view["reserved_by_deposit_id"]) == ("available", None)
    assert (new_view["status"], new_view["reserved_by_deposit_id"], new_view["customer_id"]) \
        == ("reserved", deposit_id, 7)
    assert tuple(reservation) == (new, "active")
    swapped, = outbox(store, new, "reservation_swapped")
    assert (swapped["from_unit_id"], swapped["to_unit_id"]) == (old, new)
    assert outbox(store, old, "unit_released")[0]["reason"] == "swap"
    with store() as uow:  # the sale counted at the old subscription is taken back
        counted = uow.session.scalar(select(func.sum(SaleRecord.units)).where(
            SaleRecord.deposit_id == deposit_id))
    assert counted == 0
    apply(store, signed(deposit_id))  # the new unit's own subscription counts it again
    assert status(store, new) == "subscribed"
    with store() as uow:
        assert uow.session.scalar(select(func.sum(SaleRecord.units)).where(
            SaleRecord.deposit_id == deposit_id)) == 1
    apply(store, contracted(deposit_id))  # the sale goes on, on the new unit
    assert status(store, new) == "contracted"


def test_a_swap_to_a_unit_held_for_the_same_customer_converts_the_hold(stores):
    store = stores["inventory"]
    old, new = new_units(store, 2)
    deposit_id = reserve(store, old)
    with store() as uow:
        hold = holds.hold_unit(uow, {"unit_id": new, "consultant_id": 3, "customer_id": 7,
                                     "customer_name": None})
    assert apply(store, swap(deposit_id, old, new)) is True
    with store() as uow:
        assert holds.get_hold(uow.session, hold["id"])["status"] == "converted"
    assert status(store, new) == "reserved"


def test_a_swap_to_a_unit_taken_by_someone_else_is_rejected_and_changes_nothing(stores):
    store = stores["inventory"]
    old, new = new_units(store, 2)
    deposit_id = reserve(store, old)
    with store() as uow:
        holds.hold_unit(uow, {"unit_id": new, "consultant_id": 5, "customer_id": 99,
                              "customer_name": None})
    assert apply(store, swap(deposit_id, old, new)) is False
    assert (status(store, old), status(store, new)) == ("reserved", "held")
    assert outbox(store, new, "swap_rejected") == [
        {"application_id": 2, "deposit_id": deposit_id,
         "reason": "the unit is held for another customer", "unit_status": "held"}]
    with store() as uow:
        moved = uow.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.deposit_id == deposit_id, Reservation.unit_id == old))
    assert moved == 1


def test_a_swap_of_a_deposit_that_does_not_reserve_the_unit_is_rejected(stores):
    store = stores["inventory"]
    old, new = new_units(store, 2)
    reserve(store, old)
    assert apply(store, swap(123_456, old, new)) is False
    assert outbox(store, new, "swap_rejected")[0]["unit_status"] == "available"
    assert status(store, new) == "available"
