"""The table of rooms and prices (房源/价格表) that an office imports from CSV or XLSX.

As with the call lists: a table whose columns are missing or unknown is refused whole,
naming the columns. Otherwise each row is judged on its own: a bad row is reported by its
line with the field and the reason, the good rows go on; a room listed twice is an error on
its second line.
"""
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from services.inventory import domain

# header as written in the file (English or the forms' Chinese) → field
COLUMNS = {
    "building": "building", "号楼": "building", "楼栋": "building",
    "entrance": "entrance", "单元": "entrance",
    "number": "number", "room": "number", "房号": "number",
    "floor": "floor", "楼层": "floor",
    "building_area": "building_area", "建筑面积": "building_area",
    "garden_area": "garden_area", "花园面积": "garden_area",
    "other_area": "other_area", "其他面积": "other_area",
    "layout": "layout", "户型": "layout",
    "property_type": "property_type", "物业类型": "property_type",
    "orientation": "orientation", "朝向": "orientation",
    "unit_price": "unit_price", "单价": "unit_price",
    "total_price": "total_price", "总价": "total_price",
    "floor_total_price": "floor_total_price", "底价": "floor_total_price",
}
REQUIRED = ("building", "number", "floor", "building_area")
MAX_TEXT = 20
MIN_FLOOR, MAX_FLOOR = -5, 200  # as the room schemas allow


class UnusableColumns(ValueError):
    def __init__(self, missing, unknown):
        self.missing, self.unknown = missing, unknown
        super().__init__(f"missing columns {missing}, unknown columns {unknown}")


@dataclass
class ParsedTable:
    rooms: list[dict] = field(default_factory=list)  # one per good row, with its "line"
    errors: list[dict] = field(default_factory=list)  # {"line", "field", "reason"}


def column_fields(header: list) -> list[str]:
    names = [str(column or "").strip() for column in header]
    fields = [COLUMNS.get(name) or COLUMNS.get(name.lower()) for name in names]
    unknown = [name for name, f in zip(names, fields) if f is None]
    missing = [required for required in REQUIRED if required not in fields]
    doubled = sorted({f for f in fields if f and fields.count(f) > 1})
    if unknown or missing or doubled:
        raise UnusableColumns(missing + [f"{f} (twice)" for f in doubled], unknown)
    return fields


def parse(header: list, rows: list[list], first_line: int = 2) -> ParsedTable:
    """Judge each row; `first_line` is the file line of rows[0] (the header is line 1)."""
    fields = column_fields(header)
    parsed, seen = ParsedTable(), {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        values = dict(zip(fields, ["" if cell is None else str(cell).strip() for cell in row]))
        room, problem = _room(values)
        if problem:
            parsed.errors.append({"line": line, "field": problem[0], "reason": problem[1]})
            continue
        place = (room["building"], room["entrance"], room["number"])
        if place in seen:
            parsed.errors.append({"line": line, "field": "number",
                                  "reason": f"the room is on line {seen[place]} already"})
            continue
        seen[place] = line
        parsed.rooms.append({**room, "line": line})
    return parsed


def _room(values: dict) -> tuple[dict, tuple | None]:
    """The row as a room, or the first problem found: (field, reason)."""
    room = {}
    for name in ("building", "entrance", "number", "orientation"):
        text = values.get(name, "")
        if len(text) > MAX_TEXT:
            return room, (name, f"longer than {MAX_TEXT} characters")
        room[name] = text or (None if name == "orientation" else "")
    for name in ("building", "number"):
        if not room[name]:
            return room, (name, "required")
    try:
        floor = _whole_number(values.get("floor", ""))
    except (InvalidOperation, ValueError, OverflowError):
        return room, ("floor", "not a whole number")
    if not MIN_FLOOR <= floor <= MAX_FLOOR:  # compared before int(): 1e999999 would not fit
        return room, ("floor", f"between {MIN_FLOOR} and {MAX_FLOOR}")
    room["floor"] = int(floor)
    for name in ("building_area", "garden_area", "other_area", "unit_price", "total_price",
                 "floor_total_price"):
        try:
            room[name] = _decimal(values.get(name, ""))
        except (InvalidOperation, ValueError):
            return room, (name, "not a number")
    for name in ("building_area", "garden_area", "other_area"):
        problem = domain.area_problem(room[name], required=name == "building_area")
        if problem:
            return room, (name, problem)
    room["layout"] = values.get("layout") or None
    if room["layout"] and not domain.LAYOUT.match(room["layout"]):
        return room, ("layout", "rooms/halls like 3/2")
    room["property_type"] = values.get("property_type") or None
    if room["property_type"] and room["property_type"] not in domain.PROPERTY_TYPES:
        return room, ("property_type", f"one of {'、'.join(domain.PROPERTY_TYPES)}")
    for name in ("unit_price", "total_price", "floor_total_price"):
        if room[name] is not None and room[name].copy_abs() >= domain.MAX_MONEY:
            return room, (name, domain.TOO_LARGE)
    if any(room[name] is not None for name in ("unit_price", "total_price", "floor_total_price")):
        room["unit_price"], room["total_price"] = domain.complete_price(
            room["building_area"], room["unit_price"], room["total_price"])
        problems = domain.price_problems(room["unit_price"], room["total_price"],
                                         room["floor_total_price"])
        if problems:
            name = next(iter(problems))
            return room, (name, problems[name][0])
    return room, None


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    value = Decimal(text.replace(",", ""))
    if not value.is_finite():
        raise ValueError(text)
    # a huge value is left as it is (rounding it to the fen could overflow); it is refused below
    return value if value.copy_abs() >= domain.MAX_MONEY else domain.to_fen(value)


def _whole_number(text: str) -> Decimal:
    """A floor like "15" (or "15.0", as spreadsheets write numbers); "1.5", "inf" are not."""
    value = Decimal(text)
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(text)
    return value
