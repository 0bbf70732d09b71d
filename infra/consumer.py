"""`@event_handler`: consume domain events from the service's quorum queue, safely.

What nameko's own event_handler does not give, and this does:
- one queue per service bound to every routing key it handles (the archive hears everything);
- the body is decoded and validated here; what cannot be decoded or validated goes to the
  service's dead letters with the reason, never acked and dropped;
- the message is acked only after the handler returned (its transaction already committed);
- a handler declared with `batch_size=N` gets a list of the events waiting for it (up to N,
  whatever arrived while the previous ones were read: one under a light load), applies them
  in one transaction and they are acked together after its commit; when the batch fails, its
  events are applied again one by one, each with the retries below, so a poison event is
  dead-lettered alone and nothing is applied twice (the inbox);
- a failing handler is retried with backoff — for minutes while the database or broker is
  away, a few times otherwise — then dead-lettered; no hot redelivery loop.
"""
import json
import logging
import time
from dataclasses import dataclass
from functools import partial

import eventlet
from eventlet.queue import LightQueue
from kombu import Connection
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from contracts.envelope import InvalidEvent, parse_event
from contracts.subscriptions import SUBSCRIPTIONS
from infra.consumer_loop import ConsumerLoop
from infra.dead_letters import ERROR_HEADER, ROUTING_KEY_HEADER, dead_letter_publisher
from infra.topology import declare_service, events_queue

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, DisconnectionError, ConnectionError,
                    TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4            # errors that are probably not going away by themselves
    transient_window: float = 300.0  # seconds to keep retrying while a database/broker is away
    base_delay: float = 0.2
    max_delay: float = 5.0

    def next_delay(self, attempt: int, error: BaseException, failing_for: float):
        """Seconds to wait before attempt `attempt + 1`, or None to dead-letter now."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        if isinstance(error, TRANSIENT_ERRORS):
            return delay if failing_for < self.transient_window else None
        return delay if attempt < self.max_attempts else None


class EventQueue(SharedExtension, ProviderCollector):
    retry_policy = RetryPolicy()

    def setup(self):
        self.service = self.container.service_name
        self.queue = events_queue(self.service)
        self.accepting = True
        self.dead_letters = dead_letter_publisher(self.container.config["AMQP_URI"])

    def start(self):
        self.routes = self._routes()
        config = self.container.config
        connection = Connection(config["AMQP_URI"], heartbeat=config.get("HEARTBEAT", 60))
        batches = [handler for handler in self._providers if handler.batch_size > 1]
        # enough unacked messages in flight for a batch to form while another is applied
        prefetch = max([int(config.get("max_workers", 10))]
                       + [2 * handler.batch_size for handler in batches])
        self._waiting = {handler: LightQueue() for handler in batches}
        for handler in batches:
            self.container.spawn_managed_thread(partial(self._collect, handler),
                                                identifier="event_batches")
        self._loop = ConsumerLoop(connection, self.queue, self._on_message, prefetch,
                                   self._on_ready)
        self._thread = self.container.spawn_managed_thread(self._loop.run,
                                                           identifier="event_queue")

    def _routes(self):
        routes = {}
        subscribed = set(SUBSCRIPTIONS.get(self.service, ()))
        for handler in self._providers:
            keys = subscribed if handler.routing_keys == ("*",) else set(handler.routing_keys)
            unknown = keys - subscribed
            if unknown:
                raise RuntimeError(f"{self.service} handles {sorted(unknown)} but "
                                   "contracts.subscriptions does not bind them")
            routes.update({key: handler for key in keys})
        return routes

    def _on_ready(self, channel):
        declare_service(channel, self.service)

    def stop_accepting(self):
        self.accepting = False  # in-flight messages stay unacked and come back after restart

    def stop(self):
        self._loop.should_stop = True
        self._thread.wait()

    def kill(self):
        self._loop.should_stop = True

    def _on_message(self, message):
        if not self.accepting:
            return
        try:
            self._receive(message)
        except Exception:  # one message must never stop the consumer loop
            log.exception("unexpected error receiving a message; rejecting it to dead letters")
            _settle(message, ack=False)

    def _receive(self, message):
        try:
            body = json.loads(message.body)
        except (ValueError, UnicodeDecodeError) as exc:
            self._dead_letter(message, f"not JSON: {exc}")
            return
        try:
            event = parse_event(body)
        except InvalidEvent as exc:
            self._dead_letter(message, f"invalid event: {exc.message} "
                                       f"{json.dumps(exc.details, ensure_ascii=False)}")
            return
        handler = self.routes.get(f"{event['source']}.{event['type']}")
        if handler is None:
            self._dead_letter(message, f"no handler for {event['source']}.{event['type']}")
            return
        if handler.batch_size > 1:
            self._waiting[handler].put((event, message))
        else:
            self._dispatch(handler, event, message, attempt=1, failing_since=None)

    def _collect(self, handler):
        """Hand the events waiting for a batch handler to one worker at a time: everything the
        consumer read meanwhile, up to the batch size. Waiting for a free worker lets the
        next batch grow."""
        waiting = self._waiting[handler]
        while True:
            batch = [waiting.get()]
            while len(batch) < handler.batch_size and not waiting.empty():
                batch.append(waiting.get_nowait())
            if not self.accepting:
                continue  # left unacked: redelivered after the restart
            if len(batch) == 1:
                self._dispatch(handler, *batch[0], attempt=1, failing_since=None)
                continue
            events = [event for event, _ in batch]
            try:
                self.container.spawn_worker(
                    handler, (events,), {},
                    context_data={"correlation_id": events[0]["correlation_id"]},
                    handle_result=partial(self._after_batch, handler, batch))
            except ContainerBeingKilled:
                pass  # left unacked: redelivered to another worker

    def _after_batch(self, handler, batch, worker_ctx, result, exc_info):
        if exc_info is None:  # committed: ack every message of the batch
            for _, message in batch:
                _settle(message, ack=True)
            return result, exc_info
        log.warning("a batch of %d events failed (%r); applying them one by one",
                    len(batch), exc_info[1])
        self.container.spawn_managed_thread(partial(self._one_by_one, handler, batch))
        return result, exc_info

    def _one_by_one(self, handler, batch):
        for event, message in batch:
            if self.accepting:
                self._dispatch(handler, event, message, attempt=1, failing_since=None)

    def _dispatch(self, handler, event, message, attempt, failing_since):
        """One event to its handler (a batch handler gets a batch of one)."""
        try:
            self.container.spawn_worker(
                handler, ([event] if handler.batch_size > 1 else event,), {},
                context_data={"correlation_id": event["correlation_id"]},
                handle_result=partial(self._after_handler, handler, event, message, attempt,
                                      failing_since))
        except ContainerBeingKilled:
            pass  # left unacked: redelivered to another worker

    def _after_handler(self, handler, event, message, attempt, failing_since, worker_ctx,
                       result, exc_info):
        if exc_info is None:
            _settle(message, ack=True)
            return result, exc_info
        failing_since = failing_since or time.monotonic()
        error = exc_info[1]
        delay = self.retry_policy.next_delay(attempt, error, time.monotonic() - failing_since)
        if delay is None:
            self._dead_letter(message, f"failed {attempt} time(s): {error!r}")
        else:
            log.warning("event %s failed (attempt %d, %r); retrying in %.1fs",
                        event["event_id"], attempt, error, delay)
            self.container.spawn_managed_thread(partial(
                self._retry_later, delay, handler, event, message, attempt + 1, failing_since))
        return result, exc_info

    def _dead_letter(self, message, reason: str):
        """Hand the message to the dead-letter exchange with the reason, then ack it. When
        that publish fails the message is rejected instead, and the broker dead-letters it
        (without the reason)."""
        log.error("dead-lettering a message from %s: %s", self.queue.name, reason)
        headers = {**(message.headers or {}), ERROR_HEADER: reason[:2000],
                   ROUTING_KEY_HEADER: message.delivery_info.get("routing_key")}
        try:
            self.dead_letters.publish(
                message.body, routing_key=self.service, headers=headers,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                message_id=message.properties.get("message_id"))
        except Exception as exc:
            log.warning("could not republish to dead letters (%s); rejecting instead", exc)
            _settle(message, ack=False)
            return
        _settle(message, ack=True)

    def _retry_later(self, delay, *args):
        eventlet.sleep(delay)
        if self.accepting:
            self._dispatch(*args)


def _settle(message, ack: bool):
    """Ack, or reject to the dead-letter exchange; a closed channel means the broker already
    took the message back, and it will be redelivered."""
    if not message.channel.connection:
        return
    try:
        message.ack() if ack else message.reject(requeue=False)
    except Exception as exc:  # connection dropped between the check and the call
        log.warning("could not settle message: %s", exc)


class EventHandler(Entrypoint):
    """Entrypoint: `@event_handler("transactions.deposit_received")`; `"*"` means every
    routing key the service subscribes to in contracts.subscriptions. With `batch_size=N`
    the method takes a list of events (see the module's docstring)."""
    event_queue = EventQueue()

    def __init__(self, *routing_keys, batch_size=1, **kwargs):
        self.routing_keys = routing_keys
        self.batch_size = batch_size
        super().__init__(**kwargs)

    def setup(self):
        self.event_queue.register_provider(self)

    def stop(self):
        self.event_queue.stop_accepting()
        self.event_queue.unregister_provider(self)


event_handler = EventHandler.decorator
