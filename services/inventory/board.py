"""The sales-control board (销控表): a project's (or one building's) rooms with their status,
price and consultant, for 20,000 rooms in one request.

No ORM objects and no marshmallow on this path (contracts.inventory.BoardSchema still
describes it for OpenAPI). The rooms are columnar: `columns` names the fields once and each
room is a row of values in that order, a third of the size of one object per room. On
PostgreSQL the database itself writes the rows as JSON text (money as text), which goes to
the gateway and on to the caller without being parsed again.
"""
import base64
import gzip
import json

from sqlalchemy import Text, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from contracts.board import board_cells as cells  # noqa: F401 (tests read rooms by name)
from contracts.errors import NotFound
from services.inventory import domain
from services.inventory.models import Project, Unit

# a room on the board: column name → database column
CELL = {"id": Unit.id, "building": Unit.building, "entrance": Unit.entrance,
        "floor": Unit.floor, "number": Unit.number, "layout": Unit.layout,
        "building_area": Unit.building_area, "list_unit_price": Unit.list_unit_price,
        "list_price": Unit.list_price, "status": Unit.status,
        "consultant_id": Unit.consultant_id}
MONEY = ("building_area", "list_unit_price", "list_price")  # sent as text, like all money
# building 2 before building 10, room 101 before room 1001
ORDER = (func.length(Unit.building), Unit.building, Unit.entrance, Unit.floor,
         func.length(Unit.number), Unit.number)
# the same on PostgreSQL in byte order ("C"), which sorts faster than a language's collation
PG_ORDER = (func.length(Unit.building), Unit.building.collate("C"), Unit.entrance.collate("C"),
            Unit.floor, func.length(Unit.number), Unit.number.collate("C"))


def begin_snapshot(session) -> None:
    """The board's totals and its rooms are two statements; on PostgreSQL both read one
    snapshot (REPEATABLE READ, which costs a read-only transaction nothing), so they agree
    however the units change meanwhile. Called before the session's first statement."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def board_json(session, project_id, building=None) -> str:
    """The board as JSON text: {"project", "buildings", "units"}."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} does not exist", {"project_id": ["unknown project"]})
    where = [Unit.project_id == project_id]
    if building is not None:
        where.append(Unit.building == building)
    buildings = _buildings(session, where)
    if building is not None and not buildings:
        raise NotFound(f"project {project_id} has no building {building}",
                       {"building": ["unknown building"]})
    head = json.dumps({"project": {"id": project.id, "code": project.code, "name": project.name,
                                   "unit_count": sum(b["unit_count"] for b in buildings)},
                       "buildings": buildings, "columns": list(CELL)}, ensure_ascii=False)
    return f'{head[:-1]}, "units": {_cells(session, where)}}}'


def packed_board(session, project_id, building=None) -> dict:
    """The board's JSON text gzipped (a tenth of its size on the broker), in base64 for the
    JSON of the RPC reply; the gateway sends the gzip on as it is to a client that takes it."""
    body = gzip.compress(board_json(session, project_id, building).encode(), compresslevel=1)
    return {"gzip_base64": base64.b64encode(body).decode("ascii")}


def board(session, project_id, building=None) -> dict:
    return json.loads(board_json(session, project_id, building))


def _cells(session, where) -> str:
    if session.get_bind().dialect.name == "postgresql":
        values = [column.cast(Text) if key in MONEY else column for key, column in CELL.items()]
        rooms = func.json_agg(aggregate_order_by(func.json_build_array(*values), *PG_ORDER))
        return session.scalar(select(func.coalesce(rooms.cast(Text), "[]")).where(*where))
    rows = session.execute(select(*CELL.values()).where(*where).order_by(*ORDER))
    return json.dumps([list(row) for row in rows], ensure_ascii=False, default=str)


def _buildings(session, where) -> list[dict]:
    """Per building: its entrances, lowest and highest floor, and how many rooms stand in
    each status (the board's totals)."""
    rows = session.execute(
        select(Unit.building, Unit.entrance, Unit.status, func.count(), func.min(Unit.floor),
               func.max(Unit.floor))
        .where(*where).group_by(Unit.building, Unit.entrance, Unit.status)
        .order_by(func.length(Unit.building), Unit.building, Unit.entrance)).all()
    summary = {}
    for building, entrance, status, count, lowest, highest in rows:
        entry = summary.setdefault(building, {
            "building": building, "entrances": [], "lowest_floor": lowest,
            "highest_floor": highest, "unit_count": 0,
            "by_status": dict.fromkeys(domain.BOARD_STATUSES, 0)})
        if entrance not in entry["entrances"]:
            entry["entrances"].append(entrance)
        entry["lowest_floor"] = min(entry["lowest_floor"], lowest)
        entry["highest_floor"] = max(entry["highest_floor"], highest)
        entry["unit_count"] += count
        entry["by_status"][status] += count
    return list(summary.values())
