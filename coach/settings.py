"""Runtime settings, all from environment variables so every channel and test agrees."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.data' / 'coach.sqlite3'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def knowledge_dir() -> Path:
    return Path(os.environ.get("COACH_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge")


def reader_path() -> Path:
    """The learned safety reader, built by `make train` (coach/safety/reader.py)."""
    return Path(os.environ.get("COACH_READER_PATH") or PROJECT_ROOT / "models" / "safety_reader.pkl")


def screening_valid_days() -> int:
    """How long a completed screening counts before the coach asks again."""
    return int(os.environ.get("COACH_SCREENING_VALID_DAYS", "30"))


def today() -> date:
    """The day the safety screen dates messages against ("on Sunday", "three weeks ago").

    COACH_TODAY=YYYY-MM-DD fixes it, for evaluation only: the real-message sets are old posts
    whose own dates are unknown, so their figures are read against one fixed day
    (evaluation/runners.py EVALUATION_DAY) rather than a weekday that changes under the gates.
    Unset, as in every deployment, it is the machine's date."""
    fixed = os.environ.get("COACH_TODAY", "").strip()
    return date.fromisoformat(fixed) if fixed else date.today()


def time_scale() -> float:
    """COACH_TIME_SCALE=0.02 runs a whole guided session in seconds (tests, demos); 1 is real time.

    The action server schedules cues with it and the web page counts down with it (it is in
    the page's settings, connectors/socketio.py web_config), so both run at the same pace."""
    return float(os.environ.get("COACH_TIME_SCALE", "1"))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def allowed_origins(raw: Optional[str] = None) -> List[str]:
    """COACH_ALLOWED_ORIGINS: the sites that may embed the web widget, comma-separated.

    Given both to Sanic's CORS (scripts/run.sh passes them as `rasa run --cors ...`) and to the
    socket.io server. Unset or empty means same-origin only: just the coach's own chat page.
    `*` allows every site (development only). Entries are normalised the way browsers send the
    Origin header (lower case, no default port, no trailing slash), so `https://Shop.example:443/`
    matches `https://shop.example`; anything that is not an origin is an error naming it."""
    if raw is None:
        raw = os.environ.get("COACH_ALLOWED_ORIGINS", "")
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if entries == ["*"]:
        return ["*"]
    return sorted({_origin(entry) for entry in entries})


def _origin(entry: str) -> str:
    problem = f"COACH_ALLOWED_ORIGINS: {entry!r} is not an origin like https://shop.example or http://127.0.0.1:8000"
    if entry == "*":
        raise ValueError(f"{problem} ('*' allows every site and must stand alone)")
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError as error:
        raise ValueError(problem) from error
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        raise ValueError(problem)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{problem} (an origin has no path)")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal, as browsers write it
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


# -- progress and reminders (coach/progress.py, coach/reminders/) ---------------------------------
def chart_base_url() -> str:
    """Where browsers, Telegram and Slack fetch progress charts from: COACH_PUBLIC_URL (the
    address people reach the Rasa server at), else this machine's `make run` address. Always
    absolute: Telegram and Slack fetch images by URL, and the web page shows only http(s) ones."""
    return (os.environ.get("COACH_PUBLIC_URL") or "http://127.0.0.1:5005").rstrip("/")


def quiet_hours() -> str:
    """COACH_QUIET_HOURS: when no reminder is sent unless the user set other hours (local time)."""
    return os.environ.get("COACH_QUIET_HOURS", "22:00-07:00")


def rasa_url() -> str:
    """COACH_RASA_URL: the Rasa server (or the load balancer in front of them) the scheduler
    delivers reminders through, with trigger_intent."""
    return (os.environ.get("COACH_RASA_URL") or "http://127.0.0.1:5005").rstrip("/")


def rasa_token() -> Optional[str]:
    """RASA_AUTH_TOKEN: the token `rasa run --enable-api --auth-token` was started with."""
    return os.environ.get("RASA_AUTH_TOKEN") or None


def reminder_grace_minutes() -> float:
    """A reminder found overdue by more than this (the scheduler was down) is skipped, not sent late."""
    return float(os.environ.get("COACH_REMINDER_GRACE_MINUTES", "60"))


# -- the user's data (docs/privacy.md) -------------------------------------------------------------
def export_ttl_minutes() -> float:
    """How long a download link from "export my data" works (COACH_EXPORT_TTL_MINUTES, default 60)."""
    return float(os.environ.get("COACH_EXPORT_TTL_MINUTES", "60"))


def public_url() -> str:
    """COACH_PUBLIC_URL: the address people reach the Rasa server at, for download links in chat
    (https://coach.example). Unset: links are relative to the coach's own page."""
    return (os.environ.get("COACH_PUBLIC_URL") or "").rstrip("/")


def retention_days() -> int:
    """COACH_RETENTION_DAYS: the data of a user inactive this long is deleted (`make purge`, daily)."""
    return int(os.environ.get("COACH_RETENTION_DAYS", "365"))


def recheck_after_hours() -> float:
    """After this long away, the first message is followed by "Last time you said ... Still true?"."""
    return float(os.environ.get("COACH_RECHECK_AFTER_HOURS", "12"))


DEFAULT_TRACKER_PATH = PROJECT_ROOT / ".data" / "rasa_tracker.sqlite3"


def tracker_database_url() -> str:
    """Rasa's tracker store, for deleting a user's conversation outside a turn (retention purge).

    TRACKER_DATABASE_URL if set; else the PostgreSQL store endpoints.production.yml describes when
    TRACKER_DB_HOST is set; else the SQLite file endpoints.yml names."""
    explicit = os.environ.get("TRACKER_DATABASE_URL")
    if explicit:
        return explicit
    host = os.environ.get("TRACKER_DB_HOST")
    if host:
        from urllib.parse import quote

        user = quote(os.environ.get("TRACKER_DB_USER", ""), safe="")
        password = quote(os.environ.get("TRACKER_DB_PASSWORD", ""), safe="")
        auth = f"{user}:{password}@" if user else ""
        port = os.environ.get("TRACKER_DB_PORT", "5432")
        return f"postgresql://{auth}{host}:{port}/{os.environ.get('TRACKER_DB_NAME', 'rasa')}"
    return f"sqlite:///{DEFAULT_TRACKER_PATH}"


# -- faults ----------------------------------------------------------------------------------------
def reply_deadline_seconds() -> float:
    """COACH_REPLY_DEADLINE_SECONDS (default 5): how long a channel waits for the Rasa server to
    answer one message before it answers on its own (connectors/guard.py): the fixed emergency
    wording when the message holds an emergency, urgent or crisis flag, otherwise a short
    "technical problem" reply. Rasa itself waits 300 s for the action server, with no setting."""
    return _positive_float("COACH_REPLY_DEADLINE_SECONDS", "5")


def db_connect_timeout() -> int:
    """COACH_DB_CONNECT_TIMEOUT (default 3, whole seconds as libpq takes them): how long a new
    PostgreSQL connection may take before it fails. SQLAlchemy is synchronous in the servers' one
    event loop, so a database that accepts the connection and never answers would otherwise stall
    every conversation of the process until the operating system gives up (minutes)."""
    return max(1, int(_positive_float("COACH_DB_CONNECT_TIMEOUT", "3")))


# -- where the servers listen and who may call them ------------------------------------------------
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "localhost")


def bind_address() -> str:
    """COACH_BIND_ADDRESS (default 127.0.0.1): the interface both servers listen on
    (scripts/run.sh passes it to `rasa run -i` and to the action server). Exposing them is this
    explicit setting (0.0.0.0 or a host's address); the production layout keeps both on
    loopback behind its load balancer."""
    return os.environ.get("COACH_BIND_ADDRESS", "").strip() or "127.0.0.1"


def is_loopback(address: str) -> bool:
    import ipaddress

    if address in LOOPBACK_ADDRESSES:
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


ACTION_SECRET_HEADER = "X-Coach-Action-Secret"


def action_secret() -> str:
    """COACH_ACTION_SECRET: the shared secret the Rasa server sends the action server in the
    X-Coach-Action-Secret header (endpoints.yml `action_endpoint.headers`). With it set, the
    action server answers only calls that carry it; unset, it answers loopback callers only.
    scripts/run.sh makes a fresh one at every start when it is unset."""
    return os.environ.get("COACH_ACTION_SECRET", "").strip()


def sender_secret() -> str:
    """COACH_SENDER_SECRET: the deployment's key for sender tokens (JWT, HS256). With it set, the
    REST and socket.io channels accept only messages that carry a token signed with it, and the
    conversation is the token's `sub` on every message (connectors/identity.py). Unset (the
    embedded default), any caller may name any sender: fine on loopback, never on a shared host
    (the servers log so at start, and scripts/run.sh refuses a non-loopback bind without it)."""
    secret = os.environ.get("COACH_SENDER_SECRET", "").strip()
    if secret and len(secret) < 32:
        raise ValueError("COACH_SENDER_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)")
    return secret


def trusted_proxies() -> List[str]:
    """COACH_TRUSTED_PROXIES: comma-separated addresses or networks (127.0.0.1, 10.0.0.0/8) of the
    proxies whose X-Forwarded-For names the real client. Empty (default): the socket's peer
    address is the client, and forwarded headers are ignored, so nobody can pick their own."""
    import ipaddress

    raw = os.environ.get("COACH_TRUSTED_PROXIES", "")
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as error:
            raise ValueError(f"COACH_TRUSTED_PROXIES: {entry!r} is not an address or network") from error
    return entries


# -- limits ----------------------------------------------------------------------------------------
def rate_per_sender() -> Tuple[int, float]:
    """COACH_RATE_PER_SENDER (default 30/60): messages one sender may send per that many seconds
    (a token bucket: a burst of 30, then one every 2 s). `0` switches the limit off."""
    return _rate("COACH_RATE_PER_SENDER", "30/60")


def rate_per_address() -> Tuple[int, float]:
    """COACH_RATE_PER_ADDRESS (default 300/60): messages one client address may send per that many
    seconds on REST and socket.io, whatever sender ids it uses. Telegram, Slack and Alexa calls
    all come from the platform's servers, so only the per-sender limit applies there."""
    return _rate("COACH_RATE_PER_ADDRESS", "300/60")


def rate_limit_backend() -> str:
    """COACH_RATE_LIMIT_BACKEND: `memory` (default; each Rasa process counts on its own) or
    `redis` (a window shared by every instance, in COACH_RATE_LIMIT_REDIS_URL)."""
    backend = os.environ.get("COACH_RATE_LIMIT_BACKEND", "").strip().lower() or "memory"
    if backend not in ("memory", "redis"):
        raise ValueError(f"COACH_RATE_LIMIT_BACKEND must be memory or redis, not {backend!r}")
    return backend


def rate_limit_redis_url() -> str:
    """COACH_RATE_LIMIT_REDIS_URL (default redis://127.0.0.1:6379/0) and COACH_RATE_LIMIT_PREFIX
    (default psoas_coach:rate) for the shared window."""
    return os.environ.get("COACH_RATE_LIMIT_REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"


def rate_limit_prefix() -> str:
    return os.environ.get("COACH_RATE_LIMIT_PREFIX", "").strip() or "psoas_coach:rate"


def max_body_bytes() -> int:
    """COACH_MAX_BODY_BYTES (default 65536): the largest request body any channel reads (REST,
    Telegram, Slack, Alexa) and the largest socket.io packet. scripts/run.sh also gives Sanic
    this cap (SANIC_REQUEST_MAX_SIZE), so a bigger upload is refused before it is read."""
    return int(_positive_float("COACH_MAX_BODY_BYTES", "65536"))


# -- logs ------------------------------------------------------------------------------------------
def log_hash_key() -> str:
    """COACH_LOG_HASH_KEY: a key for the hashed sender ids in log lines (HMAC-SHA256), so log
    readers cannot test guesses of a Telegram or phone-style id. Unset: plain SHA-256."""
    return os.environ.get("COACH_LOG_HASH_KEY", "")


def _positive_float(name: str, default: str) -> float:
    raw = os.environ.get(name, "").strip() or default
    try:
        value = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, not {raw!r}") from error
    if value <= 0:
        raise ValueError(f"{name} must be above 0, not {raw!r}")
    return value


def _rate(name: str, default: str) -> Tuple[int, float]:
    raw = os.environ.get(name, "").strip() or default
    if raw == "0":
        return 0, 1.0
    count, sep, period = raw.partition("/")
    try:
        parsed = (int(count), float(period))
    except ValueError:
        parsed = (0, 0.0)
    if not sep or parsed[0] <= 0 or parsed[1] <= 0:
        raise ValueError(f"{name} must look like 30/60 (messages per seconds) or 0 for no limit, not {raw!r}")
    return parsed
