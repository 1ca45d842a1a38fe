"""Turns what a message says, plus what the coach already knows, into one safety outcome.

Deterministic and explainable: every decision carries the rule ids (safety-rules.md) and a
plain-words reason for every stretch it leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from coach import settings
from coach.kb.loader import KnowledgeBase
from coach.kb.schema import Outcome, RedFlag, reference_rule
from coach.profile import Alert, ConditionNote, Profile
from coach.safety.findings import CLEARANCE, CLEARED_QUESTION, CLINICIAN_LIMIT, Finding, FindingKey, finding_key
from coach.safety.labels import THIRD

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
PAST_AFTER_DAYS = 42
STRETCH_EXPLAINS = frozenset({"dizziness", "dizzy_on_standing"})
INJURY_EMERGENCIES = frozenset({"RF3", "RF12", "RF16"})
# A fresh injury, a flare of an old one, or a known condition such as Parkinson's.
GAIT_EXPLAINED_BY = frozenset({"acute_injury", "neurological_condition", "acute_onset", "familiar_pain"})
NERVE_SIGNS = frozenset({"tingling_numbness", "leg_weakness", "foot_drop", "both_legs_symptoms", "spreading_numbness"})
THEIR_WORDS = frozenset(
    {"her", "him", "his", "she", "he", "their", "them", "they", "client", "clients", "student", "students", "patient",
     "patients", "mum", "mom", "dad", "husband", "wife", "partner", "son", "daughter", "kids", "children", "parents",
     "friend", "friends", "members", "mother", "father", "grandmother", "grandfather", "nan", "gran", "granny",
     "brother", "sister", "boyfriend", "girlfriend", "aunt", "uncle", "neighbour", "neighbor"}
)  # fmt: skip
SCREENING_SOMEONE = "third_party_screening"
RECOVERING = "still_recovering"
RECENT_DAYS = 30.0  # what "recent" means when the user says so without a date (the CLARIFY button too)
INJURY_SIGNS = frozenset({"cant_bear_weight", "leg_deformity"})
# Concepts that set a scene rather than describe a symptom (ages, who is asking, a stretch named).
CONTEXT_ONLY = frozenset({"older_adult", "age_50_plus", "pregnant", "bone_risk", "first_episode", "stretch_context"})
READER_RULE = "LR1"  # the learned reader raised the outcome (docs/rules.md)
PRECAUTION_RULE = "LR2"  # the learned reader left stretches out as a precaution (docs/rules.md)
# Findings that say nothing about anyone's health (who is asking, which stretch was named).
NOT_HEALTH = {
    "own_body",
    CLEARANCE,
    "retraction",
    "older_adult",
    "age_50_plus",
}  # a symptom older than ~6 weeks is history to ask about, not an emergency now


def more_severe(a: Outcome, b: Outcome) -> Outcome:
    return a if SEVERITY.index(a) <= SEVERITY.index(b) else b


# Words that put an injury in the present: what someone cannot do now.
PRESENT_TENSE = frozenset(
    {"can't", "cant", "cannot", "won't", "wont", "unable", "now", "still", "help"}
)  # "help getting him up"


@dataclass
class Decision:
    outcome: Outcome = Outcome.PROCEED
    rule_ids: List[str] = field(default_factory=list)
    excluded: Dict[str, str] = field(default_factory=dict)  # exercise id -> why, in plain words
    messages: List[str] = field(default_factory=list)  # fixed wording to say, in order
    clarify: Optional[str] = None  # what the CLARIFY question is about ("condition:hip_replacement", "flag:RF1")
    asked_about: List[str] = field(default_factory=list)  # rule ids the user asked about hypothetically
    about: Optional[str] = None  # "someone_else" when the message is about another person's health
    updates: List[FindingKey] = field(default_factory=list)  # "constraint:no_kneeling": said to have gone; ask first
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
            "updates": self.updates,
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
            updates=[FindingKey(u) for u in data.get("updates") or []],
        )

    def payload(self) -> Dict:
        payload = {
            "type": "safety",
            "decision": self.decision,
            "outcome": self.outcome.value,
            "urgency": self.urgency,
            "flags": list(dict.fromkeys(reference_rule(r) for r in self.rule_ids)),
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
        # What a stop-level red flag can be made of: only a message holding one of these words
        # may be asked the red-flag checklist on the learned classifier's suspicion.
        self.red_flag_vocabulary = (
            frozenset(c for rule in kb.red_flags.values() for c in rule.all_of + rule.any_of) - CONTEXT_ONLY
        )
        # Vague words close to a red flag ("a bit off down there"): the checklist is asked first.
        self.checklist_triggers = frozenset(c.id for c in kb.concepts.values() if c.asks_checklist)
        self.risk_factors = frozenset(c.id for c in kb.concepts.values() if c.risk_factor)
        self.history_after = {c.id: c.history_after_days for c in kb.concepts.values() if c.history_after_days}

    @property
    def detector(self) -> Detector:
        # Built on first use: deciding from findings (the action server's job) needs no spaCy.
        if self._detector is None:
            from coach.safety.detector import Detector
            from coach.safety.reader import default_reader

            self._detector = Detector(self.kb, reader=default_reader())
        return self._detector

    def assess(
        self, text: str, profile: Profile, in_session: bool = False, today: Optional[date] = None
    ) -> Tuple[Decision, Profile]:
        today = today or settings.today()
        return self.decide(self.detector.detect(text, today), profile, in_session, today)

    def decide(
        self, findings: List[Finding], profile: Profile, in_session: bool = False, today: Optional[date] = None
    ) -> Tuple[Decision, Profile]:
        today = today or settings.today()
        profile = _copy(profile)
        d = Decision()
        if self._about_someone_else(d, findings, in_session):
            return d, profile  # nothing of it becomes the user's profile
        active = {f.id for f in findings if f.kind == "concept" and _current(f) and not self._over(f)}
        past = {f.id for f in findings if f.kind == "concept" and f.about_user_now and f.id not in active}
        # Risks count however they are told ("a family history of clots", "I knew the pill can cause
        # clots"); only "no history of clots" cancels one.
        active |= {f.id for f in findings if f.kind == "concept" and f.id in self.risk_factors and not f.negated}
        asked = {f.id for f in findings if f.kind == "concept" and f.hypothetical and not f.negated}
        denied = {f.id for f in findings if f.kind == "concept" and f.negated and not f.third_party}
        # A changed walk explained by what the message itself says (a fresh injury, a known
        # condition such as Parkinson's) is that, not a new nerve problem (RF2).
        if any(f.id in GAIT_EXPLAINED_BY and not f.negated for f in findings) and not (active & NERVE_SIGNS):
            active.discard("walking_change")

        said = {f.id for f in findings if f.about_user_now and not f.resolved}
        self._red_flags(d, profile, active, past, asked, in_session, said)
        self._crisis_first(d, active)
        self._sticky(d, profile, active, denied)
        self._stretch_symptom(d, profile, findings)
        # Dizziness told as happening in a stretch is that stretch's STOP-STRETCH (IS2s), not the
        # PAR-Q+ history of dizzy spells (PQ2): only a repeat makes it a referral.
        # A dizzy spell that keeps happening ("every time", "most classes") is PQ2 after all.
        recurring = any(f.id == "recurring" and f.about_user_now for f in findings)
        explained = STRETCH_EXPLAINS if "IS2s" in d.rule_ids and not recurring else frozenset()
        d.updates = self._note_disclosures(profile, findings, today, explained)
        self._still_recovering(profile, findings, today)
        self._lifted(d, profile, findings)
        self._clearance(profile, findings)
        self._profile_outcomes(d, profile, today)
        self._learned_caution(d, findings, in_session)
        self._learned_precaution(d, profile, findings, in_session)
        return d, profile

    # -- the learned reader ------------------------------------------------------------------------
    def _learned_caution(self, d: Decision, findings: List[Finding], in_session: bool) -> None:
        """The learned reader's suspicion raises a coaching decision, after every rule and never
        the other way: a stop stays the rules' own, and nothing the reader says is remembered
        (no alert, no profile entry), so the next message is judged afresh. Outside guided
        sessions only: it learned from first messages, and in a session the IS rules listen.
        A question the rules ask comes first (a CLARIFY, or the red-flag checklist for vague words
        such as "down there feels weird"): their answer is judged by the rules, which is more
        precise than the reader's guess at the same thing."""
        if in_session or d.stops_coaching or d.outcome is Outcome.CLARIFY:
            return
        if any(f.kind == "concept" and f.id in self.checklist_triggers and f.about_user_now for f in findings):
            return
        suspicion = next((f for f in findings if f.kind == "suspicion"), None)
        if suspicion is None:
            return
        outcome = Outcome.OUT_OF_SCOPE if suspicion.id == THIRD else Outcome(suspicion.id)
        self._escalate(d, outcome, READER_RULE)
        d.messages.insert(0, self.kb.texts.learned_reader[suspicion.id])
        d.clarify = None  # the question it would have asked waits behind the stop
        if suspicion.id == THIRD:
            d.about = "someone_else"
        if outcome is Outcome.STOP_STRETCH:
            named = [f for f in findings if f.kind == "exercise" and not f.negated and not f.third_party]
            if named:
                d.stretch = named[0].id
                d.excluded.setdefault(d.stretch, "it gave you symptoms that mean stopping")

    def _learned_precaution(self, d: Decision, profile: Profile, findings: List[Finding], in_session: bool) -> None:
        """A limit the reader proposes ("kneeling may not suit you") leaves its stretches out, where
        the rules would coach and the user has not told us otherwise: not when they said in this
        message or before that it does not apply ("kneeling is fine"), not when the rules already
        hold it. Unlike LR1 it is remembered, as a limit the user lifts in words, so the session
        and the next list keep it; it never stops coaching and never clears a rule's finding."""
        if in_session or d.stops_coaching or d.updates:
            return  # nor while the user says what their body allows now ("I can get down on the floor fine now")
        for f in findings:
            if f.kind != "precaution" or f.id not in self.kb.constraints:
                continue
            key = finding_key("constraint", f.id)
            said = any(g.kind in ("constraint", "lifted") and g.id in (f.id, f"constraint.{f.id}") for g in findings)
            if f.id in profile.constraints or key in profile.denied or said:
                continue
            profile.constraints.append(f.id)
            profile.precautions.append(f.id)
            self._leave_out(d, self.kb.constraints[f.id], self.kb.texts.learned_precaution[f.id], [PRECAUTION_RULE])

    def _over(self, f: Finding) -> bool:
        """An episode that is an emergency only while it happens (a faint), told as days old."""
        days = self.history_after.get(f.id)
        return days is not None and f.days_ago is not None and f.days_ago >= days

    # -- someone else ------------------------------------------------------------------------------
    def _about_someone_else(self, d: Decision, findings: List[Finding], in_session: bool) -> bool:
        """Another person's emergency, urgent problem or crisis, happening now, is answered for them
        whoever is typing ("she fainted getting off the table"). A message only about another
        person's health is answered for that person (their clinician first; SC1), and nothing of
        it becomes the user's profile: True then, and nothing else is judged."""
        health = [f for f in findings if f.kind in ("concept", "condition", "constraint") and f.id not in NOT_HEALTH]
        # Someone else's health now, or a request for them; "mum had cancer years ago" is family history.
        # A request on someone else's behalf ("one of my students", "what can I do to help her?")
        # is theirs however the sentence is built.
        theirs = [
            f
            for f in health
            if (f.third_party or f.id == SCREENING_SOMEONE)
            and not f.negated
            and not f.hypothetical
            and (
                f.id == "third_party_screening"
                or (
                    not f.resolved
                    and (f.days_ago is None or f.days_ago <= PAST_AFTER_DAYS)
                    and not (f.kind == "concept" and self.kb.concepts[f.id].historical)
                )
            )
        ]
        # Their past health ("my mum had a hip replacement last year", "my husband hurt his back a
        # while ago") raises no red flag, but a message about nothing else is still about them: it
        # is answered for them, not with the user's stretch list. Family history ("mum had cancer
        # years ago") is not a request for anyone and stays the user's context.
        their_past = [
            f
            for f in health
            if f.third_party
            and not f.negated
            and not f.hypothetical
            and f not in theirs
            and not (f.kind == "concept" and self.kb.concepts[f.id].historical)
        ]
        if not theirs and not their_past:
            return False
        speaks_of_self = any(
            f.id == "own_body" and not f.third_party and not THEIR_WORDS & _bare_words(f.text) for f in findings
        )  # "I would consider her very active", "my dad's been having hip pain" are not about the user
        # Their emergency is one happening now: said to be today, or told with no time in a message
        # only about them ("my husband collapsed with chest pain"). "My nan broke her hip, so I'm
        # trying to stay mobile" is a family story, and a fall or a break needs a time to count.
        # An injury told in the present tense is happening now ("she can't put weight on her leg",
        # "he can't get up"), and so is the fall or blow of the same story.
        told_now = any(
            f.kind == "concept"
            and self.kb.concepts[f.id].injury
            and not f.resolved
            and (
                (f.days_ago is not None and f.days_ago <= 1)
                or (f.days_ago is None and PRESENT_TENSE & set(f.text.lower().replace("\u2019", "'").split()))
            )
            for f in theirs
        )
        present = {
            f.id
            for f in theirs
            if f.kind == "concept"
            and not f.resolved
            and (
                (f.days_ago is not None and f.days_ago <= 1)
                or (f.days_ago is None and not speaks_of_self and (told_now or not self.kb.concepts[f.id].injury))
            )
        }
        for rule in self.kb.red_flags.values():
            if rule.outcome in STICKY and not rule.session_only and _fires(rule, present):
                self._raise(d, rule)
                d.about = "someone_else"
        mine = [f for f in health if not f.third_party and not f.negated and f.id != SCREENING_SOMEONE]
        if in_session or mine or speaks_of_self:
            return False
        if not d.rule_ids:
            self._escalate(d, Outcome.OUT_OF_SCOPE, "SC1")
        d.about = "someone_else"
        return True

    # -- a symptom in a stretch, told outside a session ----------------------------------------------
    def _stretch_symptom(self, d: Decision, profile: Profile, findings: List[Finding]) -> None:
        """A STOP-STRETCH told outside a session: the stretch it happened in is left out from now
        on (the profile keeps it out of later suggestions). Dizziness getting up (IS2s) also rules
        out floor and table work for now, so the gentler option is one done standing or on a bed."""
        if d.outcome is not Outcome.STOP_STRETCH:
            return
        if "IS2s" in d.rule_ids:
            for ex in self.kb.exercises.values():
                if {"floor", "table"} & {demand.value for demand in ex.demands}:
                    d.excluded.setdefault(ex.id, "you felt dizzy or faint getting up")
        named = [f for f in findings if f.kind == "exercise" and not f.negated and not f.third_party]
        if not named:
            return
        d.stretch = named[0].id
        profile.avoid.setdefault(d.stretch, "it gave you symptoms that mean stopping")
        d.excluded.setdefault(d.stretch, "it gave you symptoms that mean stopping")

    def _still_recovering(self, profile: Profile, findings: List[Finding], today: date) -> None:
        """An operation told with no date but with crutches, a brace, rehab or a surgeon's limits
        ("down to one crutch", "my in-home physical therapist") is a recent one (PQ8), not a
        question about when it was."""
        if not any(f.id == RECOVERING and f.kind == "concept" and f.about_user_now for f in findings):
            return
        told = {f.id for f in findings if f.kind == "condition" and f.about_user_now}
        for note in profile.conditions.values():
            if note.id in told and note.days_ago is None and self.kb.conditions[note.id].time_rule:
                note.days_ago, note.noted_on = RECENT_DAYS, today.isoformat()

    # -- a limit said to have gone ----------------------------------------------------------------
    def _lifted(self, d: Decision, profile: Profile, findings: List[Finding]) -> None:
        """ "My knee has settled, kneeling doesn't bother me": the coach asks once before it forgets
        (door: the `update:` question). Only what the user said themselves and the coach works
        around, or what a deferral asked to hear back ("come back once walking feels comfortable"):
        a referral, a red flag or a recent operation needs a clinician, not a chat."""
        for f in findings:
            if f.kind != "lifted" or f.third_party or f.negated or f.hypothetical:
                continue
            kind, _, ident = f.id.partition(".")
            if kind == "constraint" and ident in profile.precautions:
                # Only the reader's guess, never the user's word: their word settles it, unasked.
                _forget(profile, replace(f, kind="constraint", id=ident))
                continue
            held = ident in profile.constraints if kind == "constraint" else ident in profile.conditions
            key = finding_key("constraint" if kind == "constraint" else "condition", ident)
            if not held or key in d.updates:
                continue
            if kind == "condition" and self.kb.conditions[ident].outcome is Outcome.REFER:
                continue
            d.updates.append(key)
        if d.updates:
            # The user is telling us, in their words, what their body allows now: a limit the reader
            # only guessed from fewer words ("my back's playing up" read as "can't kneel") goes.
            for ident in list(profile.precautions):
                profile.drop_constraint(ident)

    # -- a clinician's say-so ------------------------------------------------------------------------
    def _clearance(self, profile: Profile, findings: List[Finding]) -> None:
        """ "My GP has signed me off": what the coach would ask about is already answered. Applies
        to the conditions told in the same message (or still waiting for an answer) and to
        routine referrals; never to a red flag, and never when a limit is in the same message."""
        cleared = any(f.id == CLEARANCE and f.about_user_now and not f.resolved for f in findings)
        limited = any(f.id == CLINICIAN_LIMIT and f.about_user_now for f in findings)
        if not cleared or limited:
            return
        told_now = {f.id for f in findings if f.kind == "condition" and not f.negated and not f.third_party}
        for note in profile.conditions.values():
            if note.id in told_now or note.cleared is None:
                note.cleared = True
        profile.referrals = []

    # -- red flags -------------------------------------------------------------------------------
    def _red_flags(
        self, d: Decision, profile: Profile, active, past, asked, in_session: bool, said=frozenset()
    ) -> None:
        for rule in self.kb.red_flags.values():
            if rule.session_only and not in_session or set(rule.unless) & said:
                continue
            if _fires(rule, active):
                self._raise(d, rule)
                if rule.outcome in STICKY:
                    _keep_most_severe_alert(profile, rule)
                elif rule.outcome is Outcome.REFER and rule.id not in profile.referrals:
                    profile.referrals.append(rule.id)  # stays until a clinician has checked it
            elif _fires(rule, active | past) and rule.id not in profile.settled_flags:
                self._escalate(d, Outcome.CLARIFY, rule.id)
                d.clarify = d.clarify or f"flag:{rule.id}"
            elif _fires(rule, active | past | asked):
                d.asked_about.append(rule.id)

    def _crisis_first(self, d: Decision, present) -> None:
        """Someone hurting the user, or thoughts of harming themselves, with an injury from it:
        the crisis answer comes first (it carries the emergency number for immediate danger).
        Only over injury-type emergencies (falls, blows); chest pain or cauda equina stay first."""
        if (
            "RF11" in d.rule_ids
            and d.outcome is Outcome.EMERGENCY
            and set(d.rule_ids) & INJURY_EMERGENCIES
            and not present & INJURY_SIGNS  # can't put weight on it, a leg turned out: the ambulance first
        ):
            if not (
                set(d.rule_ids)
                & {r.id for r in self.kb.red_flags.values() if r.outcome is Outcome.EMERGENCY} - INJURY_EMERGENCIES
            ):
                d.outcome = Outcome.CRISIS
                crisis = self.kb.red_flags["RF11"].message
                d.messages = [crisis] + [m for m in d.messages if m != crisis]

    def _raise(self, d: Decision, rule: RedFlag) -> None:
        self._escalate(d, rule.outcome, rule.id)
        _add_message(d, rule.message)

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
        if ("retraction" in active or specific_denial) and not alert.retraction_asked:
            alert.retraction_asked = True  # asked once: a second "jk" changes nothing
            d.messages.append(self.kb.texts.retraction_question.format(flag=rule.title.lower()))
            d.clarify = f"flag:{alert.rule_id}"

    # -- conditions and constraints ---------------------------------------------------------------
    def _note_disclosures(
        self, profile: Profile, findings: List[Finding], today: date, explained: frozenset = frozenset()
    ) -> List[FindingKey]:
        if any(f.id == "older_adult" and f.kind == "concept" and f.about_user_now for f in findings):
            profile.older_adult = True
        # "If I kneel it kills" states a limit, so constraints ignore the hypothetical cue.
        relevant = [
            f
            for f in findings
            if f.kind in ("condition", "constraint")
            and not f.third_party
            and not (f.hypothetical and f.kind == "condition")
            and f.id not in explained
        ]
        asserted = {f.key for f in relevant if not f.negated and not (f.resolved and f.kind == "constraint")}
        proposals: List[FindingKey] = []
        for f in relevant:
            if f.negated or f.resolved and f.kind == "constraint":
                if f.key in asserted:
                    continue  # one denied phrase must not cancel another that asserts it
                if self._held(profile, f):
                    proposals.append(f.key)  # something the coach works around: ask before forgetting
                else:
                    _forget(profile, f)
                continue
            if f.resolved and f.kind == "condition" and not self.kb.conditions[f.id].time_rule:
                if self._held(profile, f):
                    proposals.append(f.key)
                continue  # "had sciatica, it's gone now": history that no longer limits them (PQ4)
            if f.kind == "condition":
                profile.conditions[f.id] = ConditionNote(f.id, f.days_ago, today.isoformat())
            elif f.id not in profile.constraints:
                profile.constraints.append(f.id)
            key = f.key
            if key in profile.denied:
                profile.denied.remove(key)
        return proposals

    def _held(self, profile: Profile, f: Finding) -> bool:
        """Already in the profile, and liftable by the user's word (not a referral-level condition)."""
        if f.kind == "constraint":
            return f.id in profile.constraints
        held = f.id in profile.conditions
        return held and self.kb.conditions[f.id].outcome not in (Outcome.REFER, Outcome.DEFER, Outcome.OUT_OF_SCOPE)

    def _profile_outcomes(self, d: Decision, profile: Profile, today: date) -> None:
        for rule_id in profile.referrals:
            if rule_id in self.kb.red_flags and rule_id not in d.rule_ids:
                self._raise(d, self.kb.red_flags[rule_id])
        for ex_id, reason in profile.avoid.items():
            d.excluded.setdefault(ex_id, reason)
        for note in profile.conditions.values():
            condition = self.kb.conditions[note.id]
            outcome = condition.outcome
            healed = False  # long past by its date, not only cleared
            if outcome is Outcome.CLARIFY and note.cleared is not None:
                outcome = Outcome.CAUTION if note.cleared else Outcome.REFER
            elif outcome is Outcome.REFER and not condition.time_rule and note.cleared:
                outcome = Outcome.CAUTION  # their clinician has cleared them: coach, with the same exclusions
            elif condition.time_rule:
                age = _age_days(note, today)
                healed = age is not None and age > condition.time_rule.recent_days
                if note.cleared:
                    outcome = condition.time_rule.past_outcome  # the surgeon or GP has cleared them
                elif age is None:
                    outcome = Outcome.CLARIFY
                    d.clarify = d.clarify or f"condition:{condition.id}"
                elif age <= condition.time_rule.recent_days:
                    outcome = condition.time_rule.recent_outcome
                else:
                    outcome = condition.time_rule.past_outcome
                if outcome is Outcome.CLARIFY and (age is not None or note.cleared is not None):
                    # Its time is known and its later outcome is a question (a heart attack long
                    # ago): the question is whether a clinician has cleared it, never "when?" again.
                    if note.cleared is not None:
                        outcome = Outcome.CAUTION if note.cleared else Outcome.REFER
                    else:
                        d.clarify = d.clarify or f"{CLEARED_QUESTION}:{condition.id}"
            for rule_id in condition.rule_ids:
                self._escalate(d, outcome, rule_id)
            if outcome in (Outcome.REFER, Outcome.DEFER, Outcome.OUT_OF_SCOPE) and condition.advice not in d.messages:
                d.messages.append(condition.advice)
            if outcome is Outcome.CLARIFY and d.clarify is None:
                d.clarify = f"condition:{condition.id}"
            if (
                condition.time_rule
                and not condition.time_rule.past_excludes
                and outcome is condition.time_rule.past_outcome
                and healed
            ):
                continue  # long healed: nothing left out any more. Cleared while recent keeps them:
                # "after that we'll start with the glute bridge and a gentle standing stretch".
            for ex in self.kb.exercises.values():
                if condition.id in ex.contraindications:
                    d.excluded.setdefault(ex.id, f"you mentioned {condition.label}")
        for constraint_id in profile.constraints:
            constraint = self.kb.constraints[constraint_id]
            if constraint_id in profile.precautions:
                self._leave_out(d, constraint, self.kb.texts.learned_precaution[constraint_id], [PRECAUTION_RULE])
            else:
                self._leave_out(d, constraint, f"you said {constraint.label}", constraint.rule_ids or [])

    def _leave_out(self, d: Decision, constraint, reason: str, rule_ids: List[str]) -> None:
        """The stretches a limit rules out, each with why, and the decision at least EXCLUDE."""
        hit = False
        for ex in self.kb.exercises.values():
            demands = set(ex.demands)
            blocked = demands & set(constraint.excludes_demands)
            missing = constraint.requires_any_demand and not demands & set(constraint.requires_any_demand)
            if blocked or missing:
                d.excluded.setdefault(ex.id, reason)
                hit = True
        if hit:
            for rule_id in rule_ids:
                self._escalate(d, Outcome.EXCLUDE, rule_id)
            if not rule_ids:
                self._escalate(d, Outcome.EXCLUDE, None)

    # -- answers to CLARIFY questions -----------------------------------------------------------------
    def apply_answer(self, profile: Profile, about: str, answer: str, today: Optional[date] = None) -> Profile:
        """Applies a button answer ("recent", "past", "cleared", "not_cleared", "now", "over")."""
        today = today or settings.today()
        profile = _copy(profile)
        kind, _, ident = about.partition(":")
        if kind in ("condition", CLEARED_QUESTION) and ident in self.kb.conditions:
            note = profile.conditions.get(ident) or ConditionNote(ident, noted_on=today.isoformat())
            if answer in ("recent", "past"):
                note.days_ago, note.noted_on = (RECENT_DAYS if answer == "recent" else 400.0), today.isoformat()
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


def _add_message(d: Decision, message: str) -> None:
    """Two rules whose wording is the same sentence, one with more at its end (RF10's and RF13's
    maternity advice), say it once, in the longer form."""
    stem = message.rstrip(" .")
    for i, said in enumerate(d.messages):
        if said.rstrip(" .").startswith(stem):
            return
        if stem.startswith(said.rstrip(" .")):
            d.messages[i] = message
            return
    d.messages.append(message)


def _bare_words(text: str) -> set:
    """A phrase's words without their possessive ending: "my dad's hip" -> {"my", "dad", "hip"}."""
    return {word.split("'")[0] for word in text.lower().replace("\u2019", "'").split()}


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
    else:
        profile.drop_constraint(f.id)
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
        referrals=list(profile.referrals),
        avoid=dict(profile.avoid),
    )
