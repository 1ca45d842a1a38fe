"""Latency and throughput figures of one load run, from what the load generator recorded.

Pure: no servers, no clock. Percentiles interpolate linearly between the two nearest ranks (the
same as numpy's default), so p50 of an even count is the mean of the middle two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of `values`, interpolated between closest ranks."""
    if not values:
        raise ValueError("no values: a percentile needs at least one")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Turn:
    """One message and its answer: when it was sent and answered (seconds, any monotonic clock)."""

    sent: float
    answered: float
    ok: bool
    error: str = ""

    @property
    def latency_ms(self) -> float:
        return (self.answered - self.sent) * 1000


@dataclass
class Summary:
    turns: int
    errors: int
    seconds: float
    throughput: float  # answered turns per second of the run
    p50_ms: Optional[float]
    p95_ms: Optional[float]
    p99_ms: Optional[float]
    max_ms: Optional[float]
    error_kinds: Dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def summarise(turns: List[Turn], started: float, ended: float) -> Summary:
    """Figures for the turns of a run that went from `started` to `ended`.

    Throughput counts only the turns that got an answer, over the whole run's wall time (the
    pauses of pausing users included: that is the load they put on the server). Latency
    percentiles are over the answered turns; failed turns count as errors, by kind.
    """
    if ended <= started:
        raise ValueError(f"the run must end after it starts (started {started}, ended {ended})")
    good = [t.latency_ms for t in turns if t.ok]
    kinds: Dict[str, int] = {}
    for t in turns:
        if not t.ok:
            kinds[t.error or "error"] = kinds.get(t.error or "error", 0) + 1
    seconds = ended - started
    return Summary(
        turns=len(turns),
        errors=len(turns) - len(good),
        seconds=seconds,
        throughput=len(good) / seconds,
        p50_ms=percentile(good, 50) if good else None,
        p95_ms=percentile(good, 95) if good else None,
        p99_ms=percentile(good, 99) if good else None,
        max_ms=max(good) if good else None,
        error_kinds=kinds,
    )


def ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    """ours / theirs, or None when either is missing or theirs is zero."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs
