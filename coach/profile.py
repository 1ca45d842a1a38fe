"""What the coach remembers about one user between messages (stored as JSON in SQL)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class ConditionNote:
    id: str
    days_ago: Optional[float] = None  # None: the user gave no time
    noted_on: Optional[str] = None  # ISO date the user told us, so "3 weeks ago" ages correctly
    cleared: Optional[bool] = None  # answer to "is it controlled and cleared for exercise?"


@dataclass
class Alert:
    """A stop-level flag that stays in force for the rest of the conversation."""

    rule_id: str
    outcome: str
    urgency: Optional[str]
    retraction_asked: bool = False


@dataclass
class Profile:
    user_id: str
    conditions: Dict[str, ConditionNote] = field(default_factory=dict)
    constraints: List[str] = field(default_factory=list)
    denied: List[str] = field(default_factory=list)  # "condition:x"/"constraint:y" the user said they don't have
    alert: Optional[Alert] = None
    settled_flags: List[str] = field(default_factory=list)  # past red flags the user confirmed are over
    pending_question: Optional[str] = None  # the clarifying question we are waiting on ("condition:x", "flag:RF1")
    older_adult: bool = False  # 65+: holds of 30-60 s (ACSM)
    last_rating: Optional[int] = None  # 0-10 after the last session
    hold_adjust: int = 0  # seconds added to every hold, learnt from ratings
    country: Optional[str] = None
    goals: List[str] = field(default_factory=list)
    # Red flags at the routine-referral level (RF9r) stay until a clinician has checked the user.
    referrals: List[str] = field(default_factory=list)
    # Stretches a warning symptom happened in (exercise id -> why), left out from then on.
    avoid: Dict[str, str] = field(default_factory=dict)
    # Remembered preferences: stretches of sessions rated 7+ (best first), the time they have.
    preferred: List[str] = field(default_factory=list)
    minutes_available: Optional[float] = None
    # Which of `constraints` the learned reader proposed as a precaution (rule LR2) rather than the
    # user saying it: explained as such, and lifted by the user's word like any limit.
    precautions: List[str] = field(default_factory=list)

    def drop_constraint(self, ident: str) -> None:
        if ident in self.constraints:
            self.constraints.remove(ident)
        if ident in self.precautions:
            self.precautions.remove(ident)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Profile:
        data = dict(data)
        data["conditions"] = {k: ConditionNote(**v) for k, v in (data.get("conditions") or {}).items()}
        data["alert"] = Alert(**data["alert"]) if data.get("alert") else None
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
