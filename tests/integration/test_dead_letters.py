"""The dead-letter store against the real RabbitMQ and PostgreSQL: every dead letter is kept
with its reason, counted once per body, and replayed onto the service's own queue."""
import json
import threading

import pytest
from kombu import Connection, Producer
from sqlalchemy import delete, select, text

from contracts.subscriptions import queue_name
from infra import dead_letters
from infra.consumer_loop import ConsumerLoop
from tests.waiting import wait_until
from infra.topology import (dead_letters_exchange, dead_letters_queue, declare_service,
                            events_queue)

pytestmark = pytest.mark.integration
SERVICE = "archive"


@pytest.fixture
def store(stores, amqp_uri):
    engine = stores[SERVICE].engine
    table = stores[SERVICE].metadata.tables["dead_letters"]
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        declare_service(channel, SERVICE)
        channel.queue_purge(queue_name(SERVICE))
    with engine.begin() as connection:
        connection.execute(delete(table))
    consumer = dead_letters.DeadLetterStore(amqp_uri, SERVICE, engine, table)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    yield engine, table
    consumer.stop()
    thread.join(10)
    with Connection(amqp_uri) as connection:  # archive's queue hears every routing key
        channel = connection.channel()
        for queue in (events_queue(SERVICE), dead_letters_queue(SERVICE)):
            queue.bind(channel).delete()


def send_to_dead_letters(amqp_uri, body: bytes, headers):
    with Connection(amqp_uri) as connection:
        Producer(connection.channel()).publish(
            body, exchange=dead_letters_exchange, routing_key=SERVICE, headers=headers,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2)


def test_dead_letters_are_stored_with_reasons_and_counted_once_per_body(store, amqp_uri):
    engine, table = store
    poison = b'{"event_id": "not-closed"'
    send_to_dead_letters(amqp_uri, poison, {"x-anchang-error": "undecodable: Expecting ','",
                                            "x-anchang-routing-key": "leads.visit_recorded"})
    send_to_dead_letters(amqp_uri, poison, {"x-anchang-error": "undecodable: again"})
    send_to_dead_letters(amqp_uri, b'{"event_id": "abc"}', {
        "x-first-death-reason": "delivery_limit", "x-first-death-queue": "anchang.archive.events"})

    def stored():
        letters = dead_letters.list_letters(engine, table)
        return letters if sum(letter["deaths"] for letter in letters) == 3 else None

    first, second = wait_until(stored, 10)[0]
    assert first["body"] == poison.decode()
    assert first["reason"] == "undecodable: again" and first["deaths"] == 2
    assert first["routing_key"] == "leads.visit_recorded" and first["event_id"] is None
    assert second["reason"].endswith("anchang.archive.events: delivery_limit")
    assert dead_letters.count_dead(engine, table) == 2


def test_replay_puts_the_original_body_back_on_the_service_queue(store, amqp_uri):
    engine, table = store
    bodies = [json.dumps({"event_id": f"00000000-0000-0000-0000-00000000000{n}"}).encode()
              for n in range(3)]
    for body in bodies:
        send_to_dead_letters(amqp_uri, body, {"x-anchang-error": "failed 4 time(s)"})
    wait_until(lambda: dead_letters.count_dead(engine, table) == 3, 10)
    first_id = dead_letters.list_letters(engine, table)[0]["id"]

    publisher = dead_letters.replay_publisher(amqp_uri)
    assert dead_letters.replay(engine, table, publisher, SERVICE, ids=[first_id]) == [first_id]
    assert len(dead_letters.replay(engine, table, publisher, SERVICE)) == 2
    assert dead_letters.replay(engine, table, publisher, SERVICE) == []  # nothing left dead

    with Connection(amqp_uri) as connection:
        queue = connection.SimpleQueue(events_queue(SERVICE))
        replayed = []
        for _ in range(3):
            message = queue.get(timeout=5)
            replayed.append((message.body if isinstance(message.body, bytes)
                             else message.body.encode(), message.headers))
            message.ack()
        queue.close()
    assert sorted(body for body, _ in replayed) == sorted(bodies)
    assert all(headers["x-anchang-replays"] == 1 for _, headers in replayed)
    letters = dead_letters.list_letters(engine, table, status="replayed")
    assert [letter["replays"] for letter in letters] == [1, 1, 1]
    assert dead_letters.count_dead(engine, table) == 0


class GivingUpConsumer:
    """The service's consumer meeting a message it still cannot apply (an undecodable body):
    it hands each message to the dead-letter exchange with the reason, then acks it."""

    def __init__(self, amqp_uri):
        self.publisher = dead_letters.dead_letter_publisher(amqp_uri)
        self.loop = ConsumerLoop(Connection(amqp_uri), events_queue(SERVICE), self.give_up, 1)
        self.thread = threading.Thread(target=self.loop.run, daemon=True)

    def give_up(self, message):
        self.publisher.publish(
            dead_letters.raw_body(message), routing_key=SERVICE,
            headers={**(message.headers or {}), dead_letters.ERROR_HEADER: "not JSON: still",
                     dead_letters.ROUTING_KEY_HEADER: message.delivery_info["routing_key"]},
            content_type=message.content_type, content_encoding=message.content_encoding)
        message.ack()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.should_stop = True
        self.thread.join(10)


class SlowToRecordItself:
    """The replay's publisher, returning only once the replayed message has failed again and
    its new death reached the dead-letter store: stored already, or waiting for the row the
    replay holds. That is what a replay meets when recording itself is slower than the
    consumer's new failure (a busy database, a slow network)."""

    def __init__(self, publisher, engine, table, letter_id):
        self.publisher = publisher
        self.engine = engine
        self.table = table
        self.letter_id = letter_id

    def publish(self, *args, **kwargs):
        self.publisher.publish(*args, **kwargs)
        wait_until(lambda: self.died_again() or self.store_waits_for_the_row(), 30,
                   what="the new death at the store")

    def died_again(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(self.table.c.deaths).where(
                self.table.c.id == self.letter_id)).scalar_one() == 2

    def store_waits_for_the_row(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE '%dead_letters%'")).scalar_one() > 0


def test_a_replayed_letter_that_fails_again_is_dead_again_listed_and_counted(store, amqp_uri):
    engine, table = store
    poison = b'{"event_id": "still-unclosed'
    send_to_dead_letters(amqp_uri, poison, {"x-anchang-error": "not JSON: unterminated"})
    wait_until(lambda: dead_letters.count_dead(engine, table) == 1, 10)
    letter_id = dead_letters.list_letters(engine, table)[0]["id"]

    with GivingUpConsumer(amqp_uri):
        publisher = SlowToRecordItself(dead_letters.replay_publisher(amqp_uri), engine, table,
                                       letter_id)
        assert dead_letters.replay(engine, table, publisher, SERVICE) == [letter_id]
        wait_until(lambda: dead_letters.list_letters(engine, table, status=None)[0]["deaths"]
                   == 2, 10, what="the second death stored")

    letter = dead_letters.list_letters(engine, table, status=None)[0]
    assert (letter["status"], letter["deaths"], letter["replays"]) == ("dead", 2, 1)
    assert letter["reason"] == "not JSON: still"
    assert [listed["id"] for listed in dead_letters.list_letters(engine, table)] == [letter_id]
    assert dead_letters.count_dead(engine, table) == 1  # what health shows


def test_a_replay_that_cannot_publish_leaves_the_letter_dead(store, amqp_uri):
    engine, table = store
    send_to_dead_letters(amqp_uri, b'{"event_id": "x"}', {"x-anchang-error": "failed"})
    wait_until(lambda: dead_letters.count_dead(engine, table) == 1, 10)
    unreachable = dead_letters.replay_publisher("pyamqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(Exception):
        dead_letters.replay(engine, table, unreachable, SERVICE)
    letter = dead_letters.list_letters(engine, table, status=None)[0]
    assert (letter["status"], letter["replays"]) == ("dead", 0)
