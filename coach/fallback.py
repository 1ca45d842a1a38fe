"""What a channel says on its own when the coach cannot answer: the server is down, hung or
failed, the database or Redis is unreachable, or a turn ended in silence.

Rasa 3.6 takes the conversation's lock and loads its tracker before NLU runs, and waits 300 s
for the action server, so neither the NLU safety component nor the action server can be
relied on for this. The channels (connectors/guard.py) build one `Fallback` at start, from the
knowledge files, and hand it the message's text: the same rule-based detector and triage the
coach uses run directly on it, with an empty profile (nothing stored is reachable). An
emergency, urgent or crisis flag gets the fixed, reviewed wording of its rule; anything else
gets the short "technical problem" reply. Both come from knowledge/, never from code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

from coach.kb.loader import KnowledgeBase, load_directory
from coach.profile import Profile
from coach.safety.triage import Triage
from coach.service import shared_triage
from coach.wording import EMERGENCY_URGENCIES

FALLBACK_SENDER = "fallback"  # the empty profile the rules judge against: nothing about anyone


@dataclass(frozen=True)
class FallbackReply:
    text: str
    custom: Dict[str, Any] = field(default_factory=dict)

    @property
    def is_safety(self) -> bool:
        return self.custom.get("type") == "safety"

    def as_message(self) -> Dict[str, Any]:
        """The shape Rasa hands an output channel's send_response."""
        return {"text": self.text, "custom": self.custom}


class Fallback:
    def __init__(self, kb: KnowledgeBase, triage: Optional[Triage] = None):
        self.kb = kb
        self.triage = triage or shared_triage(kb)
        self.triage.detector.detect("warm up")  # build the matchers now, not during an outage

    @classmethod
    def from_knowledge(cls, directory: Path) -> Fallback:
        return cls(load_directory(directory))

    def reply(self, text: Any, reason: str) -> FallbackReply:
        """The answer to `text` without the coach. `reason` (timeout, error, silence) goes into
        the payload for clients and tests; it is never shown as text."""
        if isinstance(text, str) and text.strip():
            try:
                decision, _ = self.triage.decide(self.triage.detector.detect(text), Profile(FALLBACK_SENDER))
            except Exception:  # the rules must never be the reason a user hears nothing
                decision = None
            if decision is not None and decision.urgency in EMERGENCY_URGENCIES and decision.messages:
                parts = list(decision.messages)
                if decision.about == "someone_else":
                    parts.insert(0, self.kb.say("someone_else_emergency"))
                custom = {**decision.payload(), "fallback": reason}
                return FallbackReply("\n\n".join(parts), custom)
        return FallbackReply(self.kb.say("technical_problem"), {"type": "technical_problem", "reason": reason})

    def words(self, reply_id: str, **values: Any) -> str:
        return self.kb.say(reply_id, **values)
