import eventlet

from infra.outbox import BackgroundRelay


class RecordingRelay:
    batch_size = 500

    def __init__(self):
        self.batches = []

    def publish_after_commit(self, event_ids):
        self.batches.append(list(event_ids))
        eventlet.sleep(0.01)  # a publish takes a while; commits keep arriving meanwhile


def test_commits_do_not_wait_and_commits_during_a_publish_go_out_together():
    relay = RecordingRelay()
    background = BackgroundRelay(relay)
    runner = eventlet.spawn(background.run)
    try:
        background.publish_after_commit(["a"])
        assert relay.batches == []  # the committing worker returned before any publish
        eventlet.sleep(0)
        for event_id in ("b", "c", "d"):
            background.publish_after_commit([event_id])
        eventlet.sleep(0.05)
        assert relay.batches == [["a"], ["b", "c", "d"]]
    finally:
        runner.kill()


def test_a_batch_never_exceeds_the_relay_batch_size():
    relay = RecordingRelay()
    relay.batch_size = 3
    background = BackgroundRelay(relay)
    for event_id in "abcde":
        background.publish_after_commit([event_id])
    runner = eventlet.spawn(background.run)
    try:
        eventlet.sleep(0.05)
        assert relay.batches == [["a", "b", "c"], ["d", "e"]]
    finally:
        runner.kill()
