"""What the detector found in a message: plain data, so deciding needs no NLP libraries."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional


@dataclass(frozen=True)
class Finding:
    kind: str  # concept | condition | constraint
    id: str
    text: str  # the words that matched, for explanations and logs
    start: int = 0  # character offsets in the (normalised) message
    end: int = 0
    negated: bool = False
    third_party: bool = False
    hypothetical: bool = False
    resolved: bool = False
    days_ago: Optional[float] = None
    duration_days: Optional[float] = None

    @property
    def about_user_now(self) -> bool:
        """Says the user has this, as opposed to not having it, someone else, or 'what if'."""
        return not (self.negated or self.third_party or self.hypothetical)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
