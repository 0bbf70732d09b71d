"""The fault suite's own RabbitMQ nodes and PostgreSQL cluster, started for the run in a
temporary directory on free ports, so that stopping, killing and restarting them never touches
the broker and database everyone else on the machine uses (5672, 5432).

RabbitMQ runs as the current user (Debian's /usr/sbin wrappers would switch to the rabbitmq
user; the scripts under /usr/lib/rabbitmq/bin do not); the nodes of one run share a HOME and
so one Erlang cookie, which is what clustering and `rabbitmqctl -n` need. PostgreSQL refuses to
run as root: as root the cluster is initialised and run as the `postgres` user.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kombu import Connection

from tests.waiting import wait_until

DEBIAN_RABBITMQ_SCRIPTS = Path("/usr/lib/rabbitmq/bin")
DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
        return True
    except OSError:
        return False


def _rabbitmq_script(name: str) -> str:
    path = DEBIAN_RABBITMQ_SCRIPTS / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"the fault suite needs RabbitMQ's {name} on this machine")
    return found


class RabbitNode:
    """One private RabbitMQ node: its own node name, AMQP and distribution ports, data, logs,
    config and plugins (none: no management listener)."""

    def __init__(self, home: Path, name: str):
        self.home = home
        self.name = f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        base = home / name
        base.mkdir(parents=True)
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "vm_memory_high_watermark.relative = 0.2\n")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq one
        self.pid_file = base / "beam.pid"
        self.env = {**os.environ, "HOME": str(home), "RABBITMQ_NODENAME": self.name,
                    "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(self.dist_port),
                    "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
                    "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                    "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(base / "log"),
                    "RABBITMQ_PID_FILE": str(self.pid_file),
                    "ERL_EPMD_ADDRESS": "127.0.0.1"}
        self.env.pop("RABBITMQ_ERLANG_COOKIE", None)
        self.log = base / "server.out"
        self.process = None

    def uri(self, vhost: str) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    def ctl(self, *args, timeout=90, check=True) -> str:
        done = subprocess.run([_rabbitmq_script("rabbitmqctl"), "-n", self.name, *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode:
            raise RuntimeError(f"rabbitmqctl -n {self.name} {' '.join(args)}: "
                               f"{done.stdout}{done.stderr}")
        return done.stdout

    def launch(self):
        self.pid_file.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([_rabbitmq_script("rabbitmq-server")], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.home, start_new_session=True)

    def await_started(self, timeout=120):
        deadline = time.monotonic() + timeout
        while not self.pid_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: see {self.log}")
            time.sleep(0.2)
        self.ctl("wait", "--timeout", str(timeout), str(self.pid_file), timeout=timeout + 10)
        wait_until(lambda: port_open(self.port), 30, what=f"{self.name} listening")

    def start(self):
        self.launch()
        self.await_started()

    def stop_app(self):
        self.ctl("stop_app", timeout=240)  # closing hundreds of connections on a busy machine

    def start_app(self):
        self.ctl("start_app", timeout=240)
        wait_until(lambda: port_open(self.port), 60, what=f"{self.name} listening")

    def beam_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILL the Erlang VM: no goodbye to clients or to the other nodes."""
        pid = self.beam_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(30)

    def shutdown(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.ctl("stop", timeout=60)
            self.process.wait(30)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.kill()

    # vhosts -------------------------------------------------------------------------------
    def add_vhost(self, name: str) -> str:
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        uri = self.uri(name)
        with Connection(uri) as connection:
            connection.ensure_connection(max_retries=5)
        return uri

    def delete_vhost(self, name: str):
        self.ctl("delete_vhost", name, check=False)


def start_nodes(home: Path, names) -> list[RabbitNode]:
    """Start nodes side by side (Erlang boots take seconds each)."""
    nodes = [RabbitNode(home, name) for name in names]
    for node in nodes:
        node.launch()
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(RabbitNode.await_started, nodes))
    return nodes


def form_cluster(nodes: list[RabbitNode]):
    """Join every node to the first one (`join_cluster`)."""
    for node in nodes[1:]:
        node.ctl("stop_app")
        node.ctl("join_cluster", nodes[0].name)
        node.ctl("start_app")
    running = nodes[0].ctl("eval", "length(rabbit_nodes:all_running()).").strip()
    assert running == str(len(nodes)), f"cluster has {running} running nodes"


class PostgresCluster:
    """A private PostgreSQL cluster: initdb into a temporary directory, pg_ctl on a free port,
    trust on 127.0.0.1 only, its socket in its own directory."""

    def __init__(self, base: Path):
        self.bin = self._bin_dir()
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        base.mkdir(parents=True)
        if self.run_as:
            shutil.chown(base, "postgres", "postgres")

    @staticmethod
    def _bin_dir() -> Path:
        if DEBIAN_POSTGRESQL.exists():
            versions = sorted((p for p in DEBIAN_POSTGRESQL.iterdir() if p.name.isdigit()),
                              key=lambda p: int(p.name))
            if versions:
                return versions[-1] / "bin"
        found = shutil.which("initdb")
        if not found:
            raise RuntimeError("the fault suite needs PostgreSQL's initdb and pg_ctl")
        return Path(found).parent

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}"

    def _run(self, *args, timeout=120):
        done = subprocess.run([*self.run_as, str(self.bin / args[0]), *args[1:]],
                              capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)}: {done.stdout}{done.stderr}")

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.base}'\n"
                       "max_connections = 300\nshared_buffers = 128MB\n"
                       # a test cluster: nothing here must survive a power cut
                       "fsync = off\nfull_page_writes = off\n")

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-t", "60", "start")
        wait_until(lambda: port_open(self.port), 60, what="private PostgreSQL listening")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def shutdown(self):
        if self.running():
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
