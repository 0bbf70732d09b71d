"""Correctness under the burst (hypothesis): random openings — units, buyers, households, the
household limit, attempts, the choosing order (all at once, slots, lottery) — raced by real
threads through the gateway, the real broker and PostgreSQL, with two inventory workers of
which one is SIGKILLed mid-burst and started again. A buyer whose answer is lost (503 or 504:
the worker died with the request) presses again with the same Idempotency-Key, as the console
does. After the opening closes:

- no unit is sold twice, no household buys past its limit;
- a selection answered 201 is a sale: the unit is the buyer's, reserved by their 诚意金 turned
  deposit (one unit per queue number), and its won selection is the one the answer named;
- no selection is lost or doubled: every request has a final answer, and the selections
  inventory recorded are exactly the answers given (201 won, 409 naming unit_id lost), one
  per request however many times it was pressed;
- every entrant's 诚意金 ends converted (into the deposit of a unit they won) or refunded.

It runs on the e2e suite's processes (the machine's broker on a vhost of the run's own, the
run's own databases): the only thing broken is an inventory worker the suite itself started,
so the fault suite's private broker and database are not needed.
"""
import itertools
import random
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from contracts.errors import Conflict, IdempotencyKeyReused
from contracts.scope import actor as make_actor

from tests.e2e.conftest import Client, wait_for
from tests.e2e.test_deposit_flow import make_office, make_project

pytestmark = pytest.mark.e2e
WORKERS = ("inventory", "inventory-2")
PRESSES = 6  # a buyer presses again after a lost answer, at most this often in all
_people = itertools.count(1)


class Burst:
    """The suite with a second inventory worker, the means to kill one, and SQL to check."""

    def __init__(self, suite, admin):
        self.suite, self.admin = suite, admin
        self.engines = {owner: create_engine(suite.database_urls[owner], pool_size=1,
                                             max_overflow=0)
                        for owner in ("inventory", "transactions")}
        self.token = admin.http.headers["Authorization"].split()[1]
        self.kills = []  # (instance, seconds into the burst)

    def sql(self, owner, query, **params):
        with self.engines[owner].connect() as connection:
            return connection.execute(text(query), params).all()

    def rpc_consumers(self) -> int:
        with Connection(self.suite.env["AMQP_URI"], connect_timeout=5) as connection:
            return connection.channel().queue_declare("rpc-inventory", passive=True)[2]

    def both_workers_serving(self):
        assert wait_for(lambda: self.rpc_consumers() >= 2, timeout=60), \
            f"the inventory workers are not both consuming; logs in {self.suite.logs}"

    def kill_and_restart(self, instance):
        """SIGKILL: nothing acked or answered that was not already; then a fresh process."""
        process = self.suite.processes.pop(instance)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.suite.start("inventory", instance=instance)

    def dispose(self):
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture(scope="module")
def burst(suite, admin):
    suite.start("inventory", instance="inventory-2")
    burst = Burst(suite, admin)
    try:
        burst.both_workers_serving()
        yield burst
    finally:
        burst.dispose()
        suite.stop("inventory-2")
        if "inventory" not in suite.processes:  # a failure between the kill and the start
            suite.start("inventory")


@st.composite
def openings(draw):
    units = draw(st.integers(min_value=2, max_value=6))
    buyers = draw(st.integers(min_value=3, max_value=12))
    households = draw(st.integers(min_value=1, max_value=buyers))
    mode = draw(st.sampled_from(["all_at_once", "slots", "lottery"]))
    return {
        "units": units, "mode": mode,
        "household_of": [draw(st.integers(min_value=0, max_value=households - 1))
                         for _ in range(buyers)],
        "picks": [draw(st.lists(st.integers(min_value=0, max_value=units - 1), min_size=1,
                                max_size=3)) for _ in range(buyers)],
        "limit": draw(st.integers(min_value=1, max_value=2)),
        "max_attempts": draw(st.one_of(st.none(), st.integers(min_value=1, max_value=3))),
        # slots: only the first slot's numbers may choose while the test runs
        "slot_size": None if mode == "all_at_once" else draw(
            st.integers(min_value=1, max_value=buyers)),
        "victim": draw(st.sampled_from(WORKERS)),
        # the kill: right after this many selections went out (each buyer sends one at
        # least), and a little later
        "kill_at": draw(st.integers(min_value=1, max_value=min(4, buyers))),
        "kill_after": draw(st.floats(min_value=0.0, max_value=0.5)),
    }


def _id_number(household):
    return f"4103001990{household % 10**6:06d}12"


def press(client, path, body, key):
    """One selection, pressed again with the same key while the answer is lost (503, 504, a
    broken connection, the key still in flight); returns (final status, body, presses)."""
    for pressed in range(1, PRESSES + 1):
        try:
            answer = client.http.post(client.base_url + path, json=body, timeout=40,
                                      headers={"Idempotency-Key": key})
            status, payload = answer.status_code, answer.json()
        except requests.RequestException as exc:
            status, payload = exc.__class__.__name__, None
        in_flight = status == 409 and "Idempotency-Key" in payload["error"]["fields"]
        if status not in (503, 504) and not isinstance(status, str) and not in_flight:
            return status, payload, pressed
        time.sleep(0.5 * pressed)
    return status, payload, pressed


@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=openings())
def test_a_random_opening_with_a_worker_killed_mid_burst_keeps_every_rule(burst, case):
    admin, suite = burst.admin, burst.suite
    office, (consultant, _) = make_office(admin)
    project, units = make_project(admin, rooms=case["units"])
    pid = project["id"]
    buyers = len(case["picks"])
    households = {h: next(_people) for h in set(case["household_of"])}

    # 排号: a queue number and its 诚意金 per buyer; buyers of one household share an ID number
    number_of, queue_id_of = {}, {}
    for i in range(buyers):
        taken = admin.post(f"/api/v1/projects/{pid}/queue-numbers", {
            "customer_id": 9_000_000 + next(_people), "consultant_id": consultant,
            "customer_name": f"买家{i}", "amount": "20000.00",
            "customer_id_number": _id_number(households[case["household_of"][i]])})
        assert taken.status_code == 201, taken.text
        number_of[i], queue_id_of[i] = taken.json()["number"], taken.json()["id"]

    starts_at = datetime.now(timezone.utc) + timedelta(seconds=4)
    created = admin.post(f"/api/v1/projects/{pid}/openings", {
        "name": "开盘", "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "mode": case["mode"],
        "unit_ids": units, "slot_size": case["slot_size"],
        "slot_minutes": None if case["slot_size"] is None else 30,
        "limit_per_household": case["limit"], "max_attempts": case["max_attempts"]})
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    assert admin.post(f"/api/v1/openings/{oid}/entrants").json()["entrants"] == buyers
    if case["mode"] == "lottery":
        drawn = admin.post(f"/api/v1/openings/{oid}/seed", {"seed": uuid.uuid4().hex})
        assert drawn.status_code == 200, drawn.text
    time.sleep(max(0.0, (starts_at - datetime.now(timezone.utc)).total_seconds()) + 0.1)

    # the burst: every buyer tries their picks in turn until one is theirs; one inventory
    # worker is killed while it runs, and started again at once
    started, sent, lock, in_flight = time.monotonic(), [0], threading.Lock(), threading.Event()

    def kill():
        in_flight.wait(30)
        time.sleep(case["kill_after"])
        burst.kills.append((case["victim"], round(time.monotonic() - started, 3)))
        burst.kill_and_restart(case["victim"])
    killer = threading.Thread(target=kill)

    def buy(i):
        client, asked = Client(suite.base_url, burst.token), []
        for pick in case["picks"][i]:
            key = uuid.uuid4().hex
            with lock:
                sent[0] += 1
                if sent[0] >= case["kill_at"]:
                    in_flight.set()
            status, body, presses = press(client, f"/api/v1/openings/{oid}/selections", {
                "queue_number": number_of[i], "unit_id": units[pick]}, key)
            asked.append({"unit_id": units[pick], "key": key, "status": status, "body": body,
                          "presses": presses})
            if status == 201:
                break
        return asked
    killer.start()
    with ThreadPoolExecutor(buyers) as pool:
        asked = dict(enumerate(pool.map(buy, range(buyers))))
    burst_seconds = time.monotonic() - started
    killer.join()
    presses = [a["presses"] for given in asked.values() for a in given]
    print(f"\nopening {oid} ({case['mode']}, {buyers} buyers, {case['units']} units): "
          f"{len(presses)} requests in {burst_seconds:.2f}s, {case['victim']} killed at "
          f"{burst.kills[-1][1]}s, pressed again: {sum(p - 1 for p in presses)}")

    # every request has a final answer: won, taken, or a refusal naming why
    for i, given in asked.items():
        for a in given:
            assert a["status"] in (201, 400, 409), (i, a)
            if a["status"] != 201:
                assert a["body"]["error"]["fields"].keys() & {"unit_id", "queue_number"}, a
    wins = {a["body"]["id"]: (i, a) for i, given in asked.items() for a in given
            if a["status"] == 201}
    assert all(a["body"]["unit_id"] == a["unit_id"] for _, a in wins.values())

    # what inventory recorded is exactly what was answered, once per request
    recorded = {row.idempotency_key: row for row in burst.sql(
        "inventory", "SELECT id, idempotency_key, unit_id, queue_number, outcome "
                     "FROM opening_selections WHERE opening_id = :oid", oid=oid)}
    answered = {a["key"]: a for given in asked.values() for a in given
                if a["status"] == 201 or (a["status"] == 409 and "unit_id" in
                                          a["body"]["error"]["fields"])}
    assert {key.split(":", 1)[1] for key in recorded} == set(answered)
    for key, row in recorded.items():
        a = answered[key.split(":", 1)[1]]
        assert row.outcome == ("won" if a["status"] == 201 else "lost"), (row, a)
        assert row.unit_id == a["unit_id"]
        if a["status"] == 201:
            assert a["body"]["id"] == row.id

    # no unit sold twice, no household past its limit, no buyer past their attempts
    won_units = [a["unit_id"] for _, a in wins.values()]
    assert len(won_units) == len(set(won_units))
    per_household = {}
    for i, _ in wins.values():
        household = case["household_of"][i]
        per_household[household] = per_household.get(household, 0) + 1
    assert all(count <= case["limit"] for count in per_household.values()), per_household
    if case["max_attempts"] is not None:
        attempts = burst.sql("inventory", "SELECT max(attempts) FROM opening_entrants "
                                          "WHERE opening_id = :oid", oid=oid)[0][0]
        assert attempts <= case["max_attempts"]

    # the end: unsold units back on sale, every 诚意金 converted or refunded
    closed = admin.post(f"/api/v1/openings/{oid}/close")
    assert closed.status_code == 200 and closed.json()["sold"] == len(wins), closed.text

    def settled():
        rows = admin.get(f"/api/v1/projects/{pid}/queue-numbers").json()["queue_numbers"]
        return rows if all(row["status"] != "active" for row in rows) else None
    queue = wait_for(settled, timeout=90)
    assert queue, f"a 诚意金 neither converted nor refunded; logs in {suite.logs}"
    status_of = {row["id"]: row for row in queue}
    winners = {i for i, _ in wins.values()}
    for i in range(buyers):
        row = status_of[queue_id_of[i]]
        assert row["status"] == ("converted" if i in winners else "refunded"), (i, row)

    # a selection answered 201 is a sale: the buyer's unit, reserved by the deposit their
    # 诚意金 became (a queue number wins one unit at most)
    assert len(winners) == len(wins)
    deposit_unit = dict(burst.sql("transactions", "SELECT id, unit_id FROM deposits WHERE "
                                                  "project_id = :pid", pid=pid))
    converted_into = {status_of[queue_id_of[i]]["deposit_id"] for i in winners}
    assert {deposit_unit[d] for d in converted_into} == set(won_units)

    def units_settled():
        rows = dict(burst.sql("inventory", "SELECT id, status FROM units WHERE project_id = "
                                           ":pid", pid=pid))
        reserved = {deposit_unit[d] for d in converted_into}
        want = {u: "reserved" if u in reserved else "available" for u in units}
        return rows if rows == want else None
    assert wait_for(units_settled, timeout=90), burst.sql(
        "inventory", "SELECT id, status FROM units WHERE project_id = :pid", pid=pid)
    doubled = burst.sql("inventory", "SELECT unit_id FROM reservations WHERE status = 'active' "
                                     "AND unit_id = ANY(:units) GROUP BY unit_id "
                                     "HAVING count(*) > 1", units=units)
    assert doubled == []
    owner = dict(burst.sql("inventory", "SELECT id, customer_id FROM units WHERE "
                                        "id = ANY(:units)", units=won_units))
    for i, a in wins.values():
        assert owner[a["unit_id"]] == a["body"]["customer_id"]

    burst.both_workers_serving()  # the next example kills a worker that serves again


def test_a_selection_pressed_again_after_its_answer_was_lost_gets_the_first_answer(suite, admin):
    """What a press after a killed worker relies on, without the kill: inventory itself keeps
    the key, so a retry the gateway cannot replay (it never got the answer) is answered from
    the first selection, won or lost, and moves nothing."""
    office, (consultant, _) = make_office(admin)
    project, (first, second) = make_project(admin, rooms=2)
    pid = project["id"]
    for n in range(2):
        assert admin.post(f"/api/v1/projects/{pid}/queue-numbers", {
            "customer_id": 9_000_000 + next(_people), "consultant_id": consultant,
            "customer_name": "买家", "amount": "20000.00",
            "customer_id_number": _id_number(next(_people))}).status_code == 201
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=3)
    oid = admin.post(f"/api/v1/projects/{pid}/openings", {
        "name": "开盘", "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "mode": "all_at_once",
        "unit_ids": [first, second], "limit_per_household": 1, "max_attempts": 1}).json()["id"]
    assert admin.post(f"/api/v1/openings/{oid}/entrants").json()["entrants"] == 2
    time.sleep(max(0.0, (starts_at - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    who = make_actor("admin", "admin")

    def select(number, unit_id, key):
        return cluster.inventory.select_unit({
            "actor": who, "opening_id": oid, "queue_number": number, "unit_id": unit_id,
            "selected_by": "admin", "idempotency_key": key})
    with ClusterRpcProxy({"AMQP_URI": suite.env["AMQP_URI"]}, timeout=20) as cluster:
        won = select(1, first, "7:won")
        assert won["outcome"] == "won"
        assert select(1, first, "7:won") == won  # not "taken" by oneself, no attempt spent
        with pytest.raises(Conflict) as lost:
            select(2, first, "7:lost")
        assert "unit_id" in lost.value.details
        with pytest.raises(Conflict) as lost_again:  # the same answer; the one attempt kept
            select(2, first, "7:lost")
        assert "unit_id" in lost_again.value.details
        with pytest.raises(IdempotencyKeyReused):
            select(1, second, "7:won")
    rows = admin.get(f"/api/v1/openings/{oid}").json()
    assert rows["sold"] == 1
    spent = admin.post(f"/api/v1/openings/{oid}/selections", {"queue_number": 2,
                                                              "unit_id": second})
    assert spent.status_code == 409 and "queue_number" in spent.json()["error"]["fields"]
