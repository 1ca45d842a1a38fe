"""Runtime settings, all from environment variables so every channel and test agrees."""

from __future__ import annotations

import os
from pathlib import Path

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
    """COACH_TIME_SCALE=0.02 runs a whole guided session in seconds (tests, demos); 1 is real time."""
    return float(os.environ.get("COACH_TIME_SCALE", "1"))
