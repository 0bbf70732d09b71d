"""Publishing to the broker with confirms, failing fast while the broker is away.

nameko's default connection options retry a lost connection for up to 9 s on each publish
attempt, so a publisher could sit out a broker restart for half a minute, holding the outbox
rows it had claimed. Here a publish gives up within about a second; the outbox sweep and the
caller's own retry take it from there.
"""
import json
import threading
import time
from dataclasses import dataclass, field

from kombu import Connection
from nameko.amqp.publish import Publisher

FAIL_FAST_CONNECTION = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.3,
                        "interval_max": 0.5}
FAIL_FAST_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.3,
                   "interval_max": 0.5}
PERSISTENT = 2


class FailFastPublisher(Publisher):
    retry_policy = FAIL_FAST_RETRY

    @property
    def transport_options(self):
        return dict(FAIL_FAST_CONNECTION)  # a copy: nameko adds `confirm_publish` to it


@dataclass
class Confirmations:
    """The broker's answers to one batch, by message id. An id in neither list was not
    confirmed (nacked, unanswered, or cut off by `error`) and must be published again."""
    routed: list = field(default_factory=list)
    unroutable: list = field(default_factory=list)
    nacked: list = field(default_factory=list)
    error: Exception | None = None


class BatchPublisher:
    """Publishes a batch of persistent JSON messages with `mandatory=True` on one channel in
    confirm mode, then waits once for the broker's answers to all of them instead of once per
    message. RabbitMQ returns an unroutable message before it acks it, so an ack tells a
    routed message from a returned one. The connection is kept between batches and dropped
    after any error, so a late answer can never be taken for one of a later batch."""

    def __init__(self, amqp_uri: str, exchange, confirm_timeout: float = 10.0):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._lock = threading.Lock()  # the sweep and the after-commit publisher share it
        self._connection = None
        self._channel = None
        self._last_tag = 0
        self._waiting: dict[int, str] = {}  # delivery tag → message id
        self._returned: set[str] = set()
        self._answers: Confirmations | None = None

    def publish(self, messages) -> Confirmations:
        """`messages`: (message_id, routing_key, payload) in the order to publish them."""
        with self._lock:
            reused = self._connection is not None
            answers = self._publish(messages)
            if answers.error is not None and reused and not (
                    answers.routed or answers.unroutable or answers.nacked):
                # the connection kept from an earlier batch may have died with a broker restart
                answers = self._publish(messages)
            if answers.nacked:
                # a channel whose publishes a queue refused (its leader lost with a node, say)
                # may go on refusing them; the next batch starts on a fresh channel
                self._drop_connection()
            return answers

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def _publish(self, messages) -> Confirmations:
        self._answers = answers = Confirmations()
        self._returned = set()
        self._waiting = {}
        try:
            channel = self._open_channel()
            for message_id, routing_key, payload in messages:
                message = channel.prepare_message(
                    json.dumps(payload), 0, "application/json", "utf-8", {},
                    {"delivery_mode": PERSISTENT, "message_id": message_id})
                channel.basic_publish(message, exchange=self.exchange.name,
                                      routing_key=routing_key, mandatory=True)
                self._last_tag += 1
                self._waiting[self._last_tag] = message_id
            deadline = time.monotonic() + self.confirm_timeout
            while self._waiting:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no confirms for {len(self._waiting)} message(s) "
                                       f"within {self.confirm_timeout}s")
                self._connection.drain_events(timeout=remaining)
        except Exception as exc:
            answers.error = exc
            self._drop_connection()
        return answers

    def _open_channel(self):
        if self._channel is None:
            connection = Connection(self.amqp_uri)
            try:
                connection.ensure_connection(**FAIL_FAST_CONNECTION)
                channel = connection.channel()
                self.exchange(channel).declare()
                channel.confirm_select()
            except Exception:
                connection.close()
                raise
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._connection, self._channel, self._last_tag = connection, channel, 0
        return self._channel

    def _drop_connection(self) -> None:
        """Without the closing handshake: the broker may be gone or not answering."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            connection.collect()

    def _settled(self, delivery_tag, multiple) -> list[str]:
        if not multiple:
            message_id = self._waiting.pop(delivery_tag, None)
            return [] if message_id is None else [message_id]
        settled = []
        while self._waiting:  # tags were added in increasing order
            tag = next(iter(self._waiting))
            if tag > delivery_tag:
                break
            settled.append(self._waiting.pop(tag))
        return settled

    def _on_ack(self, delivery_tag, multiple):
        for message_id in self._settled(delivery_tag, multiple):
            if message_id in self._returned:
                self._answers.unroutable.append(message_id)
            else:
                self._answers.routed.append(message_id)

    def _on_nack(self, delivery_tag, multiple):
        self._answers.nacked += self._settled(delivery_tag, multiple)

    def _on_return(self, exc, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))
