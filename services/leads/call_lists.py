"""Call lists (call客, seed 003): which columns a list may have, and which rows are good.

A list whose columns are missing or unknown is refused whole, naming the columns. Otherwise
every row is judged on its own: bad rows are reported by line with the field and the reason,
good rows go on; a number that repeats within the list counts once.
"""
from dataclasses import dataclass, field

from services.leads.domain import normalize_mobile

# header as written in the file (English or the forms' Chinese) → field
COLUMNS = {"mobile": "mobile", "手机": "mobile", "手机号码": "mobile", "电话": "mobile",
           "name": "name", "姓名": "name", "notes": "notes", "备注": "notes"}
REQUIRED = ("mobile",)
MAX_NAME = 50


class UnusableColumns(ValueError):
    def __init__(self, missing, unknown):
        self.missing, self.unknown = missing, unknown
        super().__init__(f"missing columns {missing}, unknown columns {unknown}")


@dataclass
class ParsedList:
    leads: list[dict] = field(default_factory=list)  # {"mobile", "name"}, first of each number
    errors: list[dict] = field(default_factory=list)  # {"line", "field", "reason"}
    repeated: int = 0  # rows whose number came earlier in the same list


def column_fields(header: list[str]) -> list[str]:
    """Map the header to fields, or refuse the list: every required column present, none
    unknown, none twice."""
    names = [str(column or "").strip() for column in header]
    unknown = [name for name in names if name.lower() not in COLUMNS and name not in COLUMNS]
    fields = [COLUMNS.get(name.lower(), COLUMNS.get(name)) for name in names]
    missing = [required for required in REQUIRED if required not in fields]
    doubled = sorted({f for f in fields if f and fields.count(f) > 1})
    if unknown or missing or doubled:
        raise UnusableColumns(missing + [f"{f} (twice)" for f in doubled], unknown)
    return fields


def parse(header: list[str], rows: list[list], first_line: int = 2) -> ParsedList:
    """Judge each row; `first_line` is the file line of rows[0] (the header is line 1)."""
    fields = column_fields(header)
    parsed = ParsedList()
    seen = set()
    for offset, row in enumerate(rows):
        line = first_line + offset
        values = dict(zip(fields, [str(cell).strip() if cell is not None else "" for cell in row]))
        mobile = normalize_mobile(values.get("mobile", ""))
        name = values.get("name") or None
        if mobile is None:
            parsed.errors.append({"line": line, "field": "mobile",
                                  "reason": "not a mainland mobile number"})
        elif name is not None and len(name) > MAX_NAME:
            parsed.errors.append({"line": line, "field": "name",
                                  "reason": f"longer than {MAX_NAME} characters"})
        elif mobile in seen:
            parsed.repeated += 1
        else:
            seen.add(mobile)
            parsed.leads.append({"mobile": mobile, "name": name})
    return parsed
