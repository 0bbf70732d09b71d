"""A kombu consumer loop that outlives broker restarts and comes back quickly after one.

After the node it consumed through dies, the loop reconnects to another node of the cluster.
One way it could lose its consumer without noticing: a handler's ack written to the dead socket
fails first, py-amqp marks the connection down, and kombu's `Connection.drain_events` quietly
opens a bare new connection (the next node of the failover list) with no channel and no
consumer on it; the loop would then wait on it forever while the queue fills up with nobody
consuming. So before each wait the loop checks that its consuming channel is still open, and
reconnects properly (channel, declarations, consumer) when it is not.
"""
import logging
from contextlib import contextmanager

from kombu.mixins import ConsumerMixin

log = logging.getLogger(__name__)

RECONNECT_INTERVAL_MAX = 3  # seconds between attempts while the broker is away


class ConsumerLoop(ConsumerMixin):
    def __init__(self, connection, queue, on_message, prefetch_count, on_ready=None):
        self.connection = connection
        self.queue = queue
        self.on_message = on_message
        self.prefetch_count = prefetch_count
        self.on_ready = on_ready
        self._channel = None

    def get_consumers(self, Consumer, channel):
        if self.on_ready:
            self.on_ready(channel)
        self._channel = channel
        return [Consumer(queues=[self.queue], on_message=self.on_message,
                         prefetch_count=self.prefetch_count)]

    def on_iteration(self):
        """Called before each wait for messages (at least once a second)."""
        channel = self._channel
        if channel is not None and not (channel.is_open and channel.connection):
            self._channel = None
            log.warning("%s: the consuming channel is gone (the connection was replaced "
                        "under it); reconnecting", self.queue.name)
            raise ConnectionError(f"the channel consuming {self.queue.name} closed")

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                         interval_start=0.5, interval_step=0.5,
                                         interval_max=RECONNECT_INTERVAL_MAX)
            yield connection

    def on_connection_error(self, exc, interval):
        log.warning("%s lost the broker (%s); retrying in %ss", self.queue.name, exc, interval)
