"""Large fixtures written straight into a service's database, because building them through
the API is not what is measured (and a 200,000-unit create_project would take longer than
the benchmark of the board itself)."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from infra.database import utcnow
from services.inventory.models import Hold, Project, Unit

UNITS_PER_BUILDING = 120  # 30 floors × 4 rooms
CHUNK = 10_000


def unit_status(index: int, held_every: int, reserved_every: int) -> str:
    if reserved_every and index % reserved_every == 1:
        return "reserved"
    if held_every and index % held_every == 2:
        return "held"
    return "available"


def seed_project(engine, code: str, unit_count: int, held_every: int = 0,
                 reserved_every: int = 0) -> int:
    """A project with `unit_count` units; every `held_every`-th unit held (with its active
    hold) and every `reserved_every`-th reserved, the rest available. Returns its id."""
    now = utcnow()
    with engine.begin() as connection:
        project_id = connection.execute(insert(Project).values(
            code=code, name=f"基准 {code}", hold_days=3, created_at=now)
            .returning(Project.id)).scalar_one()
        for start in range(0, unit_count, CHUNK):
            connection.execute(insert(Unit), [
                _unit(project_id, index, held_every, reserved_every, now)
                for index in range(start, min(start + CHUNK, unit_count))])
        held = connection.execute(select(Unit.id, Unit.customer_id).where(
            Unit.project_id == project_id, Unit.status == "held")).all()
        if held:
            connection.execute(insert(Hold), [
                {"unit_id": unit_id, "customer_id": customer_id, "consultant_id": 1,
                 "status": "active", "created_at": now, "expires_at": now + timedelta(days=3)}
                for unit_id, customer_id in held])
    return project_id


def available_units(engine, project_id: int) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(Unit.id).where(
            Unit.project_id == project_id, Unit.status == "available").order_by(Unit.id))
            .scalars())


def _unit(project_id, index, held_every, reserved_every, now) -> dict:
    building, position = divmod(index, UNITS_PER_BUILDING)
    floor, room = divmod(position, 4)
    status = unit_status(index, held_every, reserved_every)
    taken = status != "available"
    return {"project_id": project_id, "building": str(building + 1),
            "number": f"{floor + 1}{room + 1:02d}", "floor": floor + 1,
            "building_area": Decimal("89.50"), "list_price": Decimal(1_000_000 + floor * 10_000),
            "layout": "3/2", "status": status, "version": 1,
            "customer_id": 500_000 + index if taken else None,
            "consultant_id": 1 if taken else None,
            "deposit_id": 900_000 + index if status == "reserved" else None,
            "updated_at": now}
