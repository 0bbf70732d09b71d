"""The table of rooms and prices: columns refused whole, rows judged one by one."""
from decimal import Decimal

import pytest

from services.inventory import unit_table

HEADER = ["号楼", "单元", "房号", "楼层", "建筑面积", "花园面积", "户型", "物业类型", "朝向", "单价",
          "底价"]


def test_missing_unknown_or_doubled_columns_refuse_the_whole_table():
    with pytest.raises(unit_table.UnusableColumns) as refused:
        unit_table.parse(["号楼", "房号", "colour", "building"], [])
    assert refused.value.missing == ["floor", "building_area", "building (twice)"]
    assert refused.value.unknown == ["colour"]


def test_good_rows_pass_and_bad_rows_are_reported_by_line():
    parsed = unit_table.parse(HEADER, [
        ["3", "1", "1501", "15", "89.50", "", "3/2", "高层", "南", "12000", "1000000"],
        ["3", "1", "1502", "15", "0", "", "", "", "", "", ""],
        ["3", "1", "1503", "15", "20000", "", "", "", "", "", ""],
        ["3", "1", "1504", "15", "90", "-3", "", "", "", "", ""],
        ["3", "1", "1505", "fifteen", "90", "", "", "", "", "", ""],
        ["3", "1", "1506", "15", "90", "", "", "别墅", "", "", ""],
        ["3", "1", "1507", "15", "90", "", "", "", "", "-100", ""],
        ["3", "1", "1501", "15", "89.50", "", "", "", "", "", ""],
        ["3", "2", "1501", "15", "100", "", "2/1", "", "", "", ""],
    ])
    assert parsed.errors == [
        {"line": 3, "field": "building_area", "reason": "must be greater than 0"},
        {"line": 4, "field": "building_area", "reason": "impossible: 10000 m² or more"},
        {"line": 5, "field": "garden_area", "reason": "must not be negative"},
        {"line": 6, "field": "floor", "reason": "not a whole number"},
        {"line": 7, "field": "property_type", "reason": "one of 楼梯多层、电梯多层、小高层、高层、叠加、联排、独栋"},
        {"line": 8, "field": "unit_price", "reason": "must be greater than 0"},
        {"line": 9, "field": "number", "reason": "the room is on line 2 already"},
    ]
    first, other_entrance = parsed.rooms
    assert (first["line"], first["total_price"], first["floor_total_price"], first["layout"],
            first["property_type"]) == (2, Decimal("1074000.00"), Decimal("1000000.00"), "3/2",
                                        "高层")
    assert (other_entrance["entrance"], other_entrance["total_price"]) == ("2", None)


def test_numbers_that_overflow_are_row_errors_not_crashes():
    parsed = unit_table.parse(["号楼", "房号", "楼层", "建筑面积", "单价", "总价"], [
        ["1", "101", "inf", "90", "", ""],
        ["1", "102", "nan", "90", "", ""],
        ["1", "103", "1e400", "90", "", ""],
        ["1", "104", "1", "1e30", "", ""],
        ["1", "105", "1", "0.01", "", "999999999999"],  # the unit price would be 10¹⁴
        ["1", "106", "15.0", "90", "", "1000000"],
    ])
    too_large = "too large: below 1,000,000,000,000 yuan"
    assert parsed.errors == [
        {"line": 2, "field": "floor", "reason": "not a whole number"},
        {"line": 3, "field": "floor", "reason": "not a whole number"},
        {"line": 4, "field": "floor", "reason": "between -5 and 200"},
        {"line": 5, "field": "building_area", "reason": "impossible: 10000 m² or more"},
        {"line": 6, "field": "unit_price", "reason": too_large}]
    assert [(room["number"], room["floor"]) for room in parsed.rooms] == [("106", 15)]
