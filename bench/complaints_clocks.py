"""`python -m bench.complaints_clocks [--cases 100000]`: the clocks' periodic pass over many
open complaints and repairs on PostgreSQL, and filing while a pass runs.

A fresh database (migrated) gets `--cases` open cases (nine complaints to one repair), filed
over the past three days at random statuses, each with the next check time the service writes
with it (`sla.next_check_at`, as of its last status change). Then, timed:

- the backlog: the first pass ever over these cases, as if no pass had run for three days
  (every warning, breach and escalation of three days raised at once), ten minutes ago;
- the first pass after a restart: the service was down those ten minutes, and the pass looks
  at the cases whose next level came due meanwhile;
- the pass 30 s later (the timer's interval), and one an hour later;
- filing complaints one after another while the backlog pass runs: the slowest filing shows
  whether the pass ever makes filing wait.

Prints and records (bench/results/<date>-<time>-complaints-clocks.json, and a section in
RESULTS.md); asserts no timing. Goal: the periodic pass ≤ 5 s with 100,000 open cases.
"""
import argparse
import json
import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, text
from sqlalchemy.orm import sessionmaker

from bench.environment import git_commit
from contracts import complaints as C
from contracts.base import load
from contracts.scope import actor
from infra.database import UnitOfWork, make_engine
from infra.migrations import owner_metadata, upgrade
from services.complaints import handlers, sla
from services.complaints.models import Complaint, Contractor, RepairOrder, StatusChange
from tests.conftest import create_database, drop_database

RESULTS = __import__("pathlib").Path(__file__).resolve().parent / "results"
COMPLAINT_PATHS = (["filed"], ["filed", "accepted"], ["filed", "accepted", "routed"],
                   ["filed", "accepted", "routed", "waiting_customer"],
                   ["filed", "accepted", "routed", "investigated"],
                   ["filed", "accepted", "routed", "investigated", "reviewed", "resolved",
                    "replied", "closed"])
REPAIR_PATHS = (["ordered"], ["ordered", "on_site"], ["ordered", "on_site", "repaired"])


class Store:
    def __init__(self, url):
        self.engine = make_engine(url, pool_size=4, max_overflow=2)
        self.metadata = owner_metadata("complaints")
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    def __call__(self, correlation_id=None):
        return UnitOfWork(self.session_factory, self.metadata, "complaints", None, correlation_id)


DOWNTIME = timedelta(minutes=10)


def next_check(context, kind, row, changes, stop):
    """The next check time the service would have written with the case's last change
    (`sla.next_check_at`), no alert sent yet."""
    case = SimpleNamespace(**row)
    at = min(changes[-1]["at"], stop)
    history = [SimpleNamespace(**c) for c in changes if c["at"] <= at]
    states = sla.case_clocks(context, kind, case, history, at)
    return sla.next_check_at(None, kind, case, states, context, at, sent=set())


def seed(store, cases, now, rng, stop):
    complaints, repairs, history = [], [], []
    context = sla.Context(None, [])
    with store.engine.begin() as connection:
        connection.execute(insert(Contractor.__table__), [{
            "id": 1, "name": "bench", "trade": "水电", "contact_person": "x", "phone": "x",
            "warranty_deposit": Decimal("100000.00"), "charged": Decimal("0.00")}])
    for n in range(1, cases + 1):
        filed = now - timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        project = rng.randint(1, 20)
        if n % 10:
            path = rng.choice(COMPLAINT_PATHS)
            complaints.append({
                "id": n, "number": f"TS-{n}", "complainant_name": "客户", "contact": "x",
                "channel": "phone", "content": "bench", "request": "other", "unit_id": n,
                "project_id": project, "status": path[-1], "filed_at": filed, "filed_by": "b",
                "due_at": filed + timedelta(days=7), "reopen_count": 0, "major": False,
                "watched": True, "department": "engineering" if len(path) > 2 else None})
            kind = "complaint"
        else:
            path = rng.choice(REPAIR_PATHS)
            repairs.append({
                "id": n, "number": f"WX-{n}", "unit_id": n, "project_id": project,
                "contractor_id": 1, "description": "bench",
                "estimated_amount": Decimal("800.00"), "urgency": "normal",
                "clock": "repair_on_site_small", "status": path[-1], "ordered_at": filed,
                "ordered_by": "b", "missed": False, "signatures": [], "watched": True})
            kind = "repair"
        at, changes = filed, []
        for status in path:
            changes.append({"case_kind": kind, "case_id": n, "status": status, "at": at,
                            "by": "b"})
            at += timedelta(minutes=rng.randint(10, 600))
        row = (complaints if kind == "complaint" else repairs)[-1]
        row["next_check_at"] = next_check(context, kind, row, changes, stop)
        history.extend(changes)
    with store.engine.begin() as connection:
        for table, rows in ((Complaint.__table__, complaints), (RepairOrder.__table__, repairs),
                            (StatusChange.__table__, history)):
            for start in range(0, len(rows), 20_000):
                connection.execute(insert(table), rows[start:start + 20_000])
        for table in ("complaints", "repair_orders", "contractors"):  # ids were given
            connection.execute(text(f"SELECT setval('{table}_id_seq', "
                                    f"(SELECT max(id) FROM {table}))"))
    return len(complaints), len(repairs), len(history)


def timed_pass(store, now):
    started = time.perf_counter()
    totals = sla.sweep(store, now=now, batch_size=500)
    return time.perf_counter() - started, totals


def filing_while(store, stop):
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        with store() as uow:
            handlers.file_complaint(uow, load(C.FileComplaintSchema(), {
                "actor": actor("bench", "customer_service"), "complainant_name": "客户",
                "contact": "x", "channel": "phone", "content": "bench", "project_id": 1}))
        latencies.append(time.perf_counter() - started)
    return latencies


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    name = f"anchang_bench_{uuid.uuid4().hex[:8]}_complaints"
    url = create_database(name)
    rows = {}
    try:
        upgrade("complaints", url)
        store = Store(url)
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        stop = now - DOWNTIME
        started = time.perf_counter()
        complaints, repairs, history = seed(store, args.cases, now, random.Random(7), stop)
        rows["seeded"] = {"complaints": complaints, "repairs": repairs, "history": history,
                          "seconds": round(time.perf_counter() - started, 1)}
        print(f"seeded {complaints} complaints, {repairs} repairs, {history} status changes")

        filing_store = Store(url)
        stop_filing = threading.Event()
        result = {}
        filer = threading.Thread(target=lambda: result.update(
            latencies=filing_while(filing_store, stop_filing)))
        filer.start()
        seconds, totals = timed_pass(store, stop)
        stop_filing.set()
        filer.join()
        latencies = sorted(result["latencies"])
        rows["backlog: first pass ever (three days of levels never raised)"] = {
            "seconds": round(seconds, 2), **totals}
        rows["filing during the backlog pass"] = {
            "filings": len(latencies), "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1)}
        for label, at in (("first pass after a restart (down 10 min)", now),
                          ("pass 30 s later", now + timedelta(seconds=30)),
                          ("pass 1 h later", now + timedelta(hours=1))):
            seconds, totals = timed_pass(store, at)
            rows[label] = {"seconds": round(seconds, 2), **totals}
        for label, row in rows.items():
            print(f"{label:34} {row}")
        meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "commit": git_commit(), "cases": args.cases, "goal": "periodic pass <= 5 s"}
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"{stamp}-complaints-clocks.json").write_text(
            json.dumps({**meta, "rows": rows}, ensure_ascii=False, indent=2))
        with open(RESULTS.parent / "RESULTS.md", "a") as out:
            out.write(f"\n## complaints clocks — {meta['date']} — {meta['commit']} — "
                      f"{args.cases} open cases\n\n| pass | result |\n|---|---|\n")
            for label, row in rows.items():
                out.write(f"| {label} | {', '.join(f'{k} {v}' for k, v in row.items())} |\n")
        store.engine.dispose()
        filing_store.engine.dispose()
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
