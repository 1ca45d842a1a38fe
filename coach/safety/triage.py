"""Turns what a message says, plus what the coach already knows, into one safety outcome.

Deterministic and explainable: every decision carries the rule ids (safety-rules.md) and a
plain-words reason for every stretch it leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from coach.kb.loader import KnowledgeBase
from coach.kb.schema import Outcome, RedFlag
from coach.profile import Alert, ConditionNote, Profile
from coach.safety.findings import Finding

if TYPE_CHECKING:  # the detector needs spaCy; deciding from findings (the action server's job) does not
    from coach.safety.detector import Detector

SEVERITY = list(Outcome)  # the enum is declared most severe first (safety-rules.md §0.2 order)
STOP = set(SEVERITY[: SEVERITY.index(Outcome.CLARIFY)])  # EMERGENCY … OUT-OF-SCOPE: no coaching now
STICKY = {Outcome.EMERGENCY, Outcome.CRISIS, Outcome.URGENT}
# Outcomes that end a guided session outright (STOP-STRETCH only pauses it; OUT-OF-SCOPE declines a request).
ENDS_SESSION = STICKY | {Outcome.REFER, Outcome.DEFER}
URGENCY = {
    Outcome.EMERGENCY: "emergency",
    Outcome.URGENT: "urgent",
    Outcome.CRISIS: "crisis",
    Outcome.REFER: "routine",
    Outcome.DEFER: "routine",
}
PAST_AFTER_DAYS = 42  # a symptom older than ~6 weeks is history to ask about, not an emergency now


def more_severe(a: Outcome, b: Outcome) -> Outcome:
    return a if SEVERITY.index(a) <= SEVERITY.index(b) else b


@dataclass
class Decision:
    outcome: Outcome = Outcome.PROCEED
    rule_ids: List[str] = field(default_factory=list)
    excluded: Dict[str, str] = field(default_factory=dict)  # exercise id -> why, in plain words
    messages: List[str] = field(default_factory=list)  # fixed wording to say, in order
    clarify: Optional[str] = None  # what the CLARIFY question is about ("condition:hip_replacement", "flag:RF1")
    asked_about: List[str] = field(default_factory=list)  # rule ids the user asked about hypothetically
    about: Optional[str] = None  # "someone_else" when the message is about another person's health
    stretch: Optional[str] = None  # the exercise a STOP-STRETCH symptom happened in

    @property
    def urgency(self) -> Optional[str]:
        return URGENCY.get(self.outcome)

    @property
    def decision(self) -> str:
        if self.outcome in STOP:
            return "stop"
        return "clear" if self.outcome is Outcome.PROCEED and not self.excluded else "modify"

    @property
    def ends_session(self) -> bool:
        return self.outcome in ENDS_SESSION

    @property
    def stops_coaching(self) -> bool:
        return self.outcome in STOP

    @property
    def coaching_waits(self) -> bool:
        """Nothing else happens this turn: a stop, or the one question to answer first
        (a `clarify` subject only ever comes with a stop or a CLARIFY outcome)."""
        return self.stops_coaching or self.outcome is Outcome.CLARIFY

    def to_dict(self) -> Dict:
        return {
            "outcome": self.outcome.value,
            "rule_ids": self.rule_ids,
            "excluded": self.excluded,
            "messages": self.messages,
            "clarify": self.clarify,
            "asked_about": self.asked_about,
            "about": self.about,
            "stretch": self.stretch,
        }

    @classmethod
    def from_dict(cls, data: Optional[Dict]) -> Decision:
        if not data:
            return cls()
        return cls(
            outcome=Outcome(data["outcome"]),
            rule_ids=list(data["rule_ids"]),
            excluded=dict(data["excluded"]),
            messages=list(data["messages"]),
            clarify=data.get("clarify"),
            asked_about=list(data["asked_about"]),
            about=data.get("about"),
            stretch=data.get("stretch"),
        )

    def payload(self) -> Dict:
        payload = {
            "type": "safety",
            "decision": self.decision,
            "outcome": self.outcome.value,
            "urgency": self.urgency,
            "flags": list(self.rule_ids),
            "excluded": sorted(self.excluded),
        }
        if self.about:
            payload["about"] = self.about
        if self.stretch:
            payload["stretch"] = self.stretch
        return payload


class Triage:
    def __init__(self, kb: KnowledgeBase, detector: Optional[Detector] = None):
        self.kb = kb
        self._detector = detector

    @property
    def detector(self) -> Detector:
        # Built on first use: deciding from findings (the action server's job) needs no spaCy.
        if self._detector is None:
            from coach.safety.detector import Detector

            self._detector = Detector(self.kb)
        return self._detector

    def assess(
        self, text: str, profile: Profile, in_session: bool = False, today: Optional[date] = None
    ) -> Tuple[Decision, Profile]:
        today = today or date.today()
        return self.decide(self.detector.detect(text, today), profile, in_session, today)

    def decide(
        self, findings: List[Finding], profile: Profile, in_session: bool = False, today: Optional[date] = None
    ) -> Tuple[Decision, Profile]:
        today = today or date.today()
        profile = _copy(profile)
        d = Decision()
        active = {f.id for f in findings if f.kind == "concept" and _current(f)}
        past = {f.id for f in findings if f.kind == "concept" and f.about_user_now and not _current(f)}
        asked = {f.id for f in findings if f.kind == "concept" and f.hypothetical and not f.negated}
        denied = {f.id for f in findings if f.kind == "concept" and f.negated and not f.third_party}

        self._red_flags(d, profile, active, past, asked, in_session)
        self._sticky(d, profile, active, denied)
        self._note_disclosures(profile, findings, today)
        self._profile_outcomes(d, profile, today)
        return d, profile

    # -- red flags -------------------------------------------------------------------------------
    def _red_flags(self, d: Decision, profile: Profile, active, past, asked, in_session: bool) -> None:
        for rule in self.kb.red_flags.values():
            if rule.id.startswith("IS") and not in_session:
                continue
            if _fires(rule, active):
                self._raise(d, rule)
                if rule.outcome in STICKY:
                    _keep_most_severe_alert(profile, rule)
            elif _fires(rule, active | past) and rule.id not in profile.settled_flags:
                self._escalate(d, Outcome.CLARIFY, rule.id)
                d.clarify = d.clarify or f"flag:{rule.id}"
            elif _fires(rule, active | past | asked):
                d.asked_about.append(rule.id)

    def _raise(self, d: Decision, rule: RedFlag) -> None:
        self._escalate(d, rule.outcome, rule.id)
        if rule.message not in d.messages:
            d.messages.append(rule.message)

    def _sticky(self, d: Decision, profile: Profile, active, denied) -> None:
        """An emergency-level flag outlives retractions: one 'jk' only earns a confirming question."""
        alert = profile.alert
        if alert is None or alert.rule_id in d.rule_ids:
            return
        rule = self.kb.red_flags[alert.rule_id]
        specific_denial = bool(set(rule.any_of) & denied) and not (set(rule.any_of) & active)
        if alert.retraction_asked and specific_denial:
            profile.alert = None
            self._escalate(d, Outcome.CAUTION, alert.rule_id)
            d.messages.append(self.kb.texts.safety_net)
            return
        self._escalate(d, Outcome(alert.outcome), alert.rule_id)
        d.messages.append(rule.message)
        if "retraction" in active or specific_denial:
            alert.retraction_asked = True
            d.messages.append(self.kb.texts.retraction_question.format(flag=rule.title.lower()))
            d.clarify = f"flag:{alert.rule_id}"

    # -- conditions and constraints ---------------------------------------------------------------
    def _note_disclosures(self, profile: Profile, findings: List[Finding], today: date) -> None:
        if any(f.id == "older_adult" and f.kind == "concept" and f.about_user_now for f in findings):
            profile.older_adult = True
        # "If I kneel it kills" states a limit, so constraints ignore the hypothetical cue.
        relevant = [
            f
            for f in findings
            if f.kind in ("condition", "constraint")
            and not f.third_party
            and not (f.hypothetical and f.kind == "condition")
        ]
        asserted = {f.key for f in relevant if not f.negated and not (f.resolved and f.kind == "constraint")}
        for f in relevant:
            if f.negated or f.resolved and f.kind == "constraint":
                if f.key not in asserted:  # one denied phrase must not cancel another that asserts it
                    _forget(profile, f)
                continue
            if f.resolved and f.kind == "condition" and not self.kb.conditions[f.id].time_rule:
                continue  # "had sciatica, it's gone now": history that no longer limits them (PQ4)
            if f.kind == "condition":
                profile.conditions[f.id] = ConditionNote(f.id, f.days_ago, today.isoformat())
            elif f.id not in profile.constraints:
                profile.constraints.append(f.id)
            key = f.key
            if key in profile.denied:
                profile.denied.remove(key)

    def _profile_outcomes(self, d: Decision, profile: Profile, today: date) -> None:
        for note in profile.conditions.values():
            condition = self.kb.conditions[note.id]
            outcome = condition.outcome
            if outcome is Outcome.CLARIFY and note.cleared is not None:
                outcome = Outcome.CAUTION if note.cleared else Outcome.REFER
            elif condition.time_rule:
                age = _age_days(note, today)
                if age is None:
                    outcome = Outcome.CLARIFY
                    d.clarify = d.clarify or f"condition:{condition.id}"
                elif age <= condition.time_rule.recent_days:
                    outcome = condition.time_rule.recent_outcome
                else:
                    outcome = condition.time_rule.past_outcome
            for rule_id in condition.rule_ids:
                self._escalate(d, outcome, rule_id)
            if outcome in (Outcome.REFER, Outcome.DEFER, Outcome.OUT_OF_SCOPE) and condition.advice not in d.messages:
                d.messages.append(condition.advice)
            if outcome is Outcome.CLARIFY and d.clarify is None:
                d.clarify = f"condition:{condition.id}"
            for ex in self.kb.exercises.values():
                if condition.id in ex.contraindications:
                    d.excluded.setdefault(ex.id, f"you mentioned {condition.label}")
        for constraint_id in profile.constraints:
            constraint = self.kb.constraints[constraint_id]
            hit = False
            for ex in self.kb.exercises.values():
                demands = set(ex.demands)
                blocked = demands & set(constraint.excludes_demands)
                missing = constraint.requires_any_demand and not demands & set(constraint.requires_any_demand)
                if blocked or missing:
                    d.excluded.setdefault(ex.id, f"you said {constraint.label}")
                    hit = True
            if hit:
                for rule_id in constraint.rule_ids or []:
                    self._escalate(d, Outcome.EXCLUDE, rule_id)
                if not constraint.rule_ids:
                    self._escalate(d, Outcome.EXCLUDE, None)

    # -- answers to CLARIFY questions -----------------------------------------------------------------
    def apply_answer(self, profile: Profile, about: str, answer: str, today: Optional[date] = None) -> Profile:
        """Applies a button answer ("recent", "past", "cleared", "not_cleared", "now", "over")."""
        today = today or date.today()
        profile = _copy(profile)
        kind, _, ident = about.partition(":")
        if kind == "condition" and ident in self.kb.conditions:
            note = profile.conditions.get(ident) or ConditionNote(ident, noted_on=today.isoformat())
            if answer in ("recent", "past"):
                note.days_ago, note.noted_on = (30.0 if answer == "recent" else 400.0), today.isoformat()
            elif answer in ("cleared", "not_cleared"):
                note.cleared = answer == "cleared"
            profile.conditions[ident] = note
        elif kind == "flag" and ident in self.kb.red_flags:
            rule = self.kb.red_flags[ident]
            if answer == "now" and rule.outcome in STICKY:
                _keep_most_severe_alert(profile, rule)
            elif answer == "over":
                if profile.alert and profile.alert.rule_id == ident and profile.alert.retraction_asked:
                    profile.alert = None  # an explicit, specific "none of these" after the confirming question
                if ident not in profile.settled_flags:
                    profile.settled_flags.append(ident)
        return profile

    @staticmethod
    def _escalate(d: Decision, outcome: Outcome, rule_id: Optional[str]) -> None:
        d.outcome = more_severe(d.outcome, outcome)
        if rule_id and rule_id not in d.rule_ids:
            d.rule_ids.append(rule_id)


def _current(f: Finding) -> bool:
    if not f.about_user_now or f.resolved:
        return False
    return f.days_ago is None or f.days_ago <= PAST_AFTER_DAYS


def _fires(rule: RedFlag, present) -> bool:
    return all(c in present for c in rule.all_of) and any(c in present for c in rule.any_of)


def _keep_most_severe_alert(profile: Profile, rule: RedFlag) -> None:
    current = profile.alert
    if current is None or SEVERITY.index(rule.outcome) < SEVERITY.index(Outcome(current.outcome)):
        profile.alert = Alert(rule.id, rule.outcome.value, URGENCY.get(rule.outcome))


def _forget(profile: Profile, f: Finding) -> None:
    if f.kind == "condition":
        profile.conditions.pop(f.id, None)
    elif f.id in profile.constraints:
        profile.constraints.remove(f.id)
    if f.key not in profile.denied:
        profile.denied.append(f.key)


def _age_days(note: ConditionNote, today: date) -> Optional[float]:
    if note.days_ago is None:
        return None
    told = date.fromisoformat(note.noted_on) if note.noted_on else today
    return note.days_ago + (today - told).days


def _copy(profile: Profile) -> Profile:
    return replace(
        profile,
        conditions={k: replace(v) for k, v in profile.conditions.items()},
        constraints=list(profile.constraints),
        denied=list(profile.denied),
        alert=replace(profile.alert) if profile.alert else None,
        goals=list(profile.goals),
    )
