"""Opening day's burst through the gateway, every service running: queue numbers taken, an
all-at-once opening starting at one instant, and every buyer trying up to `--tries` units in
turn until one is theirs, while other users read the board.

    .venv/bin/python -m bench.opening_burst [--buyers 400] [--units 100] [--tries 3]
                                            [--concurrency 64] [--saga-nice 0]

Records: every unit sold at most once and no buyer over the limit (checked), the p50/p99 of
each buyer's final answer (won or lost) from the opening's start, the time until the last unit
was sold, whether the order of wins is the order inventory received them, board reads' p99
during the burst, and CPU per selection request (all processes: services, broker, database,
load generator). Writes bench/results/opening_burst.json; asserts no timing. The issue's size
is --buyers 2000 --units 500.

`--saga-nice N` runs the services that only carry the saga behind each win (transactions,
archive, finance, leads, complaints) at that CPU niceness from the opening on, as a
deployment would to keep the answers first: it shows how much the saga's CPU delays them.
"""
import argparse
import json
import os
import platform
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from bench.cpu import cpu_meter, infrastructure_pids
from bench.environment import BenchEnvironment, git_commit
from bench.stats import latency_summary

RESULTS = Path(__file__).resolve().parent / "results" / "opening_burst.json"


def _ok(answer, status=200):
    assert answer.status_code == status, answer.text
    return answer.json()


def prepare(env, buyers, units, tries, lead_seconds):
    http = env.http()
    rooms = [{"number": f"{1 + i // 20:02d}{1 + i % 20:02d}", "floor": 1 + i // 20,
              "building_area": "89.50", "list_price": "1200000.00", "layout": "3/2"}
             for i in range(units)]
    project = _ok(http.post(f"{env.base_url}/api/v1/projects", json={
        "code": f"burst-{env.run_id}", "name": "开盘压测", "buildings": [
            {"name": "1", "units": rooms}]}), 201)
    pid = project["id"]

    def take(i):
        session = env.http()
        return _ok(session.post(f"{env.base_url}/api/v1/projects/{pid}/queue-numbers", json={
            "customer_id": 100000 + i, "consultant_id": 1, "customer_name": f"买家{i}",
            "customer_id_number": f"41030019900101{i:04d}", "amount": "30000.00"}), 201)
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        numbers = [q["number"] for q in pool.map(take, range(buyers))]
    queue_seconds = time.perf_counter() - started
    assert sorted(numbers) == list(range(1, buyers + 1))  # gap-free under concurrency
    board = _ok(http.get(f"{env.base_url}/api/v1/projects/{pid}/board"))
    unit_ids = [row[board["columns"].index("id")] for row in board["units"]]
    starts_at = datetime.now(timezone.utc) + timedelta(seconds=lead_seconds)
    opening = _ok(http.post(f"{env.base_url}/api/v1/projects/{pid}/openings", json={
        "name": "开盘", "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(), "mode": "all_at_once",
        "unit_ids": unit_ids, "limit_per_household": 1, "max_attempts": tries}), 201)
    _ok(http.post(f"{env.base_url}/api/v1/openings/{opening['id']}/entrants"))
    return pid, opening["id"], unit_ids, numbers, starts_at, queue_seconds


# the services a win's saga runs in, and no selection or board read waits on
SAGA_SERVICES = ("transactions", "archive", "finance", "leads", "complaints")


def burst(env, pid, oid, unit_ids, numbers, starts_at, tries, concurrency, saga_nice=0):
    start_mono = time.perf_counter() + (starts_at - datetime.now(timezone.utc)).total_seconds()
    local = threading.local()
    requests_made = []

    def session():
        if not hasattr(local, "http"):
            local.http = env.http()
        return local.http

    def buyer(i):
        http = session()
        delay = start_mono - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        won, sold_at = None, None
        for unit_id in random.Random(i).sample(unit_ids, min(tries, len(unit_ids))):
            answer = http.post(f"{env.base_url}/api/v1/openings/{oid}/selections",
                               json={"queue_number": numbers[i], "unit_id": unit_id})
            requests_made.append(1)
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                won, sold_at = unit_id, time.perf_counter() - start_mono
                break
        return i, won, time.perf_counter() - start_mono, sold_at

    board_reads, stop = [], threading.Event()

    def reader():
        http = env.http()
        while time.perf_counter() < start_mono:
            time.sleep(0.01)
        while not stop.is_set():
            began = time.perf_counter()
            assert http.get(f"{env.base_url}/api/v1/projects/{pid}/board").status_code == 200
            board_reads.append(time.perf_counter() - began)

    groups = {**env.service_pids(), **infrastructure_pids()}
    if saga_nice:
        for name in SAGA_SERVICES:
            for process in groups.get(name, ()):
                os.setpriority(os.PRIO_PROCESS, process, saga_nice)
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    with cpu_meter(groups) as spent:
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(buyer, range(len(numbers))))
    stop.set()
    for thread in readers:
        thread.join()
    return outcomes, len(requests_made), board_reads, spent


def check_order(env, oid) -> dict:
    """First valid request wins: per unit, was the winner the first request inventory
    received for it (its `requested_at`, stamped when the selection began)? Wins across
    units are independent (different rows), so the order is judged unit by unit."""
    with env.engine("inventory").connect() as connection:
        rows = connection.execute(text(
            "SELECT unit_id, outcome, requested_at FROM opening_selections "
            "WHERE opening_id = :o"), {"o": oid}).all()
    won = {row.unit_id: row.requested_at for row in rows if row.outcome == "won"}
    first_lost = {}
    for row in rows:
        if row.outcome == "lost":
            first_lost[row.unit_id] = min(first_lost.get(row.unit_id, row.requested_at),
                                          row.requested_at)
    ahead = sum(1 for unit, at in won.items() if at <= first_lost.get(unit, at))
    with env.engine("inventory").connect() as connection:
        most = connection.scalar(text(
            "SELECT coalesce(max(purchases), 0) FROM opening_households WHERE opening_id = :o"),
            {"o": oid})
    return {"units": len(won), "won_by_the_first_request_received": ahead,
            "most_units_of_a_household": most}


def _rounded(summary: dict) -> dict:
    return {k: v if v is None or k == "count" else round(v, 1) for k, v in summary.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--lead-seconds", type=float, default=5)
    parser.add_argument("--saga-nice", type=int, default=0)
    args = parser.parse_args()
    with BenchEnvironment() as env:
        pid, oid, unit_ids, numbers, starts_at, queue_seconds = prepare(
            env, args.buyers, args.units, args.tries, args.lead_seconds)
        outcomes, selections, board_reads, spent = burst(
            env, pid, oid, unit_ids, numbers, starts_at, args.tries, args.concurrency,
            args.saga_nice)
        in_order = check_order(env, oid)
    wins = [won for _, won, _, _ in outcomes if won is not None]
    assert len(wins) == len(set(wins)), "a unit sold twice"
    answers = [answered for _, _, answered, _ in outcomes]
    sold_times = [sold for _, _, _, sold in outcomes if sold is not None]
    cpu_ms = {name: round(seconds * 1000 / selections, 2) for name, seconds in spent.items()}
    results = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "shared": True, "commit": git_commit()},
        "size": vars(args),
        # what the gateway and inventory take at once (config.yaml), as the services got it
        "max_workers": int(env.suite.env.get("MAX_WORKERS", "10")),
        "queue_numbers": {"taken": len(numbers), "seconds": round(queue_seconds, 2),
                          "gap_free": True},
        "units_sold": len(wins), "units_released": len(unit_ids),
        "every_unit_sold_once": len(wins) == len(set(wins)),
        "no_buyer_over_limit": in_order["most_units_of_a_household"] <= 1,
        "selection_requests": selections,
        "buyer_answer_from_start": _rounded(latency_summary(answers)),
        "last_unit_sold_after_ms": round(max(sold_times) * 1000, 1) if sold_times else None,
        "first_request_wins": in_order,
        "board_reads_during_burst": _rounded(latency_summary(board_reads)),
        "cpu_ms_per_selection": {"total": round(sum(cpu_ms.values()), 2), **cpu_ms},
        "goals": {"answer_p99_ms": 1000, "board_p99_ms": 500},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
