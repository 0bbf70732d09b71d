"""Buildings generated in bulk and the import of rooms with areas and prices, on PostgreSQL."""
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.base import load
from contracts.errors import Conflict, InvalidInput
from contracts.inventory import AddUnitSchema, CreateProjectSchema, GenerateBuildingSchema
from infra.database import utcnow
from services.inventory import board, handlers, prices, structure
from services.inventory.models import PriceList, Unit

pytestmark = pytest.mark.integration
_codes = itertools.count(1)


def new_project(store):
    cmd = load(CreateProjectSchema(), {
        "code": f"struct-{next(_codes)}-{utcnow().strftime('%H%M%S%f')}", "name": "Structure",
        "buildings": [{"name": "1", "units": [{"number": "101", "floor": 1,
                                              "building_area": "90.00",
                                              "list_price": "900000.00"}]}]})
    with store() as uow:
        return handlers.create_project(uow, cmd)["id"]


def generate(store, project_id, **overrides):
    cmd = load(GenerateBuildingSchema(), {
        "project_id": project_id, "building": "3", "entrances": 2, "floors": 18,
        "rooms": [{"building_area": "89.50", "layout": "3/2", "orientation": "南"},
                  {"building_area": "120.00", "layout": "4/2", "garden_area": "15.00"}],
        "property_type": "小高层", "unit_price": "12000.00", "created_by": "manager-wang",
        **overrides})
    with store() as uow:
        return structure.generate_building(uow, cmd)


def test_a_building_is_generated_from_floors_and_rooms_per_floor_in_each_entrance(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    result = generate(store, project_id)
    assert (result["created"], result["entrances"], result["price_list_version"]) == (72, 2, 2)
    with store() as uow:
        grid = board.board(uow.session, project_id)
        rooms = {(u["building"], u["entrance"], u["number"]): u for u in board.cells(grid)}
        top = handlers.unit_view(uow.session, rooms[("3", "2", "1802")]["id"])
        south = handlers.unit_view(uow.session, rooms[("3", "1", "101")]["id"])
    assert grid["buildings"][1] == {"building": "3", "entrances": ["1", "2"], "lowest_floor": 1,
                                    "highest_floor": 18, "unit_count": 72,
                                    "by_status": {"available": 72, "held": 0, "offered": 0,
                                                  "reserved": 0, "subscribed": 0,
                                                  "contracted": 0, "filed": 0}}
    assert (top["floor"], top["building_area"], top["garden_area"], top["layout"],
            top["property_type"], top["list_price"], top["price_list_version"]) == (
        18, Decimal("120.00"), Decimal("15.00"), "4/2", "小高层", Decimal("1440000.00"), 2)
    assert south["orientation"] == "南"
    with pytest.raises(Conflict):
        generate(store, project_id)  # a second run adds nothing
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.project_id == project_id)) == 73


HEADER = ["号楼", "单元", "房号", "楼层", "建筑面积", "户型", "物业类型", "单价", "底价"]


def import_rows(store, project_id, rows, header=HEADER):
    with store() as uow:
        return structure.import_units(uow, {"project_id": project_id, "imported_by": "m",
                                            "header": header, "rows": rows})


def test_an_import_lands_the_good_rows_reports_the_bad_and_a_rerun_adds_nothing(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    rows = [["5", "1", "101", "1", "90", "3/2", "高层", "10000", "850000"],
            ["5", "1", "102", "1", "-90", "", "", "", ""],
            ["5", "1", "103", "1", "100", "", "", "", ""],
            ["1", "", "101", "1", "90.00", "", "", "11000", ""]]
    first = import_rows(store, project_id, rows)
    assert {k: first[k] for k in ("rows", "created", "updated", "unchanged", "priced",
                                  "price_list_version")} == {
        "rows": 4, "created": 2, "updated": 0, "unchanged": 1, "priced": 2,
        "price_list_version": 2}
    assert first["errors"] == [{"line": 3, "field": "building_area",
                                "reason": "must be greater than 0"}]
    again = import_rows(store, project_id, rows)
    assert (again["created"], again["updated"], again["unchanged"], again["priced"],
            again["price_list_version"]) == (0, 0, 3, 0, None)
    with store() as uow:
        units = {(u.building, u.number): u for u in uow.session.execute(
            select(Unit.building, Unit.number, Unit.list_price, Unit.floor_total_price)
            .where(Unit.project_id == project_id))}
        versions = uow.session.scalar(select(func.count()).select_from(PriceList).where(
            PriceList.project_id == project_id))
    assert len(units) == 3 and versions == 2
    assert (units[("5", "101")].list_price, units[("5", "101")].floor_total_price) == (
        Decimal("900000.00"), Decimal("850000.00"))
    assert units[("1", "101")].list_price == Decimal("990000.00")  # the new price


def test_a_corrected_area_updates_the_room(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    result = import_rows(store, project_id, [["1", "", "101", "1", "91.20", "", "", "", ""]])
    assert (result["updated"], result["priced"]) == (1, 0)


def test_a_table_with_missing_or_unknown_columns_is_refused_whole(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    with pytest.raises(InvalidInput) as refused:
        import_rows(store, project_id, [["5", "101", "x"]], header=["号楼", "房号", "颜色"])
    assert refused.value.details == {"missing_columns": ["floor", "building_area"],
                                     "unknown_columns": ["颜色"]}


def add(store, project_id, **room):
    cmd = load(AddUnitSchema(), {"project_id": project_id, "building": "6", "number": "101",
                                 "floor": 1, "building_area": "100.00", "created_by": "m",
                                 **room})
    with store() as uow:
        unit_id = structure.add_unit(uow, cmd)
        return handlers.unit_view(uow.session, unit_id)


def test_one_room_is_added_with_its_attributes_and_price(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    room = add(store, project_id, entrance="2", layout="3/2", property_type="联排",
               garden_area="35.00", list_unit_price="15000.00", floor_total_price="1400000.00")
    assert (room["building"], room["entrance"], room["property_type"], room["garden_area"],
            room["list_price"], room["floor_total_price"], room["price_list_version"]) == (
        "6", "2", "联排", Decimal("35.00"), Decimal("1500000.00"), Decimal("1400000.00"), 2)
    with pytest.raises(Conflict):
        add(store, project_id, entrance="2")
    with pytest.raises(InvalidInput) as wrong:
        add(store, project_id, entrance="3", list_price="1000.00", floor_total_price="2000.00")
    assert wrong.value.details == {"floor_total_price": ["above the total price"]}
    with pytest.raises(InvalidInput) as impossible:
        add(store, project_id, entrance="4", building_area="0")
    assert impossible.value.details == {"building_area": ["impossible area"]}
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.project_id == project_id)) == 2  # nothing of the refused rooms


def test_two_imports_of_the_same_rooms_at_once_add_each_room_once(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    rows = [["7", "1", f"{floor}01", str(floor), "90", "", "", "", ""] for floor in range(1, 31)]
    start = threading.Barrier(4)

    def run(_):
        start.wait()
        try:
            return import_rows(store, project_id, rows)["created"]
        except Conflict:
            return 0

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(run, range(4)))
    with store() as uow:
        rooms = uow.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.project_id == project_id, Unit.building == "7"))
    assert rooms == 30 and sum(created) == 30


TOO_LARGE = "too large: below 1,000,000,000,000 yuan"


def test_numbers_too_large_for_the_database_are_line_errors_and_the_good_rows_land(stores):
    """PostgreSQL's Numeric(14, 2) cannot hold 10¹² yuan: such a row, or a floor like "inf",
    is reported on its line instead of failing the whole import."""
    store = stores["inventory"]
    project_id = new_project(store)
    header = ["号楼", "房号", "楼层", "建筑面积", "单价", "总价", "底价"]
    result = import_rows(store, project_id, [
        ["7", "101", "1", "90", "", "1000000", ""],
        ["7", "102", "inf", "90", "", "", ""],
        ["7", "103", "1e400", "90", "", "", ""],
        ["7", "104", "1.5", "90", "", "", ""],
        ["7", "105", "1", "90", "", "99999999999999999", ""],
        ["7", "106", "1", "500", "9999999999", "", ""],  # × the area: 5 × 10¹²
        ["7", "107", "1", "90", "", "1000000", "1e20"],
        ["7", "108", "1e1000000000000", "90", "", "", ""],
        ["7", "109", "15.0", "90", "", "", ""],
    ], header=header)
    assert result["errors"] == [
        {"line": 3, "field": "floor", "reason": "not a whole number"},
        {"line": 4, "field": "floor", "reason": "between -5 and 200"},
        {"line": 5, "field": "floor", "reason": "not a whole number"},
        {"line": 6, "field": "total_price", "reason": TOO_LARGE},
        {"line": 7, "field": "total_price", "reason": TOO_LARGE},
        {"line": 8, "field": "floor_total_price", "reason": TOO_LARGE},
        {"line": 9, "field": "floor", "reason": "between -5 and 200"}]
    assert (result["created"], result["priced"]) == (2, 1)


def test_a_price_list_or_a_room_whose_total_does_not_fit_is_refused(stores):
    store = stores["inventory"]
    project_id = new_project(store)
    with store() as uow:
        unit_id = uow.session.scalar(select(Unit.id).where(Unit.project_id == project_id))
    with store() as uow, pytest.raises(InvalidInput) as refused:
        prices.create_price_list(uow, {"project_id": project_id, "created_by": "m",
                                       "prices": [{"unit_id": unit_id,
                                                   "unit_price": Decimal("999999999999.00")}]})
    assert refused.value.details == {"prices": {"0": {"total_price": [TOO_LARGE]}}}
    with pytest.raises(InvalidInput) as refused:
        add(store, project_id, list_unit_price="999999999999.00")
    assert refused.value.details == {"total_price": [TOO_LARGE]}
    with pytest.raises(InvalidInput) as refused:
        generate(store, project_id, unit_price="999999999999.00")
    assert refused.value.details == {"unit_price": [f"× the area of room 1: {TOO_LARGE}"]}
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.project_id == project_id)) == 1  # nothing of the refused rooms
        assert uow.session.scalar(select(func.count()).select_from(PriceList).where(
            PriceList.project_id == project_id)) == 1


def test_a_generated_price_that_rounds_to_nothing_is_refused(stores):
    """Found by the published-contract run: 0.01 a m² on 0.01 m² made a price list of 0.00."""
    store = stores["inventory"]
    project_id = new_project(store)
    with pytest.raises(InvalidInput) as refused:
        generate(store, project_id, unit_price="0.01",
                 rooms=[{"building_area": "0.01", "layout": "1/1"}])
    assert "unit_price" in refused.value.details
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Unit)
                                  .where(Unit.project_id == project_id)) == 1  # room 101
