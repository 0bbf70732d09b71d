"""Sends the webhook deliveries: a loop claims due ones, each subscription at most its
`max_in_flight` at once, and every send runs in its own green thread with a timeout, so a slow
or dead receiver holds only its own slots — never the other receivers, nor a command."""
import logging
import os
import time
from collections import Counter

import eventlet
import requests
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import sessionmaker

from infra import config
from infra.database import UnitOfWork, make_engine, utcnow
from services.finance import handlers
from services.finance.models import metadata

log = logging.getLogger(__name__)


def timeout_seconds() -> float:
    return float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))


def poll_seconds() -> float:
    return float(os.environ.get("WEBHOOK_POLL_SECONDS", "0.5"))


def send(http, uow_factory, delivery_id) -> dict:
    """One attempt of one delivery: sign now, post, log the answer (or its absence)."""
    with uow_factory() as uow:
        request = handlers.prepare(uow, delivery_id, utcnow())
    started, at = time.monotonic(), utcnow()
    status, error = None, None
    try:
        answer = http.post(request["url"], data=request["body"], headers=request["headers"],
                           timeout=timeout_seconds(), allow_redirects=False)
        status = answer.status_code
    except requests.RequestException as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    latency = int((time.monotonic() - started) * 1000)
    with uow_factory() as uow:
        return handlers.record_attempt(uow, delivery_id, at, status, error, latency)


class Deliveries:
    """The claim-and-send loop over finance's database."""

    def __init__(self, engine, pool_size=64):
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.http = requests.Session()
        self.pool = eventlet.GreenPool(pool_size)
        self.busy = Counter()
        self.freed = LightQueue()  # a finished send wakes the loop to fill its slot
        self.running = True

    def uow(self, correlation_id=None):
        return UnitOfWork(self.session_factory, metadata, "finance", None, correlation_id)

    def run_once(self) -> int:
        with self.uow() as uow:
            claimed = handlers.claim_due(uow, utcnow(), dict(self.busy),
                                         limit=self.pool.free())
        for subscription_id, delivery_id in claimed:
            self.busy[subscription_id] += 1
            self.pool.spawn_n(self._send, subscription_id, delivery_id)
        return len(claimed)

    def _send(self, subscription_id, delivery_id):
        try:
            send(self.http, self.uow, delivery_id)
        except Exception:
            log.exception("webhook delivery %s failed to run; it is tried again after its "
                          "lease", delivery_id)
        finally:
            self.busy[subscription_id] -= 1
            self.freed.put(subscription_id)

    def run(self):
        while self.running:
            try:
                if not self.run_once():
                    self._wait(poll_seconds())
                else:
                    eventlet.sleep(0)
            except Exception as exc:
                log.warning("webhook dispatch round failed: %s", exc)
                eventlet.sleep(poll_seconds())


    def _wait(self, seconds):
        """Until a send finishes (a slot is free) or `seconds` pass."""
        try:
            self.freed.get(timeout=seconds)
        except Empty:
            return
        while not self.freed.empty():
            self.freed.get_nowait()


class WebhookDispatcher(DependencyProvider):
    def setup(self):
        if config.database_url("finance").startswith("postgresql"):
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()
        self.engine = make_engine(config.database_url("finance"),
                                  pool_size=int(os.environ.get("WEBHOOK_DB_POOL", "4")))
        self.deliveries = Deliveries(self.engine)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self.deliveries.run,
                                                           identifier="webhook_dispatcher")

    def stop(self):
        self.deliveries.running = False
        self._thread.kill()
        self.engine.dispose()

    def kill(self):
        self.deliveries.running = False
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.deliveries
