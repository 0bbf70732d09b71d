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


def token_cache_seconds() -> float:
    """How long the gateway trusts a token it checked, without asking its database again."""
    return float(os.environ.get("TOKEN_CACHE_SECONDS", "30"))


def json_body_limit_bytes() -> int:
    """The largest JSON body the gateway reads (413 above it)."""
    return int(os.environ.get("JSON_BODY_LIMIT_BYTES", str(10 * 1024 * 1024)))


def upload_limit_bytes() -> int:
    """The largest uploaded file (a CSV or XLSX import) the gateway reads (413 above it)."""
    return int(os.environ.get("UPLOAD_LIMIT_BYTES", str(20 * 1024 * 1024)))


def json_depth_limit() -> int:
    """How deeply a JSON body may nest objects and arrays (400 deeper)."""
    return int(os.environ.get("JSON_DEPTH_LIMIT", "32"))
