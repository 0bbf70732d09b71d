"""Nothing lost, nothing applied twice: the suite under races, broker and database outages,
killed consumers, poison messages and a stopped service, on the real RabbitMQ and PostgreSQL.

Each test ends by checking the databases: every committed event reached every subscriber
exactly once, every deposit has exactly one outcome, and no unit has two active reservations.
"""
import random
import threading
import time

import pytest

from tests.faults.conftest import wait_until
from tests.messaging import send_to_queue, valid_event

pytestmark = pytest.mark.faults


def test_200_concurrent_deposits_on_10_units_with_two_inventory_workers(cluster_factory,
                                                                         record):
    cluster = cluster_factory(inventory_workers=2)
    units = cluster.make_project(10)
    assert wait_until(lambda: cluster.queue_consumers()["inventory"] == 2, 30)

    orders = [(units[n % 10], 5000 + n) for n in range(200)]
    started = time.monotonic()
    outcomes = cluster.deposits_concurrently(orders, concurrency=200)
    answered = time.monotonic() - started
    assert [status for status, _ in outcomes] == [201] * 200  # no errors
    settle = cluster.settle()

    totals = cluster.assert_nothing_lost_nothing_twice()
    assert (totals["deposits"], totals["confirmed"], totals["refund_pending"]) == (200, 10, 190)
    per_unit = dict(cluster.sql("inventory", "SELECT unit_id, count(*) FROM reservations "
                                             "WHERE status = 'active' GROUP BY unit_id"))
    assert per_unit == {unit: 1 for unit in units}
    assert cluster.dead_letters() == dict.fromkeys(cluster.dead_letters(), 0)
    record("1 race: 200 deposits, 10 units, 2 inventory workers",
           deposits=200, reservations=10, refunds=190, answered_s=answered,
           settled_after_s=settle, events=totals["events"])


class DepositStream:
    """Deposits at a steady pace on a background thread, whatever happens to the cluster."""

    def __init__(self, cluster, units, per_second, first_customer):
        self.cluster = cluster
        self.units = units
        self.interval = 1 / per_second
        self.customers = iter(range(first_customer, first_customer + 1_000_000))
        self.outcomes = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)

    def _run(self):
        threads = []
        while not self._stop.is_set():
            order = (random.choice(self.units), next(self.customers))
            thread = threading.Thread(target=lambda o=order: self.outcomes.append(
                (time.monotonic(), *self.cluster.deposit(*o))))
            thread.start()
            threads.append(thread)
            self._stop.wait(self.interval)
        for thread in threads:
            thread.join(60)

    def statuses(self) -> list:
        return [status for _, status, _ in self.outcomes]


@pytest.mark.parametrize("outage_seconds", [15, 60])
def test_broker_outage_while_deposits_keep_coming(cluster_factory, infrastructure, record,
                                                  outage_seconds):
    cluster = cluster_factory()
    units = cluster.make_project(50)
    burst = [(random.choice(units), 90_000 + n) for n in range(100)]
    with DepositStream(cluster, units, per_second=10, first_customer=10_000) as stream:
        time.sleep(5)
        in_flight = threading.Thread(target=lambda: stream.outcomes.extend(
            (time.monotonic(), *outcome)
            for outcome in cluster.deposits_concurrently(burst, concurrency=50)))
        in_flight.start()  # the broker goes while a burst of deposits is under way
        time.sleep(0.5)
        infrastructure.stop_broker()
        stopped = time.monotonic()
        time.sleep(outage_seconds)
        backlog_at_restart = cluster.outbox_backlog()
        infrastructure.start_broker()
        back = time.monotonic()
        wait_until(lambda: all(n >= 1 for n in cluster.queue_consumers().values()), 60,
                   what="every consumer back on its queue")
        consumers_back = time.monotonic() - back
        wait_until(lambda: cluster.outbox_backlog() == 0, 120, what="outbox drained")
        backlog_drained = time.monotonic() - back
        wait_until(lambda: cluster.deposit(units[0], 1)[0] == 201, 60,
                   what="deposits accepted again")
        gateway_back = time.monotonic() - back
        time.sleep(10)
        in_flight.join()
    settled = cluster.settle(timeout=120)

    statuses = stream.statuses()
    assert set(statuses) <= {201, 503, 504}, statuses  # refused clearly, or accepted
    accepted_after = [status for at, status, _ in stream.outcomes if at > back + gateway_back + 1]
    assert accepted_after and set(accepted_after) == {201}
    totals = cluster.assert_nothing_lost_nothing_twice()
    assert totals["deposits"] >= statuses.count(201)  # every 201 is a deposit row: 0 lost
    assert cluster.dead_letters() == dict.fromkeys(cluster.dead_letters(), 0)
    assert backlog_at_restart > 0  # events really were committed while the broker was away
    assert consumers_back <= 30 and backlog_drained <= 60
    record(f"2 broker stopped {outage_seconds}s",
           outage_s=back - stopped, requests=len(statuses), accepted=statuses.count(201),
           refused_503=statuses.count(503), timed_out_504=statuses.count(504),
           deposits=totals["deposits"], events=totals["events"],
           outbox_backlog_at_restart=backlog_at_restart, consumers_back_s=consumers_back,
           backlog_drained_s=backlog_drained, gateway_back_s=gateway_back,
           settled_after_stream_s=settled)
