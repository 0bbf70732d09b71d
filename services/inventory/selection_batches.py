"""Opening day's selections decided in batches, in the order the process received them.

Every `select_unit` request a worker of this process takes is stamped with the time it was
received and queued here; one green thread decides what is queued, oldest first, up to
`size` at a time, in one transaction (`openings.decide_selections`) and answers each
request's worker. While a batch is being decided the next requests gather, so under a burst
one commit answers many buyers, and alone a request is decided at once. A batch that fails as
a whole (the database away, a deadlock) is decided again request by request, each in its own
transaction (`openings.select_unit`), so one bad request cannot fail the others."""
import logging
from collections import deque

import eventlet
from eventlet.event import Event

from infra.database import utcnow
from services.inventory import openings

log = logging.getLogger(__name__)


class SelectionBatches:
    def __init__(self, size: int = 200):
        self.size = size
        self._queued: deque = deque()
        self._deciding = False

    def decide(self, uow_factory, actor, cmd) -> dict:
        """The selection won, or the refusal raised, once this request's batch is decided."""
        answered = Event()
        self._queued.append((actor, cmd, utcnow(), answered))
        if not self._deciding:
            self._deciding = True
            eventlet.spawn_n(self._decide_queued, uow_factory)
        outcome = answered.wait()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _decide_queued(self, uow_factory) -> None:
        try:
            while self._queued:
                batch = [self._queued.popleft()
                         for _ in range(min(self.size, len(self._queued)))]
                requests = [request[:3] for request in batch]
                try:
                    outcomes = _decided(uow_factory, requests)
                except Exception as exc:  # noqa: BLE001 (each request is answered with it)
                    log.exception("a batch of %d selections could not be decided", len(batch))
                    outcomes = [exc] * len(batch)
                for (*_, answered), outcome in zip(batch, outcomes):
                    answered.send(outcome)
        finally:
            self._deciding = False


def _decided(uow_factory, requests) -> list:
    try:
        with uow_factory() as uow:
            outcomes = openings.decide_selections(uow, requests)
            uow.commit()
            return outcomes
    except Exception as exc:  # noqa: BLE001
        if len(requests) == 1:
            raise
        log.warning("a batch of %d selections failed (%s); deciding each alone",
                    len(requests), exc)
    return [_alone(uow_factory, request) for request in requests]


def _alone(uow_factory, request):
    try:
        with uow_factory() as uow:
            return openings.decide_alone(uow, request)
    except Exception as exc:  # noqa: BLE001 (an error is this request's answer)
        return exc
