from kombu import Exchange

from infra.publisher import BatchPublisher, Confirmations


class KeptConnection:
    collected = False

    def collect(self):
        self.collected = True


def publisher_answering(answers):
    publisher = BatchPublisher("pyamqp://guest:guest@127.0.0.1:1//", Exchange("events"))
    kept = publisher._connection = KeptConnection()
    publisher._channel = object()
    publisher._publish = lambda messages: answers
    return publisher, kept


def test_a_batch_the_broker_refused_leaves_its_channel_behind():
    publisher, kept = publisher_answering(Confirmations(routed=["a"], nacked=["b"]))
    answers = publisher.publish([("a", "x.y", {}), ("b", "x.y", {})])
    assert answers.nacked == ["b"]
    assert kept.collected and publisher._connection is None and publisher._channel is None


def test_a_confirmed_batch_keeps_its_connection_for_the_next():
    publisher, kept = publisher_answering(Confirmations(routed=["a"], unroutable=["b"]))
    publisher.publish([("a", "x.y", {}), ("b", "x.y", {})])
    assert not kept.collected and publisher._connection is kept
