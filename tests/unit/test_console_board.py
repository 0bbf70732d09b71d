"""The console's board grid and form conversion (pure functions)."""
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from console.board_view import Filters, grid, money
from console.forms import as_json

COLUMNS = ["id", "building", "entrance", "floor", "number", "layout", "building_area",
           "list_unit_price", "list_price", "status", "consultant_id"]


def board(rows, by_status):
    return {"project": {"id": 1, "code": "g", "name": "G", "unit_count": len(rows)},
            "buildings": [{"building": "1", "entrances": ["1"], "lowest_floor": 1,
                           "highest_floor": 2, "unit_count": len(rows),
                           "by_status": by_status}],
            "columns": COLUMNS, "units": rows}


ROWS = [
    [1, "1", "1", 1, "101", "3/2", "89.50", "10000.00", "895000.00", "available", None],
    [2, "1", "1", 1, "102", "2/1", "60.00", "10000.00", "600000.00", "held", 7],
    [3, "1", "1", 2, "201", "3/2", "89.50", "11000.00", "984500.00", "reserved", 7],
    [4, "1", "2", 2, "202", "3/2", "89.50", "11000.00", "984500.00", "available", None],
]


def test_floors_run_from_the_top_and_columns_are_entrance_and_position():
    drawn = grid(board(ROWS, {"available": 2, "held": 1, "reserved": 1}), "1", Filters())
    assert [row["floor"] for row in drawn["rows"]] == [2, 1]
    assert drawn["positions"] == [("1", "01"), ("1", "02"), ("2", "02")]
    top = drawn["rows"][0]["cells"]
    assert top[0]["number"] == "201" and top[1] is None and top[2]["number"] == "202"


def test_the_legend_counts_are_the_apis_and_area_and_amount_are_summed():
    drawn = grid(board(ROWS, {"available": 2, "held": 1, "reserved": 1}), "1", Filters())
    legend = {line["status"]: line for line in drawn["legend"]}
    assert legend["available"]["count"] == 2
    assert legend["available"]["area"] == Decimal("179.00")
    assert legend["available"]["amount"] == Decimal("1879500.00")
    assert legend["filed"]["count"] == 0 and legend["filed"]["amount"] == Decimal("0")


def test_filters_dim_what_does_not_match_and_keep_the_grid():
    filters = Filters(layout="3/2", max_price=Decimal("900000"))
    drawn = grid(board(ROWS, {}), "1", filters)
    matching = [cell["number"] for row in drawn["rows"] for cell in row["cells"]
                if cell and cell["match"]]
    assert matching == ["101"]
    assert drawn["unit_count"] == 4
    assert Filters.from_args({"min_price": "abc", "status": "held"}) == Filters(status="held")


def test_form_text_becomes_the_apis_json_types_and_blanks_are_left_out():
    form = MultiDict([("unit_id", "12"), ("customer_id", "12a"), ("amount", "50000.00"),
                      ("note", " "), ("_key", "k"), ("focus_points", "price"),
                      ("focus_points", "school")])
    body = as_json(form, integers=("unit_id", "customer_id"), lists=("focus_points",))
    assert body == {"unit_id": 12, "customer_id": "12a", "amount": "50000.00",
                    "focus_points": ["price", "school"]}


def test_money_is_shown_with_separators_and_never_as_a_float():
    assert money("1234567.5") == "1,234,567.50"
    assert money(None) == "—" and money("NaN") == "—"
