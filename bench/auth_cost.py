"""What a request's token check costs on PostgreSQL: the cache with its revocation check (one
single-row read of `auth_generation` per request) next to a full lookup (tokens ⋈ users) and
a bare `SELECT 1` on the same pool. Prints and records; asserts no timing.

    .venv/bin/python -m bench.auth_cost [--requests 3000]
"""
import argparse
import os
import statistics
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from gateway import auth
from infra.database import make_engine
from infra.migrations import upgrade

PG_SERVER = os.environ.get("ANCHANG_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")


def timed(fn, n) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def row(name, samples, baseline):
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    return f"| {name} | {p50:.0f} | {p99:.0f} | {p50 / baseline:.2f} |"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    n = parser.parse_args(argv).requests
    name = f"anchang_bench_auth_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{PG_SERVER}/{name}"
        upgrade("gateway", url)
        engine = make_engine(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions() as session:
            auth.create_user(session, "bench", "sand-table-0931", "consultant")
            bearer = "Bearer " + auth.issue_token(session, "bench", "sand-table-0931", 12)["token"]
            session.commit()
        cache = auth.TokenCache()

        def select_one():
            with sessions() as session:
                session.execute(text("SELECT 1"))
        paths = {"bare `SELECT 1` (a session from the pool)": select_one,
                 "token from the cache + generation check":
                     lambda: auth.authenticate(sessions, bearer, cache),
                 "token looked up (no cache: tokens ⋈ users)":
                     lambda: auth.authenticate(sessions, bearer, None)}
        samples = {name: [] for name in paths}
        for fn in paths.values():
            timed(fn, 200)  # warm the pool and the cache
        for _ in range(max(1, n // 100)):  # interleaved, so the machine's drift hits all alike
            for name, fn in paths.items():
                samples[name] += timed(fn, 100)
        baseline = statistics.median(next(iter(samples.values())))
        lines = ["| per request | p50 µs | p99 µs | × SELECT 1 |", "|---|---|---|---|"]
        lines += [row(name, values, baseline) for name, values in samples.items()]
        print("\n".join(lines))
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
