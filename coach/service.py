"""The coach as the adapters see it: one object per process over the store and the rules."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Union

from sqlalchemy.engine import Engine

from coach import clock, settings
from coach.catalog import Catalog
from coach.kb.loader import KnowledgeBase
from coach.kb.schema import FaqEntry, Outcome, ScreeningQuestion
from coach.recommend import Recommendation, recommend
from coach.safety.findings import Finding, parse_key
from coach.safety.triage import Decision, Triage
from coach.session import SessionState, build_plan
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from coach.store.conversations import ConversationStore
from coach.store.privacy import PrivacyStore
from coach.store.profiles import ProfileStore
from coach.store.progress import HistoryStore
from coach.store.reminders import ReminderStore
from coach.store.sessions import SessionStore

if TYPE_CHECKING:
    from coach.privacy.scratch import Scratch, ScratchConversations, ScratchProfiles, ScratchSessions

_TRIAGES: Dict[str, Triage] = {}


def shared_triage(kb: KnowledgeBase) -> Triage:
    """One Triage (and so one spaCy detector, ~250 MB and ~4 s to build) per knowledge base and
    process: the Rasa server's NLU component and the channels' fallback (coach/fallback.py)
    judge with the same one when their knowledge bases have the same content."""
    triage = _TRIAGES.get(kb.content_hash)
    if triage is None:
        triage = _TRIAGES[kb.content_hash] = Triage(kb)
    return triage


class Coach:
    def __init__(self, kb: KnowledgeBase, engine: Engine):
        self.kb = kb
        self.engine = engine
        self.catalog = Catalog(kb)
        self.triage = shared_triage(kb)
        # A per-turn view swaps these for the conversation-only stores (see `memory` below).
        self.profiles: Union[ProfileStore, ScratchProfiles] = ProfileStore(engine)
        self.sessions: Union[SessionStore, ScratchSessions] = SessionStore(engine)
        self.conversations: Union[ConversationStore, ScratchConversations] = ConversationStore(engine)
        # Progress and reminders (coach/progress.py, coach/reminders/).
        self.history = HistoryStore(engine)
        self.reminders = ReminderStore(engine)
        self.privacy = PrivacyStore(engine)
        # Set on a per-turn view for a user who has not said the coach may remember them: the
        # stores above then keep everything in the conversation only (coach/privacy/scratch.py).
        self.memory: Optional[Scratch] = None

    @classmethod
    def from_database(cls, url: Optional[str] = None) -> Coach:
        engine = create_db_engine(url)
        return cls(kb_store.load(engine), engine)

    # -- safety ------------------------------------------------------------------------------------
    def observe(
        self, user_id: str, findings: Iterable[Finding], in_session: bool = False, today: Optional[date] = None
    ) -> Decision:
        """Applies one message's findings to the user's profile and returns this turn's decision."""
        profile = self.profiles.get(user_id)
        decision, updated = self.triage.decide(list(findings), profile, in_session, today)
        if updated != profile:
            self.profiles.save(updated)
        if decision.outcome is not Outcome.PROCEED or decision.excluded:
            self.profiles.log_safety(user_id, decision.outcome.value, decision.rule_ids, decision.excluded, in_session)
        return decision

    def standing(self, user_id: str, today: Optional[date] = None) -> Decision:
        """The decision from what the coach already knows, with no new message."""
        decision, _ = self.triage.decide([], self.profiles.get(user_id), False, today)
        return decision

    # -- coaching ------------------------------------------------------------------------------------
    def recommend(self, user_id: str, decision: Decision, tags: Sequence[str] = ()) -> Recommendation:
        profile = self.profiles.get(user_id)
        wanted = list(tags) or list(profile.goals)
        return recommend(self.catalog, decision, wanted, conditions=list(profile.conditions))

    def remember_goals(self, user_id: str, goals: Iterable[str]) -> None:
        goals = [g for g in goals if g in self.kb.goals]
        if not goals:
            return
        profile = self.profiles.get(user_id)
        profile.goals = list(dict.fromkeys(goals + profile.goals))[:3]
        self.profiles.save(profile)

    def start_session(
        self, user_id: str, decision: Decision, minutes: Optional[float] = None
    ) -> Optional[SessionState]:
        """Plans a session from the current recommendation; None when nothing is safe."""
        rec = self.recommend(user_id, decision)
        ids = [p.id for p in rec.picks[:2]]
        if decision.stops_coaching or not ids:
            return None
        profile = self.profiles.get(user_id)
        steps = build_plan(self.catalog, ids, profile.older_adult, minutes, hold_adjust=profile.hold_adjust)
        state = SessionState(steps=steps, started_at=clock.now().isoformat())
        self.sessions.save(user_id, state)
        return state

    def end_session(self, user_id: str) -> bool:
        """Stops the user's running or paused session; its pending timers are then ignored as stale."""
        state = self.sessions.get(user_id)
        if state is None or state.finished:
            return False
        state.status = "stopped"
        self.sessions.save(user_id, state)
        return True

    def session_preview(self, user_id: str, state: SessionState, minutes_available: Optional[float] = None) -> str:
        """One short message before the first step: what, how long, and why it differs from last time."""
        say = self.kb.say
        profile = self.profiles.get(user_id)
        names = list(dict.fromkeys(self.catalog.get(s.exercise_id).name for s in state.steps if s.phase == "hold"))
        hold = next(s.seconds for s in state.steps if s.phase == "hold")
        seconds = state.seconds_left()
        length = f"about {round(seconds / 60)} minutes" if seconds >= 90 else f"about {seconds} seconds"
        parts = [say("preview", names=" then ".join(names), hold=hold, length=length)]
        if minutes_available:
            said = _amount_of_time(minutes_available)
            parts.append(say("preview_fits" if seconds <= minutes_available * 60 else "preview_over", time=said))
        if profile.hold_adjust and profile.last_rating is not None:
            direction = say("word_longer") if profile.hold_adjust > 0 else say("word_shorter")
            parts.append(
                say(
                    "preview_hold_adjusted",
                    seconds=abs(profile.hold_adjust),
                    direction=direction,
                    rating=profile.last_rating,
                )
            )
        elif profile.older_adult:
            parts.append(say("preview_older_adult"))
        parts.append(say("preview_warm_up"))
        last = self.profiles.last_screening(user_id)
        if last and _day(last.taken_at) < datetime.now(timezone.utc).date():  # not one answered just now
            parts.append(say("preview_anything_changed", date=f"{last.taken_at:%d %b}"))
        parts.append(say("preview_move_slowly"))
        return " ".join(parts)

    def record_rating(self, user_id: str, state: SessionState, rating) -> str:
        """Keeps the rating with the session and adapts the next one: the progression rule."""
        say = self.kb.say
        try:
            value = max(0, min(10, int(str(rating).split("/")[0]))) if rating is not None else None
        except ValueError:
            value = None
        if value is None:
            return say("rating_not_understood")
        state.rating = value
        self.sessions.save(user_id, state)
        profile = self.profiles.get(user_id)
        profile.last_rating = value
        if value >= 7:
            done = [s.exercise_id for s in state.steps if s.phase == "hold"]
            profile.preferred = list(dict.fromkeys(done + profile.preferred))[:3]
        if value <= 3:
            profile.hold_adjust = max(-10, profile.hold_adjust - 5)
            note = say("rating_shorter")
        elif value >= 8 and state.status == "done":
            profile.hold_adjust = min(15, profile.hold_adjust + 5)
            note = say("rating_longer")
        else:
            note = say("rating_same")
        self.profiles.save(profile)
        return say("rating_thanks", rating=value, note=note)

    def apply_answer(self, user_id: str, question_id: str, answer: str, today: Optional[date] = None) -> None:
        """Applies a structured answer to a clarifying question to the user's profile."""
        profile = self.profiles.get(user_id)
        updated = self.triage.apply_answer(profile, question_id, answer, today)
        if updated != profile:
            self.profiles.save(updated)

    def forget(self, user_id: str, key: str) -> None:
        """The user says a limitation or condition no longer applies ("my knee is fine now")."""
        profile = self.profiles.get(user_id)
        kind, _, ident = key.partition(":")
        if kind == "constraint":
            profile.drop_constraint(ident)
        elif kind == "condition":
            profile.conditions.pop(ident, None)
        if key not in profile.denied:
            profile.denied.append(key)
        self.profiles.save(profile)

    def faq_for_intent(self, intent: str) -> Optional[FaqEntry]:
        return next((f for f in self.kb.faq.values() if f.intent == intent), None)

    def set_country(self, user_id: str, name: str) -> Optional[str]:
        from coach.wording import find_country

        entry = find_country(self.kb, name)
        if entry is None:
            return None
        profile = self.profiles.get(user_id)
        profile.country = entry.country
        self.profiles.save(profile)
        return entry.country

    # -- screening -----------------------------------------------------------------------------------
    def screening_due(self, user_id: str) -> bool:
        return not self.profiles.screening_is_current(user_id, settings.screening_valid_days())

    def questions_to_ask(self, user_id: str) -> List[ScreeningQuestion]:
        """Skips what the user already told us, either way."""
        profile = self.profiles.get(user_id)
        known = (
            set(profile.denied)
            | {f"condition:{c}" for c in profile.conditions}
            | {f"constraint:{c}" for c in profile.constraints}
        )
        return [q for q in self.kb.screening if not known & set(q.known_from + q.yes_means)]

    def screening_question(self, question_id: str) -> ScreeningQuestion:
        for q in self.kb.screening:
            if q.id == question_id:
                return q
        raise KeyError(f"no screening question '{question_id}' in knowledge/screening.yml")

    def screening_findings(self, answers: Dict[str, Optional[bool]]) -> List[Finding]:
        findings: List[Finding] = []
        for q in self.kb.screening:
            answer = answers.get(q.id)
            if answer is None:
                continue
            for key in q.yes_means:
                kind, ident = parse_key(key)
                findings.append(
                    Finding(kind, ident, q.id, negated=not answer, days_ago=q.yes_days_ago if answer else None)
                )
        return findings

    def submit_screening(
        self, user_id: str, answers: Dict[str, Optional[bool]], today: Optional[date] = None
    ) -> Decision:
        decision = self.observe(user_id, self.screening_findings(answers), today=today)
        self.profiles.save_screening(user_id, answers, decision.outcome.value)
        return decision


def _amount_of_time(minutes: float) -> str:
    if minutes < 1:
        return f"{round(minutes * 60)} seconds"
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()
