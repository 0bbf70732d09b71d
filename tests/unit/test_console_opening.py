"""The console's opening screens as pure functions: slots from the order, a buyer's slot, the
released units still free."""
from datetime import datetime, timedelta, timezone

from console.opening_view import buyer_slot, released, slots
from tests.unit.test_console_board import ROWS, board

START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def entry(position, number, slot, minutes=30):
    starts = START + timedelta(minutes=slot * minutes)
    return {"position": position, "queue_number": number, "slot": slot,
            "slot_starts_at": starts.isoformat(),
            "slot_ends_at": (starts + timedelta(minutes=minutes)).isoformat()}


ORDER = {"order": [entry(1, 7, 0), entry(2, 3, 0), entry(3, 9, 1)]}


def test_the_order_is_grouped_by_slot_in_turn():
    assert [(s["slot"], s["numbers"]) for s in slots(ORDER)] == [(0, [7, 3]), (1, [9])]
    assert slots({"order": []}) == []


def test_a_buyers_slot_and_whether_it_is_open_now():
    assert buyer_slot(ORDER, 9, START)["state"] == "waiting"
    assert buyer_slot(ORDER, 9, START + timedelta(minutes=45))["state"] == "open"
    assert buyer_slot(ORDER, 3, START + timedelta(minutes=30))["state"] == "over"
    assert buyer_slot(ORDER, 4, START) is None  # not an entrant


def test_only_the_openings_units_and_of_them_the_available_ones_are_free():
    shown = released(board(ROWS, {}), [1, 2, 4])
    assert [room["id"] for room in shown["free"]] == [1, 4]
    assert (shown["taken"], shown["total"]) == (1, 3) and 3 not in shown["by_id"]
