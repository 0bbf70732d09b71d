"""The outbox relay against the real RabbitMQ: confirms, mandatory routing, no double publish."""
import json
from decimal import Decimal
from datetime import datetime, timezone

import pytest
from kombu import Connection, Queue, binding
from sqlalchemy import select

from infra.database import UnitOfWork
from infra.outbox import OutboxRelay, events_exchange

pytestmark = pytest.mark.integration
DUE = datetime(2026, 11, 29, 2, tzinfo=timezone.utc)


def drain(amqp_uri, queue, expected, timeout=5):
    received = []
    with Connection(amqp_uri) as connection:
        simple = connection.SimpleQueue(queue)
        try:
            while len(received) < expected:
                message = simple.get(timeout=timeout)
                received.append(json.loads(message.body))
                message.ack()
        except simple.Empty:
            pass
        finally:
            simple.close()
    return received


def test_committed_events_are_published_once_and_unroutable_ones_kept(stores, amqp_uri):
    store = stores["complaints"]
    relay = OutboxRelay(store.engine, store.metadata, amqp_uri)
    queue = Queue("relay-test", bindings=[binding(events_exchange,
                                                  routing_key="complaints.complaint_filed")],
                  durable=True, auto_delete=False)
    with Connection(amqp_uri) as connection:
        queue.bind(connection.channel()).declare()
        connection.channel().queue_purge(queue.name)

    with UnitOfWork(store.session_factory, store.metadata, "complaints", relay) as uow:
        for n in range(5):
            uow.emit("complaint_filed", {"complaint_id": n, "channel": "phone",
                                         "due_at": DUE})
        uow.commit()  # publishes right after the commit

    received = drain(amqp_uri, "relay-test", expected=5)
    assert sorted(event["data"]["complaint_id"] for event in received) == [0, 1, 2, 3, 4]
    assert relay.publish_pending() == 0  # nothing left, nothing published twice
    assert drain(amqp_uri, "relay-test", expected=1, timeout=1) == []

    with Connection(amqp_uri) as connection:
        queue.bind(connection.channel()).delete()
    with UnitOfWork(store.session_factory, store.metadata, "complaints", relay) as uow:
        event = uow.emit("complaint_filed", {"complaint_id": 99, "channel": "phone",
                                             "due_at": DUE})
        uow.commit()
    outbox = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        row = connection.execute(select(outbox).where(outbox.c.event_id == event["event_id"])).one()
    assert row.published_at is None and row.last_error == "unroutable" and row.attempts == 1
    assert relay.backlog() >= 1


def test_nothing_is_lost_when_the_broker_is_unreachable(stores):
    store = stores["transactions"]
    relay = OutboxRelay(store.engine, store.metadata, "pyamqp://guest:guest@127.0.0.1:1/")
    with UnitOfWork(store.session_factory, store.metadata, "transactions", relay) as uow:
        event = uow.emit("deposit_confirmed", {"deposit_id": 1, "amount": Decimal("1.00")})
        uow.commit()  # must not raise: the commit stands, the sweep publishes later
    outbox = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        row = connection.execute(select(outbox).where(outbox.c.event_id == event["event_id"])).one()
    assert row.published_at is None


@pytest.mark.parametrize("engine_kind", ["postgresql", "sqlite"])
def test_concurrent_relays_publish_every_row_exactly_once(stores, amqp_uri, tmp_path,
                                                          engine_kind):
    """Four workers' relays sweeping the same outbox at once: no row is published twice
    (SKIP LOCKED on PostgreSQL; on SQLite one relay at a time holds the lock file)."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import delete
    from sqlalchemy.orm import sessionmaker

    from infra.database import make_engine
    from infra.migrations import upgrade

    if engine_kind == "sqlite":
        url = f"sqlite:///{tmp_path}/complaints.sqlite"
        upgrade("complaints", url)
        engine = make_engine(url)
    else:
        engine = stores["complaints"].engine
    metadata = stores["complaints"].metadata
    with engine.begin() as connection:
        connection.execute(delete(metadata.tables["outbox"]))
    queue = Queue(f"relay-race-{engine_kind}",
                  bindings=[binding(events_exchange, routing_key="complaints.complaint_filed")],
                  durable=True, auto_delete=False)
    with Connection(amqp_uri) as connection:
        queue.bind(connection.channel()).declare()
        connection.channel().queue_purge(queue.name)
    with UnitOfWork(sessionmaker(engine), metadata, "complaints", None) as uow:
        for n in range(300):
            uow.emit("complaint_filed", {"complaint_id": n, "channel": "phone", "due_at": DUE})
        uow.commit()

    relays = [OutboxRelay(engine, metadata, amqp_uri, batch_size=25) for _ in range(4)]

    def sweep(relay):
        while relay.publish_pending():
            pass
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(sweep, relays))

    received = drain(amqp_uri, queue.name, expected=301, timeout=2)
    ids = [event["data"]["complaint_id"] for event in received]
    assert sorted(ids) == list(range(300))  # all of them, none twice
    assert relays[0].backlog() == 0
    if engine_kind == "sqlite":
        engine.dispose()
