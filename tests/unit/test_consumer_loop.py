import pytest
from kombu import Connection, Queue

from infra.consumer_loop import ConsumerLoop


class Channel:
    """What the loop looks at on py-amqp's channel: whether it is open, and its connection."""

    def __init__(self):
        self.is_open, self.connection = True, object()

    def collect(self):  # py-amqp's teardown of a channel whose connection was replaced
        self.is_open, self.connection = False, None


def consuming_loop(channel, ready):
    connection = Connection("pyamqp://guest:guest@127.0.0.1:1//")
    loop = ConsumerLoop(connection, Queue("q"), on_message=None, prefetch_count=10,
                        on_ready=ready.append)
    consumers = loop.get_consumers(lambda **options: options, channel)
    assert consumers == [{"queues": [loop.queue], "on_message": None, "prefetch_count": 10}]
    return loop, connection


def test_an_open_consuming_channel_lets_the_loop_wait():
    ready = []
    loop, _ = consuming_loop(Channel(), ready)
    loop.on_iteration()
    loop.on_iteration()
    assert len(ready) == 1


def test_a_consuming_channel_gone_under_a_live_connection_makes_the_loop_reconnect():
    channel = Channel()
    loop, connection = consuming_loop(channel, [])
    channel.collect()
    with pytest.raises(ConnectionError) as raised:
        loop.on_iteration()
    # kombu's ConsumerMixin.run takes it for a lost connection: it reconnects and consumes anew
    assert isinstance(raised.value, connection.connection_errors)
    loop.on_iteration()  # raised once; the next consumer context brings its own channel


def test_a_channel_closed_by_its_client_counts_as_gone():
    channel = Channel()
    loop, _ = consuming_loop(channel, [])
    channel.connection = None  # py-amqp's close() leaves is_open set but drops the connection
    with pytest.raises(ConnectionError):
        loop.on_iteration()
