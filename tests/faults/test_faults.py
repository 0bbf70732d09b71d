"""Nothing lost, nothing applied twice: the suite under races, broker and database outages,
killed consumers, poison messages and a stopped service, on the real RabbitMQ and PostgreSQL.

Each test ends by checking the databases: every committed event reached every subscriber
exactly once, every deposit has exactly one outcome, and no unit has two active reservations.
"""
import random
import threading
import time

import pytest

from contracts.operations import SERVICES

from tests.waiting import wait_until
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
    held = [cluster.hold(unit_id, customer_id=80_000 + n)
            for n, unit_id in enumerate(cluster.make_project(3))]
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
        # three holds run out while the broker is away: inventory's timer ends them and
        # commits their events, which only the outbox can keep until the broker is back
        cluster.change("inventory", "UPDATE holds SET expires_at = now() WHERE id = ANY(:ids)",
                       ids=held)
        time.sleep(outage_seconds)
        expired_unpublished = cluster.scalar(
            "inventory", "SELECT count(*) FROM outbox WHERE published_at IS NULL "
                         "AND routing_key = 'inventory.hold_expired'")
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
    assert expired_unpublished == 3  # events really were committed while the broker was away
    assert consumers_back <= 30 and backlog_drained <= 60
    record(f"2 broker stopped {outage_seconds}s",
           outage_s=back - stopped, requests=len(statuses), accepted=statuses.count(201),
           refused_503=statuses.count(503), timed_out_504=statuses.count(504),
           deposits=totals["deposits"], events=totals["events"],
           outbox_backlog_at_restart=backlog_at_restart, consumers_back_s=consumers_back,
           backlog_drained_s=backlog_drained, gateway_back_s=gateway_back,
           settled_after_stream_s=settled)


def test_consumers_killed_10_times_during_a_1000_event_stream(cluster_factory, record):
    cluster = cluster_factory()
    units = cluster.make_project(100)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = []

    def kill_ten_times():
        for _ in range(10):
            time.sleep(rng.uniform(0.5, 2.0))
            victim = rng.choice(["inventory", "archive"])  # the stream's consumers
            cluster.kill(victim)
            kills.append(victim)
            time.sleep(rng.uniform(0.1, 1.0))
            cluster.start(victim)

    killer = threading.Thread(target=kill_ten_times)
    orders = [(units[n % 100], 20_000 + n) for n in range(1000)]
    started = time.monotonic()
    killer.start()
    # a deposit asks inventory for its unit; one caught by a kill waits for the restart and
    # may time out (504): the consultant presses again with the same key, as the console does
    outcomes = cluster.paced_deposits(orders, per_second=40, send=cluster.deposit_pressed_again)
    killer.join()
    settled = cluster.settle(timeout=240)

    assert [status for status, _, _ in outcomes] == [201] * 1000
    assert len(kills) == 10
    totals = cluster.assert_nothing_lost_nothing_twice()
    assert totals["deposits"] == 1000
    assert (totals["confirmed"], totals["refund_pending"]) == (100, 900)
    assert cluster.dead_letters() == dict.fromkeys(cluster.dead_letters(), 0)
    record("3 SIGKILL x10 during 1,000 deposit_received events",
           seed=seed, kills=f"{kills.count('inventory')} inventory, "
                            f"{kills.count('archive')} archive",
           deposit_received_events=1000, events_in_all=totals["events"],
           pressed_again=sum(presses - 1 for _, _, presses in outcomes),
           redeliveries_ignored_as_duplicates=cluster.log_lines("duplicate event"),
           stream_and_settle_s=time.monotonic() - started, settled_after_stream_s=settled)


def test_poison_among_5000_good_messages(cluster_factory, record):
    cluster = cluster_factory()
    good = [valid_event("leads.visit_recorded", customer_id=n + 1) for n in range(5000)]
    not_json = [b'{"event_id": "%d", "type": ' % n for n in range(34)]
    wrong_schema = [{**valid_event("leads.visit_recorded"), "data": {"office_id": "one"}}
                    for _ in range(33)]
    always_raises = [valid_event("inventory.unit_reserved",  # no such deposit: NotFound
                                 {"deposit_id": 900_000 + n, "hold_id": None}, unit_id=n + 1)
                     for n in range(33)]
    stream = good + not_json + wrong_schema
    random.shuffle(stream)

    started = time.monotonic()
    send_to_queue(cluster.amqp_uri, "transactions", always_raises)
    send_to_queue(cluster.amqp_uri, "archive", stream)
    good_ids = {event["event_id"] for event in good}
    wait_until(lambda: good_ids <= cluster.processed("archive"), 180, interval=0.5,
               what="every good message applied")
    applied = time.monotonic() - started
    wait_until(lambda: sum(cluster.dead_letters().values()) == 100, 60,
               what="every poison message in dead letters")
    dead_lettered = time.monotonic() - started

    cpu_before = cluster.cpu_seconds()
    time.sleep(5)
    cpu_after = cluster.cpu_seconds()
    idle_cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}

    assert cluster.dead_letters() == {"leads": 0, "inventory": 0, "transactions": 33,
                                      "complaints": 0, "archive": 67, "finance": 0}
    reasons = dict(cluster.sql("archive", "SELECT split_part(reason, ':', 1), count(*) FROM "
                                          "dead_letters GROUP BY 1"))
    assert reasons == {"not JSON": 34, "invalid event": 33}
    assert cluster.processed("transactions") == set()
    cluster.assert_nothing_lost_nothing_twice(injected={"archive": good_ids})
    health = cluster.admin.get("/api/v1/health")
    assert health.status_code == 200  # every service still up
    assert all(seconds < 0.5 for seconds in idle_cpu.values()), idle_cpu  # no spinning
    record("4 poison: 100 among 5,000 good", good_applied=5000, dead_letters=100,
           good_applied_s=applied, good_per_s=5000 / applied, all_dead_lettered_s=dead_lettered,
           idle_cpu_s_in_5s=max(idle_cpu.values()))


def test_postgres_stopped_for_20_seconds(cluster_factory, infrastructure, record):
    cluster = cluster_factory()
    units = cluster.make_project(20)
    orders = [(units[n % 20], 30_000 + n) for n in range(200)]
    outcomes = []
    in_flight = threading.Thread(target=lambda: outcomes.extend(
        cluster.paced_deposits(orders, per_second=40)))
    in_flight.start()
    time.sleep(2)
    infrastructure.stop_postgres()
    stopped = time.monotonic()
    time.sleep(20)
    infrastructure.start_postgres()
    back = time.monotonic()
    down_for = back - stopped
    in_flight.join()
    cluster.settle(timeout=240)
    recovered = time.monotonic() - back

    statuses = [status for status, _ in outcomes]
    assert set(statuses) <= {201, 503, 504}, statuses
    totals = cluster.assert_nothing_lost_nothing_twice()
    assert totals["deposits"] >= statuses.count(201)
    assert cluster.dead_letters() == dict.fromkeys(cluster.dead_letters(), 0)  # transient
    retries = cluster.log_lines("retrying in")
    assert retries > 0  # events really waited for the database
    record("5 PostgreSQL stopped 20s", down_s=down_for, requests=len(statuses),
           accepted=statuses.count(201), refused_503=statuses.count(503),
           timed_out_504=statuses.count(504), deposits=totals["deposits"],
           events=totals["events"], handler_retries_logged=retries,
           all_applied_after_restart_s=recovered, dead_letters=0)


def test_a_stopped_service_answers_503_or_504_in_time_and_nothing_happens_late(
        cluster_factory, record):
    timeout = 3
    cluster = cluster_factory(rpc_timeout=timeout)
    units = cluster.make_project(10)

    cluster.stop("transactions")
    status, elapsed = cluster.deposit(units[0], 40_001)
    assert status == 504 and elapsed <= timeout + 1.5
    assert cluster.admin.get(f"/api/v1/units/{units[0]}").status_code == 200  # others serve
    cluster.start("transactions")
    cluster.wait_healthy()
    time.sleep(timeout + 1)  # the queued request has expired by now, not run late
    assert 40_001 not in cluster.deposits_per_customer()
    assert cluster.deposit(units[0], 40_001)[0] == 201  # the caller's retry

    # killed mid-request: what it had received is refused on redelivery, never run twice
    orders = [(units[1 + n % 9], 41_000 + n) for n in range(60)]
    outcomes = []
    burst = threading.Thread(target=lambda: outcomes.extend(
        cluster.deposits_concurrently(orders, concurrency=30)))
    burst.start()
    time.sleep(0.3)
    cluster.kill("transactions")
    cluster.start("transactions")
    burst.join()
    cluster.settle()

    statuses = [status for status, _ in outcomes]
    assert set(statuses) <= {201, 503, 504}, statuses
    per_customer = cluster.deposits_per_customer()
    assert max(per_customer.values()) == 1  # no request applied twice
    assert all(per_customer.get(customer) == 1
               for (_, customer), (status, _) in zip(orders, outcomes) if status == 201)
    cluster.assert_nothing_lost_nothing_twice()
    record("6 service stopped / killed under calls", rpc_timeout_s=timeout,
           stopped_answer=f"{status} in {elapsed:.2f}s", burst=len(orders),
           burst_accepted=statuses.count(201), burst_refused_503=statuses.count(503),
           burst_timed_out_504=statuses.count(504),
           interrupted_requests_refused=cluster.log_lines("is not run twice"))


@pytest.mark.timeout(600)  # three nodes to form and a whole suite to start, on 2 cores
def test_a_node_of_a_three_node_broker_cluster_killed_mid_flow_of_deposits(broker_cluster,
                                                                          record):
    brokers, build = broker_cluster
    cluster = build()
    vhost = cluster.amqp_uri.split(";")[0].rsplit("/", 1)[1]
    victim, survivor = brokers.nodes[0], brokers.nodes[1]  # every service chose the first
    units = cluster.make_project(40)
    queues = brokers.quorum_members(survivor, vhost)
    # events, dead letters and RPC requests: quorum queues, replicated on the three nodes
    assert len(queues) == 2 * len(cluster.queue_consumers()) + len(SERVICES)
    leaders_on_victim = sum(leader == victim.name for leader in queues.values())
    connections_on_victim = len(victim.ctl("list_connections", "vhost", "--no-table-headers",
                                           "--quiet").split())

    answered = []  # (first press sent at, outcome, seconds, presses)

    def send(unit_id, customer_id):
        sent = time.monotonic()
        outcome = cluster.deposit_pressed_again(unit_id, customer_id)
        answered.append((sent, *outcome))
        return outcome

    killed_at = []

    def kill_mid_flow():
        time.sleep(5)
        killed_at.append(time.monotonic())
        victim.kill()  # SIGKILL: no goodbye to its clients or to the other two nodes

    orders = [(units[n % 40], 60_000 + n) for n in range(400)]
    killer = threading.Thread(target=kill_mid_flow)
    started = time.monotonic()
    killer.start()
    outcomes = cluster.paced_deposits(orders, per_second=20, send=send)
    killer.join()
    # the suite keeps serving on two nodes
    assert brokers.running_nodes(survivor) == 2
    assert cluster.admin.get("/api/v1/health").status_code == 200
    assert all(n >= 1 for n in cluster.queue_consumers().values())
    settled = cluster.settle(timeout=180)

    assert [status for status, _, _ in outcomes] == [201] * 400
    totals = cluster.assert_nothing_lost_nothing_twice()
    assert totals["deposits"] == 400  # nothing lost, no press taken twice
    assert (totals["confirmed"], totals["refund_pending"]) == (40, 360)
    assert cluster.dead_letters() == dict.fromkeys(cluster.dead_letters(), 0)
    after_kill = sorted((sent, seconds) for sent, status, seconds, presses in answered
                        if sent > killed_at[0] and presses == 1)
    record("7 three-node cluster, one node SIGKILLed mid-flow of 400 deposits",
           cluster_formed_s=brokers.formed_in, quorum_queues=len(queues),
           leaders_on_killed_node=leaders_on_victim,
           connections_on_killed_node=connections_on_victim, deposits=400,
           killed_after_s=killed_at[0] - started,
           pressed_again=sum(presses - 1 for _, _, presses in outcomes),
           slowest_deposit_s=max(seconds for _, seconds, _ in outcomes),
           first_clean_201_after_kill_s=(after_kill[0][0] + after_kill[0][1] - killed_at[0])
           if after_kill else None,
           events=totals["events"], settled_after_stream_s=settled)
