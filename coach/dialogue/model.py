"""What goes into one turn of the conversation and what comes out: plain data, no Rasa."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from coach.safety.findings import Finding


@dataclass(frozen=True)
class Timer:
    """A timer that fired: the token of the step that scheduled it and its kind (halfway | last | end)."""

    token: str
    kind: str


@dataclass
class Turn:
    """One user message (or a timer firing), as the adapters hand it to the coach."""

    sender: str
    text: str = ""
    intent: str = ""
    confidence: float = 1.0
    # The next-best intents, best first, for when the top one is only a suspicion (safety_alert).
    alternatives: List[str] = field(default_factory=list)
    entities: Dict[str, List[Any]] = field(default_factory=dict)
    findings: List[Finding] = field(default_factory=list)
    can_push: bool = False  # the channel can receive messages the server sends later (timers)
    timer: Optional[Timer] = None
    today: Optional[date] = None
    channel: str = ""  # the input channel's name (web, telegram, slack, rest, alexa): reminders go back there
    # The conversation-only memory of a user who has not said the coach may remember them
    # (coach/privacy/scratch.py), as the adapter last got it back in TurnResult.memory.
    memory: Optional[Dict[str, Any]] = None

    def entity(self, name: str) -> Optional[Any]:
        values = self.entities.get(name) or []
        return values[0] if values else None

    @property
    def is_timer(self) -> bool:
        return self.timer is not None

    @property
    def is_button(self) -> bool:
        return self.text.startswith("/")


@dataclass
class Reply:
    """One bot message: text for people, buttons, and the machine-readable payload (docs/api.md)."""

    text: Optional[str] = None
    buttons: List[Tuple[str, str]] = field(default_factory=list)  # (title, payload to send back)
    custom: Optional[Dict[str, Any]] = None
    image: Optional[str] = None


@dataclass(frozen=True)
class TimerRequest:
    """A timer to start: fires `seconds` (real seconds at time scale 1) from now with `value`."""

    name: str
    seconds: float
    value: str


@dataclass
class TurnResult:
    replies: List[Reply] = field(default_factory=list)
    start_timers: List[TimerRequest] = field(default_factory=list)
    cancel_timers: List[str] = field(default_factory=list)
    restart: bool = False  # forget this conversation's history (the safety profile stays)
    # The conversation-only memory to keep with the conversation (None: nothing to keep).
    memory: Optional[Dict[str, Any]] = None
    # "Forget me" confirmed: everything about the user was deleted; the adapter must not save
    # this turn, and Rasa's tracker store deletes the conversation instead (connectors/tracker_store.py).
    forget: bool = False

    def say(self, text: Optional[str] = None, buttons=(), custom: Optional[Dict[str, Any]] = None) -> Reply:
        reply = Reply(text=text or None, buttons=list(buttons), custom=custom)
        self.replies.append(reply)
        return reply
