"""XLSX exports: every workbook the suite writes is written here.

Text is always a string cell, never a formula: openpyxl takes a `str` that starts with "=" for
a formula, so a customer named `=HYPERLINK(...)` or `=cmd|...` would become a live formula in
the office's spreadsheet (OWASP CSV/formula injection). Text is also cleaned of what a
workbook cannot hold (control characters, lone surrogates), so a row stored before input was
checked never breaks an export. Money (Decimal) is a number shown with two decimals.
"""
import io
from decimal import Decimal
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from contracts.base import clean_text

MONEY_FORMAT = "#,##0.00"


def cell(sheet, value):
    """One cell of a write-only `sheet`: text as a string cell, Decimal as money."""
    if isinstance(value, str):
        written = WriteOnlyCell(sheet, value=clean_text(value))
        written.data_type = "s"  # after the value: openpyxl would have made "=…" a formula
        return written
    written = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        written.number_format = MONEY_FORMAT
    return written


def xlsx(sheets: Iterable[tuple[str, Iterable[Iterable]]]) -> bytes:
    """A workbook of `(title, rows)` sheets, each row a list of values (the first row is the
    header), written row by row (write-only mode)."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
