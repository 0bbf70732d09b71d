"""infra/supervise.py, which scripts/run.sh puts around each Procfile process: a process that
ends by itself is started again; a stop request stops it and the supervisor for good."""
import os
import signal
import subprocess
import sys
import time

from tests.waiting import wait_until


def supervise(*command):
    return subprocess.Popen([sys.executable, "-m", "infra.supervise", "demo", "--", *command],
                            stderr=subprocess.PIPE, text=True)


def test_a_process_that_ends_by_itself_is_started_again(tmp_path):
    starts = tmp_path / "starts"
    supervisor = supervise("sh", "-c", f"echo started >> {starts}; exit 3")
    try:
        wait_until(lambda: starts.exists() and len(starts.read_text().splitlines()) >= 2, 20,
                   what="a second start")
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(10)
    assert "ended with exit code 3" in supervisor.stderr.read()


def test_a_stop_request_stops_the_process_and_the_supervisor(tmp_path):
    pid_file = tmp_path / "pid"
    supervisor = supervise("sh", "-c", f"echo $$ > {pid_file}; exec sleep 60")
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10)
    child = int(pid_file.read_text())
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(10)
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{child}") or \
        open(f"/proc/{child}/stat").read().split()[2] == "Z"
    assert "starting it again" not in supervisor.stderr.read()
