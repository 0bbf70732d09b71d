"""Random openings raced by real threads on the real PostgreSQL (hypothesis): whatever the
buyers, units, household limits and attempts, no unit is won twice, no household buys past
its limit, and no selection is lost (every request is answered and recorded)."""
import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from contracts.errors import Conflict, IdempotencyKeyReused, InvalidInput
from infra.database import utcnow
from services.inventory import board, handlers as inventory, openings
from services.inventory.models import Hold, OpeningEntrant, OpeningSelection, Unit

pytestmark = pytest.mark.integration
ADMIN = {"username": "t", "role": "admin", "consultant_id": None, "office_ids": [],
         "project_ids": None}
_codes = itertools.count(1)


@st.composite
def openings_to_race(draw):
    units = draw(st.integers(min_value=1, max_value=6))
    buyers = draw(st.integers(min_value=2, max_value=16))
    households = draw(st.integers(min_value=1, max_value=buyers))
    return {
        "units": units,
        "household_of": [draw(st.integers(min_value=0, max_value=households - 1))
                         for _ in range(buyers)],
        "picks": [draw(st.lists(st.integers(min_value=0, max_value=units - 1), min_size=1,
                                max_size=4)) for _ in range(buyers)],
        "limit": draw(st.integers(min_value=1, max_value=2)),
        "max_attempts": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=3))),
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(openings_to_race())
def test_racing_selections_keep_every_rule(stores, case):
    store = stores["inventory"]
    code = f"race-open-{next(_codes)}"
    with store() as uow:
        project = inventory.create_project(uow, {
            "code": code, "name": code, "hold_days": 3, "holds_auto_approved": True,
            "offer_hours": 2, "buildings": [{"name": "1", "units": [
                {"number": f"{101 + i}", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None} for i in range(case["units"])]}]})
    with store() as uow:
        unit_ids = [cell["id"] for cell in board.cells(board.board(uow.session, project["id"]))]
    starts_at = utcnow() - timedelta(minutes=1)
    with store() as uow:
        opening = openings.create_opening(uow, {
            "project_id": project["id"], "name": code, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=1), "mode": "all_at_once", "building": None,
            "unit_ids": unit_ids, "slot_size": None, "slot_minutes": None,
            "limit_per_household": case["limit"], "max_attempts": case["max_attempts"],
            "created_by": "t"})
    buyers = len(case["picks"])
    with store() as uow:
        openings.set_entrants(uow, {"opening_id": opening["id"], "entrants": [
            {"queue_number_id": 1000 + i, "number": i + 1, "customer_id": 5000 + i,
             "consultant_id": 1, "id_number": f"household-{case['household_of'][i]}"}
            for i in range(buyers)]}, now=starts_at - timedelta(seconds=1))

    def buyer(i):
        answers = []
        for pick in case["picks"][i]:
            try:
                with store() as uow:
                    openings.select_unit(uow, ADMIN, {
                        "opening_id": opening["id"], "queue_number": i + 1,
                        "unit_id": unit_ids[pick], "selected_by": "t"})
                answers.append(("won", unit_ids[pick]))
            except Conflict as refused:
                answers.append((next(iter(refused.details)), unit_ids[pick]))
        return answers

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(buyer, range(buyers)))

    wins = [(i, unit) for i, given in enumerate(answers) for what, unit in given if what == "won"]
    assert len({unit for _, unit in wins}) == len(wins)  # no unit won twice
    per_household = {}
    for i, _ in wins:
        per_household[case["household_of"][i]] = per_household.get(case["household_of"][i], 0) + 1
    assert all(count <= case["limit"] for count in per_household.values())
    with store() as uow:
        session = uow.session
        recorded = session.execute(select(OpeningSelection.outcome, OpeningSelection.unit_id)
                                   .where(OpeningSelection.opening_id == opening["id"])).all()
        held = set(session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids),
                                                         Unit.status == "held")))
        holds = session.scalars(select(Hold.unit_id).where(Hold.unit_id.in_(unit_ids))).all()
        attempts = session.scalars(select(OpeningEntrant.attempts).where(
            OpeningEntrant.opening_id == opening["id"])).all()
    # every request that reached the units is recorded: the wins, and the losses naming a unit
    assert sorted(u for what, u in recorded if what == "won") == sorted(u for _, u in wins)
    lost = [unit for given in answers for what, unit in given if what == "unit_id"]
    assert sorted(u for what, u in recorded if what == "lost") == sorted(lost)
    assert held == {unit for _, unit in wins} and sorted(holds) == sorted(held)
    if case["max_attempts"] is not None:
        assert max(attempts) <= case["max_attempts"]
    assert sum(len(given) for given in answers) == sum(len(p) for p in case["picks"])


def test_slots_by_queue_number_and_the_attempts_limit(stores):
    store = stores["inventory"]
    code = f"slots-open-{next(_codes)}"
    with store() as uow:
        project = inventory.create_project(uow, {
            "code": code, "name": code, "hold_days": 3, "holds_auto_approved": True,
            "offer_hours": 2, "buildings": [{"name": "1", "units": [
                {"number": f"{101 + i}", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None} for i in range(3)]}]})
    with store() as uow:
        units = [cell["id"] for cell in board.cells(board.board(uow.session, project["id"]))]
    start = utcnow() + timedelta(hours=1)
    with store() as uow:
        opening = openings.create_opening(uow, {
            "project_id": project["id"], "name": code, "starts_at": start,
            "ends_at": start + timedelta(hours=1), "mode": "slots", "building": "1",
            "unit_ids": None, "slot_size": 2, "slot_minutes": 10, "limit_per_household": 1,
            "max_attempts": 1, "created_by": "t"})
    assert sorted(opening["unit_ids"]) == sorted(units)
    with store() as uow:
        openings.set_entrants(uow, {"opening_id": opening["id"], "entrants": [
            {"queue_number_id": 70 + n, "number": n, "customer_id": 700 + n, "consultant_id": 1,
             "id_number": f"slot-household-{n}"} for n in (5, 9, 7)]})

    def select(number, unit, minutes):
        with store() as uow:
            return openings.select_unit(uow, ADMIN, {
                "opening_id": opening["id"], "queue_number": number, "unit_id": unit,
                "selected_by": "t"}, now=start + timedelta(minutes=minutes))

    # numbers 5 and 7 choose in the first ten minutes, 9 in the next ten
    with pytest.raises(Conflict) as early:
        select(9, units[0], 1)
    assert list(early.value.details) == ["queue_number"]
    assert select(5, units[0], 1)["outcome"] == "won"
    with pytest.raises(Conflict) as taken:
        select(7, units[0], 2)  # the unit is gone: 409 naming it, the one attempt used
    assert list(taken.value.details) == ["unit_id"]
    with pytest.raises(Conflict) as spent:
        select(7, units[1], 3)
    assert spent.value.details == {"queue_number": ["used all 1 attempts"]}
    with pytest.raises(Conflict) as late:
        select(5, units[1], 12)  # 5's slot has passed
    assert list(late.value.details) == ["queue_number"]
    assert select(9, units[1], 12)["outcome"] == "won"
    with store() as uow:
        closed = openings.close_opening(uow, {"opening_id": opening["id"], "closed_by": "t"})
    assert closed["status"] == "closed" and closed["sold"] == 2
    with store() as uow:
        assert openings.in_open_opening(uow.session, units[2]) is None  # back on normal sale


def test_a_queue_number_chooses_one_unit_and_a_household_up_to_its_limit(stores):
    """A queue number's 诚意金 becomes the deposit of one unit: its second choice is refused
    naming queue_number, alone or in a batch, while a second queue number of the same
    household may choose up to the household's limit."""
    store = stores["inventory"]
    for way in ("alone", "batched"):
        opening_id, units = _twin_opening(store, f"one-{way[0]}-{next(_codes)}", 3, [0, 0],
                                          2, limit=2, max_attempts=None)
        requests = [(ADMIN, {"opening_id": opening_id, "queue_number": number,
                             "unit_id": units[unit], "selected_by": "t"}, utcnow())
                    for number, unit in ((1, 0), (1, 1), (2, 1), (2, 2))]
        if way == "alone":
            answers = []
            for actor, cmd, at in requests:
                try:
                    with store() as uow:
                        answers.append(openings.select_unit(uow, actor, cmd, now=at))
                except Conflict as refused:
                    answers.append(refused)
        else:
            with store() as uow:
                answers = openings.decide_selections(uow, requests)
                uow.commit()
        assert [a["unit_id"] if isinstance(a, dict) else sorted(a.details) for a in answers] \
            == [units[0], ["queue_number"], units[1], ["queue_number"]], way
        assert "has chosen unit" in answers[1].details["queue_number"][0]


def _twin_opening(store, code, units, households, buyers, limit, max_attempts):
    """A project with `units` rooms, an open all-at-once opening of all of them and `buyers`
    entrants (numbers 1…), buyer i of household households[i]."""
    with store() as uow:
        project = inventory.create_project(uow, {
            "code": code, "name": code, "hold_days": 3, "holds_auto_approved": True,
            "offer_hours": 2, "buildings": [{"name": "1", "units": [
                {"number": f"{101 + i}", "floor": 1, "building_area": "90.00",
                 "list_price": "1000000.00", "layout": None} for i in range(units)]}]})
    with store() as uow:
        unit_ids = [cell["id"] for cell in board.cells(board.board(uow.session, project["id"]))]
    starts_at = utcnow() - timedelta(minutes=1)
    with store() as uow:
        opening = openings.create_opening(uow, {
            "project_id": project["id"], "name": code, "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=1), "mode": "all_at_once", "building": None,
            "unit_ids": unit_ids, "slot_size": None, "slot_minutes": None,
            "limit_per_household": limit, "max_attempts": max_attempts, "created_by": "t"})
    with store() as uow:
        openings.set_entrants(uow, {"opening_id": opening["id"], "entrants": [
            {"queue_number_id": 2000 + i, "number": i + 1, "customer_id": 6000 + i,
             "consultant_id": 1, "id_number": f"{code}-household-{households[i]}"}
            for i in range(buyers)]}, now=starts_at - timedelta(seconds=1))
    return opening["id"], unit_ids


def _opening_state(store, opening_id, unit_ids):
    with store() as uow:
        session = uow.session
        selections = session.execute(
            select(OpeningSelection.queue_number, OpeningSelection.unit_id,
                   OpeningSelection.outcome).where(OpeningSelection.opening_id == opening_id)
            .order_by(OpeningSelection.id)).all()
        held = session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids),
                                                     Unit.status == "held")).all()
        holds = session.scalars(select(Hold.unit_id).where(Hold.unit_id.in_(unit_ids))).all()
        attempts = session.execute(select(OpeningEntrant.number, OpeningEntrant.attempts).where(
            OpeningEntrant.opening_id == opening_id).order_by(OpeningEntrant.number)).all()
    position = {unit: i for i, unit in enumerate(unit_ids)}
    return {"selections": [(n, position[u], outcome) for n, u, outcome in selections],
            "held": sorted(position[u] for u in held),
            "holds": sorted(position[u] for u in holds), "attempts": [tuple(a) for a in attempts]}


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_batch_decides_as_its_requests_one_by_one_in_order(stores, data):
    """Whatever the requests (some for units not released, some by numbers not entered, some
    pressed again with the key of an earlier one, with its body or another) and however they
    are cut into batches, deciding them in batches answers each request and leaves the opening
    exactly as deciding them one by one in the same order."""
    store = stores["inventory"]
    units = data.draw(st.integers(min_value=1, max_value=5))
    buyers = data.draw(st.integers(min_value=1, max_value=8))
    households = [data.draw(st.integers(min_value=0, max_value=buyers - 1))
                  for _ in range(buyers)]
    limit = data.draw(st.integers(min_value=1, max_value=2))
    max_attempts = data.draw(st.one_of(st.none(), st.integers(min_value=1, max_value=3)))
    # (queue number, unit position, idempotency key); number buyers + 1 is no entrant, unit
    # `units` not released; a key drawn twice is a request pressed again
    requests = data.draw(st.lists(st.tuples(st.integers(min_value=1, max_value=buyers + 1),
                                            st.integers(min_value=0, max_value=units),
                                            st.one_of(st.none(), st.integers(0, 3))),
                                  min_size=1, max_size=24))
    cuts = sorted(set(data.draw(st.lists(st.integers(min_value=1, max_value=len(requests)),
                                         max_size=6))) | {len(requests)})
    answers, states = [], []
    for way in ("alone", "batched"):
        code = f"batch-{way}-{next(_codes)}"
        opening_id, unit_ids = _twin_opening(store, code, units, households, buyers, limit,
                                             max_attempts)
        with store() as uow:
            outside = inventory.create_project(uow, {
                "code": f"{code}-x", "name": code, "hold_days": 3, "holds_auto_approved": True,
                "offer_hours": 2, "buildings": [{"name": "1", "units": [
                    {"number": "101", "floor": 1, "building_area": "90.00",
                     "list_price": "1000000.00", "layout": None}]}]})
        with store() as uow:
            unit_ids.append(board.cells(board.board(uow.session, outside["id"]))[0]["id"])
        commands = [(ADMIN, {"opening_id": opening_id, "queue_number": number,
                             "unit_id": unit_ids[unit], "selected_by": "t",
                             "idempotency_key": None if key is None else f"{code}-{key}"},
                     utcnow()) for number, unit, key in requests]
        given_answers = []
        if way == "alone":
            for actor, cmd, at in commands:
                try:
                    with store() as uow:
                        given_answers.append(openings.select_unit(uow, actor, cmd, now=at))
                except (Conflict, InvalidInput, IdempotencyKeyReused) as refused:
                    given_answers.append(refused)
        else:
            start = 0
            for end in cuts:
                with store() as uow:
                    given_answers += openings.decide_selections(uow, commands[start:end])
                    uow.commit()
                start = end
        answers.append([("won", a["unit_id"] == cmd["unit_id"]) if isinstance(a, dict)
                        else (a.code, sorted(a.details)) for a, (_, cmd, _) in
                        zip(given_answers, commands)])
        states.append(_opening_state(store, opening_id, unit_ids))
    assert answers[0] == answers[1]
    assert states[0] == states[1]
    assert len(answers[1]) == len(requests)
