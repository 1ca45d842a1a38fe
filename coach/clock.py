"""The coach's idea of "now", which tests and demos can speed up.

Real time by default. COACH_CLOCK="<ISO moment>@<Unix seconds>" says which moment it was at
that real instant; from there the clock runs COACH_TIME_SCALE times slower than real time is
counted (COACH_TIME_SCALE=0.01: one real second is 100 coach seconds), the same scale guided
sessions use. Every process (action server, scheduler) given the same two settings agrees on
the time, so a reminder set "for 10" in a test fires a real fraction of a second later.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from typing import Optional, Tuple

from coach.settings import time_scale


def _anchor(raw: Optional[str]) -> Optional[Tuple[datetime, float]]:
    if not raw:
        return None
    moment, sep, real = raw.rpartition("@")
    if not sep:
        raise ValueError(f"COACH_CLOCK={raw!r}: expected '<ISO moment>@<Unix seconds>'")
    start = datetime.fromisoformat(moment)
    if start.tzinfo is None:
        raise ValueError(f"COACH_CLOCK={raw!r}: the moment needs a UTC offset, e.g. 2026-12-07T09:59:00+00:00")
    return start, float(real)


def now() -> datetime:
    """The current moment (UTC, aware)."""
    anchor = _anchor(os.environ.get("COACH_CLOCK"))
    if anchor is None:
        return datetime.now(timezone.utc)
    start, real = anchor
    scale = time_scale() or 1.0
    return (start + timedelta(seconds=(time.time() - real) / scale)).astimezone(timezone.utc)


def real_seconds(coach_seconds: float) -> float:
    """How long `coach_seconds` of coach time take in real time (for sleeping)."""
    if os.environ.get("COACH_CLOCK"):
        return coach_seconds * (time_scale() or 1.0)
    return coach_seconds


def clock_setting(moment: datetime, real: Optional[float] = None) -> str:
    """The COACH_CLOCK value that makes `moment` now (tests)."""
    return f"{moment.isoformat()}@{time.time() if real is None else real}"
