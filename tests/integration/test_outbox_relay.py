"""The outbox relay against the real RabbitMQ: confirms, mandatory routing, no double publish."""
import json
import socket
import uuid
from decimal import Decimal
from datetime import datetime, timezone

import pytest
from kombu import Connection, Queue, binding
from sqlalchemy import insert, select

from infra.database import UnitOfWork, utcnow
from infra.outbox import OutboxRelay, events_exchange

pytestmark = pytest.mark.integration
DUE = datetime(2026, 11, 29, 2, tzinfo=timezone.utc)


def drain(amqp_uri, queue, expected, timeout=5):
    received = []
    with Connection(amqp_uri) as connection:
        simple = connection.SimpleQueue(Queue(queue, no_declare=True))
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


def outbox_rows(store, routing_keys):
    """Rows written straight into the outbox, one per routing key, in that order."""
    outbox = store.metadata.tables["outbox"]
    rows = []
    for n, routing_key in enumerate(routing_keys):
        event_id = str(uuid.uuid4())
        rows.append({"event_id": event_id, "routing_key": routing_key, "created_at": utcnow(),
                     "payload": {"event_id": event_id, "n": n}})
    with store.engine.begin() as connection:
        connection.execute(insert(outbox), rows)
    return [row["event_id"] for row in rows]


def outbox_state(store, event_ids):
    outbox = store.metadata.tables["outbox"]
    with store.engine.connect() as connection:
        found = connection.execute(select(outbox).where(outbox.c.event_id.in_(event_ids))).all()
    by_id = {row.event_id: row for row in found}
    return [(by_id[event_id].published_at is not None, by_id[event_id].attempts,
             by_id[event_id].last_error) for event_id in event_ids]


def declare_queue(amqp_uri, name, routing_key, **arguments):
    queue = Queue(name, bindings=[binding(events_exchange, routing_key=routing_key)],
                  durable=True, auto_delete=False, queue_arguments=arguments or None)
    with Connection(amqp_uri) as connection:
        queue.bind(connection.channel()).declare()
        connection.channel().queue_purge(name)


def test_a_batch_is_confirmed_once_in_order_and_only_its_unroutable_row_is_kept(stores,
                                                                                 amqp_uri):
    store = stores["complaints"]
    relay = OutboxRelay(store.engine, store.metadata, amqp_uri)
    declare_queue(amqp_uri, "relay-batch", "complaints.batch_test")
    keys = ["complaints.batch_test"] * 2 + ["complaints.nobody_listens"] + [
        "complaints.batch_test"] * 2
    event_ids = outbox_rows(store, keys)

    assert relay.publish_pending(event_ids) == 4

    received = drain(amqp_uri, "relay-batch", expected=5, timeout=1)
    assert [event["n"] for event in received] == [0, 1, 3, 4]
    assert outbox_state(store, event_ids) == [
        (True, 1, None), (True, 1, None), (False, 1, "unroutable"), (True, 1, None),
        (True, 1, None)]
    relay.close()


def test_rows_the_broker_refuses_stay_unpublished_and_go_out_later_in_order(stores, amqp_uri):
    """A queue that rejects what exceeds its length makes the broker nack those messages."""
    store = stores["complaints"]
    relay = OutboxRelay(store.engine, store.metadata, amqp_uri)
    declare_queue(amqp_uri, "relay-nack", "complaints.nack_test",
                  **{"x-max-length": 2, "x-overflow": "reject-publish"})
    event_ids = outbox_rows(store, ["complaints.nack_test"] * 5)

    assert relay.publish_pending(event_ids) == 2
    assert outbox_state(store, event_ids) == [(True, 1, None)] * 2 + [(False, 0, None)] * 3
    delivered = [event["n"] for event in drain(amqp_uri, "relay-nack", expected=2)]
    assert relay.publish_pending(event_ids) == 2
    delivered += [event["n"] for event in drain(amqp_uri, "relay-nack", expected=2)]
    assert relay.publish_pending(event_ids) == 1
    delivered += [event["n"] for event in drain(amqp_uri, "relay-nack", expected=1)]
    assert delivered == [0, 1, 2, 3, 4]
    relay.close()


def test_a_dead_kept_connection_is_replaced_within_the_same_publish(stores, amqp_uri):
    store = stores["complaints"]
    relay = OutboxRelay(store.engine, store.metadata, amqp_uri)
    declare_queue(amqp_uri, "relay-reconnect", "complaints.reconnect_test")
    first = outbox_rows(store, ["complaints.reconnect_test"])
    assert relay.publish_pending(first) == 1
    # as after a broker restart: the kept connection's socket is gone
    relay.publisher._connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)

    second = outbox_rows(store, ["complaints.reconnect_test"] * 2)
    assert relay.publish_pending(second) == 2
    assert [event["n"] for event in drain(amqp_uri, "relay-reconnect", expected=3)] == [0, 0, 1]
    relay.close()
