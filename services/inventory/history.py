"""A unit's status changes: made in one place, each recorded with who, when, why and the event.

`change_status` locks the unit's row, then moves it with a conditional UPDATE: the lock makes
the recorded `from` the status the UPDATE really left, and the condition keeps the change
safe on engines that ignore the lock (SQLite).
"""
from sqlalchemy import insert, select, update

from contracts.errors import NotFound
from infra.database import utcnow
from services.inventory.models import Unit, UnitStatusChange


def change_status(session, unit_id, to_status, *, where=(), by, reason, event=None, now=None,
                  locked=None, **values) -> str | None:
    """Move the unit to `to_status` when `where` holds; returns the status it left, or None
    when the unit does not exist or the condition does not hold (nothing changed). A caller
    that has locked the unit's row already passes what it read (`locked`: status and
    project_id), saving the second read."""
    current = locked or session.execute(select(Unit.status, Unit.project_id).where(
        Unit.id == unit_id).with_for_update()).first()
    if current is None:
        return None
    now = now or utcnow()
    moved = session.execute(update(Unit).where(Unit.id == unit_id, *where).values(
        status=to_status, version=Unit.version + 1, updated_at=now, **values))
    if moved.rowcount != 1:
        return None
    session.execute(insert(UnitStatusChange).values(
        unit_id=unit_id, project_id=current.project_id, from_status=current.status,
        to_status=to_status, changed_by=by[:100], reason=reason[:200],
        event_id=str(event["event_id"]) if event else None,
        event_type=f"{event['source']}.{event['type']}" if event else None, changed_at=now))
    return current.status


def unit_history(session, unit_id) -> dict:
    if session.get(Unit, unit_id) is None:
        raise NotFound(f"unit {unit_id} does not exist", {"unit_id": ["unknown unit"]})
    changes = session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit_id)
                              .order_by(UnitStatusChange.id)).all()
    return {"unit_id": unit_id, "changes": [
        {"from_status": c.from_status, "to_status": c.to_status, "changed_by": c.changed_by,
         "reason": c.reason, "event_id": c.event_id, "event_type": c.event_type,
         "changed_at": c.changed_at} for c in changes]}
