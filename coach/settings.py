"""Runtime settings, all from environment variables so every channel and test agrees."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / '.data' / 'coach.sqlite3'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def knowledge_dir() -> Path:
    return Path(os.environ.get("COACH_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge")


def screening_valid_days() -> int:
    """How long a completed screening counts before the coach asks again."""
    return int(os.environ.get("COACH_SCREENING_VALID_DAYS", "30"))


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
