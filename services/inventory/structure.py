"""The project's rooms: one added by hand, a building generated from floors × rooms per floor
(and its entrances), and the import of a table of rooms with their areas and prices."""
from contextlib import contextmanager

import eventlet
from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput
from contracts.inventory import UnitImportSchema
from infra.database import utcnow
from infra.imports import off_hub
from services.inventory import channels, domain, prices, unit_table
from services.inventory.models import PriceListItem, Unit

@contextmanager
def _rooms_added_meanwhile():
    """The unique (project, building, entrance, number) refuses a room that a concurrent
    request added first: a 409, and this request changes nothing."""
    try:
        yield
    except IntegrityError:
        raise Conflict("the same rooms were added at the same moment; try again",
                       {"number": ["added meanwhile"]}) from None


ATTRIBUTES = ("floor", "building_area", "garden_area", "other_area", "layout", "property_type",
              "orientation")


def generate_building(uow, cmd) -> dict:
    """号楼 of `floors` floors from `first_floor`, `entrances` entrances (单元), and on every
    floor of each entrance the rooms of `rooms` (their position is the room number's end).
    Prices follow from `unit_price` (单价 per m²) when given, as a new price-list version."""
    session = uow.session
    project = channels.visible_project(session, cmd["project_id"], cmd.get("channel_id"))
    if session.scalar(select(Unit.id).where(Unit.project_id == project.id,
                                            Unit.building == cmd["building"]).limit(1)):
        raise Conflict(f"building {cmd['building']} exists already in the project",
                       {"building": ["already exists"]})
    if cmd.get("unit_price") is not None:
        for position, room in enumerate(cmd["rooms"], start=1):
            total = domain.complete_price(room["building_area"], cmd["unit_price"], None)[1]
            if total >= domain.MAX_MONEY:
                raise InvalidInput(f"room {position}: the total price is too large", {
                    "unit_price": [f"× the area of room {position}: {domain.TOO_LARGE}"]})
            if total <= 0:
                raise InvalidInput(f"room {position}: the total price rounds to 0.00", {
                    "unit_price": [f"× the area of room {position}: less than one fen"]})
    now = utcnow()
    entrances = [str(n) for n in range(1, cmd["entrances"] + 1)] if cmd["entrances"] > 1 else [""]
    units = [Unit(project_id=project.id, building=cmd["building"], entrance=entrance,
                  number=domain.room_number(floor, position), floor=floor,
                  building_area=room["building_area"], garden_area=room.get("garden_area"),
                  other_area=room.get("other_area"), layout=room.get("layout"),
                  orientation=room.get("orientation"), property_type=cmd["property_type"],
                  status=domain.AVAILABLE, version=1, updated_at=now)
             for entrance in entrances
             for floor in range(cmd["first_floor"], cmd["first_floor"] + cmd["floors"])
             for position, room in enumerate(cmd["rooms"], start=1)]
    with _rooms_added_meanwhile():
        session.add_all(units)
        session.flush()
    version = None
    if cmd.get("unit_price") is not None:
        version = _price_version(session, project.id, cmd["created_by"], "generated", now, [
            (unit.id, *domain.complete_price(unit.building_area, cmd["unit_price"], None), None)
            for unit in units])
    uow.commit()
    return {"project_id": project.id, "building": cmd["building"], "created": len(units),
            "entrances": len(entrances), "price_list_version": version}


def add_unit(uow, cmd) -> dict:
    """One room added to a building of the project (a new building too); its prices, when
    given, are a new price-list version in force at once."""
    session = uow.session
    project = channels.visible_project(session, cmd["project_id"], cmd.get("channel_id"))
    if session.scalar(select(Unit.id).where(
            Unit.project_id == project.id, Unit.building == cmd["building"],
            Unit.entrance == cmd["entrance"], Unit.number == cmd["number"])):
        raise Conflict(f"room {cmd['number']} exists already in building {cmd['building']}",
                       {"number": ["already exists"]})
    now = utcnow()
    unit = Unit(project_id=project.id, building=cmd["building"], entrance=cmd["entrance"],
                number=cmd["number"], status=domain.AVAILABLE, version=1, updated_at=now,
                **{name: cmd[name] for name in ATTRIBUTES})
    with _rooms_added_meanwhile():
        session.add(unit)
        session.flush()
    unit_price, total_price = domain.complete_price(unit.building_area, cmd["list_unit_price"],
                                                    cmd["list_price"])
    if total_price is not None:
        problems = domain.price_problems(unit_price, total_price, cmd["floor_total_price"])
        if problems:
            raise InvalidInput("the room's prices are wrong", problems)
        _price_version(session, project.id, cmd["created_by"], f"room {unit.number}", now,
                       [(unit.id, unit_price, total_price, cmd["floor_total_price"])])
    uow.commit()
    return unit.id


def import_units(uow, cmd, job=None) -> dict:
    """Rooms from a table: new rooms are added, known ones (building, entrance, number) get
    the table's areas and attributes, and prices that differ from the current ones become one
    new price-list version. A second run of the same table changes nothing.

    The rows are saved IMPORT_BATCH at a time, one transaction each; as a background `job`
    (infra.imports.Job) each batch records the job's progress and lets the service's other
    requests run before the next. The new price-list version comes last, in one transaction."""
    session = uow.session
    project = channels.visible_project(session, cmd["project_id"], cmd.get("channel_id"))
    parsed = _parsed(cmd["header"], cmd["rows"])
    now = utcnow()
    created = updated = unchanged = 0
    priced = []
    for start in range(0, len(parsed.rooms), IMPORT_BATCH):
        rooms = parsed.rooms[start:start + IMPORT_BATCH]
        counts, batch_priced = _save_rooms(session, project.id, rooms, now)
        created, updated, unchanged = (a + b for a, b in zip((created, updated, unchanged), counts))
        priced += batch_priced
        if job is not None:
            job.progress(session, rooms[-1]["line"] - 1)
        uow.commit()
        if job is not None:
            job.pause()
    version = (_price_version(session, project.id, cmd["imported_by"], "imported", now, priced)
               if priced else None)
    uow.commit()
    return {"project_id": project.id, "rows": len(cmd["rows"]), "created": created,
            "updated": updated, "unchanged": unchanged, "priced": len(priced),
            "price_list_version": version, "errors": parsed.errors}


IMPORT_BATCH = 250  # rows per transaction: each batch is ORM work on the hub, kept short


def run_import(uow_factory, job, header, rows) -> dict:
    """A queued import job of a table of rooms (infra.imports.run_next)."""
    with uow_factory() as uow:
        return UnitImportSchema.shared().dump(import_units(uow, {
            "project_id": job.params["project_id"], "channel_id": job.params["channel_id"],
            "imported_by": job.created_by, "header": header, "rows": rows}, job))


def check_import_header(header: list) -> None:
    """Refuse a table whose columns cannot be used, before it is imported."""
    try:
        unit_table.column_fields(header)
    except unit_table.UnusableColumns as exc:
        raise _unusable(exc) from None


def _parsed(header, rows) -> unit_table.ParsedTable:
    """The table judged row by row, in a thread: it is pure work that would otherwise hold
    the service's eventlet hub for as long as it takes."""
    try:
        return off_hub(unit_table.parse, header, rows)
    except unit_table.UnusableColumns as exc:
        raise _unusable(exc) from None


def _unusable(exc) -> InvalidInput:
    details = {}
    if exc.missing:
        details["missing_columns"] = exc.missing
    if exc.unknown:
        details["unknown_columns"] = exc.unknown
    return InvalidInput("the table's columns are not usable; nothing was imported", details)


def _save_rooms(session, project_id, rooms, now):
    """One batch of rows: (created, updated, unchanged) and the rooms whose price changed."""
    places = [(room["building"], room["entrance"], room["number"]) for room in rooms]
    known = {(u.building, u.entrance, u.number): u for u in session.scalars(
        select(Unit).where(Unit.project_id == project_id,
                           tuple_(Unit.building, Unit.entrance, Unit.number).in_(places)))}
    created = updated = unchanged = 0
    units = []
    for room, place in zip(rooms, places):
        unit = known.get(place)
        if unit is None:
            unit = Unit(project_id=project_id, building=room["building"],
                        entrance=room["entrance"], number=room["number"],
                        status=domain.AVAILABLE, version=1, updated_at=now,
                        **{name: room[name] for name in ATTRIBUTES})
            session.add(unit)
            created += 1
        elif any(getattr(unit, name) != room[name] for name in ATTRIBUTES):
            session.execute(update(Unit).where(Unit.id == unit.id).values(
                updated_at=now, **{name: room[name] for name in ATTRIBUTES}))
            updated += 1
        else:
            unchanged += 1
        units.append(unit)
    with _rooms_added_meanwhile():
        session.flush()
    priced = []
    for room, unit in zip(rooms, units):
        new_price = (room["unit_price"], room["total_price"], room["floor_total_price"])
        if room["total_price"] is not None and new_price != (
                unit.list_unit_price, unit.list_price, unit.floor_total_price):
            priced.append((unit.id, *new_price))
    return (created, updated, unchanged), priced


PRICE_BATCH = 1000


def _price_version(session, project_id, created_by, note, now, items) -> int:
    """A price-list version in force now, of (unit_id, unit price, total, floor price)."""
    price_list = prices.new_version(session, project_id, now, created_by, note, now)
    for start in range(0, len(items), PRICE_BATCH):  # plain multi-row inserts, no ORM objects
        session.execute(insert(PriceListItem), [
            {"price_list_id": price_list.id, "unit_id": unit_id, "unit_price": unit_price,
             "total_price": total_price, "floor_total_price": floor_price}
            for unit_id, unit_price, total_price, floor_price in items[start:start + PRICE_BATCH]])
        eventlet.sleep(0)
    prices.apply_due(session, now)
    return price_list.version


