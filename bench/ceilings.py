"""The baselines the suite is measured against, on the same machine in the same run.

A: a bare nameko @http endpoint calling a bare @rpc echo (two processes, no database).
B: raw kombu, persistent messages with publisher confirms into a durable (quorum) queue,
   consumed with acks.
C: PostgreSQL through SQLAlchemy: one-row insert transactions, and bulk COPY / executemany.
"""
import io
import itertools
import multiprocessing
import time
from datetime import datetime, timezone

import requests
from kombu import Connection, Exchange, Queue
from sqlalchemy import (BigInteger, Column, DateTime, MetaData, String, Table, create_engine,
                        insert, text)

from bench.cpu import cpu_meter, cpu_row, infrastructure_pids
from bench.data import lead_body, sample_event_body
from bench.load import closed_loop
from bench.report import Row, require_no_errors
from bench.stats import per_second

CEILING_A = "Ceiling A: bare @http → @rpc echo"
CEILING_B = "Ceiling B: kombu confirms + acks"
CEILING_C = "Ceiling C: PostgreSQL inserts"


def http_rows(benchmark, label, result, key="", ceiling_key="", goal=None) -> list[Row]:
    """requests/s, p50 and p99 of a closed-loop HTTP run. A ceiling's rows get keys
    `<key>.per_second` …; a suite's rows name the ceiling's `ceiling_key` the same way."""
    summary = result.summary()
    note = f"{summary['count']} requests, {summary['errors']} errors"

    def keys(measure):
        return {"key": f"{key}.{measure}" if key else "",
                "ceiling_key": f"{ceiling_key}.{measure}" if ceiling_key else ""}
    return [
        Row(benchmark, f"{label} requests/s", summary["per_second"], "req/s", goal=goal,
            note=note, **keys("per_second")),
        Row(benchmark, f"{label} p50", summary["p50_ms"], "ms", higher_is_better=False,
            **keys("p50_ms")),
        Row(benchmark, f"{label} p99", summary["p99_ms"], "ms", higher_is_better=False,
            **keys("p99_ms")),
    ]


def poster(url, body, token=None, expected=201):
    """A `make_call` for closed_loop: each thread its own keep-alive session."""
    def make_call():
        session = requests.Session()
        if token:
            session.headers["Authorization"] = token

        def call():
            return session.post(url, json=body(), timeout=30).status_code == expected
        return call
    return make_call


# --- A ---------------------------------------------------------------------------------

def ceiling_a(env, mode) -> list[Row]:
    url = env.echo_url()
    rows, failures = [], {}
    for concurrency in (1, 16):
        with cpu_meter({**env.echo_pids(), **infrastructure_pids()}) as spent:
            result = closed_loop(poster(url, lambda: lead_body(1)), concurrency,
                                 mode.http_seconds, mode.warmup_seconds)
        rows += http_rows(CEILING_A, f"c={concurrency}", result, key=f"A.c{concurrency}")
        rows.append(cpu_row(CEILING_A, f"c={concurrency}", spent, result.calls,
                            key=f"A.c{concurrency}.cpu_ms"))
        failures[f"c={concurrency}"] = result.errors
    return require_no_errors(rows, failures)


# --- B ---------------------------------------------------------------------------------

BROKER_EXCHANGE = Exchange("bench.ceiling-b", type="direct", durable=True)
BROKER_QUEUE = Queue("bench.ceiling-b", BROKER_EXCHANGE, routing_key="bench", durable=True,
                     queue_arguments={"x-queue-type": "quorum"})


def ceiling_b(env, mode) -> list[Row]:
    """One publisher (as the outbox relay) and, in another process (as the archive), one
    consumer with prefetch 10 (as a service with max_workers 10), at the same time. The queue
    is a quorum queue, like the suite's."""
    count = mode.broker_messages
    with Connection(env.amqp_uri) as connection:
        BROKER_QUEUE.bind(connection.channel()).declare()
        connection.channel().queue_purge(BROKER_QUEUE.name)
    body = sample_event_body()
    processes = multiprocessing.get_context("spawn")
    finished = processes.Queue()
    consumer = processes.Process(target=consume_messages, args=(env.amqp_uri, count, finished))
    consumer.start()
    try:
        finished.get(timeout=60)  # the consumer is subscribed: start publishing
        with Connection(env.amqp_uri, transport_options={"confirm_publish": True}) as connection:
            producer = connection.Producer()
            began = time.monotonic()
            for _ in range(count):
                producer.publish(body, exchange=BROKER_EXCHANGE, routing_key="bench",
                                 delivery_mode=2, content_type="application/json",
                                 content_encoding="utf-8")
            published = time.monotonic()
        consumed = finished.get(timeout=600)
    finally:
        consumer.join(10)
        if consumer.is_alive():
            consumer.kill()
        with Connection(env.amqp_uri) as connection:
            BROKER_QUEUE.bind(connection.channel()).delete()
    if consumed is None:
        raise RuntimeError(f"ceiling B: the consumer did not receive all {count} messages")
    note = f"{count:,} messages of {len(body)} bytes"
    return [
        Row(CEILING_B, "publish with confirms, messages/s",
            per_second(count, published - began), "msg/s", note=note, key="B.publish"),
        Row(CEILING_B, "publish → consume+ack, messages/s",
            per_second(count, consumed - began), "msg/s", note=note, key="B.end_to_end"),
    ]


def consume_messages(amqp_uri, count, finished):
    """The consumer process: says when it is subscribed, then puts the time of its last ack
    (None after 10 minutes). time.monotonic() is one clock for every process on Linux."""
    received = 0
    with Connection(amqp_uri) as connection:
        def on_message(message):
            nonlocal received
            message.ack()
            received += 1
        with connection.Consumer(BROKER_QUEUE, on_message=on_message, prefetch_count=10):
            finished.put(time.monotonic())
            deadline = time.monotonic() + 600
            while received < count and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=1)
                except TimeoutError:
                    pass
    finished.put(time.monotonic() if received == count else None)


# --- C ---------------------------------------------------------------------------------

def _rows_table(name, metadata):
    """Shaped like a lead: a name, a mobile with a unique index (dedupe), a timestamp."""
    return Table(name, metadata,
                 Column("id", BigInteger, primary_key=True, autoincrement=True),
                 Column("name", String(50), nullable=False),
                 Column("mobile", String(11), nullable=False, unique=True),
                 Column("created_at", DateTime(timezone=True), nullable=False))


def ceiling_c(env, mode) -> list[Row]:
    metadata = MetaData()
    single, bulk = _rows_table("ceiling_rows", metadata), _rows_table("ceiling_bulk", metadata)
    engine = create_engine(env.database_urls["ceiling"], pool_size=8, max_overflow=0)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        rows, failures = [], {}
        numbers = itertools.count()  # one sequence: each row's mobile is unique
        for concurrency in (1, 8):
            result = closed_loop(_one_row_inserter(engine, single, numbers), concurrency,
                                 mode.insert_seconds, mode.warmup_seconds)
            rows.append(Row(CEILING_C, f"one-row insert transactions, c={concurrency}",
                            result.per_second, "rows/s", key=f"C.c{concurrency}"))
            failures[f"c={concurrency}"] = result.errors
        require_no_errors(rows, failures)
        copy_rate = _copy_rows_per_second(engine, bulk, mode.copy_rows)
        rows.append(Row(CEILING_C, f"COPY of {mode.copy_rows:,} rows", copy_rate, "rows/s",
                        key="C.bulk", note="one transaction, unique index on mobile"))
        many_rate = _executemany_rows_per_second(engine, bulk, mode.executemany_rows)
        rows.append(Row(CEILING_C, f"executemany of {mode.executemany_rows:,} rows", many_rate,
                        "rows/s", key="C.executemany",
                        note="SQLAlchemy insertmanyvalues, one transaction"))
        return rows
    finally:
        engine.dispose()


def _lead_row(number):
    return {"name": "基准客户", "mobile": f"13{number:09d}",
            "created_at": datetime.now(timezone.utc)}


def _one_row_inserter(engine, table, numbers):
    def make_call():
        def call():
            with engine.begin() as connection:
                connection.execute(insert(table), _lead_row(next(numbers)))
            return True
        return call
    return make_call


def _copy_rows_per_second(engine, table, count) -> float:
    _truncate(engine, table)
    now = datetime.now(timezone.utc).isoformat()
    csv = io.StringIO("".join(f"基准客户,13{number:09d},{now}\n" for number in range(count)))
    connection = engine.raw_connection()
    try:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table.name} (name, mobile, created_at) FROM STDIN "
                               "WITH (FORMAT csv)", csv)
        connection.commit()
        return per_second(count, time.perf_counter() - began)
    finally:
        connection.close()


def _executemany_rows_per_second(engine, table, count) -> float:
    _truncate(engine, table)
    rows = [_lead_row(number) for number in range(count)]
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(table), rows)
    return per_second(count, time.perf_counter() - began)


def _truncate(engine, table):
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {table.name}"))
