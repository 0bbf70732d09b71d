"""All configuration comes from the environment, read here and nowhere else."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file under var/ (the embedded default)."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        return url
    var_dir = Path(os.environ.get("ANCHANG_VAR_DIR", REPO_ROOT / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / service}.sqlite"


def database_pool(service: str) -> tuple[int, int]:
    """(pool size, max overflow) of one process's connections to the service's PostgreSQL:
    `<SERVICE>_DB_POOL_SIZE` kept open, `<SERVICE>_DB_MAX_OVERFLOW` more during a burst. Six
    processes at the defaults hold at most 36 connections; see the README for sizing."""
    prefix = service.upper()
    return (int(os.environ.get(f"{prefix}_DB_POOL_SIZE", "4")),
            int(os.environ.get(f"{prefix}_DB_MAX_OVERFLOW", "2")))


def rpc_timeout_seconds() -> float:
    return float(os.environ.get("RPC_TIMEOUT_SECONDS", "10"))


def outbox_sweep_seconds() -> float:
    return float(os.environ.get("OUTBOX_SWEEP_SECONDS", "2"))


def hold_sweep_seconds() -> float:
    return float(os.environ.get("HOLD_SWEEP_SECONDS", "30"))


def deposit_answer_timeout_seconds() -> float:
    """How long a deposit may wait for inventory's answer before it is flagged."""
    return float(os.environ.get("DEPOSIT_ANSWER_TIMEOUT_SECONDS", "900"))


def deposit_timeout_sweep_seconds() -> float:
    return float(os.environ.get("DEPOSIT_TIMEOUT_SWEEP_SECONDS", "60"))


def token_ttl_hours() -> int:
    return int(os.environ.get("TOKEN_TTL_HOURS", "12"))


def login_limits() -> tuple[int, int, int]:
    """Failed logins allowed per user name and per address, and the seconds they count over
    (and a block lasts): LOGIN_FAILURES_PER_USER, LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_BLOCK_SECONDS."""
    return (int(os.environ.get("LOGIN_FAILURES_PER_USER", "5")),
            int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20")),
            int(os.environ.get("LOGIN_BLOCK_SECONDS", "300")))


def token_cache_seconds() -> float:
    """How long the gateway trusts a token it checked, without asking its database again."""
    return float(os.environ.get("TOKEN_CACHE_SECONDS", "30"))


def console_address() -> tuple[str, int]:
    host, _, port = os.environ.get("CONSOLE_ADDRESS", "0.0.0.0:8001").rpartition(":")
    return host, int(port)


def gateway_url() -> str:
    """Where the console finds the gateway: `GATEWAY_URL`, else the gateway's own address."""
    if os.environ.get("GATEWAY_URL"):
        return os.environ["GATEWAY_URL"].rstrip("/")
    host, _, port = os.environ.get("GATEWAY_ADDRESS", "0.0.0.0:8000").rpartition(":")
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"
