"""The fault suite's cluster: every service as a real process on fresh PostgreSQL databases and
a RabbitMQ vhost of its own, with the means to break things (stop the broker, stop
PostgreSQL, SIGKILL a process or a broker node) and the checks that nothing was lost or
applied twice.

The broker and the database that get stopped are the suite's own (tests/faults/private.py): a
RabbitMQ node and a PostgreSQL cluster started for the run on free ports and removed after it,
whatever happened. The machine's RabbitMQ (5672) and PostgreSQL (5432) are never touched, and
the run checks that they kept answering throughout.
"""
import itertools
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from kombu import Connection
from sqlalchemy import create_engine, text

from contracts.operations import SERVICES
from contracts.subscriptions import SUBSCRIPTIONS, queue_name
from infra.config import REPO_ROOT
from infra.migrations import DATABASE_OWNERS, upgrade
from infra.topology import declare_all
from tests.conftest import create_database, drop_database
from tests.e2e.conftest import Suite, procfile_commands
from tests.faults.private import PostgresCluster, form_cluster, port_open, start_nodes
from tests.waiting import wait_until

METRICS_FILE = REPO_ROOT / "var" / "fault-metrics.json"
CONSUMERS = tuple(SUBSCRIPTIONS)
MACHINE_PORTS = {"PostgreSQL": 5432, "RabbitMQ": 5672}
_units = itertools.count(1)


class Infrastructure:
    """The run's private RabbitMQ node and PostgreSQL cluster, to stop and start at will."""

    def __init__(self, home: Path):
        self.home = home
        self.postgres = PostgresCluster(home / "postgresql")
        self.broker = None

    def start(self):
        self.postgres.init()
        self.postgres.start()
        self.broker, = start_nodes(self.home / "rabbitmq", [f"anchang-faults-{os.getpid()}"])

    def stop_broker(self):
        self.broker.stop_app()

    def start_broker(self):
        self.broker.start_app()

    def stop_postgres(self):
        self.postgres.stop()

    def start_postgres(self):
        self.postgres.start()

    def restore(self):
        """Whatever a test did, leave both running."""
        if not port_open(self.broker.port):
            self.start_broker()
        if not self.postgres.running():
            self.start_postgres()

    def shutdown(self):
        try:
            if self.broker is not None:
                self.broker.shutdown()
        finally:
            self.postgres.shutdown()


class MachineServicesWatch:
    """Samples the machine's own PostgreSQL and RabbitMQ ports through the run: the fault
    suite must never take down what else runs on the host."""

    def __init__(self, interval=1.0):
        self.watched = {name: port for name, port in MACHINE_PORTS.items() if port_open(port)}
        self.interval = interval
        self.samples = 0
        self.silent = []  # (name, seconds into the run)
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for name, port in self.watched.items():
                if not port_open(port):
                    self.silent.append((name, round(time.monotonic() - self._started, 1)))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


class Cluster(Suite):
    def __init__(self, database_urls, amqp_uri, rpc_timeout):
        super().__init__(database_urls, amqp_uri)
        self.env["RPC_TIMEOUT_SECONDS"] = str(rpc_timeout)
        self.env["HOLD_SWEEP_SECONDS"] = "1"  # a hold set to run out ends within a second
        self.amqp_uri = amqp_uri
        self.engines = {owner: create_engine(url, pool_pre_ping=True)
                        for owner, url in database_urls.items()}
        self.admin = None
        self.queue_report = None  # () -> str: the broker's queues, for a failed settle

    # processes ----------------------------------------------------------------------------
    def kill(self, instance):
        """SIGKILL: no graceful stop, nothing acked that was not acked already."""
        process = self.processes.pop(instance)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def cpu_seconds(self) -> dict[str, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, process in self.processes.items():
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return used

    def log_lines(self, needle: str) -> int:
        return sum(path.read_text(errors="replace").count(needle)
                   for path in self.logs.glob("*.log"))

    # databases ----------------------------------------------------------------------------
    def sql(self, owner, query, **params):
        with self.engines[owner].connect() as connection:
            return connection.execute(text(query), params).all()

    def change(self, owner, statement, **params):
        """Test setup the API has no way to do, such as letting time pass for a hold."""
        with self.engines[owner].begin() as connection:
            connection.execute(text(statement), params)

    def scalar(self, owner, query, **params):
        return self.sql(owner, query, **params)[0][0]

    def outbox_backlog(self) -> int:
        return sum(self.scalar(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                   for service in SERVICES)

    def dead_letters(self) -> dict[str, int]:
        return {service: self.scalar(service, "SELECT count(*) FROM dead_letters")
                for service in SERVICES}

    def expected_deliveries(self) -> dict[str, set]:
        """For each consuming service, the ids of every committed event it subscribes to."""
        published = [(key, event_id) for service in SERVICES
                     for key, event_id in self.sql(service, "SELECT routing_key, event_id "
                                                            "FROM outbox")]
        return {service: {event_id for key, event_id in published
                          if key in SUBSCRIPTIONS[service]} for service in CONSUMERS}

    def processed(self, service) -> set:
        return {row[0] for row in self.sql(service, "SELECT event_id FROM processed_events")}

    def caught_up(self) -> bool:
        if self.outbox_backlog():
            return False
        return all(expected <= self.processed(service)
                   for service, expected in self.expected_deliveries().items())

    def settle(self, timeout=120) -> float:
        """Wait until every committed event is published and applied by every subscriber, and
        no deposit waits for inventory; returns the seconds it took."""
        def settled():
            return self.caught_up() and self.scalar(
                "transactions", "SELECT count(*) FROM deposits WHERE status = 'pending'") == 0
        try:
            return wait_until(settled, timeout, interval=0.5, what="every event applied")[1]
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.unsettled_report()}") from None

    def unsettled_report(self) -> str:
        """What keeps the cluster from settling: per subscriber the events it never applied
        and their outbox rows, the unpublished rows, pending deposits, the broker's queues."""
        lines = [f"service logs in {self.logs}"]
        rows = {}
        for service in SERVICES:
            for row in self.sql(service, "SELECT event_id, routing_key, published_at, attempts, "
                                         "last_error FROM outbox"):
                rows[row[0]] = (service, *row[1:])
            unpublished = self.sql(service, "SELECT count(*), last_error FROM outbox WHERE "
                                            "published_at IS NULL GROUP BY last_error")
            if unpublished:
                lines.append(f"{service}: unpublished outbox rows {unpublished}")
        for service, expected in self.expected_deliveries().items():
            missing = expected - self.processed(service)
            if missing:
                lines.append(f"{service} missed {len(missing)} event(s):")
                lines += [f"  {event_id} {rows[event_id]}" for event_id in sorted(missing)[:20]]
        lines.append("pending deposits: " + str(self.scalar(
            "transactions", "SELECT count(*) FROM deposits WHERE status = 'pending'")))
        if self.queue_report is not None:
            try:
                lines.append(self.queue_report())
            except Exception as error:
                lines.append(f"queues unreadable: {error!r}")
        return "\n".join(lines)

    # the broker ---------------------------------------------------------------------------
    def queue_consumers(self) -> dict[str, int]:
        counts = {}
        with Connection(self.amqp_uri, connect_timeout=2) as connection:
            channel = connection.channel()
            for service in CONSUMERS:
                counts[service] = channel.queue_declare(queue_name(service), passive=True)[2]
        return counts

    # the business -------------------------------------------------------------------------
    def make_project(self, units: int) -> list[int]:
        n = next(_units)
        rooms = [{"number": f"{101 + i}", "floor": 1 + i // 100, "building_area": "89.50",
                  "list_price": "1200000.00", "layout": "3/2"} for i in range(units)]
        response = self.admin.post("/api/v1/projects", {
            "code": f"fault-{uuid.uuid4().hex[:6]}-{n}", "name": f"Fault garden {n}",
            "buildings": [{"name": "1", "units": rooms}]})
        assert response.status_code == 201, response.text
        board = self.admin.get(f"/api/v1/projects/{response.json()['id']}/board").json()
        return [row[board["columns"].index("id")] for row in board["units"]]

    def hold(self, unit_id, customer_id) -> int:
        response = self.admin.post("/api/v1/holds", {"unit_id": unit_id,
                                                     "customer_id": customer_id,
                                                     "consultant_id": 1})
        assert response.status_code == 201, response.text
        return response.json()["hold"]["id"]

    def deposit(self, unit_id, customer_id, timeout=60, key=None):
        """POST a deposit; returns (status code or exception name, seconds)."""
        started = time.monotonic()
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self.admin.http.post(f"{self.base_url}/api/v1/deposits", json={
                "unit_id": unit_id, "customer_id": customer_id, "consultant_id": 1,
                "amount": "10000.00"}, headers=headers, timeout=timeout)
            outcome = response.status_code
        except requests.RequestException as exc:
            outcome = exc.__class__.__name__
        return outcome, time.monotonic() - started

    def deposit_pressed_again(self, unit_id, customer_id, presses=4):
        """A consultant's deposit: on a timeout or a refusal to try later, pressed again with
        the same Idempotency-Key. Returns (last outcome, seconds, presses used)."""
        key = uuid.uuid4().hex
        started = time.monotonic()
        for press in range(1, presses + 1):
            outcome, _ = self.deposit(unit_id, customer_id, key=key)
            if outcome not in (409, 503, 504) and not isinstance(outcome, str):
                break
            time.sleep(1)
        return outcome, time.monotonic() - started, press

    def deposits_concurrently(self, orders, concurrency):
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(lambda order: self.deposit(*order), orders))

    def paced_deposits(self, orders, per_second, concurrency=50, send=None):
        """Send the orders at a steady rate, each on its own turn; returns the outcomes."""
        send_one = send or self.deposit
        started = time.monotonic()

        def send_in_turn(numbered):
            n, order = numbered
            time.sleep(max(0.0, started + n / per_second - time.monotonic()))
            return send_one(*order)
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(send_in_turn, enumerate(orders)))

    def deposits_per_customer(self) -> dict[int, int]:
        return dict(self.sql("transactions", "SELECT customer_id, count(*) FROM deposits "
                                             "GROUP BY customer_id"))

    # the invariants -----------------------------------------------------------------------
    def assert_nothing_lost_nothing_twice(self, injected=None):
        """Every committed event reached every subscriber exactly once, and the deposit saga
        added up: one outcome per deposit, at most one active reservation per unit."""
        injected = injected or {}
        assert self.outbox_backlog() == 0
        for service, expected in self.expected_deliveries().items():
            processed = self.processed(service)
            assert expected <= processed, f"{service} missed {len(expected - processed)} event(s)"
            assert processed - expected == injected.get(service, set()), \
                f"{service} applied events nobody committed"
        documents = self.scalar("archive", "SELECT count(*) FROM documents")
        assert documents == len(self.processed("archive"))  # one entry per event, no more

        deposits = self.scalar("transactions", "SELECT count(*) FROM deposits")
        outcomes = dict(self.sql("transactions",
                                 "SELECT status, count(*) FROM deposits GROUP BY status"))
        assert set(outcomes) <= {"confirmed", "refund_pending"}, outcomes
        answers = self.scalar("inventory", "SELECT count(*) FROM outbox WHERE routing_key IN "
                              "('inventory.unit_reserved', 'inventory.unit_reservation_rejected')")
        assert answers == deposits  # inventory answered each deposit once
        settled = self.scalar("transactions", "SELECT count(*) FROM outbox WHERE routing_key IN "
                              "('transactions.deposit_confirmed', "
                              "'transactions.deposit_rejected')")
        assert settled == deposits  # each deposit settled once
        doubled = self.scalar("inventory", "SELECT count(*) FROM (SELECT unit_id FROM "
                              "reservations WHERE status = 'active' GROUP BY unit_id "
                              "HAVING count(*) > 1) AS doubled")
        assert doubled == 0
        reserved = self.scalar("inventory",
                               "SELECT count(*) FROM reservations WHERE status = 'active'")
        assert reserved == outcomes.get("confirmed", 0)
        return {"deposits": deposits, "confirmed": outcomes.get("confirmed", 0),
                "refund_pending": outcomes.get("refund_pending", 0),
                "events": sum(len(e) for e in self.expected_deliveries().values())}

    def dispose(self):
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def machine_services():
    """Started before the private infrastructure, checked after it is gone."""
    with MachineServicesWatch() as watch:
        yield watch
    assert watch.samples > 0 and watch.silent == [], \
        f"the machine's services stopped answering during the fault suite: {watch.silent}"
    assert all(port_open(port) for port in watch.watched.values())


@pytest.fixture(scope="session")
def private_home():
    home = Path(tempfile.mkdtemp(prefix="anchang-faults-"))
    os.chmod(home, 0o755)  # the postgres user reaches its directory inside
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def infrastructure(machine_services, private_home):
    infrastructure = Infrastructure(private_home)
    METRICS_FILE.unlink(missing_ok=True)
    try:
        infrastructure.start()
        yield infrastructure
    finally:
        infrastructure.shutdown()


def build_cluster(infrastructure, made, amqp_uri_of, rpc_timeout=10, inventory_workers=1):
    """Every service on fresh databases of the private PostgreSQL and a fresh vhost; what it
    made is appended to `made` for the teardown."""
    name = f"anchang_fault_{uuid.uuid4().hex[:8]}"
    server = infrastructure.postgres.server_url
    urls = {}
    for owner in DATABASE_OWNERS:
        urls[owner] = create_database(f"{name}_{owner}", server)
        upgrade(owner, urls[owner])
    amqp_uri = amqp_uri_of(name)
    declare_all(amqp_uri)
    cluster = Cluster(urls, amqp_uri, rpc_timeout)
    made.append((name, cluster))
    for process in procfile_commands():
        cluster.start(process)
    for n in range(2, inventory_workers + 1):
        cluster.start("inventory", instance=f"inventory-{n}")
    cluster.wait_healthy()
    cluster.admin = cluster.add_user("admin", "admin")
    return cluster


def tear_down(made, server, delete_vhost):
    for name, cluster in made:
        for instance in list(cluster.processes):
            cluster.stop(instance)
        cluster.dispose()
        for owner in DATABASE_OWNERS:
            drop_database(f"{name}_{owner}", server)
        delete_vhost(name)


@pytest.fixture
def cluster_factory(infrastructure):
    """Builds a cluster on fresh databases and a fresh vhost of the private broker; tears
    everything down after."""
    made = []

    def build(rpc_timeout=10, inventory_workers=1):
        return build_cluster(infrastructure, made, infrastructure.broker.add_vhost,
                             rpc_timeout, inventory_workers)

    try:
        yield build
    finally:
        try:
            infrastructure.restore()
        finally:
            tear_down(made, infrastructure.postgres.server_url,
                      infrastructure.broker.delete_vhost)


class BrokerCluster:
    """Three private RabbitMQ nodes on this machine, clustered with `join_cluster`; the
    services get every node in AMQP_URI (kombu's failover form, `uri1;uri2;uri3`) and connect
    to the first that answers."""

    def __init__(self, home: Path, size=3):
        started = time.monotonic()
        self.nodes = start_nodes(home, [f"anchang-q{n}-{os.getpid()}" for n in range(1, size + 1)])
        form_cluster(self.nodes)
        self.formed_in = time.monotonic() - started

    def add_vhost(self, name: str) -> str:
        self.nodes[0].add_vhost(name)
        return ";".join(node.uri(name) for node in self.nodes)

    def delete_vhost(self, name: str):
        for node in self.nodes:
            if port_open(node.port):
                node.delete_vhost(name)
                return

    def running_nodes(self, via) -> int:
        return int(via.ctl("eval", "length(rabbit_nodes:all_running()).").strip())

    def quorum_members(self, via, vhost: str) -> dict[str, str]:
        """Queue name → its leader, as a surviving node sees them."""
        rows = via.ctl("list_queues", "-p", vhost, "name", "type", "leader", "--no-table-headers",
                       "--quiet")
        return {name: leader for name, kind, leader in
                (line.split("\t") for line in rows.splitlines() if line.strip())
                if kind == "quorum"}

    def queue_report(self, vhost: str) -> str:
        """Each queue's depth, unacked messages, consumers and leader, as a running node sees
        them."""
        for node in self.nodes:
            if port_open(node.port):
                return node.ctl("list_queues", "-p", vhost, "name", "type", "messages",
                                "messages_unacknowledged", "consumers", "leader", "members",
                                "--quiet", timeout=30)
        return "no node of the broker cluster answers"

    def shutdown(self):
        for node in self.nodes:
            node.shutdown()


@pytest.fixture
def broker_cluster(infrastructure, private_home):
    brokers = BrokerCluster(private_home / f"cluster-{uuid.uuid4().hex[:6]}")
    made = []

    def build(rpc_timeout=10, inventory_workers=1):
        cluster = build_cluster(infrastructure, made, brokers.add_vhost, rpc_timeout,
                                inventory_workers)
        vhost = cluster.amqp_uri.split(";")[0].rsplit("/", 1)[1]
        cluster.queue_report = lambda: brokers.queue_report(vhost)
        return cluster

    try:
        yield brokers, build
    finally:
        try:
            tear_down(made, infrastructure.postgres.server_url, brokers.delete_vhost)
        finally:
            brokers.shutdown()


@pytest.fixture
def record():
    """Record a test's measured numbers; the run prints them all at the end."""
    def add(test, **numbers):
        METRICS_FILE.parent.mkdir(exist_ok=True)
        results = json.loads(METRICS_FILE.read_text()) if METRICS_FILE.exists() else {}
        results[test] = {key: round(value, 2) if isinstance(value, float) else value
                         for key, value in numbers.items()}
        METRICS_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return add


def pytest_terminal_summary(terminalreporter):
    if METRICS_FILE.exists():
        terminalreporter.section("fault suite measurements")
        for test, numbers in json.loads(METRICS_FILE.read_text()).items():
            terminalreporter.write_line(f"{test}: " + ", ".join(f"{k}={v}"
                                                                for k, v in numbers.items()))
