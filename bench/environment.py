"""The benchmark's own world: fresh PostgreSQL databases, a private RabbitMQ vhost, every
service started as a process from the Procfile (the e2e tests' `Suite`), and its cleanup."""
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from kombu import Connection
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from contracts.subscriptions import SUBSCRIPTIONS, queue_name
from infra.config import REPO_ROOT
from infra.migrations import DATABASE_OWNERS, owner_metadata, upgrade
from infra.topology import declare_all
from tests.conftest import (AMQP_BASE, PG_SERVER, create_database, create_vhost,
                            delete_vhost, drop_database)
from tests.e2e.conftest import Suite, free_port, procfile_commands, stop_process

# the gateway's RPC timeout during the run: long enough to time a 200,000-unit board instead
# of getting its 504; rows that pass the default 10 s say so
BENCH_RPC_TIMEOUT_SECONDS = 300
DEFAULT_RPC_TIMEOUT_SECONDS = 10


def infrastructure_answers() -> bool:
    """RabbitMQ takes a connection and PostgreSQL answers a query."""
    try:
        with Connection(f"{AMQP_BASE}/", connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
        engine = create_engine(f"{PG_SERVER}/postgres", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
        return True
    except Exception:
        return False


def wait_for_infrastructure(timeout: float = 300) -> None:
    """RabbitMQ and PostgreSQL may be stopped for a minute at a time by someone's fault
    tests: wait until both answer twice, a few seconds apart."""
    deadline, answered = time.monotonic() + timeout, 0
    while answered < 2:
        if time.monotonic() > deadline:
            raise RuntimeError("RabbitMQ or PostgreSQL does not answer")
        answered = answered + 1 if infrastructure_answers() else 0
        time.sleep(3)


def start_nameko(target: str, env: dict, log_path: Path) -> subprocess.Popen:
    """`nameko run` of one service class, as the Procfile starts the suite's services."""
    nameko = str(Path(sys.executable).with_name("nameko"))
    log = open(log_path, "ab")
    return subprocess.Popen([nameko, "run", "--config", "config.yaml", target], cwd=REPO_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def resident_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident set size of a process in MiB (VmRSS; VmHWM is its peak), None when it is
    gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class BenchEnvironment:
    """`with BenchEnvironment() as env:` creates everything; leaving drops all of it."""

    def __init__(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.database_names = {owner: f"anchang_bench_{self.run_id}_{owner}"
                               for owner in (*DATABASE_OWNERS, "ceiling")}
        self.database_urls = {}
        self.vhost = f"anchang-bench-{self.run_id}"
        self.amqp_uri = None
        self.suite = None
        self.token = None
        self._engines = {}
        self._echo = None  # (url, processes) of ceiling A's services, once started

    def __enter__(self):
        try:
            self._create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _create(self):
        wait_for_infrastructure()
        for owner, name in self.database_names.items():
            self.database_urls[owner] = create_database(name)
            if owner != "ceiling":
                upgrade(owner, self.database_urls[owner])
        self.amqp_uri = create_vhost(self.vhost)
        declare_all(self.amqp_uri)
        service_urls = {owner: url for owner, url in self.database_urls.items()
                        if owner != "ceiling"}
        self.suite = Suite(service_urls, self.amqp_uri)
        self.suite.env["RPC_TIMEOUT_SECONDS"] = str(BENCH_RPC_TIMEOUT_SECONDS)
        self.start_services()
        admin = self.suite.add_user("bench-admin", "admin")
        self.token = admin.http.headers["Authorization"]

    def close(self):
        """Stop every process we started, drop our databases and vhost; keep going on errors."""
        self._stop_echo()
        if self.suite is not None:
            for name in list(self.suite.processes):
                self.suite.stop(name)
        for engine in self._engines.values():
            engine.dispose()
        for owner, name in self.database_names.items():
            if owner in self.database_urls:
                _quietly(drop_database, name)
        if self.amqp_uri:
            _quietly(delete_vhost, self.vhost)

    # --- what the benchmarks use ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.suite.base_url

    def http(self) -> requests.Session:
        """A session of the admin user (each load thread takes its own)."""
        session = requests.Session()
        session.headers["Authorization"] = self.token
        return session

    def engine(self, owner: str):
        """A small engine on one of our databases, kept until the end of the run."""
        if owner not in self._engines:
            self._engines[owner] = create_engine(self.database_urls[owner], pool_size=2,
                                                 pool_pre_ping=True)
        return self._engines[owner]

    def echo_url(self) -> str:
        """Ceiling A's bare services (bench/echo_service.py), started on first use and kept
        until the end of the run; the URL of their @http echo."""
        if self._echo is None:
            port = free_port()
            env = {**self.suite.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}"}
            logs = self.suite.logs
            processes = [
                start_nameko("bench.echo_service:EchoService", env, logs / "echo.log"),
                start_nameko("bench.echo_service:EchoGateway", env, logs / "echo_gateway.log")]
            self._echo = (f"http://127.0.0.1:{port}/echo", processes)
            _wait_until_answers(self._echo[0])
        return self._echo[0]

    def echo_pids(self) -> dict[str, list[int]]:
        """Ceiling A's two processes, once started."""
        service, gateway = self._echo[1]
        return {"echo gateway": [gateway.pid], "echo service": [service.pid]}

    def service_pids(self) -> dict[str, list[int]]:
        return {name: [process.pid] for name, process in self.suite.processes.items()}

    def _stop_echo(self):
        if self._echo is not None:
            for process in self._echo[1]:
                stop_process(process)
            self._echo = None

    def resident_mb(self, field: str = "VmRSS") -> dict:
        return {name: resident_mb(process.pid, field)
                for name, process in self.suite.processes.items()}

    def start_services(self):
        for name in procfile_commands():
            self.suite.start(name)
        self.suite.wait_healthy()

    def restart_services(self):
        """After a broker or database outage a service may have died or lost its consumers:
        start every one afresh (ceiling A's on their next use)."""
        self._stop_echo()
        for name in list(self.suite.processes):
            self.suite.stop(name)
        self.start_services()

    def backlog(self) -> int:
        """Events not yet consumed: messages ready in every events queue plus outbox rows not
        yet published (unacked messages in flight are at most a prefetch per consumer)."""
        waiting = 0
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for service in SUBSCRIPTIONS:
                waiting += channel.queue_declare(queue_name(service), passive=True)[1]
        for owner in DATABASE_OWNERS:
            outbox = owner_metadata(owner).tables.get("outbox")
            if outbox is None:  # the gateway publishes nothing
                continue
            with self.engine(owner).connect() as connection:
                waiting += connection.execute(select(func.count()).select_from(outbox).where(
                    outbox.c.published_at.is_(None))).scalar_one()
        return waiting

    def wait_until_quiet(self, timeout: float = 300) -> float:
        """Wait until no event waits anywhere (twice in a row), so one benchmark's leftovers
        do not slow the next; returns the seconds waited."""
        began = time.monotonic()
        quiet_in_a_row = 0
        while quiet_in_a_row < 2:
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"the suite did not drain its events in {timeout:.0f} s")
            quiet_in_a_row = quiet_in_a_row + 1 if self.backlog() == 0 else 0
            time.sleep(0.5)
        return time.monotonic() - began


def _wait_until_answers(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.post(url, json={}, timeout=5).status_code == 201:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the echo services did not answer at {url}")


def _quietly(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except Exception as exc:
        print(f"cleanup: {function.__name__}{args}: {exc}", file=sys.stderr)


def git_commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit}+dirty" if git("status", "--porcelain") else commit

