"""The sales-control board as a grid to draw: floors from the top down, one column per
entrance and room position, the legend with each status's count, area and amount.

Counts come from the API's building totals; area and amount are summed from the rooms the
API sent. Filters dim the rooms that do not match and keep the grid's shape, so a consultant
still sees where a room is."""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from infra.working_calendar import SHANGHAI

# (status, label, short label for the text mode)
STATUSES = (
    ("available", "可售", "售"), ("held", "预留", "留"), ("offered", "待认领", "待"),
    ("reserved", "已定", "定"), ("subscribed", "已认购", "认"), ("contracted", "已签约", "签"),
    ("filed", "已备案", "备"),
)
LABELS = {status: label for status, label, _ in STATUSES}
SHORT = {status: short for status, _, short in STATUSES}


@dataclass(frozen=True)
class Filters:
    building: str | None = None
    layout: str | None = None
    status: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None

    @classmethod
    def from_args(cls, args) -> "Filters":
        return cls(building=args.get("building") or None, layout=args.get("layout") or None,
                   status=args.get("status") or None,
                   min_price=_decimal(args.get("min_price")),
                   max_price=_decimal(args.get("max_price")))

    def matches(self, room: dict) -> bool:
        if self.layout and room.get("layout") != self.layout:
            return False
        if self.status and room["status"] != self.status:
            return False
        price = _decimal(room.get("list_price"))
        if self.min_price is not None and (price is None or price < self.min_price):
            return False
        if self.max_price is not None and (price is None or price > self.max_price):
            return False
        return True

    def query(self) -> dict:
        return {name: str(value) for name, value in self.__dict__.items() if value is not None}


def rooms(board: dict) -> list[dict]:
    columns = board["columns"]
    return [dict(zip(columns, row)) for row in board["units"]]


def grid(board: dict, building: str | None, filters: Filters) -> dict:
    """One building's rows (top floor first) and the legend for it."""
    in_building = [room for room in rooms(board) if room["building"] == building]
    positions = sorted({(room["entrance"], _position(room)) for room in in_building},
                       key=lambda p: (len(p[0]), p[0], p[1]))
    by_floor: dict[int, dict] = {}
    for room in in_building:
        room["match"] = filters.matches(room)
        room["label"] = LABELS.get(room["status"], room["status"])
        room["short"] = SHORT.get(room["status"], "?")
        by_floor.setdefault(room["floor"], {})[(room["entrance"], _position(room))] = room
    rows = [{"floor": floor, "cells": [by_floor[floor].get(position) for position in positions]}
            for floor in sorted(by_floor, reverse=True)]
    totals = next((b for b in board["buildings"] if b["building"] == building), None)
    layouts = sorted({room["layout"] for room in in_building if room.get("layout")})
    return {"building": building, "positions": positions, "rows": rows,
            "legend": legend(in_building, totals["by_status"] if totals else {}),
            "layouts": layouts, "unit_count": len(in_building)}


def legend(in_building: list[dict], counts: dict) -> list[dict]:
    """Per status: the API's count, and the area and amount of those rooms."""
    lines = []
    for status, label, short in STATUSES:
        of_status = [room for room in in_building if room["status"] == status]
        lines.append({
            "status": status, "label": label, "short": short, "count": counts.get(status, 0),
            "area": sum((_decimal(r["building_area"]) or Decimal(0) for r in of_status),
                        Decimal("0.00")),
            "amount": sum((_decimal(r["list_price"]) or Decimal(0) for r in of_status),
                          Decimal("0.00"))})
    return lines


def _position(room) -> str:
    """Room 1502 on floor 15 is position 02 of its entrance."""
    number, floor = room["number"], str(room["floor"])
    return number[len(floor):] if number.startswith(floor) and len(number) > len(floor) \
        else number


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def money(value) -> str:
    """Yuan with thousands separators, from the API's decimal strings."""
    amount = _decimal(value)
    return "—" if amount is None else f"{amount:,.2f}"


def local_time(value) -> str:
    """An API timestamp (ISO 8601, UTC) as the office reads it, in Asia/Shanghai."""
    try:
        return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return "—"
