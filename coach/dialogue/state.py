"""What the coach keeps about one conversation between turns (JSON in SQL, never message text).

Long-term facts about the person (conditions, limits, flags) are the profile
(coach/profile.py); this is the conversation's own working memory: the questions waiting
for an answer, what the user asked for before a question interrupted, and the screening in
progress.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class PendingQuestion:
    """A question the coach asked and is waiting on.

    `id` names what it asks ("screen_knees", "condition:hip_replacement", "flag:RF1",
    "red_flag_check", "update:constraint:no_kneeling"); `token` is new each time it is asked
    and rides on its buttons, so a button from an earlier question is recognised as stale.
    """

    id: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    misses: int = 0


@dataclass
class Goal:
    """What the user asked for when a question had to come first (an intent and its entities)."""

    intent: str
    entities: Dict[str, List[Any]] = field(default_factory=dict)


@dataclass
class Screening:
    """The screening questions still to ask before a session, and the answers so far."""

    remaining: List[str] = field(default_factory=list)
    answers: Dict[str, Optional[bool]] = field(default_factory=dict)


@dataclass
class ConversationState:
    questions: List[PendingQuestion] = field(default_factory=list)  # a stack: the last one is asked now
    goal: Optional[Goal] = None
    screening: Optional[Screening] = None
    minutes_available: Optional[float] = None  # "I've only got 5 minutes", for the next session plan
    # Someone else's emergency told in this conversation (a red-flag id): it stays the answer
    # for the rest of the conversation, like the user's own, but never enters their profile.
    their_alert: Optional[str] = None
    # When the user last wrote (ISO, UTC), and whether "Last time you said ... Still true?" is due
    # after a long gap (coach/privacy/memory.py).
    last_seen: Optional[str] = None
    recheck_due: bool = False
    # The referral or deferral said on the last turn ("DEFER:CI21"), so the very next one that
    # says the same gives the short form instead of the whole advice again.
    last_stop: Optional[str] = None

    @property
    def question(self) -> Optional[PendingQuestion]:
        return self.questions[-1] if self.questions else None

    def ask(self, question_id: str) -> PendingQuestion:
        """Puts a question on top (a question already waiting moves up instead of repeating)."""
        self.questions = [q for q in self.questions if q.id != question_id]
        question = PendingQuestion(question_id)
        self.questions.append(question)
        return question

    def answered(self, question_id: str) -> None:
        self.questions = [q for q in self.questions if q.id != question_id]

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> ConversationState:
        data = dict(data or {})
        return cls(
            questions=[PendingQuestion(**q) for q in data.get("questions") or []],
            goal=Goal(**data["goal"]) if data.get("goal") else None,
            screening=Screening(**data["screening"]) if data.get("screening") else None,
            minutes_available=data.get("minutes_available"),
            their_alert=data.get("their_alert"),
            last_seen=data.get("last_seen"),
            recheck_due=bool(data.get("recheck_due")),
            last_stop=data.get("last_stop"),
        )
