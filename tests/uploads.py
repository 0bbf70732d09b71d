"""Upload files for the import tests: ordinary tables, and the hostile ones (a million rows in
a few hundred KB, one cell of 200 MB) written straight into the XLSX zip, a part at a time."""
import io
import zipfile

from openpyxl import Workbook

from contracts.imports import XLSX

SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<sheetData>')
SHEET_END = "</sheetData></worksheet>"


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows).encode("utf-8")


def _with_sheet(write_sheet) -> bytes:
    """A real workbook whose first sheet's XML is written by `write_sheet(file)`."""
    template = zipfile.ZipFile(io.BytesIO(xlsx([["x"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in template.infolist():
            if member.filename == SHEET:
                with archive.open(SHEET, "w", force_zip64=True) as sheet:
                    sheet.write(SHEET_START.encode())
                    write_sheet(sheet)
                    sheet.write(SHEET_END.encode())
            else:
                archive.writestr(member, template.read(member.filename))
    return out.getvalue()


def million_rows_xlsx(rows=1_000_000, header=("mobile",)) -> bytes:
    """A header and `rows` rows of one number each (rows and cells need not say where they
    are): about 100 KB, 26 MB unpacked."""
    def write(sheet):
        sheet.write(("<row>" + "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>'
                                       for name in header) + "</row>").encode())
        block = b"<row><c><v>1</v></c></row>" * 10_000
        for _ in range(rows // 10_000):
            sheet.write(block)
    return _with_sheet(write)


def giant_cell_xlsx(megabytes=200) -> bytes:
    """A header and one cell of `megabytes` MB of text: about 200 KB packed."""
    def write(sheet):
        sheet.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>mobile</t></is></c></row>'
                    b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
        block = b"a" * (1 << 20)
        for _ in range(megabytes):
            sheet.write(block)
        sheet.write(b"</t></is></c></row>")
    return _with_sheet(write)


__all__ = ["XLSX", "xlsx", "csv_bytes", "million_rows_xlsx", "giant_cell_xlsx"]
