"""Tables in and out: uploaded tables (CSV or XLSX) as a header and rows of text, for imports;
workbooks the services wrote, as downloads."""
import base64
import csv
import io

from openpyxl import load_workbook
from werkzeug.wrappers import Response

from contracts.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GB18030 by default


def read_table(body: bytes, content_type: str) -> tuple[list, list[list]]:
    """(header, rows) of the upload; blank rows are left out."""
    if not body:
        raise InvalidInput("the upload is empty", {"_body": ["no file"]})
    if content_type.startswith(XLSX):
        rows = _xlsx_rows(body)
    elif content_type.startswith(("text/csv", "text/plain")):
        rows = list(csv.reader(io.StringIO(_decode(body))))
    else:
        raise InvalidInput("upload a CSV (text/csv) or XLSX file",
                           {"Content-Type": [f"{XLSX} or text/csv, not {content_type}"]})
    rows = [row for row in rows if any(str(cell).strip() for cell in row if cell is not None)]
    if not rows:
        raise InvalidInput("the file has no header", {"_body": ["no rows"]})
    return rows[0], rows[1:]


def _decode(body: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the CSV is neither UTF-8 nor GB18030", {"_body": ["unknown encoding"]})


def _xlsx_rows(body: bytes) -> list[list]:
    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput("the XLSX file cannot be read", {"_body": [str(exc)[:200]]}) from None
    sheet = workbook.worksheets[0]
    rows = [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def xlsx_response(content_base64: str, file_name: str, headers=None) -> Response:
    """A workbook a service wrote (base64 over RPC) as a download."""
    return Response(base64.b64decode(content_base64), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', **(headers or {})})
