"""Sends the webhook deliveries. One loop does every database round: it writes the attempts
that finished since the last round (one transaction for the batch) and claims due deliveries,
signed and ready to send, each subscription at most its `max_in_flight` at once. Every send
runs in its own green thread with a timeout over a shared keep-alive connection pool, and
touches no database: a slow or dead receiver holds only its own slots — never the other
receivers, nor a command.

At least once: a claimed delivery is leased (60 s); an attempt not written by then (the
process died between the send and the round) is sent again with the same `webhook-id`, which
the receiver dedupes by."""
import logging
import os
import time
import urllib.request
from collections import Counter, defaultdict, deque

import eventlet
import requests
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from requests.adapters import HTTPAdapter
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


def http_session(connections: int) -> requests.Session:
    """Keep-alive connections, up to `connections` per receiver host: every concurrent send
    to one receiver reuses a connection instead of opening (and discarding) its own."""
    http = requests.Session()
    # with no proxy in the environment there is nothing to trust: skip requests' reading of
    # the environment and ~/.netrc on every request (most of a send's CPU)
    http.trust_env = bool(urllib.request.getproxies())
    adapter = HTTPAdapter(pool_connections=16, pool_maxsize=connections)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def send(http, request) -> dict:
    """One attempt of one claimed delivery: post it, answer what to log."""
    started, at = time.monotonic(), utcnow()
    status, error = None, None
    try:
        answer = http.post(request["url"], data=request["body"], headers=request["headers"],
                           timeout=timeout_seconds(), allow_redirects=False)
        status = answer.status_code
    except requests.RequestException as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    return {"id": request["id"], "attempts": request["attempts"], "at": at,
            "status_code": status, "error": error,
            "latency_ms": int((time.monotonic() - started) * 1000)}


class Deliveries:
    """The claim-send-record loop over finance's database.

    A round claims up to twice a subscription's `max_in_flight` (the sends in flight and as
    many ready behind them); at most `max_in_flight` senders per subscription each send, then
    take the next ready request without waiting for the next round. A ready request held
    longer than half its lease is dropped: the lease ends and a later round sends it again,
    signed anew."""

    AHEAD = 2  # claimed per subscription: in flight + ready, in units of max_in_flight

    def __init__(self, engine, pool_size=64):
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.http = http_session(pool_size)
        self.pool = eventlet.GreenPool(pool_size)
        self.busy = Counter()  # senders per subscription
        self.ready = defaultdict(deque)  # subscription → claimed requests not sent yet
        self.limits = {}  # subscription → its max_in_flight, as last claimed
        self.done = []  # attempts finished, not written yet
        self.freed = LightQueue()  # a finished send wakes the loop
        self.running = True
        self.rounds = 0

    def uow(self, correlation_id=None):
        return UnitOfWork(self.session_factory, metadata, "finance", None, correlation_id)

    def flush(self) -> int:
        """Write the finished attempts (one transaction); kept for the next round if the
        database refuses."""
        results, self.done = self.done, []
        try:
            with self.uow() as uow:
                handlers.record_attempts(uow, results)
        except Exception:
            self.done = results + self.done
            raise
        return len(results)

    def held(self) -> dict:
        """Per subscription, the claimed requests not finished: sending or ready."""
        return {subscription: self.busy[subscription] + len(self.ready[subscription])
                for subscription in set(self.busy) | set(self.ready)}

    def run_once(self) -> int:
        """One round, one transaction: write what finished, claim what is due into the free
        places (the finished attempts are kept for the next round if it fails)."""
        results, self.done = self.done, []
        held = self.held()
        try:
            with self.uow() as uow:
                handlers.record_attempts(uow, results, commit=False)
                claimed = handlers.claim_due(
                    uow, utcnow(), held, limit=self.AHEAD * self.pool.size - sum(held.values()),
                    depth=self.AHEAD)
        except Exception:
            self.done = results + self.done
            raise
        self.rounds += 1
        now = time.monotonic()
        for request in claimed:
            request["claimed"] = now
            self.ready[request["subscription_id"]].append(request)
            self.limits[request["subscription_id"]] = request["max_in_flight"]
        self._start_senders()
        return len(claimed)

    def _start_senders(self):
        """A sender for each ready request, up to each subscription's `max_in_flight` and
        the pool's size (what waits for a free green thread starts at a later round)."""
        for subscription, ready in self.ready.items():
            started = 0
            while started < len(ready) and self.pool.free() \
                    and self.busy[subscription] < self.limits[subscription]:
                self.busy[subscription] += 1
                started += 1
                self.pool.spawn_n(self._sender, subscription)

    def settle(self):
        """Send what is claimed, wait for the sends in flight and write their attempts."""
        self.pool.waitall()
        self.flush()

    def _sender(self, subscription):
        """Send this subscription's ready requests one after the other."""
        try:
            while self.ready[subscription]:
                request = self.ready[subscription].popleft()
                if time.monotonic() - request["claimed"] > handlers.LEASE.total_seconds() / 2:
                    continue  # its lease runs out soon: a later round sends it again
                try:
                    result = send(self.http, request)
                    self.done.append(result)  # the list of now, not of when the send began
                except Exception:
                    log.exception("webhook delivery %s failed to run; it is tried again "
                                  "after its lease", request["id"])
                self.freed.put(subscription)
        finally:
            self.busy[subscription] -= 1
            self.freed.put(subscription)

    def run(self):
        while self.running:
            try:
                if not self.run_once():
                    self._wait(poll_seconds())
                else:
                    self._wait(0)
            except Exception as exc:
                log.warning("webhook dispatch round failed: %s", exc)
                eventlet.sleep(poll_seconds())
        self.settle()

    def _wait(self, seconds):
        """Until a send finishes or `seconds` pass; then lets the other sends finishing at the
        same moment join this round."""
        try:
            self.freed.get(timeout=seconds) if seconds else eventlet.sleep(0)
        except Empty:
            return
        eventlet.sleep(0)
        while not self.freed.empty():
            self.freed.get_nowait()


class WebhookDispatcher(DependencyProvider):
    def setup(self):
        if config.database_url("finance").startswith("postgresql"):
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()
        self.engine = make_engine(config.database_url("finance"),
                                  pool_size=int(os.environ.get("WEBHOOK_DB_POOL", "2")))
        self.deliveries = Deliveries(self.engine)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self.deliveries.run,
                                                           identifier="webhook_dispatcher")

    def stop(self):
        self.deliveries.running = False
        self._thread.kill()
        try:
            self.deliveries.flush()  # what was sent is logged; the rest waits its lease
        except Exception as exc:
            log.warning("webhook attempts not written at stop (sent again after the "
                        "lease): %s", exc)
        self.engine.dispose()

    def kill(self):
        self.deliveries.running = False
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.deliveries
