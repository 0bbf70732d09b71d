"""Starts every service and the gateway as real processes (as the Procfile does) against the
test run's PostgreSQL databases and RabbitMQ vhost, and gives tests an HTTP client."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import Session

from gateway.auth import create_user
from infra.config import REPO_ROOT
from infra.database import make_engine
from infra.topology import declare_all

PROCFILE = REPO_ROOT / "Procfile"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_commands() -> dict[str, str]:
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (nameko stops gracefully), then SIGKILL past the timeout."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Suite:
    def __init__(self, database_urls, amqp_uri):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.console_port = free_port()
        self.console_url = f"http://127.0.0.1:{self.console_port}"
        self.env = {**os.environ, "AMQP_URI": amqp_uri,
                    "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}", "PYTHONWARNINGS": "ignore",
                    "CONSOLE_ADDRESS": f"127.0.0.1:{self.console_port}",
                    "RPC_TIMEOUT_SECONDS": "10", "OUTBOX_SWEEP_SECONDS": "1",
                    "ARCHIVE_MAX_UPLOAD_BYTES": "200000",
                    "COMPLAINTS_CLOCK_SWEEP_SECONDS": "2"}
        for owner, url in database_urls.items():
            self.env[f"{owner.upper()}_DATABASE_URL"] = url
        self.database_urls = database_urls
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = Path(tempfile.mkdtemp(prefix="anchang-e2e-"))
        self.env["ARCHIVE_FILES_URL"] = f"file://{self.logs}/archive-files"
        self.env["FINANCE_FILES_URL"] = f"file://{self.logs}/finance-files"

    def start(self, name, instance=None):
        """Start the Procfile's `name` process; `instance` names a second worker of it."""
        instance = instance or name
        command = procfile_commands()[name].split()
        command[0] = str(Path(sys.executable).with_name(command[0]))
        log = open(self.logs / f"{instance}.log", "ab")
        self.processes[instance] = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env,
                                                    stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name, timeout=20):
        stop_process(self.processes.pop(name), timeout)

    def wait_healthy(self, timeout=90):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = requests.get(f"{self.base_url}/api/v1/health", timeout=5)
                if last.status_code == 200 and requests.get(
                        f"{self.console_url}/login", timeout=5).status_code == 200:
                    return
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"suite not healthy after {timeout}s: {last}; logs in {self.logs}")

    def add_user(self, username, role, consultant_id=None, project_ids=()):
        engine = make_engine(self.database_urls["gateway"])
        with Session(engine) as session:
            create_user(session, username, f"{username}-secret", role, consultant_id, project_ids)
            session.commit()
        engine.dispose()
        return self.client(username)

    def client(self, username):
        response = requests.post(f"{self.base_url}/api/v1/auth/tokens",
                                 json={"username": username, "password": f"{username}-secret"})
        response.raise_for_status()
        return Client(self.base_url, response.json()["token"])


class Client:
    def __init__(self, base_url, token):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, **kwargs):
        return self.http.get(self.base_url + path, timeout=30, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.http.post(self.base_url + path, json=json, timeout=30, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.http.put(self.base_url + path, json=json, timeout=30, **kwargs)

    def upload(self, path, body: bytes, content_type="text/csv", **params):
        """POST a file to an import route: 202 with its job, or a refusal."""
        return self.http.post(self.base_url + path, data=body, params=params, timeout=60,
                              headers={"Content-Type": content_type})

    def finished_job(self, accepted, timeout=180) -> dict:
        """Follow an accepted import (202, Location) until it is done or failed."""
        assert accepted.status_code == 202, accepted.text
        location = accepted.headers["Location"]
        job = wait_for(lambda: (lambda job: job if job["status"] in ("done", "failed") else None)(
            self.get(location).json()), timeout=timeout)
        assert job, f"{location} did not finish within {timeout}s"
        return job

    def imported(self, path, body: bytes, content_type="text/csv", **params) -> dict:
        """Upload, wait, and return the import's result (the job must end done)."""
        job = self.finished_job(self.upload(path, body, content_type, **params))
        assert job["status"] == "done", job
        return job["result"]


@pytest.fixture(scope="package")  # stopped before the fault suite starts its own cluster
def suite(database_urls, amqp_uri):
    declare_all(amqp_uri)
    suite = Suite(database_urls, amqp_uri)
    for name in procfile_commands():
        suite.start(name)
    try:
        suite.wait_healthy()
        yield suite
    finally:
        for name in list(suite.processes):
            suite.stop(name)


@pytest.fixture(scope="package")
def admin(suite):
    return suite.add_user("admin", "admin")


_mobiles = iter(range(16500000001, 16599999999))


def customer_of(admin, office_id, consultant_id, name="张三"):
    """A customer of the office given to `consultant_id` (registered, then reassigned when
    the rotation gave it to someone else); their id."""
    visit = admin.post("/api/v1/visits", {"office_id": office_id, "name": name,
                                          "mobile": str(next(_mobiles))})
    assert visit.status_code == 201, visit.text
    customer = visit.json()["customer"]
    if customer["consultant_id"] != consultant_id:
        moved = admin.post(f"/api/v1/customers/{customer['id']}/reassignments",
                           {"consultant_id": consultant_id, "reason": "the test needs it"})
        assert moved.status_code == 201, moved.text
    return customer["id"]


def wait_for(predicate, timeout=30, interval=0.2):
    """Poll until `predicate()` returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def pytest_collection_modifyitems(items):
    """The property-based run of every operation goes last among the end-to-end tests: it
    creates records at random, which no other test should have to reckon with."""
    last = [item for item in items if item.nodeid.startswith("tests/e2e/test_published_contract")]
    rest = [item for item in items if item not in last]
    end_of_e2e = max((i + 1 for i, item in enumerate(rest)
                      if item.nodeid.startswith("tests/e2e/")), default=len(rest))
    items[:] = rest[:end_of_e2e] + last + rest[end_of_e2e:]
