"""The sales-control board on PostgreSQL: rows in building/entrance/floor/room order, the
building totals, one building alone, and the same board on SQLite."""
import collections
import itertools

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import event, update
from sqlalchemy.orm import sessionmaker

from contracts.base import load
from contracts.board import unpack_board
from contracts.errors import NotFound
from contracts.inventory import CreateProjectSchema
from contracts.scope import actor
from infra.database import UnitOfWork, make_engine, utcnow
from infra.migrations import upgrade
from services.inventory import board, handlers, holds
from services.inventory.models import Unit, metadata
from services.inventory.service import InventoryService

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def make_project(uow):
    rooms = [{"number": number, "floor": floor, "building_area": "89.50",
              "list_price": "1000000.00", "layout": "3/2"}
             for number, floor in (("1001", 10), ("201", 2), ("101", 1), ("102", 1))]
    cmd = load(CreateProjectSchema(), {
        "code": f"board-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Board",
        "holds_auto_approved": True,
        "buildings": [{"name": "10", "units": rooms[:1]}, {"name": "2", "units": rooms}]})
    return handlers.create_project(uow, cmd)["id"]


def check_board(store):
    with store() as uow:
        project_id = make_project(uow)
    with store() as uow:
        first = board.cells(board.board(uow.session, project_id))
        holds.hold_unit(uow, {"unit_id": first[0]["id"], "consultant_id": 4, "customer_id": 9,
                              "customer_name": None})
    with store() as uow:
        grid = board.board(uow.session, project_id)
        one = board.board(uow.session, project_id, building="10")
        tabs = board.board(uow.session, project_id, rooms=False)
        with pytest.raises(NotFound):
            board.board(uow.session, project_id, building="99")
    rooms = board.cells(grid)
    assert [(r["building"], r["number"]) for r in rooms] == [
        ("2", "101"), ("2", "102"), ("2", "201"), ("2", "1001"), ("10", "1001")]
    assert rooms[0] == {"id": first[0]["id"], "building": "2", "entrance": "", "floor": 1,
                        "number": "101", "layout": "3/2", "building_area": "89.50",
                        "list_unit_price": "11173.18", "list_price": "1000000.00",
                        "status": "held", "consultant_id": 4}
    assert grid["project"]["unit_count"] == 5
    assert [(b["building"], b["unit_count"], b["by_status"]["held"], b["lowest_floor"],
             b["highest_floor"]) for b in grid["buildings"]] == [("2", 4, 1, 1, 10),
                                                                 ("10", 1, 0, 10, 10)]
    assert [r["building"] for r in board.cells(one)] == ["10"]
    # the tabs of a large project: every building's totals, no rooms
    assert (tabs["units"], tabs["buildings"], tabs["project"]) == (
        [], grid["buildings"], grid["project"])


def test_the_board_on_postgresql(stores):
    check_board(stores["inventory"])


def test_the_same_board_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/inventory.sqlite"
    upgrade("inventory", url)
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        check_board(lambda: UnitOfWork(factory, metadata, "inventory"))
    finally:
        engine.dispose()


def test_the_totals_and_the_rooms_agree_when_a_unit_changes_between_the_two_reads(stores):
    """A hold lands after the board has counted the statuses and before it reads the rooms:
    both still come from one snapshot."""
    store = stores["inventory"]
    with store() as uow:
        project_id = make_project(uow)
        unit_id = board.cells(board.board(uow.session, project_id))[0]["id"]
    service = worker_factory(InventoryService, uow=store)
    changed = []

    def hold_meanwhile(conn, cursor, statement, *args):
        if "GROUP BY" in statement and not changed:
            changed.append(True)
            with store.engine.begin() as other:
                other.execute(update(Unit).where(Unit.id == unit_id).values(status="held"))

    event.listen(store.engine, "after_cursor_execute", hold_meanwhile)
    try:
        packed = service.get_board({"project_id": project_id,
                                    "actor": actor("gm", "general_manager")})
    finally:
        event.remove(store.engine, "after_cursor_execute", hold_meanwhile)
    assert changed
    read = unpack_board(packed)
    rows = collections.Counter(cell["status"] for cell in board.cells(read))
    totals = collections.Counter()
    for building in read["buildings"]:
        totals.update({status: n for status, n in building["by_status"].items() if n})
    assert rows == totals == {"available": 5}  # the hold came after the snapshot
