"""Price lists (价目表) as versions: each applies from its time, the old ones stay readable, and
a unit's price at any moment is the one of the latest version in force then that lists it.

A version may not start in the past, so what was answered for a past moment (and pinned by
transactions) never changes. When a version takes effect its prices are copied onto the units
(a timer does it for a version that starts later), so the unit and the board read them
directly.
"""
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, InvalidInput, NotFound
from infra.database import utcnow
from services.inventory import channels, domain
from services.inventory.models import PriceList, PriceListItem, Project, Unit


def create_price_list(uow, cmd, now=None) -> dict:
    session = uow.session
    now = now or utcnow()
    project_id = cmd["project_id"]
    if session.get(Project, project_id) is None:
        raise NotFound(f"project {project_id} does not exist", {"project_id": ["unknown project"]})
    channels.check_project(session, cmd.get("channel_id"), project_id)
    effective_from = cmd.get("effective_from") or now
    if effective_from < now:
        raise InvalidInput("a price list cannot start in the past: past prices stay as they were",
                           {"effective_from": ["in the past"]})
    items = _items(session, project_id, cmd["prices"])
    price_list = new_version(session, project_id, effective_from, cmd["created_by"],
                             cmd.get("note", ""), now)
    session.add_all(PriceListItem(price_list_id=price_list.id, **item) for item in items)
    session.flush()
    apply_due(session, now)
    uow.commit()
    return price_list_view(session, price_list, with_items=True)


def new_version(session, project_id, effective_from, created_by, note, now) -> PriceList:
    """The project's next version number. Two managers saving at once: the unique
    (project, version) refuses the second, who tries again."""
    version = (session.scalar(select(func.max(PriceList.version))
                              .where(PriceList.project_id == project_id)) or 0) + 1
    price_list = PriceList(project_id=project_id, version=version, effective_from=effective_from,
                           created_by=created_by, note=note, created_at=now)
    try:
        with session.begin_nested():
            session.add(price_list)
    except IntegrityError:
        raise Conflict("another price list was saved at the same moment; save again",
                       {"version": ["taken meanwhile"]}) from None
    return price_list


def _items(session, project_id, prices) -> list[dict]:
    unit_ids = [price["unit_id"] for price in prices]
    areas = dict(session.execute(select(Unit.id, Unit.building_area).where(
        Unit.project_id == project_id, Unit.id.in_(unit_ids))).all())
    errors, items = {}, []
    for index, price in enumerate(prices):
        if price["unit_id"] not in areas:
            errors[str(index)] = {"unit_id": ["not a unit of this project"]}
            continue
        unit_price, total_price = domain.complete_price(
            areas[price["unit_id"]], price.get("unit_price"), price.get("total_price"))
        problems = domain.price_problems(unit_price, total_price, price.get("floor_total_price"))
        if problems:
            errors[str(index)] = problems
            continue
        items.append({"unit_id": price["unit_id"], "unit_price": unit_price,
                      "total_price": total_price,
                      "floor_total_price": price.get("floor_total_price")})
    if errors:
        raise InvalidInput("some prices are wrong; nothing was saved", {"prices": errors})
    return items


def apply_due(session, now=None) -> int:
    """Copy the prices of every version whose time has come onto its units, in the order the
    versions take effect. A version is applied by one worker only (a conditional UPDATE)."""
    now = now or utcnow()
    due = session.scalars(select(PriceList).where(PriceList.applied_at.is_(None),
                                                  PriceList.effective_from <= now)
                          .order_by(PriceList.effective_from, PriceList.version)).all()
    applied = 0
    for price_list in due:
        claimed = session.execute(update(PriceList).where(PriceList.id == price_list.id,
                                                          PriceList.applied_at.is_(None))
                                  .values(applied_at=now))
        if claimed.rowcount != 1:
            continue
        session.execute(
            update(Unit).where(Unit.id == PriceListItem.unit_id,
                               PriceListItem.price_list_id == price_list.id)
            .values(list_price=PriceListItem.total_price,
                    list_unit_price=PriceListItem.unit_price,
                    floor_total_price=PriceListItem.floor_total_price,
                    price_list_version=price_list.version, updated_at=now))
        applied += 1
    return applied


def price_at(session, unit_id, at=None, channel_id=None) -> dict:
    """The unit's price at `at` (now by default): the latest version in force then."""
    at = at or utcnow()
    if session.get(Unit, unit_id) is None:
        raise NotFound(f"unit {unit_id} does not exist", {"unit_id": ["unknown unit"]})
    channels.check_unit(session, channel_id, unit_id)
    row = session.execute(
        select(PriceList.version, PriceList.effective_from, PriceListItem.unit_price,
               PriceListItem.total_price, PriceListItem.floor_total_price)
        .join(PriceListItem, PriceListItem.price_list_id == PriceList.id)
        .where(PriceListItem.unit_id == unit_id, PriceList.effective_from <= at)
        .order_by(PriceList.effective_from.desc(), PriceList.version.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"unit {unit_id} had no price at {at.isoformat()}",
                       {"at": ["no price list in force then"]})
    return {"unit_id": unit_id, "at": at, "price_list_version": row.version,
            "effective_from": row.effective_from, "unit_price": row.unit_price,
            "total_price": row.total_price, "floor_total_price": row.floor_total_price}


def list_versions(session, project_id, channel_id=None) -> dict:
    if session.get(Project, project_id) is None:
        raise NotFound(f"project {project_id} does not exist", {"project_id": ["unknown project"]})
    channels.check_project(session, channel_id, project_id)
    lists = session.scalars(select(PriceList).where(PriceList.project_id == project_id)
                            .order_by(PriceList.version)).all()
    return {"project_id": project_id,
            "price_lists": [price_list_view(session, pl, with_items=False) for pl in lists]}


def get_version(session, project_id, version, channel_id=None) -> dict:
    channels.check_project(session, channel_id, project_id)
    price_list = session.scalar(select(PriceList).where(PriceList.project_id == project_id,
                                                        PriceList.version == version))
    if price_list is None:
        raise NotFound(f"project {project_id} has no price list version {version}",
                       {"version": ["unknown version"]})
    return price_list_view(session, price_list, with_items=True)


def price_list_view(session, price_list, with_items) -> dict:
    view = {"project_id": price_list.project_id, "version": price_list.version,
            "effective_from": price_list.effective_from, "created_by": price_list.created_by,
            "note": price_list.note, "created_at": price_list.created_at,
            "in_force": price_list.applied_at is not None}
    if with_items:
        view["prices"] = [
            {"unit_id": item.unit_id, "unit_price": item.unit_price,
             "total_price": item.total_price, "floor_total_price": item.floor_total_price}
            for item in session.scalars(select(PriceListItem).where(
                PriceListItem.price_list_id == price_list.id).order_by(PriceListItem.unit_id))]
    return view


def pinned(unit) -> dict:
    """The unit's current price, as a reservation pins it (PinnedPrice)."""
    return {"price_list_version": unit.price_list_version, "unit_price": unit.list_unit_price,
            "total_price": unit.list_price, "floor_total_price": unit.floor_total_price}

