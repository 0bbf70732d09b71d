"""The README's run command (`scripts/run.sh`: honcho and the Procfile) outlives a crashed
service: the process comes back by itself while the gateway and the other services keep
answering."""
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from infra.config import REPO_ROOT
from tests.e2e.conftest import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def descendants(root: int) -> dict[int, str]:
    """pid → command line of every process below `root` (honcho puts each Procfile process in
    a session of its own, so the tree, not the session, says what run.sh started)."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = commands[pid]
                frontier.append(pid)
    return found


def service_pid(root: int, module: str) -> int | None:
    """The `nameko run` process of a service (not the shell or supervisor around it)."""
    pids = [pid for pid, command in descendants(root).items()
            if "nameko run" in command and module in command and "infra.supervise" not in command
            and Path(command.split()[0]).name not in ("sh", "dash", "bash")]
    return pids[0] if len(pids) == 1 else None


@pytest.fixture
def running_suite(amqp_uri):
    """`scripts/run.sh` as a developer runs it: its own SQLite files, the test run's vhost."""
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="anchang-run-")
    log = open(Path(var_dir) / "run.log", "wb")
    env = {**os.environ, "AMQP_URI": amqp_uri, "GATEWAY_PORT": str(port),
           "CONSOLE_PORT": str(free_port()), "ANCHANG_VAR_DIR": var_dir,
           "ANCHANG_ADMIN_PASSWORD": "run-script-key"}
    process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=REPO_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, f"http://127.0.0.1:{port}", Path(var_dir) / "run.log"
    finally:
        started = descendants(process.pid)
        os.killpg(process.pid, signal.SIGTERM)  # what Ctrl-C does: honcho stops everything
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid, command in started.items():  # nothing may outlive run.sh
            try:
                if (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                        errors="replace") == command):
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        log.close()


def health(base_url):
    return requests.get(f"{base_url}/api/v1/health", timeout=10)


def test_a_crashed_service_comes_back_while_the_others_keep_serving(running_suite):
    process, base_url, log = running_suite
    wait_until(lambda: health(base_url).status_code == 200, 240,
               what=f"the suite healthy (log: {log})")
    crashed = service_pid(process.pid, "services.inventory.service")
    assert crashed is not None

    os.kill(crashed, signal.SIGKILL)  # a crash: no graceful stop
    killed = time.monotonic()

    # the gateway keeps answering and the other services keep serving
    answers = []
    while time.monotonic() - killed < 3:
        answer = health(base_url)
        answers.append(answer.status_code)
        services = answer.json()["services"]
        assert all(services[name].get("database") == "ok" for name in
                   ("leads", "transactions", "complaints", "archive")), services
        time.sleep(0.5)
    assert answers and set(answers) <= {200, 503}
    token = requests.post(f"{base_url}/api/v1/auth/tokens", timeout=10, json={
        "username": "admin", "password": "run-script-key"})
    assert token.status_code in (200, 201), token.text

    # the service is back, as a new process, under the same honcho
    restarted = wait_until(lambda: (pid := service_pid(process.pid, "services.inventory.service"))
                           not in (None, crashed) and pid, 60, what="inventory started again")[0]
    wait_until(lambda: health(base_url).status_code == 200, 90, what="the suite healthy again")
    assert process.poll() is None  # honcho still runs every process
    assert restarted != crashed
    assert "supervise inventory: pid" in log.read_text(errors="replace")
