"""A kombu consumer loop that outlives broker restarts and comes back quickly after one."""
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

    def get_consumers(self, Consumer, channel):
        if self.on_ready:
            self.on_ready(channel)
        return [Consumer(queues=[self.queue], on_message=self.on_message,
                         prefetch_count=self.prefetch_count)]

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                         interval_start=0.5, interval_step=0.5,
                                         interval_max=RECONNECT_INTERVAL_MAX)
            yield connection

    def on_connection_error(self, exc, interval):
        log.warning("%s lost the broker (%s); retrying in %ss", self.queue.name, exc, interval)
