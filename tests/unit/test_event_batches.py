"""A batch handler gets the events waiting for it in one call and its messages are acked
together after it returned; a batch that fails is applied again one event at a time, so a
poison event is dead-lettered alone and the good ones are applied once."""
import json
import sys

import eventlet
import pytest
from eventlet.queue import LightQueue

from infra.consumer import EventHandler, EventQueue, RetryPolicy
from infra.topology import events_queue
from tests.messaging import valid_event

KEY = "leads.visit_recorded"


class Message:
    def __init__(self, event):
        self.event_id = event["event_id"]
        self.body = json.dumps(event).encode()
        self.headers, self.properties = {}, {}
        self.delivery_info = {"routing_key": KEY}
        self.content_type, self.content_encoding = "application/json", "utf-8"
        self.channel = type("Channel", (), {"connection": object()})()
        self.settled = []

    def ack(self):
        self.settled.append("ack")

    def reject(self, requeue):
        self.settled.append("reject")


class Container:
    """Runs workers and managed threads as green threads; the 'service' applies a list of
    events all or nothing, refusing any batch that holds a poison event."""
    service_name = "archive"
    config = {"max_workers": 10}

    def __init__(self, poison=()):
        self.poison, self.calls, self.applied = set(poison), [], []

    def apply(self, events):
        ids = [str(event["event_id"]) for event in events]  # parsed: UUIDs
        self.calls.append(ids)
        if self.poison & set(ids):
            raise KeyError("deposit_id")
        self.applied += ids

    def spawn_worker(self, entrypoint, args, kwargs, context_data=None, handle_result=None):
        def run():
            try:
                result, exc_info = self.apply(*args), None
            except Exception:
                result, exc_info = None, sys.exc_info()
            handle_result(None, result, exc_info)
        return eventlet.spawn(run)

    def spawn_managed_thread(self, fn, identifier=None):
        return eventlet.spawn(fn)


class DeadLetters:
    def __init__(self):
        self.bodies = []

    def publish(self, body, **options):
        self.bodies.append(json.loads(body)["event_id"])


def consume(messages, poison=()):
    """The messages arrive while the batch collector waits, as when the broker delivers a
    prefetched burst; answers once every message is settled."""
    container, handler = Container(poison), EventHandler("*", batch_size=10)
    queue = EventQueue()
    queue.container, queue.service, queue.queue = container, "archive", events_queue("archive")
    queue.accepting, queue.routes = True, {KEY: handler}
    queue.dead_letters = DeadLetters()
    queue.retry_policy = RetryPolicy(max_attempts=2, base_delay=0.0)
    queue._waiting = {handler: LightQueue()}
    collector = eventlet.spawn(queue._collect, handler)
    for message in messages:
        queue._on_message(message)
    with eventlet.Timeout(5):
        while not all(message.settled for message in messages):
            eventlet.sleep(0.01)
    collector.kill()
    return container, queue.dead_letters


@pytest.fixture
def events():
    return [valid_event(KEY, customer_id=n + 1) for n in range(6)]


def test_waiting_events_are_applied_in_one_call_and_acked_together_after_it(events):
    messages = [Message(event) for event in events]
    container, dead = consume(messages)
    ids = [event["event_id"] for event in events]
    assert container.calls == [ids]
    assert container.applied == ids
    assert [message.settled for message in messages] == [["ack"]] * 6
    assert dead.bodies == []


def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_rest_applied_once(events):
    messages = [Message(event) for event in events]
    poison = events[2]["event_id"]
    container, dead = consume(messages, poison={poison})
    good = [event["event_id"] for event in events if event["event_id"] != poison]
    assert len(container.calls[0]) == 6  # the batch, refused
    assert sorted(container.applied) == sorted(good)  # each once, one by one
    assert container.calls.count([poison]) == 2  # its own attempts (max_attempts=2)
    assert dead.bodies == [poison]
    assert [message.settled for message in messages] == [["ack"]] * 6  # dead letter acked too


def test_a_batch_handler_alone_gets_a_batch_of_one(events):
    container, _ = consume([Message(events[0])])
    assert container.calls == [[events[0]["event_id"]]]
