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
from decimal import Decimal

from sqlalchemy import Text, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from contracts.board import board_cells as cells  # noqa: F401 (tests read rooms by name)
from contracts.errors import NotFound
from infra.workbooks import xlsx
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


def board_json(session, project_id, building=None, rooms=True) -> str:
    """The board as JSON text: {"project", "buildings", "units"}; without the rooms (units
    empty) when `rooms` is false."""
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
    return f'{head[:-1]}, "units": {_cells(session, where) if rooms else "[]"}}}'


def packed_board(session, project_id, building=None, rooms=True) -> dict:
    """The board's JSON text gzipped (a tenth of its size on the broker), in base64 for the
    JSON of the RPC reply; the gateway sends the gzip on as it is to a client that takes it."""
    body = gzip.compress(board_json(session, project_id, building, rooms).encode(),
                         compresslevel=1)
    return {"gzip_base64": base64.b64encode(body).decode("ascii")}


def board(session, project_id, building=None, rooms=True) -> dict:
    return json.loads(board_json(session, project_id, building, rooms))


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


# the board's columns in the workbook (销控表): header, cell key
BOARD_COLUMNS = (("号楼", "building"), ("单元", "entrance"), ("楼层", "floor"), ("房号", "number"),
                 ("户型", "layout"), ("建筑面积", "building_area"), ("单价", "list_unit_price"),
                 ("总价", "list_price"), ("状态", "status"), ("置业顾问", "consultant_id"))
STATUS_NAMES = {"available": "可售", "held": "预留", "offered": "待认领", "reserved": "已定",
                "subscribed": "已认购", "contracted": "已签约", "filed": "已备案"}
MONEY_KEYS = ("building_area", "list_unit_price", "list_price")


def board_workbook(board: dict) -> bytes:
    """The board (`board()`) as an XLSX sheet, one row per room, and a sheet of totals;
    written row by row (write-only mode)."""
    positions = [board["columns"].index(key) for _, key in BOARD_COLUMNS]
    units = [[header for header, _ in BOARD_COLUMNS]] + [
        [_cell(key, row[position]) for (_, key), position in zip(BOARD_COLUMNS, positions)]
        for row in board["units"]]
    summary = [["号楼", "套数"] + [STATUS_NAMES[status] for status in STATUS_NAMES]] + [
        [building["building"], building["unit_count"]]
        + [building["by_status"].get(status, 0) for status in STATUS_NAMES]
        for building in board["buildings"]]
    return xlsx([("销控表", units), ("汇总", summary)])


def _cell(key, value):
    if value is None:
        return None
    if key == "status":
        return STATUS_NAMES.get(value, value)
    return Decimal(value) if key in MONEY_KEYS else value
