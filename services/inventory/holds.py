"""Holds (预留, 第9篇): register, approve, extend, release and expire them; the waitlist in time
order, and the offer its first consultant gets when a hold ends.

Like every inventory change, each step is a conditional UPDATE on the unit or the hold, so
concurrent workers never leave a unit with two holders or an offer nobody can claim.
"""
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from contracts.errors import Conflict, Forbidden, NotFound
from infra.database import utcnow
from services.inventory import channels, domain, openings
from services.inventory.history import change_status
from services.inventory.models import ChannelProject, Hold, Project, Unit, WaitlistEntry


def hold_unit(uow, cmd) -> dict:
    """Hold an available unit, or one offered to this consultant from the waitlist."""
    session = uow.session
    unit_id, consultant_id = cmd["unit_id"], cmd["consultant_id"]
    project = session.scalar(select(Project).join(Unit, Unit.project_id == Project.id)
                             .where(Unit.id == unit_id))
    if project is None:
        raise NotFound(f"unit {unit_id} does not exist", {"unit_id": ["unknown unit"]})
    channels.check_unit(session, cmd.get("channel_id"), unit_id)
    opening_id = openings.in_open_opening(session, unit_id)
    if opening_id is not None:
        raise Conflict(f"unit {unit_id} is released in opening {opening_id}",
                       {"unit_id": [f"released in opening {opening_id} until it closes"]})
    now = utcnow()
    taken = change_status(
        session, unit_id, domain.HELD, where=(or_(
            Unit.status == domain.AVAILABLE,
            and_(Unit.status == domain.OFFERED, Unit.consultant_id == consultant_id)),),
        by=f"consultant {consultant_id}", reason=f"held for customer {cmd['customer_id']}",
        now=now, customer_id=cmd["customer_id"], consultant_id=consultant_id)
    if taken is None:
        raise unit_conflict(session, unit_id, "the unit cannot be held")
    session.execute(update(WaitlistEntry).where(
        WaitlistEntry.unit_id == unit_id, WaitlistEntry.consultant_id == consultant_id,
        WaitlistEntry.status == "offered").values(status="claimed", ended_at=now))
    status = domain.opening_hold_status(project.holds_auto_approved)
    hold = Hold(unit_id=unit_id, customer_id=cmd["customer_id"],
                customer_name=cmd.get("customer_name"), consultant_id=consultant_id,
                status=status, created_at=now, extensions=0,
                expires_at=domain.hold_expires_at(now, project.hold_days),
                approved_by="project setting" if status == "active" else None,
                approved_at=now if status == "active" else None)
    session.add(hold)
    session.flush()
    uow.emit("unit_held", {"hold_id": hold.id, "consultant_id": consultant_id,
                           "expires_at": hold.expires_at, "status": status},
             project_id=project.id, unit_id=unit_id, customer_id=hold.customer_id)
    uow.commit()
    return hold_view(hold)


def approve_hold(uow, cmd) -> dict:
    session = uow.session
    hold = _hold(session, cmd["hold_id"], cmd.get("channel_id"))
    if not cmd["approve"]:
        end_hold(uow, hold, "rejected", by=cmd["manager"], reason=cmd["comment"] or "rejected")
        uow.commit()
        return _fresh_view(session, hold)
    now = utcnow()
    approved = session.execute(update(Hold).where(Hold.id == hold.id, Hold.status == "pending")
                               .values(status="active", approved_by=cmd["manager"],
                                       approved_at=now))
    if approved.rowcount != 1:
        raise Conflict(f"hold {hold.id} is {hold.status}, not waiting for approval",
                       {"hold_id": [f"the hold is {hold.status}"]})
    uow.emit("hold_approved", {"hold_id": hold.id, "approved_by": cmd["manager"]},
             **_envelope(session, hold))
    uow.commit()
    return _fresh_view(session, hold)


def extend_hold(uow, cmd) -> dict:
    session = uow.session
    hold = _hold(session, cmd["hold_id"], cmd.get("channel_id"))
    waiting = session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.unit_id == hold.unit_id, WaitlistEntry.status == "waiting"))
    if not domain.may_extend(waiting):
        raise Conflict(f"{waiting} consultant(s) wait for this unit and come before a renewal",
                       {"hold_id": [f"{waiting} consultant(s) wait for the unit"]})
    expires_at = hold.expires_at + timedelta(days=cmd["days"])
    extended = session.execute(
        update(Hold).where(Hold.id == hold.id, Hold.status.in_(domain.OPEN_HOLD_STATUSES),
                           Hold.expires_at == hold.expires_at)
        .values(expires_at=expires_at, extensions=Hold.extensions + 1))
    if extended.rowcount != 1:
        raise Conflict(f"hold {hold.id} is {hold.status} or changed meanwhile",
                       {"hold_id": [f"the hold is {hold.status}"]})
    uow.emit("hold_extended", {"hold_id": hold.id, "expires_at": expires_at,
                               "approved_by": cmd["approved_by"], "reason": cmd["reason"]},
             **_envelope(session, hold))
    uow.commit()
    return _fresh_view(session, hold)


def release_hold(uow, cmd) -> dict:
    """The holding consultant (or a manager, `consultant_id` None) gives the unit back."""
    hold = _hold(uow.session, cmd["hold_id"], cmd.get("channel_id"))
    if cmd["consultant_id"] is not None and cmd["consultant_id"] != hold.consultant_id:
        raise Forbidden("only the holding consultant or a manager may release a hold",
                        {"hold_id": ["not your hold"]})
    end_hold(uow, hold, "released", by=cmd["released_by"], reason=cmd["reason"])
    uow.commit()
    return _fresh_view(uow.session, hold)


def end_hold(uow, hold, outcome, by, reason, now=None) -> None:
    """End an open hold; the unit goes to the first waiting consultant, or back on sale."""
    session = uow.session
    now = now or utcnow()
    ended = session.execute(
        update(Hold).where(Hold.id == hold.id, Hold.status.in_(domain.OPEN_HOLD_STATUSES))
        .values(status=outcome, ended_at=now, ended_by=by, end_reason=reason))
    if ended.rowcount != 1:
        raise Conflict(f"hold {hold.id} is {hold.status}, not open",
                       {"hold_id": [f"the hold is {hold.status}"]})
    freed = change_status(
        session, hold.unit_id, domain.AVAILABLE,
        where=(Unit.status == domain.HELD, Unit.customer_id == hold.customer_id),
        by=by, reason=f"hold {hold.id} {outcome}: {reason}", now=now,
        customer_id=None, consultant_id=None)
    if outcome == "expired":
        uow.emit("hold_expired", {"hold_id": hold.id}, **_envelope(session, hold))
    else:
        uow.emit("hold_released", {"hold_id": hold.id, "outcome": outcome, "by": by,
                                   "reason": reason}, **_envelope(session, hold))
    if freed is not None:
        offer_to_next(uow, hold.unit_id, now)


def release_unfunded_selection(uow, event) -> None:
    """transactions took no deposit for a won unit (the queue number was cancelled): the
    selection is voided and the opening's hold ended, so the unit is on sale again."""
    data = event["data"]
    selection = openings.void_selection(uow.session, data["selection_id"])
    if selection is None:
        return
    hold = uow.session.scalar(select(Hold).where(
        Hold.unit_id == selection.unit_id, Hold.customer_id == selection.customer_id,
        Hold.approved_by == f"opening {selection.opening_id}",
        Hold.status.in_(domain.OPEN_HOLD_STATUSES)))
    if hold is not None:
        end_hold(uow, hold, "released", by="transactions", reason=data["reason"])


def offer_to_next(uow, unit_id, now) -> WaitlistEntry | None:
    """Offer an available unit to the first consultant waiting for it, for the claim window."""
    session = uow.session
    entry = session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.unit_id == unit_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(1))
    if entry is None:
        return None
    project = session.scalar(select(Project).join(Unit, Unit.project_id == Project.id)
                             .where(Unit.id == unit_id))
    offered = change_status(
        session, unit_id, domain.OFFERED, where=(Unit.status == domain.AVAILABLE,),
        by="waitlist", reason=f"offered to consultant {entry.consultant_id}, first in line",
        now=now, consultant_id=entry.consultant_id, customer_id=entry.customer_id)
    if offered is None:
        return None
    entry.status = "offered"
    entry.offer_expires_at = domain.offer_expires_at(now, project.offer_hours)
    uow.emit("unit_offered", {"entry_id": entry.id, "consultant_id": entry.consultant_id,
                              "offer_expires_at": entry.offer_expires_at},
             project_id=project.id, unit_id=unit_id, customer_id=entry.customer_id)
    return entry


def join_waitlist(uow, cmd) -> dict:
    session = uow.session
    unit = session.get(Unit, cmd["unit_id"])
    if unit is None:
        raise NotFound(f"unit {cmd['unit_id']} does not exist", {"unit_id": ["unknown unit"]})
    channels.check_unit(session, cmd.get("channel_id"), unit.id)
    if unit.status not in (domain.HELD, domain.OFFERED):
        hint = "hold it instead" if unit.status == domain.AVAILABLE else "it is not held"
        raise Conflict(f"only a held unit has a waitlist ({hint}): it is {unit.status}",
                       {"unit_id": unit.id, "status": unit.status})
    if unit.consultant_id == cmd["consultant_id"]:
        raise Conflict("the unit is already yours", {"consultant_id": ["holds or is offered "
                                                                      "the unit"]})
    entry = WaitlistEntry(unit_id=unit.id, consultant_id=cmd["consultant_id"],
                          customer_id=cmd["customer_id"], status="waiting", created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise Conflict("this consultant is already on the unit's waitlist",
                       {"consultant_id": ["already waiting"]}) from None
    uow.commit()
    return entry_with_position(session, entry)


def withdraw_from_waitlist(uow, cmd) -> dict:
    """A waiting consultant steps aside (第9篇: 置业顾问之间可做协商); an open offer passes on."""
    session = uow.session
    entry = _entry(session, cmd["entry_id"])
    channels.check_unit(session, cmd.get("channel_id"), entry.unit_id)
    if cmd["consultant_id"] is not None and cmd["consultant_id"] != entry.consultant_id:
        raise Forbidden("only the waiting consultant or a manager may withdraw an entry",
                        {"entry_id": ["not your entry"]})
    _close_entry(uow, entry, "withdrawn", utcnow())
    uow.commit()
    return entry_view(entry)


def get_entry(session, entry_id) -> dict:
    return entry_view(_entry(session, entry_id))


def _entry(session, entry_id) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound(f"waitlist entry {entry_id} does not exist",
                       {"entry_id": ["unknown entry"]})
    return entry


def _close_entry(uow, entry, outcome, now) -> None:
    session = uow.session
    was = entry.status
    closed = session.execute(
        update(WaitlistEntry).where(WaitlistEntry.id == entry.id,
                                    WaitlistEntry.status.in_(domain.OPEN_ENTRY_STATUSES))
        .values(status=outcome, ended_at=now))
    if closed.rowcount != 1:
        raise Conflict(f"waitlist entry {entry.id} is {entry.status}",
                       {"entry_id": [f"the entry is {entry.status}"]})
    session.refresh(entry)
    if was != "offered":
        return
    change_status(session, entry.unit_id, domain.AVAILABLE,
                  where=(Unit.status == domain.OFFERED, Unit.consultant_id == entry.consultant_id),
                  by="timer" if outcome == "lapsed" else f"consultant {entry.consultant_id}",
                  reason=f"offer {outcome}", now=now, customer_id=None, consultant_id=None)
    project_id = session.scalar(select(Unit.project_id).where(Unit.id == entry.unit_id))
    uow.emit("offer_lapsed", {"entry_id": entry.id, "consultant_id": entry.consultant_id,
                              "outcome": outcome},
             project_id=project_id, unit_id=entry.unit_id, customer_id=entry.customer_id)
    offer_to_next(uow, entry.unit_id, now)


def expire(uow, now=None) -> int:
    """End every hold and every offer past its time (a timer calls this)."""
    session = uow.session
    now = now or utcnow()
    holds = session.scalars(select(Hold).where(Hold.status.in_(domain.OPEN_HOLD_STATUSES),
                                               Hold.expires_at <= now)
                            .order_by(Hold.expires_at).limit(500)).all()
    ended = 0
    for hold in holds:
        try:
            with session.begin_nested():
                end_hold(uow, hold, "expired", by="timer", reason="hold period over", now=now)
            ended += 1
        except Conflict:
            continue  # ended meanwhile by another worker or a deposit
    offers = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.offer_expires_at).limit(500)).all()
    for entry in offers:
        try:
            with session.begin_nested():
                _close_entry(uow, entry, "lapsed", now)
            ended += 1
        except Conflict:
            continue
    uow.commit()
    return ended


def waitlist(session, unit_id) -> list[dict]:
    entries = session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.unit_id == unit_id,
        WaitlistEntry.status.in_(domain.OPEN_ENTRY_STATUSES))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)).all()
    waiting = [entry for entry in entries if entry.status == "waiting"]
    return [entry_view(entry, waiting.index(entry) + 1 if entry in waiting else None)
            for entry in entries]


def entry_view(entry, position=None) -> dict:
    return {"id": entry.id, "unit_id": entry.unit_id, "consultant_id": entry.consultant_id,
            "customer_id": entry.customer_id, "status": entry.status, "position": position,
            "created_at": entry.created_at, "offer_expires_at": entry.offer_expires_at}


def entry_with_position(session, entry) -> dict:
    for view in waitlist(session, entry.unit_id):
        if view["id"] == entry.id:
            return view
    return entry_view(entry)


def hold_view(hold) -> dict:
    return {column: getattr(hold, column) for column in (
        "id", "unit_id", "customer_id", "customer_name", "consultant_id", "status",
        "created_at", "expires_at", "approved_by", "approved_at", "extensions", "ended_at",
        "ended_by", "end_reason")}


def get_hold(session, hold_id, channel_id=None) -> dict:
    return hold_view(_hold(session, hold_id, channel_id))


def _fresh_view(session, hold) -> dict:
    session.refresh(hold)
    return hold_view(hold)


def _hold(session, hold_id, channel_id=None) -> Hold:
    """The hold, if the caller's channel (when any) sells its unit's project."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(f"hold {hold_id} does not exist", {"hold_id": ["unknown hold"]})
    channels.check_unit(session, channel_id, hold.unit_id)
    return hold


def _envelope(session, hold) -> dict:
    project_id = session.scalar(select(Unit.project_id).where(Unit.id == hold.unit_id))
    return {"project_id": project_id, "unit_id": hold.unit_id, "customer_id": hold.customer_id}


def unit_conflict(session, unit_id, message) -> Conflict:
    unit = session.get(Unit, unit_id)
    hint = "; join its waitlist" if unit.status in (domain.HELD, domain.OFFERED) else ""
    return Conflict(f"{message}: it is {unit.status}{hint}",
                    {"unit_id": unit_id, "status": unit.status})


def open_holds(session, actor, status=None, expiring_within_hours=None, limit=200,
               channel_id=None, now=None) -> list[dict]:
    """Open holds in the actor's projects (a consultant's own only), soonest to expire first."""
    now = now or utcnow()
    query = (select(Hold, Unit.project_id, Unit.building, Unit.number)
             .join(Unit, Unit.id == Hold.unit_id)
             .where(Hold.status.in_((status,) if status else ("pending", "active")))
             .order_by(Hold.expires_at, Hold.id).limit(limit))
    if actor["project_ids"] is not None:
        query = query.where(Unit.project_id.in_(actor["project_ids"] or [0]))
    if actor["role"] == "consultant":
        query = query.where(Hold.consultant_id == (actor["consultant_id"] or 0))
    if expiring_within_hours is not None:
        query = query.where(Hold.expires_at <= now + timedelta(hours=expiring_within_hours))
    if channel_id is not None:
        query = query.where(Unit.project_id.in_(select(ChannelProject.project_id).where(
            ChannelProject.channel_id == channel_id)))
    return [{**hold_view(hold), "project_id": project_id, "building": building,
             "number": number} for hold, project_id, building, number in session.execute(query)]
