"""`python -m bench.voucher_export [--units 20000]`: a year of vouchers of one project exported
in the vendors' layouts, on a throwaway PostgreSQL database. Prints; asserts no timing.

Each unit books four vouchers in the year (deposit taken, deposit confirmed, down payment, the
bank's loan): 80,000 vouchers and 160,000 lines for 20,000 units. Each export runs in a process
of its own, as in the finance service: monkey-patched by eventlet, psycopg2 green, the pages
written off the hub (`handlers.export_vouchers(..., off_hub)`) into a file store in a temporary
directory; then another process streams the stored file as the gateway does
(`FileStore.export_chunks`). Each prints its seconds (wall and CPU) and peak RSS; `--units` at
a quarter shows whether memory grows with the range (it should not). Goal (issue 18): ≤ 30 s.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, insert

from infra.migrations import upgrade
from services.finance import domain
from services.finance.models import Voucher
from tests.conftest import create_database, drop_database

PROJECT = 1
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def seed(url, units):
    engine = create_engine(url)
    accounts = dict(domain.DEFAULT_ACCOUNTS)
    rows, counters = [], {}
    now = datetime.now(timezone.utc)

    def line(role, debit, credit, unit):
        code, name = accounts[role]
        return {"role": role, "account_code": code, "account_name": name, "debit": debit,
                "credit": credit, "unit_id": unit}
    kinds = (("deposit_received", "收到大定 定金单{d}", "bank", "deposits_held", "20000.00"),
             ("payment_received", "定金确认 收据第{r}号 定金单{d}", "deposits_held",
              "advance_deposit", "20000.00"),
             ("payment_received", "收到首付款(转账) 收据第{r}号", "bank", "advance_price",
              "300000.00"),
             ("payment_received", "收到按揭贷款(银行放款) 收据第{r}号", "bank", "advance_price",
              "700000.00"))
    with engine.begin() as connection:
        for unit in range(1, units + 1):
            for index, (kind, summary, debit, credit, amount) in enumerate(kinds):
                day = YEAR[0] + timedelta(days=(unit * 7 + index * 30) % 365)
                period = f"{day.year:04d}-{day.month:02d}"
                counters[period] = counters.get(period, 0) + 1
                rows.append({
                    "business_id": str(uuid.uuid4()), "event_type": kind, "project_id": PROJECT,
                    "customer_id": unit, "unit_id": unit, "deposit_id": unit,
                    "payment_id": unit * 4 + index, "voucher_date": day, "period": period,
                    "word": "记", "number": counters[period],
                    "summary": summary.format(d=unit, r=unit * 4 + index), "attachments": 1,
                    "debit_total": amount, "lines": [line(debit, amount, "0.00", unit),
                                                     line(credit, "0.00", amount, unit)],
                    "status": "recorded", "created_at": now})
            if len(rows) >= 5000:
                connection.execute(insert(Voucher), rows)
                rows = []
        if rows:
            connection.execute(insert(Voucher), rows)
    engine.dispose()
    return units * len(kinds)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def export_once(url, files, layout, format_):
    """In this process, as the finance service runs it: one export of the year."""
    import eventlet
    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg
    patch_psycopg()
    from sqlalchemy.orm import sessionmaker
    from infra.database import UnitOfWork, make_engine
    from infra.filestore import FileStore
    from infra.imports import off_hub
    from services.finance import handlers
    from services.finance.models import metadata
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    store = FileStore(f"file://{files}")
    before, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, cpu_seconds()
    started = time.perf_counter()
    with UnitOfWork(factory, metadata, "finance") as uow:
        file = handlers.export_vouchers(uow, {"project_id": PROJECT, "from": YEAR[0],
                                              "to": YEAR[1], "layout": layout,
                                              "format": format_}, store, off_hub)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds() - cpu, 1),
                      "rss_before_mb": round(before / 1024), "rss_peak_mb": round(peak / 1024),
                      "file_mb": round(file["size"] / 2**20, 1), "name": file["name"]}))


def serve_once(files, name):
    """In this process, as the gateway answers: the stored export streamed a chunk at a time
    (to nowhere here)."""
    from infra.filestore import FileStore
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, size = time.perf_counter(), 0
    for chunk in FileStore(f"file://{files}").export_chunks(name):
        size += len(chunk)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                      "rss_before_mb": round(before / 1024), "rss_peak_mb": round(peak / 1024),
                      "bytes": size}))


def run_json(*args) -> dict:
    answer = subprocess.run([sys.executable, "-m", "bench.voucher_export", *args],
                            capture_output=True, text=True, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--export", nargs=4, metavar=("URL", "FILES", "LAYOUT", "FORMAT"))
    parser.add_argument("--serve", nargs=2, metavar=("FILES", "NAME"))
    args = parser.parse_args()
    if args.export:
        export_once(*args.export)
        return
    if args.serve:
        serve_once(*args.serve)
        return
    name = f"anchang_bench_{uuid.uuid4().hex[:8]}_vouchers"
    url = create_database(name)
    try:
        upgrade("finance", url)
        started = time.perf_counter()
        vouchers = seed(url, args.units)
        print(f"seeded {vouchers} vouchers of {args.units} units in "
              f"{time.perf_counter() - started:.0f} s")
        with tempfile.TemporaryDirectory(prefix="voucher-exports-") as files:
            for layout, format_ in (("kingdee", "xlsx"), ("yonyou", "xlsx"), ("kingdee", "csv"),
                                    ("yonyou", "csv")):
                result = run_json("--export", url, files, layout, format_)
                served = run_json("--serve", files, result["name"])
                print(f"| voucher export, a year of {args.units:,} units ({vouchers:,} "
                      f"vouchers, {vouchers * 2:,} lines) | {layout} {format_} | "
                      f"{result['seconds']} s (CPU {result['cpu_seconds']} s) | finance peak RSS "
                      f"{result['rss_peak_mb']} MB (at start {result['rss_before_mb']} MB) | "
                      f"gateway side: streamed in {served['seconds']} s, peak RSS "
                      f"{served['rss_peak_mb']} MB (at start {served['rss_before_mb']} MB) | "
                      f"file {result['file_mb']} MB | load {os.getloadavg()[0]:.1f} |",
                      flush=True)
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
