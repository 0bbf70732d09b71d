"""The live board: inventory's events, fanned out to every open board of their project.

One consumer per console process listens on a private, self-deleting queue bound to
`inventory.#`. Live updates are a view, not a record: a board that was disconnected reloads
its rooms when it reconnects, so this queue needs no durability, inbox or dead letters.
"""
import json
import logging

import eventlet
from eventlet.queue import LightQueue
from kombu import Connection, Queue

from infra.outbox import events_exchange

log = logging.getLogger(__name__)


class BoardFeed:
    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.subscribers: dict[int, set[LightQueue]] = {}
        self.connected = False

    def subscribe(self, project_id: int) -> LightQueue:
        inbox = LightQueue(maxsize=1000)
        self.subscribers.setdefault(project_id, set()).add(inbox)
        return inbox

    def unsubscribe(self, project_id: int, inbox: LightQueue) -> None:
        self.subscribers.get(project_id, set()).discard(inbox)

    def publish(self, project_id, change: dict) -> None:
        for inbox in list(self.subscribers.get(project_id, ())):
            if not inbox.full():  # a stalled browser loses updates, never the others
                inbox.put(change)

    def start(self) -> None:
        eventlet.spawn(self._run_forever)

    def _run_forever(self):
        while True:
            try:
                self._consume()
            except Exception as exc:  # the broker went away: reconnect, boards reload
                self.connected = False
                log.warning("board feed lost the broker (%s); reconnecting", exc)
                eventlet.sleep(2)

    def _consume(self):
        queue = Queue(exclusive=True, auto_delete=True, durable=False,
                      exchange=events_exchange, routing_key="inventory.#")
        with Connection(self.amqp_uri, heartbeat=30) as connection:
            with connection.Consumer([queue], callbacks=[self._on_message], no_ack=True,
                                     accept=["json"]):
                self.connected = True
                # a reconnect may have missed events: every open board reloads
                for project_id in list(self.subscribers):
                    self.publish(project_id, {"unit_id": None, "type": "reconnected"})
                while True:
                    try:
                        connection.drain_events(timeout=10)
                    except TimeoutError:
                        connection.heartbeat_check()

    def _on_message(self, body, message):
        try:
            event = body if isinstance(body, dict) else json.loads(body)
            self.publish(event.get("project_id"),
                         {"unit_id": event.get("unit_id"), "type": event.get("type")})
        except Exception:  # a malformed event is skipped; the record lives elsewhere
            log.info("board feed skipped an event it could not read")
