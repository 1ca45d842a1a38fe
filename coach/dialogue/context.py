"""Everything one turn's handlers share: the coach, the message, the conversation and the reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from coach.dialogue.model import Reply, Turn, TurnResult
from coach.dialogue.state import ConversationState
from coach.kb.loader import KnowledgeBase
from coach.profile import Profile
from coach.safety.triage import Decision

if TYPE_CHECKING:
    from coach.service import Coach


@dataclass
class TurnContext:
    coach: Coach
    turn: Turn
    state: ConversationState
    result: TurnResult
    decision: Decision
    said_before: Optional[str] = None  # the routine stop said on the turn before (ConversationState.last_stop)

    @property
    def kb(self) -> KnowledgeBase:
        return self.coach.kb

    @property
    def sender(self) -> str:
        return self.turn.sender

    def words(self, reply_id: str, **values: Any) -> str:
        return self.coach.kb.say(reply_id, **values)

    def profile(self) -> Profile:
        return self.coach.profiles.get(self.sender)

    def say(self, text: Optional[str] = None, buttons=(), custom=None) -> Reply:
        return self.result.say(text, buttons, custom)
