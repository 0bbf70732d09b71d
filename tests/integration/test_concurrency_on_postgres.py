"""Concurrency guarantees, shown on the real PostgreSQL with real threads."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from contracts.envelope import build_event, parse_event
from infra.database import handle_batch, handle_once
from services.inventory import board, handlers as inventory
from services.inventory.models import Reservation, Unit
from services.leads import handlers as leads
from services.leads.models import Customer

pytestmark = pytest.mark.integration


def deposit_event(unit_id, deposit_id, customer_id):
    return parse_event(build_event("transactions", "deposit_received",
                                   {"deposit_id": deposit_id, "amount": "1000.00",
                                    "kind": "small", "consultant_id": 1},
                                   unit_id=unit_id, customer_id=customer_id))


def new_unit(store, code):
    with store() as uow:
        project = inventory.create_project(uow, {
            "code": code, "name": code, "hold_days": 3, "holds_auto_approved": False, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": "101", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None}]}]})
    with store() as uow:
        return board.cells(board.board(uow.session, project["id"]))[0]["id"]


def outbox_types(store, unit_id):
    outbox = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        rows = connection.execute(select(outbox.c.payload)).scalars().all()
    return [row["type"] for row in rows if row["unit_id"] == unit_id]


def test_fifty_concurrent_deposits_reserve_a_unit_once(stores):
    store = stores["inventory"]
    unit_id = new_unit(store, "race-50")
    events = [deposit_event(unit_id, 5000 + i, 9000 + i) for i in range(50)]
    start = threading.Barrier(50)

    def apply(event):
        start.wait()
        handle_once(store, event, inventory.reserve_for_deposit)

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(apply, events))

    types = outbox_types(store, unit_id)
    assert types.count("unit_reserved") == 1
    assert types.count("unit_reservation_rejected") == 49
    with store() as uow:
        active = uow.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.unit_id == unit_id, Reservation.status == "active"))
    assert active == 1


def test_batches_of_deposits_racing_over_the_same_units_reserve_each_unit_once(stores):
    """Eight batches at once, each a deposit on every one of four units in its own order:
    reserved by unit, they never wait for each other in a circle, and in each unit the first
    deposit of the batch that got it first wins."""
    store = stores["inventory"]
    units = [new_unit(store, f"batch-{n}") for n in range(4)]
    batches = [[deposit_event(unit_id, 8000 + 10 * b + n, 8800 + 10 * b + n)
                for n, unit_id in enumerate(units)] for b in range(8)]
    batches = [batch if b % 2 else batch[::-1] for b, batch in enumerate(batches)]
    batches[0].append(deposit_event(units[0], 7990, 7990))  # a second deposit, same unit
    start = threading.Barrier(len(batches))

    def apply(batch):
        start.wait()
        handle_batch(store, batch, inventory.reserve_for_deposit,
                     order=inventory.reservation_order)

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        list(pool.map(apply, batches))
    for unit_id in units:
        types = outbox_types(store, unit_id)
        assert types.count("unit_reserved") == 1
        assert types.count("unit_reservation_rejected") == len(batches) - 1 + (
            unit_id == units[0])
    with store() as uow:
        winners = dict(uow.session.execute(select(Reservation.unit_id, Reservation.deposit_id)
                                           .where(Reservation.unit_id.in_(units))).all())
    assert winners[units[0]] != 7990  # never before the batch's earlier deposit on the unit


def test_a_duplicated_event_is_applied_once(stores):
    store = stores["inventory"]
    unit_id = new_unit(store, "dup-1")
    event = deposit_event(unit_id, 7001, 42)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: handle_once(store, event, inventory.reserve_for_deposit),
                      range(8)))
    handle_once(store, event, inventory.reserve_for_deposit)  # a late redelivery
    assert outbox_types(store, unit_id) == ["unit_reserved"]


def test_concurrent_first_visits_of_one_number_make_one_customer(stores):
    store = stores["leads"]
    with store() as uow:
        office = leads.create_office(uow, {"code": "race-office", "name": "race",
                                           "region_code": "bj"})
    for name in ("王五", "赵六", "孙七"):
        with store() as uow:
            leads.add_consultant(uow, {"office_id": office["id"], "name": name})
    start = threading.Barrier(20)

    def visit(i):
        start.wait()
        mobile = "13512345678" if i < 10 else f"1351234{i:04d}"
        with store() as uow:
            return leads.register_visit(uow, {"office_id": office["id"], "name": "张三",
                                              "mobile": mobile, "gender": None,
                                              "channel": "other", "visitors": 1, "notes": ""},
                                        leads.find_office(uow.session, office["id"]))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(visit, range(20)))
    same_number = [r for r in results[:10]]
    assert len({r["customer"]["id"] for r in same_number}) == 1
    assert sum(not r["returning"] for r in same_number) == 1
    assert len({r["customer"]["consultant_id"] for r in same_number}) == 1
    codes = sorted(r["customer"]["code"] for r in results if not r["returning"])
    assert codes == [f"bj-zs{n:03d}" for n in range(1, 12)]
    # eleven new customers over three consultants: the rotation spreads them 4/4/3
    with store() as uow:
        per_consultant = uow.session.execute(
            select(Customer.consultant_id, func.count()).where(Customer.office_id == office["id"])
            .group_by(Customer.consultant_id)).all()
    assert sorted(count for _, count in per_consultant) == [3, 4, 4]


def test_concurrent_swaps_onto_one_unit_move_one_reservation(stores):
    """Ten deposits on ten units all swap onto one free unit at once: one moves, nine are
    refused; no unit is left with two reservations or a reservation without its unit."""
    from services.inventory import sales
    store = stores["inventory"]
    sources = [new_unit(store, f"swap-src-{i}") for i in range(10)]
    target = new_unit(store, "swap-target")
    for i, unit_id in enumerate(sources):
        handle_once(store, deposit_event(unit_id, 6000 + i, 300 + i),
                    inventory.reserve_for_deposit)
    swaps = [parse_event(build_event("transactions", "swap_approved", {
        "application_id": 40 + i, "deposit_id": 6000 + i, "from_unit_id": unit_id,
        "to_unit_id": target}, customer_id=300 + i)) for i, unit_id in enumerate(sources)]
    start = threading.Barrier(10)

    def apply(event):
        start.wait()
        return handle_once(store, event, sales.swap_reservation)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(apply, swaps))
    assert results.count(True) == 1
    moved = sources[results.index(True)]
    with store() as uow:
        active = dict(uow.session.execute(
            select(Reservation.unit_id, func.count()).where(Reservation.status == "active",
                                                            Reservation.unit_id.in_(sources + [target]))
            .group_by(Reservation.unit_id)).all())
        statuses = dict(uow.session.execute(select(Unit.id, Unit.status).where(
            Unit.id.in_(sources + [target]))).all())
    assert active == {unit_id: 1 for unit_id in sources + [target] if unit_id != moved}
    assert statuses[moved] == "available" and statuses[target] == "reserved"
    assert outbox_types(store, target).count("swap_rejected") == 9
