"""Two swaps race for one unit on PostgreSQL, across both services: the events each service
writes to its outbox are delivered to the other's handlers, as the relay would, and the two
swap_approved events reach inventory at the same moment. Exactly one swap wins; the other
deposit keeps its unit, its order form and its receipts, in both services."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from contracts.envelope import parse_event
from infra.database import handle_once
from services.inventory import handlers as inventory
from services.inventory import board
from services.inventory import sales as inventory_sales
from services.inventory.models import Reservation, Unit
from services.transactions import applications, handlers, sales
from services.transactions.models import Deposit
from services.transactions.approvals import CHAINS
from tests.integration.test_transactions_applications import apply, approve_all
from tests.integration.test_transactions_sales import deposit

pytestmark = pytest.mark.integration

# what each service does with the other's events (contracts/subscriptions.py)
TO_INVENTORY = {"deposit_received": inventory.reserve_for_deposit,
                "swap_approved": inventory_sales.swap_reservation}
TO_TRANSACTIONS = {"unit_reserved": handlers.on_unit_reserved,
                   "reservation_swapped": applications.on_reservation_swapped,
                   "swap_rejected": applications.on_swap_rejected}


def published(store, event_type, deposit_ids):
    """The events of `event_type` a service wrote for these deposits, as a consumer gets them."""
    outbox = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(outbox.c.payload).order_by(outbox.c.id)).scalars()
        return [parse_event(row) for row in rows if row["type"] == event_type
                and row["data"].get("deposit_id") in deposit_ids]


def deliver(store, events, handlers_by_type, at_once=False):
    """Each event to its handler in the consuming service; `at_once`: all at the same moment."""
    start = threading.Barrier(len(events)) if at_once else None

    def consume(event):
        if start is not None:
            start.wait()
        return handle_once(store, event, handlers_by_type[event["type"]])

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(consume, events))


def test_two_swaps_racing_for_one_unit_move_one_deposit_and_leave_the_other_whole(stores):
    tx, inv = stores["transactions"], stores["inventory"]
    with inv() as uow:
        project = inventory.create_project(uow, {
            "code": "swap-race", "name": "swap race", "hold_days": 3,
            "holds_auto_approved": True, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": str(101 + i), "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None} for i in range(3)]}]})
    with inv() as uow:
        first_unit, second_unit, target = [
            unit["id"] for unit in board.cells(board.board(uow.session, project["id"]))]

    deposits = [deposit(tx, project["id"], unit_id=unit_id, customer_id=customer_id)
                for unit_id, customer_id in ((first_unit, 701), (second_unit, 702))]
    ids = {d["id"] for d in deposits}
    deliver(inv, published(tx, "deposit_received", ids), TO_INVENTORY)
    deliver(tx, published(inv, "unit_reserved", ids), TO_TRANSACTIONS)
    forms = {}
    for taken in deposits:
        with tx() as uow:
            forms[taken["id"]] = sales.get_deposit_order_form(uow.session, taken["id"])
    swaps = {}
    for deposit_id, form in forms.items():
        swaps[deposit_id] = apply(tx, form["id"], "swap", to_unit_id=target)["id"]
        assert approve_all(tx, {"id": swaps[deposit_id], "chain": CHAINS["swap"]})["status"] \
            == "approved"

    deliver(inv, published(tx, "swap_approved", ids), TO_INVENTORY, at_once=True)
    answers = published(inv, "reservation_swapped", ids) + published(inv, "swap_rejected", ids)
    assert sorted(event["type"] for event in answers) == ["reservation_swapped",
                                                           "swap_rejected"]
    deliver(tx, answers, TO_TRANSACTIONS, at_once=True)

    winner = next(e["data"]["deposit_id"] for e in answers if e["type"] == "reservation_swapped")
    loser = (ids - {winner}).pop()
    original = {d["id"]: d["unit_id"] for d in deposits}
    with tx() as uow:
        outcomes = {deposit_id: applications.get_application(uow.session, swap)["status"]
                    for deposit_id, swap in swaps.items()}
        units = {d.id: d.unit_id for d in uow.session.scalars(
            select(Deposit).where(Deposit.id.in_(ids)))}
        loser_form = sales.get_deposit_order_form(uow.session, loser)
        winner_form = sales.get_deposit_order_form(uow.session, winner)
    assert outcomes == {winner: "completed", loser: "failed"}
    assert units == {winner: target, loser: original[loser]}
    assert (loser_form["id"], loser_form["status"], loser_form["unit_id"]) == (
        forms[loser]["id"], "active", original[loser])
    assert [r["status"] for r in loser_form["receipts"]] == ["issued"]
    assert (winner_form["unit_id"], [r["status"] for r in winner_form["receipts"]]) == (
        target, ["issued"])

    with inv() as uow:
        reserved = dict(uow.session.execute(select(Reservation.unit_id, Reservation.deposit_id)
                                            .where(Reservation.deposit_id.in_(ids),
                                                   Reservation.status == "active")).all())
        statuses = dict(uow.session.execute(select(Unit.id, Unit.status).where(
            Unit.id.in_((first_unit, second_unit, target)))).all())
    assert reserved == {target: winner, original[loser]: loser}
    assert statuses == {original[winner]: "available", original[loser]: "reserved",
                        target: "reserved"}
