"""The memory of a user who has not said the coach may remember them: the conversation only.

It has the same interface as the SQL stores (profiles, guided sessions, the conversation's
working memory), but everything lives in one JSON object that travels with the conversation
(a Rasa slot the action adapter reads and writes back, see actions/door.py), so nothing about
that user is written to the coach's tables. The safety rules work exactly as for everyone:
"I can't kneel" still leaves the kneeling stretches out for the rest of the conversation.

When the user says yes, `copy_into` moves it all into the SQL stores; when a user who had said
yes withdraws, `copy_from` brings what was stored into the conversation before it is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from coach.dialogue.state import ConversationState
from coach.profile import Profile
from coach.session import SessionState

CONSENT_NO = "no"


@dataclass
class ScreeningNote:
    """A screening answered in this conversation (the SQL store's row has the same fields)."""

    answers: Dict[str, Optional[bool]]
    outcome: str
    taken_at: datetime


class Scratch:
    """One JSON-able dict: profile, session, conversation state, screenings, the consent choice."""

    def __init__(self, data: Optional[Dict[str, Any]] = None):
        self.data: Dict[str, Any] = dict(data or {})

    # -- consent choices held in the conversation ----------------------------------------------------
    @property
    def refused(self) -> bool:
        return self.data.get("consent") == CONSENT_NO

    def refuse(self) -> None:
        self.data["consent"] = CONSENT_NO

    def undecided(self) -> None:
        self.data.pop("consent", None)

    @property
    def offered(self) -> bool:
        return bool(self.data.get("offered"))

    def mark_offered(self) -> None:
        self.data["offered"] = True
        self.data["offer_pending"] = True

    def take_offer_pending(self) -> bool:
        """True on the one turn right after the consent question: a bare yes or no answers it."""
        return bool(self.data.pop("offer_pending", False))

    @property
    def empty(self) -> bool:
        return not any(self.data.get(k) for k in ("profile", "session", "conversation", "screenings"))

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)

    # -- moving between the conversation and the tables ------------------------------------------------
    def copy_into(self, profiles, sessions, conversations, user_id: str) -> None:
        if self.data.get("profile"):
            profiles.save(Profile.from_dict(self.data["profile"]))
        if self.data.get("session"):
            sessions.save(user_id, SessionState.from_dict(self.data["session"]))
        if self.data.get("conversation"):
            conversations.save(user_id, ConversationState.from_dict(self.data["conversation"]))
        for note in self.data.get("screenings") or []:
            profiles.save_screening(user_id, note["answers"], note["outcome"], taken_at=_parse(note["taken_at"]))

    def copy_from(self, profiles, sessions, conversations, user_id: str) -> None:
        self.data["profile"] = profiles.get(user_id).to_dict()
        session = sessions.get(user_id)
        self.data["session"] = session.to_dict() if session else None
        self.data["conversation"] = conversations.get(user_id).to_dict()
        last = profiles.last_screening(user_id)
        self.data["screenings"] = (
            [{"answers": last.answers, "outcome": last.outcome, "taken_at": _aware(last.taken_at).isoformat()}]
            if last
            else []
        )


class ScratchProfiles:
    """ProfileStore's interface over the scratch. The safety audit log is not kept: no history."""

    def __init__(self, scratch: Scratch):
        self.scratch = scratch

    def get(self, user_id: str) -> Profile:
        data = self.scratch.data.get("profile")
        return Profile.from_dict(data) if data else Profile(user_id=user_id)

    def save(self, profile: Profile) -> None:
        self.scratch.data["profile"] = profile.to_dict()

    def log_safety(self, user_id, outcome, rule_ids, excluded, in_session: bool = False) -> None:
        return None

    def safety_events(self, user_id: str) -> List[Any]:
        return []

    def save_screening(self, user_id: str, answers, outcome: str, taken_at: Optional[datetime] = None) -> None:
        moment = taken_at or datetime.now(timezone.utc)
        notes = list(self.scratch.data.get("screenings") or [])[-4:]
        notes.append({"answers": dict(answers), "outcome": outcome, "taken_at": _aware(moment).isoformat()})
        self.scratch.data["screenings"] = notes

    def screenings(self, user_id: str) -> List[ScreeningNote]:
        return [
            ScreeningNote(n["answers"], n["outcome"], _parse(n["taken_at"]))
            for n in self.scratch.data.get("screenings") or []
        ]

    def last_screening(self, user_id: str) -> Optional[ScreeningNote]:
        notes = self.screenings(user_id)
        return notes[-1] if notes else None

    def screening_is_current(self, user_id: str, valid_days: int, now: Optional[datetime] = None) -> bool:
        record = self.last_screening(user_id)
        if record is None:
            return False
        now = now or datetime.now(timezone.utc)
        return now - record.taken_at <= timedelta(days=valid_days)


class ScratchSessions:
    def __init__(self, scratch: Scratch):
        self.scratch = scratch

    def get(self, user_id: str) -> Optional[SessionState]:
        data = self.scratch.data.get("session")
        return SessionState.from_dict(data) if data else None

    def save(self, user_id: str, state: SessionState) -> None:
        self.scratch.data["session"] = state.to_dict()


class ScratchConversations:
    def __init__(self, scratch: Scratch):
        self.scratch = scratch

    def get(self, user_id: str) -> ConversationState:
        return ConversationState.from_dict(self.scratch.data.get("conversation"))

    def save(self, user_id: str, state: ConversationState) -> None:
        self.scratch.data["conversation"] = state.to_dict()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parse(value: str) -> datetime:
    return _aware(datetime.fromisoformat(value))
