"""Inventory use cases: load through the unit of work, apply the rules, commit once.

Every status change is a conditional UPDATE (`… WHERE status = …`) so that concurrent
workers, on any number of processes, can never hold or reserve one unit twice.
"""
from decimal import Decimal

from sqlalchemy import and_, or_, select

from contracts.errors import Conflict, InvalidInput, NotFound
from infra.database import utcnow
from services.inventory import domain, holds, openings, prices
from services.inventory.history import change_status
from services.inventory.models import Hold, PriceListItem, Project, Reservation, Unit


def create_project(uow, cmd) -> dict:
    session = uow.session
    if session.scalar(select(Project.id).where(Project.code == cmd["code"])):
        raise Conflict(f"project {cmd['code']} exists already", {"code": ["already used"]})
    now = utcnow()
    project = Project(code=cmd["code"], name=cmd["name"], hold_days=cmd["hold_days"],
                      holds_auto_approved=cmd["holds_auto_approved"],
                      offer_hours=cmd["offer_hours"], created_at=now)
    session.add(project)
    session.flush()
    units = [Unit(project_id=project.id, building=building["name"],
                  entrance=unit.get("entrance", ""), number=unit["number"], floor=unit["floor"],
                  building_area=unit["building_area"], layout=unit["layout"],
                  **{name: unit.get(name) for name in ("garden_area", "other_area",
                                                       "property_type", "orientation")},
                  status=domain.AVAILABLE, version=1, updated_at=now)
             for building in cmd["buildings"] for unit in building["units"]]
    session.add_all(units)
    session.flush()
    first_prices(session, project, units, [unit for building in cmd["buildings"]
                                           for unit in building["units"]], now)
    uow.commit()
    return _project_view(project, len(units))


def first_prices(session, project, units, given, now) -> None:
    """The prices given with new units are the project's first price-list version, in force
    at once."""
    priced = []
    for unit, values in zip(units, given):
        unit_price, total_price, floor_price, area = (
            _decimal(values.get(key)) for key in ("list_unit_price", "list_price",
                                                  "floor_total_price", "building_area"))
        unit_price, total_price = domain.complete_price(area, unit_price, total_price)
        if total_price is None:
            continue
        problems = domain.price_problems(unit_price, total_price, floor_price)
        if problems:
            raise InvalidInput(f"unit {unit.number}: wrong prices", problems)
        priced.append((unit, unit_price, total_price, floor_price))
    if not priced:
        return
    price_list = prices.new_version(session, project.id, now, "project creation", "", now)
    price_list.applied_at = now
    for unit, unit_price, total_price, floor_price in priced:
        unit.list_unit_price, unit.list_price, unit.floor_total_price = (
            unit_price, total_price, floor_price)
        unit.price_list_version = price_list.version
        session.add(PriceListItem(price_list_id=price_list.id, unit_id=unit.id,
                                  unit_price=unit_price, total_price=total_price,
                                  floor_total_price=floor_price))


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def reservation_order(event) -> int:
    """Deposits in a batch are reserved by unit, so two batches lock their units in the same
    order; deposits on one unit keep the order they came in (the first one wins)."""
    return event["unit_id"] or 0


def reserve_for_deposit(uow, event) -> None:
    """On `deposit_received`: reserve the unit for the depositing customer, or refuse."""
    session = uow.session
    unit_id, customer_id = event["unit_id"], event["customer_id"]
    deposit_id = event["data"]["deposit_id"]
    now = utcnow()
    # a unit released in an open opening is sold there only (its hold is the buyer's)
    available = (Unit.status == domain.AVAILABLE if openings.in_open_opening(session, unit_id)
                 is None else Unit.id.is_(None))
    reserved = change_status(
        session, unit_id, domain.RESERVED, where=(or_(
            available,
            and_(Unit.status == domain.HELD, Unit.customer_id == customer_id)),),
        by=f"deposit {deposit_id}", reason=f"deposit {deposit_id} received", event=event,
        now=now, customer_id=customer_id, deposit_id=deposit_id,
        consultant_id=event["data"]["consultant_id"])
    unit = session.get(Unit, unit_id)
    project_id = unit.project_id if unit else event["project_id"]
    if reserved is None:
        decision = domain.decide_reservation(unit.status if unit else None,
                                             unit.customer_id if unit else None, customer_id)
        uow.emit("unit_reservation_rejected",
                 {"deposit_id": deposit_id, "reason": decision.reason or "the unit changed",
                  "unit_status": unit.status if unit else None},
                 project_id=project_id, unit_id=unit_id, customer_id=customer_id)
        return
    hold = session.scalar(select(Hold).where(Hold.unit_id == unit_id,
                                             Hold.status.in_(domain.OPEN_HOLD_STATUSES)))
    if hold is not None:
        hold.status, hold.ended_at, hold.ended_by = "converted", now, f"deposit {deposit_id}"
    price = prices.pinned(unit)
    session.add(Reservation(unit_id=unit_id, deposit_id=deposit_id, customer_id=customer_id,
                            status="active", created_at=now, **price))
    uow.emit("unit_reserved", {"deposit_id": deposit_id, "hold_id": hold.id if hold else None,
                               **price},
             project_id=project_id, unit_id=unit_id, customer_id=customer_id)


def unit_view(session, unit_id) -> dict:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} does not exist", {"unit_id": ["unknown unit"]})
    hold = session.scalar(select(Hold).where(Hold.unit_id == unit_id,
                                             Hold.status.in_(domain.OPEN_HOLD_STATUSES)))
    view = _unit_view(unit, hold)
    reservation = session.scalar(select(Reservation).where(
        Reservation.unit_id == unit_id, Reservation.status.in_(("active", "sold"))))
    view["reservation"] = None if reservation is None else {
        "deposit_id": reservation.deposit_id, "customer_id": reservation.customer_id,
        "status": reservation.status, "created_at": reservation.created_at,
        "price_list_version": reservation.price_list_version,
        "unit_price": reservation.unit_price, "total_price": reservation.total_price,
        "floor_total_price": reservation.floor_total_price}
    view["waitlist"] = holds.waitlist(session, unit_id)
    offered = [entry for entry in view["waitlist"] if entry["status"] == "offered"]
    view["offered_until"] = offered[0]["offer_expires_at"] if offered else None
    return view


def _unit_view(unit, hold) -> dict:
    return {
        "id": unit.id, "project_id": unit.project_id, "building": unit.building,
        "entrance": unit.entrance, "number": unit.number, "floor": unit.floor,
        "building_area": unit.building_area, "garden_area": unit.garden_area,
        "other_area": unit.other_area, "property_type": unit.property_type,
        "orientation": unit.orientation,
        "list_price": unit.list_price, "list_unit_price": unit.list_unit_price,
        "floor_total_price": unit.floor_total_price,
        "price_list_version": unit.price_list_version, "layout": unit.layout,
        "status": unit.status, "consultant_id": unit.consultant_id,
        "version": unit.version, "customer_id": unit.customer_id,
        "reserved_by_deposit_id": unit.deposit_id,
        "hold": None if hold is None else holds.hold_view(hold),
    }


def _project_view(project, unit_count) -> dict:
    return {"id": project.id, "code": project.code, "name": project.name,
            "hold_days": project.hold_days, "holds_auto_approved": project.holds_auto_approved,
            "offer_hours": project.offer_hours, "unit_count": unit_count}
