"""The opening's choosing order (services/inventory/opening_order.py): the lottery is a
documented, deterministic permutation anyone can recompute; slots follow the order."""
import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from services.inventory import opening_order

numbers = st.lists(st.integers(min_value=1, max_value=100_000), min_size=0, max_size=200,
                   unique=True)
seeds = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x4E00 + 50),
                min_size=8, max_size=40)


@given(seeds, numbers)
def test_a_draw_is_a_permutation_of_the_entrants(seed, entrants):
    assert sorted(opening_order.draw(seed, entrants)) == sorted(entrants)


@given(seeds, numbers)
def test_a_draw_is_deterministic_whatever_order_the_entrants_come_in(seed, entrants):
    assert opening_order.draw(seed, entrants) == opening_order.draw(seed, reversed(entrants))


@given(seeds, seeds, st.lists(st.integers(min_value=1, max_value=10_000), min_size=12,
                              max_size=60, unique=True))
def test_another_seed_draws_another_order(seed, other, entrants):
    if seed != other:  # 12! orders: two seeds agreeing is a SHA-256 accident
        assert opening_order.draw(seed, entrants) != opening_order.draw(other, entrants)


def test_the_documented_algorithm_by_hand():
    seed, entrants = "notary-20261130-7f3a", [1, 2, 3, 4, 5]
    by_hand = sorted(entrants, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest())
    assert opening_order.draw(seed, entrants) == by_hand
    assert opening_order.lottery_key("s", 7) == hashlib.sha256(b"s:7").hexdigest()


def test_duplicate_numbers_are_refused_and_a_lottery_needs_its_seed():
    with pytest.raises(ValueError):
        opening_order.draw("seedseed", [1, 1])
    with pytest.raises(ValueError):
        opening_order.order("lottery", [1, 2])
    assert opening_order.order("slots", [3, 1, 2]) == [1, 2, 3]


START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
END = START + timedelta(hours=2)


def test_slots_of_n_numbers_per_m_minutes():
    assert [opening_order.slot_of(p, 10) for p in (1, 10, 11, 20, 21)] == [0, 0, 1, 1, 2]
    assert opening_order.window("slots", START, END, 11, 10, 15) == (
        START + timedelta(minutes=15), START + timedelta(minutes=30))
    # the last slot is cut at the end; a slot after the end is none
    assert opening_order.window("slots", START, END, 80, 10, 15)[1] == END
    assert opening_order.window("slots", START, END, 81, 10, 15) is None
    assert opening_order.window("lottery", START, END, None, 10, 15) is None
    assert opening_order.window("all_at_once", START, END, None, None, None) == (START, END)


def test_the_cli_recomputes_and_verifies(capsys, tmp_path):
    assert opening_order.main(["--seed", "seed-abc-123", "--entrants", "1,2,3,4"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(printed["order"]) == [1, 2, 3, 4]
    answer = {"mode": "lottery", "seed": "seed-abc-123", "entrants": [1, 2, 3, 4],
              "order": [{"queue_number": n} for n in printed["order"]]}
    good = tmp_path / "order.json"
    good.write_text(json.dumps(answer))
    assert opening_order.main(["--verify", str(good)]) == 0
    answer["order"].reverse()
    good.write_text(json.dumps(answer))
    assert opening_order.main(["--verify", str(good)]) == 1
