"""Selections gathered into batches (services.inventory.selection_batches), with the
decision itself replaced: requests queued while a batch is decided form the next batch, in
the order they arrived; each caller gets its own outcome; a batch that fails as a whole is
decided again request by request."""
import eventlet
import pytest

from contracts.errors import Conflict
from services.inventory import openings, selection_batches


class FakeUnitOfWork:
    def __init__(self, log):
        self.log = log

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def commit(self):
        self.log.append("commit")

    def rollback(self):
        self.log.append("rollback")


def test_requests_arriving_meanwhile_are_decided_together_in_arrival_order(monkeypatch):
    batches, log = [], []

    def decide(uow, requests):
        batches.append([cmd["n"] for _, cmd, _ in requests])
        eventlet.sleep(0.01)  # the transaction takes a while; requests keep arriving
        return [Conflict("taken", {"unit_id": ["taken"]}) if cmd["n"] % 2 else {"n": cmd["n"]}
                for _, cmd, _ in requests]

    monkeypatch.setattr(openings, "decide_selections", decide)
    desk = selection_batches.SelectionBatches()

    def select(n):
        try:
            return desk.decide(lambda: FakeUnitOfWork(log), None, {"n": n})
        except Conflict:
            return "lost"

    pool = eventlet.GreenPool()
    answers = [pool.spawn(select, 0)]
    eventlet.sleep(0.001)  # the first is being decided alone
    answers += [pool.spawn(select, n) for n in range(1, 7)]
    assert [answer.wait() for answer in answers] == [
        {"n": n} if n % 2 == 0 else "lost" for n in range(7)]
    assert batches == [[0], [1, 2, 3, 4, 5, 6]]
    assert log == ["commit", "commit"]
    assert not desk._queued and not desk._deciding


def test_a_batch_that_fails_is_decided_one_request_at_a_time(monkeypatch):
    alone = []

    def failing_batch(uow, requests):
        raise RuntimeError("deadlock detected")

    def select_unit(uow, actor, cmd, now=None):
        alone.append(cmd["n"])
        if cmd["n"] == 2:
            raise Conflict("taken", {"unit_id": ["taken"]})
        return {"n": cmd["n"], "alone": True}

    monkeypatch.setattr(openings, "decide_selections", failing_batch)
    monkeypatch.setattr(openings, "select_unit", select_unit)
    desk = selection_batches.SelectionBatches()
    factory = lambda: FakeUnitOfWork([])  # noqa: E731

    def select(n):
        try:
            return desk.decide(factory, None, {"n": n})
        except Conflict:
            return "lost"

    pool = eventlet.GreenPool()
    answers = [pool.spawn(select, n) for n in range(4)]
    assert [answer.wait() for answer in answers] == [
        {"n": 0, "alone": True}, {"n": 1, "alone": True}, "lost", {"n": 3, "alone": True}]
    assert alone == [0, 1, 2, 3]


def test_an_error_alone_reaches_its_caller(monkeypatch):
    def broken(uow, requests):
        raise RuntimeError("database away")

    monkeypatch.setattr(openings, "decide_selections", broken)
    desk = selection_batches.SelectionBatches()
    with pytest.raises(RuntimeError):
        desk.decide(lambda: FakeUnitOfWork([]), None, {"n": 1})
    assert not desk._deciding
