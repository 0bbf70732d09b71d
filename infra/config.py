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


# the database role a service's connections act as (`SET ROLE`), where its tables are granted
# to a role of its own: the archive's role may read and insert but not change its records
SERVICE_ROLES = {"archive": "anchang_archive"}


def database_role(service: str) -> str | None:
    """`<SERVICE>_DB_ROLE`, else the service's own role if it has one (the archive's
    `anchang_archive`, created and granted by its migrations); empty: act as the login user.
    The login user of `<SERVICE>_DATABASE_URL` must be that role or a member of it. PostgreSQL
    only; SQLite has no roles."""
    role = os.environ.get(f"{service.upper()}_DB_ROLE", SERVICE_ROLES.get(service, ""))
    return role or None


def database_pool(service: str) -> tuple[int, int]:
    """(pool size, max overflow) of one process's connections to the service's PostgreSQL:
    `<SERVICE>_DB_POOL_SIZE` kept open, `<SERVICE>_DB_MAX_OVERFLOW` more during a burst. Seven
    processes at the defaults hold at most 42 connections; see the README for sizing."""
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


def clock_sweep_seconds() -> float:
    """How often the complaints service passes over its open cases' clocks (a breach is
    stored within this long of happening)."""
    return float(os.environ.get("COMPLAINTS_CLOCK_SWEEP_SECONDS", "30"))


def clock_sweep_batch() -> int:
    return int(os.environ.get("COMPLAINTS_CLOCK_SWEEP_BATCH", "500"))


def idempotency_key_hours() -> float:
    """How long the gateway keeps an `Idempotency-Key` and its answer (at least a day)."""
    return max(24.0, float(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24")))


def idempotency_cleanup_seconds() -> float:
    return float(os.environ.get("IDEMPOTENCY_CLEANUP_SECONDS", "3600"))


def import_poll_seconds() -> float:
    """How often a service that runs imports looks for queued import jobs."""
    return float(os.environ.get("IMPORT_POLL_SECONDS", "1"))


def archive_files_url() -> str:
    """Where the archive's files live, content-addressed (an fsspec URL): a local directory by
    default, e.g. `s3://bucket/anchang-archive` in production (s3fs installed, credentials from
    the usual AWS environment)."""
    url = os.environ.get("ARCHIVE_FILES_URL")
    if url:
        return url
    var_dir = Path(os.environ.get("ANCHANG_VAR_DIR", REPO_ROOT / "var"))
    return f"file://{var_dir / 'archive-files'}"


def finance_files_url() -> str:
    """Where finance leaves its voucher exports for the gateway to stream (an fsspec URL, as
    `archive_files_url`): a local directory both reach by default, a bucket in production."""
    url = os.environ.get("FINANCE_FILES_URL")
    if url:
        return url
    var_dir = Path(os.environ.get("ANCHANG_VAR_DIR", REPO_ROOT / "var"))
    return f"file://{var_dir / 'finance-files'}"


def finance_export_keep_seconds() -> float:
    """How long a voucher export stays in the store after it was written (the gateway streams
    it at once; older ones are removed when the next export is written)."""
    return float(os.environ.get("FINANCE_EXPORT_KEEP_SECONDS", "3600"))


def archive_max_upload_bytes() -> int:
    return int(os.environ.get("ARCHIVE_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))


def archive_fixity_seconds() -> float:
    """How often the archive re-reads every stored file (once a day by default)."""
    return float(os.environ.get("ARCHIVE_FIXITY_SECONDS", "86400"))


def archive_verification_seconds() -> float:
    """How often the archive takes up a queued verification of all dossiers."""
    return float(os.environ.get("ARCHIVE_VERIFICATION_SECONDS", "2"))


def console_address() -> tuple[str, int]:
    host, _, port = os.environ.get("CONSOLE_ADDRESS", "0.0.0.0:8001").rpartition(":")
    return host, int(port)


def gateway_url() -> str:
    """Where the console finds the gateway: `GATEWAY_URL`, else the gateway's own address."""
    if os.environ.get("GATEWAY_URL"):
        return os.environ["GATEWAY_URL"].rstrip("/")
    host, _, port = os.environ.get("GATEWAY_ADDRESS", "0.0.0.0:8000").rpartition(":")
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"


def json_body_limit_bytes() -> int:
    """The largest JSON body the gateway reads (413 above it)."""
    return int(os.environ.get("JSON_BODY_LIMIT_BYTES", str(10 * 1024 * 1024)))


def upload_limit_bytes() -> int:
    """The largest uploaded file (a CSV or XLSX import) the gateway reads (413 above it)."""
    return int(os.environ.get("UPLOAD_LIMIT_BYTES", str(20 * 1024 * 1024)))


def json_depth_limit() -> int:
    """How deeply a JSON body may nest objects and arrays (400 deeper)."""
    return int(os.environ.get("JSON_DEPTH_LIMIT", "32"))
