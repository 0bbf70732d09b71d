"""开盘选房 as the console draws it: the opening's slots from its order, one buyer's slot, and
the released units with what the board says of each. Nothing here decides a selection: the
API does, and the page shows its answer."""
from datetime import datetime

from console.board_view import LABELS, rooms

MODE_NAMES = {"all_at_once": "先到先得", "slots": "按排号分批", "lottery": "摇号"}
# a buyer's slot, as the page tells it (the API refuses a selection outside it)
SLOT_STATES = {"waiting": "未到选房时段", "open": "正在选房时段", "over": "选房时段已过"}


def slots(order: dict) -> list[dict]:
    """The order grouped by slot: each slot's window and its queue numbers in turn."""
    grouped: dict[int, dict] = {}
    for entry in order["order"]:
        slot = grouped.setdefault(entry["slot"], {
            "slot": entry["slot"], "starts_at": entry["slot_starts_at"],
            "ends_at": entry["slot_ends_at"], "numbers": []})
        slot["numbers"].append(entry["queue_number"])
    return [grouped[slot] for slot in sorted(grouped)]


def buyer_slot(order: dict, number: int, now: datetime) -> dict | None:
    """The queue number's place in the order and its slot with its state now; None when the
    number has no place (not an entrant, or the lottery not drawn yet)."""
    entry = next((e for e in order["order"] if e["queue_number"] == number), None)
    if entry is None or not entry.get("slot_starts_at"):
        return None
    starts = datetime.fromisoformat(entry["slot_starts_at"])
    ends = datetime.fromisoformat(entry["slot_ends_at"])
    state = "waiting" if now < starts else ("open" if now < ends else "over")
    return {**entry, "state": state, "state_label": SLOT_STATES[state]}


def released(board: dict, unit_ids) -> dict:
    """The opening's units as the board shows them now: the free ones (still available) in
    building, floor and number order, and how many are taken."""
    wanted = set(unit_ids)
    units = [room for room in rooms(board) if room["id"] in wanted]
    for room in units:
        room["label"] = LABELS.get(room["status"], room["status"])
    units.sort(key=lambda r: (len(r["building"]), r["building"], r["entrance"] or "",
                              r["floor"], r["number"]))
    free = [room for room in units if room["status"] == "available"]
    return {"free": free, "by_id": {room["id"]: room for room in units},
            "taken": len(units) - len(free), "total": len(wanted)}
