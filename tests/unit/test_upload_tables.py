"""Uploaded CSV and XLSX files read as a header and rows, streamed, within the limits."""
import io
import zipfile

import pytest

from contracts.errors import InvalidInput
from contracts.imports import CSV, MAX_CELL_CHARACTERS, MAX_COLUMNS, XLSX
from infra.imports import read_header, read_table, table_type
from tests.uploads import giant_cell_xlsx, million_rows_xlsx, xlsx


@pytest.fixture
def file(tmp_path):
    def write(body: bytes) -> str:
        path = tmp_path / "upload"
        path.write_bytes(body)
        return str(path)
    return write


def test_csv_in_utf8_with_a_byte_order_mark_or_in_gb18030(file):
    text = "姓名,手机\n张三,13800138000\n\n李四,13900139000\n"
    for body in (text.encode("utf-8-sig"), text.encode("gb18030")):
        assert read_table(file(body), CSV, 10) == (
            ["姓名", "手机"], [["张三", "13800138000"], ["李四", "13900139000"]])


def test_xlsx_first_sheet_with_numbers_as_text_and_no_padding(file):
    body = xlsx([["姓名", "手机", "备注"], ["王五", 13700137000], [None, None], ["赵六", "139", "x"]])
    assert read_table(file(body), XLSX, 10) == (
        ["姓名", "手机", "备注"], [["王五", "13700137000"], ["赵六", "139", "x"]])
    assert read_header(file(body), XLSX) == ["姓名", "手机", "备注"]


@pytest.mark.parametrize("body, content_type", [
    (b"not a zip", XLSX), (b"\n\n", CSV), (b"\xff\xfe\x00bad", CSV)])
def test_unreadable_uploads_are_refused(file, body, content_type):
    with pytest.raises(InvalidInput) as refused:
        read_table(file(body), content_type, 10)
    assert "_body" in refused.value.details


def test_only_csv_and_xlsx_are_taken():
    assert table_type("text/csv; charset=utf-8") == CSV and table_type(XLSX) == XLSX
    with pytest.raises(InvalidInput) as refused:
        table_type("application/pdf")
    assert "Content-Type" in refused.value.details


def test_a_million_rows_are_refused_at_the_first_row_past_the_limit(file):
    body = million_rows_xlsx()
    assert len(body) < 400_000
    with pytest.raises(InvalidInput) as refused:
        read_table(file(body), XLSX, 20_000)
    assert refused.value.details == {"_body": ["more than 20000 rows"]}


def test_blank_rows_count_towards_the_limit(file):
    with pytest.raises(InvalidInput):
        read_table(file(b"mobile\n" + b",\n" * 50 + b"1\n"), CSV, 20)
    assert read_table(file(b"mobile\n" + b",\n" * 30 + b"1\n"), CSV, 20) == (["mobile"], [["1"]])


def test_a_zip_bomb_is_refused_by_its_declared_size_before_it_is_parsed(file):
    body = giant_cell_xlsx(megabytes=200)
    assert len(body) < 300_000
    with pytest.raises(InvalidInput) as refused:
        read_header(file(body), XLSX)
    assert "bytes uncompressed" in refused.value.details["_body"][0]
    declared = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(body)).infolist())
    assert declared > 200 * 1024 * 1024


def test_a_cell_too_long_is_refused_naming_its_line_and_column(file):
    body = xlsx([["姓名", "手机"], ["王五", "137"], ["x" * (MAX_CELL_CHARACTERS + 1), "138"]])
    with pytest.raises(InvalidInput) as refused:
        read_table(file(body), XLSX, 10)
    assert refused.value.details == {"_body": [
        f"line 3, column 1: {MAX_CELL_CHARACTERS + 1} characters"]}
    with pytest.raises(InvalidInput):
        read_table(file(("mobile\n" + "1" * 5000 + "\n").encode()), CSV, 10)


def test_more_columns_than_the_limit_are_refused(file):
    wide = ",".join(f"c{n}" for n in range(MAX_COLUMNS + 1))
    with pytest.raises(InvalidInput) as refused:
        read_table(file(f"{wide}\n".encode()), CSV, 10)
    assert f"more than {MAX_COLUMNS} columns" in refused.value.details["_body"][0]
