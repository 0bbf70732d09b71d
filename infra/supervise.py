"""`python -m infra.supervise NAME -- COMMAND...`: run one process of the Procfile and start it
again whenever it ends by itself.

honcho, which `scripts/run.sh` uses to run the Procfile, stops every process as soon as one of
them ends: one crashed service would take the whole suite down. `run.sh` therefore runs each
Procfile command under this supervisor. A process that ends without being told to (a crash,
a SIGKILL, the OOM killer) is started again after a pause that doubles from 1 s up to 30 s
while it keeps crashing quickly, and starts at 1 s again once a run lasted a minute. The other
processes never notice; honcho sees the supervisor, which keeps running.

Stopping: SIGTERM, SIGINT or SIGHUP to the supervisor stops the process (SIGTERM: nameko's
graceful stop) and then the supervisor, with the process's exit code. The process stays in
the supervisor's process group, so honcho's stop (SIGTERM to the group, SIGKILL to the group
after its grace period) reaches both and never leaves a process behind.

Containers do the same with their own restart policy (compose.yaml: `restart:
unless-stopped`), so the Procfile itself stays plain.
"""
import signal
import subprocess
import sys
import time

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0
STEADY_RUN = 60.0  # a run at least this long counts as healthy: the pause starts over


def say(name: str, text: str) -> None:
    print(f"supervise {name}: {text}", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, name: str, command: list[str]):
        self.name = name
        self.command = command
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.restarts = 0

    def on_signal(self, signum, _frame):
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.on_signal)
        pause = FIRST_PAUSE
        while True:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command)
            code = self.child.wait()
            if self.stopping:
                return code
            ran = time.monotonic() - started
            if ran >= STEADY_RUN:
                pause = FIRST_PAUSE
            say(self.name, f"pid {self.child.pid} ended with {describe(code)} after "
                           f"{ran:.0f}s; starting it again in {pause:.0f}s")
            deadline = time.monotonic() + pause
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.stopping:
                return code
            self.restarts += 1
            pause = min(pause * 2, LONGEST_PAUSE)


def describe(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit code {code}"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m infra.supervise NAME -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    return Supervisor(argv[0], argv[2:]).run()


if __name__ == "__main__":
    sys.exit(main())
