"""Uploaded CSV and XLSX files read as a header and rows."""
import io

import pytest
from openpyxl import Workbook

from contracts.errors import InvalidInput
from gateway.tables import XLSX, read_table


def test_csv_in_utf8_with_a_byte_order_mark_or_in_gb18030():
    text = "姓名,手机\n张三,13800138000\n\n李四,13900139000\n"
    for body in (text.encode("utf-8-sig"), text.encode("gb18030")):
        assert read_table(body, "text/csv; charset=utf-8") == (
            ["姓名", "手机"], [["张三", "13800138000"], ["李四", "13900139000"]])


def test_xlsx_first_sheet_with_numbers_as_text():
    workbook = Workbook()
    workbook.active.append(["姓名", "手机"])
    workbook.active.append(["王五", 13700137000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read_table(buffer.getvalue(), XLSX) == (["姓名", "手机"], [["王五", "13700137000"]])


@pytest.mark.parametrize("body, content_type, field", [
    (b"", "text/csv", "_body"),
    (b"name,mobile\n", "application/pdf", "Content-Type"),
    (b"not a zip", XLSX, "_body"),
    (b"\n\n", "text/csv", "_body"),
])
def test_unreadable_uploads_are_refused(body, content_type, field):
    with pytest.raises(InvalidInput) as refused:
        read_table(body, content_type)
    assert field in refused.value.details
