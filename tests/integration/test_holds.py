"""Holds and their waitlist (第9篇) on PostgreSQL: approval, extension, release, offers in time
order, expiry by the timer, and one open hold per unit however many workers try."""
import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts.errors import Conflict, Forbidden
from infra.database import utcnow
from services.inventory import board, handlers, holds
from services.inventory.models import Hold

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def new_unit(store, auto_approved=False):
    with store() as uow:
        project = handlers.create_project(uow, {
            "code": f"holds-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Holds",
            "hold_days": 3, "holds_auto_approved": auto_approved, "offer_hours": 2,
            "buildings": [{"name": "1", "units": [
                {"number": "101", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None}]}]})
    with store() as uow:
        return board.cells(board.board(uow.session, project["id"]))[0]["id"]


def hold(store, unit_id, consultant_id, customer_id=None):
    with store() as uow:
        return holds.hold_unit(uow, {"unit_id": unit_id, "consultant_id": consultant_id,
                                     "customer_id": customer_id or consultant_id * 100,
                                     "customer_name": "张三"})


def unit(store, unit_id):
    with store() as uow:
        return handlers.unit_view(uow.session, unit_id)


def join(store, unit_id, consultant_id):
    with store() as uow:
        return holds.join_waitlist(uow, {"unit_id": unit_id, "consultant_id": consultant_id,
                                         "customer_id": consultant_id * 100})


def test_a_hold_waits_for_the_managers_approval_unless_the_project_says_otherwise(stores):
    store = stores["inventory"]
    pending = hold(store, new_unit(store), consultant_id=1)
    assert pending["status"] == "pending" and pending["approved_by"] is None
    with store() as uow:
        approved = holds.approve_hold(uow, {"hold_id": pending["id"], "approve": True,
                                            "manager": "manager-wang", "comment": ""})
    assert (approved["status"], approved["approved_by"]) == ("active", "manager-wang")
    with store() as uow, pytest.raises(Conflict):
        holds.approve_hold(uow, {"hold_id": pending["id"], "approve": True, "manager": "m",
                                 "comment": ""})
    automatic = hold(store, new_unit(store, auto_approved=True), consultant_id=1)
    assert automatic["status"] == "active"

    rejected_unit = new_unit(store)
    rejected = hold(store, rejected_unit, consultant_id=2)
    with store() as uow:
        holds.approve_hold(uow, {"hold_id": rejected["id"], "approve": False,
                                 "manager": "manager-wang", "comment": "customer unknown"})
    assert unit(store, rejected_unit)["status"] == "available"
    assert unit(store, rejected_unit)["hold"] is None


def test_the_waitlist_is_served_in_time_order_and_comes_before_a_renewal(stores):
    store = stores["inventory"]
    unit_id = new_unit(store)
    first = hold(store, unit_id, consultant_id=1)
    assert join(store, unit_id, 2)["position"] == 1
    assert join(store, unit_id, 3)["position"] == 2
    with pytest.raises(Conflict):
        join(store, unit_id, 2)  # once is enough
    with store() as uow, pytest.raises(Conflict) as refused:
        holds.extend_hold(uow, {"hold_id": first["id"], "days": 2, "approved_by": "manager",
                                "reason": "customer abroad"})
    assert refused.value.details == {"hold_id": ["2 consultant(s) wait for the unit"]}
    with store() as uow, pytest.raises(Forbidden):
        holds.release_hold(uow, {"hold_id": first["id"], "consultant_id": 3,
                                 "released_by": "consultant-3", "reason": "mine now"})

    with store() as uow:
        holds.release_hold(uow, {"hold_id": first["id"], "consultant_id": 1,
                                 "released_by": "consultant-1", "reason": "customer left"})
    offered = unit(store, unit_id)
    assert (offered["status"], offered["customer_id"]) == ("offered", 200)
    assert [(e["consultant_id"], e["status"], e["position"]) for e in offered["waitlist"]] == [
        (2, "offered", None), (3, "waiting", 1)]
    with pytest.raises(Conflict):
        hold(store, unit_id, consultant_id=3)  # not offered to them
    with pytest.raises(Conflict):
        hold(store, unit_id, consultant_id=9)

    second = hold(store, unit_id, consultant_id=2)
    claimed = unit(store, unit_id)
    assert (claimed["status"], claimed["hold"]["id"]) == ("held", second["id"])
    assert [(e["consultant_id"], e["status"]) for e in claimed["waitlist"]] == [(3, "waiting")]


def test_holds_and_offers_end_by_the_timer(stores):
    store = stores["inventory"]
    unit_id = new_unit(store)
    first = hold(store, unit_id, consultant_id=1)
    join(store, unit_id, 2)
    join(store, unit_id, 3)
    with store() as uow:
        assert holds.expire(uow, now=utcnow() + timedelta(days=3, minutes=1)) >= 1
    with store() as uow:
        assert uow.session.get(Hold, first["id"]).status == "expired"
    assert unit(store, unit_id)["waitlist"][0]["consultant_id"] == 2  # offered to the first

    with store() as uow:  # the first lets the offer lapse: it passes to the next in line
        holds.expire(uow, now=utcnow() + timedelta(days=3, hours=3))
    passed = unit(store, unit_id)
    assert (passed["status"], passed["waitlist"][0]["consultant_id"],
            passed["waitlist"][0]["status"]) == ("offered", 3, "offered")

    with store() as uow:  # the last one steps aside: the unit is back on sale
        holds.withdraw_from_waitlist(uow, {"entry_id": passed["waitlist"][0]["id"],
                                           "consultant_id": 3})
    assert unit(store, unit_id)["status"] == "available"
    assert unit(store, unit_id)["waitlist"] == []


def test_a_manager_extends_a_hold_nobody_waits_for(stores):
    store = stores["inventory"]
    held = hold(store, new_unit(store), consultant_id=1)
    with store() as uow:
        extended = holds.extend_hold(uow, {"hold_id": held["id"], "days": 2,
                                           "approved_by": "manager-wang", "reason": "abroad"})
    assert extended["expires_at"] == held["expires_at"] + timedelta(days=2)
    assert extended["extensions"] == 1


def test_twenty_workers_holding_one_unit_make_one_hold(stores):
    store = stores["inventory"]
    unit_id = new_unit(store)

    def attempt(consultant_id):
        try:
            return hold(store, unit_id, consultant_id)["id"]
        except Conflict:
            return None
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(1, 21)))
    assert len([result for result in results if result]) == 1
    with store() as uow:
        open_holds = uow.session.scalar(select(func.count()).select_from(Hold).where(
            Hold.unit_id == unit_id, Hold.status.in_(("pending", "active"))))
    assert open_holds == 1
