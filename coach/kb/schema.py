"""Shape of the reviewed knowledge base in knowledge/*.yml.

Every entry is validated here before anything reaches the SQL store, so a typo
in a YAML file fails loudly with the file, entry and field named.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Dict, List, Optional

from pydantic import BaseModel, Field, root_validator, validator

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RULE_ID_PATTERN = re.compile(r"^(RF|PQ|CI|IS|SC)\d+[a-z]?$")
# A letter after the number marks one level of a reference row that has several (RF9r: the
# routine-referral level of RF9); payloads report the reference row itself.


def reference_rule(rule_id: str) -> str:
    return rule_id.rstrip("abcdefghijklmnopqrstuvwxyz")


SEED_PATTERN = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


class Strict(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True
        min_anystr_length = 1


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"'{value}' is not a lower_snake_case id")
    return value


class Demand(str, Enum):
    """What a stretch asks of the body or the room; user constraints filter on these."""

    kneeling = "kneeling"
    floor = "floor"  # getting down to and up from the floor
    lying = "lying"  # lying on the back, on a mat or a bed
    bed = "bed"
    table = "table"
    standing_balance = "standing_balance"
    support = "support"  # needs a wall, chair or counter to hold


class Difficulty(str, Enum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


class Outcome(str, Enum):
    """Outcome vocabulary of shared/reference/safety-rules.md §0.2, most severe first."""

    EMERGENCY = "EMERGENCY"
    CRISIS = "CRISIS"
    URGENT = "URGENT"
    REFER = "REFER"
    DEFER = "DEFER"
    STOP_STRETCH = "STOP-STRETCH"
    OUT_OF_SCOPE = "OUT-OF-SCOPE"
    CLARIFY = "CLARIFY"
    EXCLUDE = "EXCLUDE"
    CAUTION = "CAUTION"
    PROCEED = "PROCEED"


class HoldSeconds(Strict):
    min: int = Field(ge=5, le=120)
    default: int = Field(ge=5, le=120)
    max: int = Field(ge=5, le=180)

    @root_validator(skip_on_failure=True)
    def ordered(cls, values):
        if not values["min"] <= values["default"] <= values["max"]:
            raise ValueError("hold seconds must satisfy min <= default <= max")
        return values


class Caution(Strict):
    condition: str
    advice: str

    _id = validator("condition", allow_reuse=True)(_check_id)


class Exercise(Strict):
    id: str
    safety_id: str = Field(regex=r"^S[1-7]$")
    name: str
    aliases: List[str] = Field(min_items=1)
    summary: str
    demands: List[Demand]
    equipment: List[str] = []
    target_muscles: List[str] = Field(min_items=1)
    difficulty: Difficulty
    intensity_rank: int = Field(ge=1, le=7)  # 1 = gentlest (S3) … 7 = most intense (S7)
    per_side: bool
    hold_seconds: HoldSeconds
    reps_per_side: int = Field(ge=1, le=10)
    rest_seconds: int = Field(ge=0, le=120)
    good_for: List[str] = Field(min_items=1)  # goal / symptom tags, see Goal ids
    setup: List[str] = Field(min_items=1)
    steps: List[str] = Field(min_items=2)
    form_cues: List[str] = Field(min_items=1)
    breathing: str
    common_mistakes: List[str] = Field(min_items=1)
    deepen: str  # what to do when the user feels nothing
    back_feels_it: str  # what to do when the user feels it in the lower back
    regressions: List[str] = []
    progressions: List[str] = []
    contraindications: List[str] = []  # condition ids: never offered to these users
    cautions: List[Caution] = []
    sources: List[str] = Field(min_items=1)

    _id = validator("id", allow_reuse=True)(_check_id)

    @validator("sources", each_item=True)
    def seed_file(cls, value: str) -> str:
        if not SEED_PATTERN.match(value):
            raise ValueError(f"'{value}' is not a seed file name like 001_740fdbc46f50a786.txt")
        return value


class Combo(Strict):
    """Words that mean the concept together: one term from every group, in the same clause,
    within `window` tokens (e.g. [bum, groin, privates] + [numb, tingling, can't feel])."""

    groups: List[List[str]] = Field(min_items=2)
    window: int = Field(8, ge=2, le=20)
    # "clause" (the default) or "sentence": for stories where the parts sit in clauses of one
    # sentence ("my calf has been sore and it's gone red and warm").
    scope: str = Field("clause", regex=r"^(clause|sentence)$")


class TimeRule(Strict):
    """How the age of a disclosure changes its outcome (e.g. surgery 3 weeks vs 10 years ago)."""

    recent_days: int = Field(ge=1)
    recent_outcome: Outcome
    past_outcome: Outcome
    # Whether the stretches it rules out stay out once it is in the past (a healed hip replacement:
    # yes; an appendix out years ago: no).
    past_excludes: bool = True


class Condition(Strict):
    """A health condition or disclosure that changes what the coach may offer."""

    id: str
    label: str  # plain words used in reasons: "you mentioned {label}"
    rule_ids: List[str] = Field(min_items=1)
    outcome: Outcome
    time_rule: Optional[TimeRule] = None
    advice: str  # what the coach says about it, in plain words
    phrases: List[str] = Field(min_items=1)  # what users say; matched with negation/time/third-party context
    combos: List[Combo] = []  # words that mean it together, e.g. [knee, acl] + [surgery, op, repaired]
    # Procedure words (cholecystectomy, laminectomy) whose stem names this condition's body site.
    procedure_stems: List[str] = []
    unless: List[str] = []  # words that cancel it in the same clause ("GP surgery" is a doctor's office)
    # What people say when it no longer applies ("my back has settled"): asked about, then forgotten.
    lifted_by: List[str] = []

    _id = validator("id", allow_reuse=True)(_check_id)

    @validator("rule_ids", each_item=True)
    def rule_id(cls, value: str) -> str:
        if not RULE_ID_PATTERN.match(value):
            raise ValueError(f"'{value}' is not a rule id like RF1, PQ8, CI5, IS1 or SC1")
        return value


class Constraint(Strict):
    """A practical limit the user states ("no table", "I'm in bed", "I can't kneel")."""

    id: str
    label: str  # "you can't kneel"
    rule_ids: List[str] = []
    phrases: List[str] = Field(min_items=1)
    # Words that mean the limit together, in any order: [floor] + [struggle, can't get back up].
    combos: List[Combo] = []
    excludes_demands: List[Demand] = []
    requires_any_demand: List[Demand] = []
    # What people say when the limit has gone ("I can kneel again"): asked about once, then forgotten.
    lifted_by: List[str] = []

    _id = validator("id", allow_reuse=True)(_check_id)

    @root_validator(skip_on_failure=True)
    def does_something(cls, values):
        if not values["excludes_demands"] and not values["requires_any_demand"]:
            raise ValueError("a constraint must exclude or require at least one demand")
        return values


class RedFlag(Strict):
    """A stop-level rule (RF*, PQ*, IS*, SC1): triggers are concept ids that must co-occur."""

    id: str  # the rule id itself, e.g. RF1
    title: str
    outcome: Outcome
    urgency: Optional[str] = Field(None, regex=r"^(emergency|urgent|routine|crisis)$")
    all_of: List[str] = []  # concept ids that must all be present
    any_of: List[str] = Field(min_items=1)  # at least one of these concept ids
    message: str  # fixed, reviewed wording; action first
    safety_net: Optional[str] = None
    sources: List[str] = Field(min_items=1)  # source keys from safety-rules.md §6
    session_only: bool = False  # fires only during a guided session (IS1, IS2)
    unless: List[str] = []  # concept or condition ids that keep it from firing (familiar pain for RF9r)

    @validator("id")
    def rule_id(cls, value: str) -> str:
        if not RULE_ID_PATTERN.match(value):
            raise ValueError(f"'{value}' is not a rule id")
        return value


class DurationRule(Strict):
    of: List[str] = Field(min_items=1)
    min_days: int = Field(ge=1)
    unless: List[str] = []  # concept ids in the same message that say it is the familiar, long-standing kind


class Concept(Strict):
    """A named piece of symptom vocabulary used by red-flag rules."""

    id: str
    phrases: List[str] = []
    combos: List[Combo] = []
    # History by nature ("had breast cancer", "on steroids for years"): its age never makes it "past".
    historical: bool = False
    # Words that cancel the concept in the same clause, e.g. "left"/"right"/"one" for both-legs symptoms.
    unless: List[str] = []
    # Words that cancel it anywhere in the same sentence: "I ran a race and couldn't catch my breath".
    unless_in_sentence: List[str] = []
    # In a question it is asked about, not told: "is it ok to exercise with a fracture?" clears nothing.
    asked_in_questions: bool = False
    # Also present when one of these concepts has lasted at least `min_days` ("back sore for 2 months").
    from_duration: Optional[DurationRule] = None
    implies: Optional[str] = None  # a condition id this concept also stands for (a clinician's limit -> PQ5)
    # A fall or a blow: "the ER checked me out, no fractures" nearby makes it history to ask about.
    injury: bool = False
    # Its words say it is the user's own ("my hips", "I'm trying to stay mobile"): never someone else's.
    self_reference: bool = False
    # Too vague to decide on and too close to a red flag to let pass: ask the red-flag checklist.
    asks_checklist: bool = False
    # A risk that counts whoever it is told of and however it is put: "a family history of clots",
    # "I knew the pill raises the risk of clots". Only a denial ("no history of clots") cancels it.
    risk_factor: bool = False
    # An emergency only while it is happening: told as this many days old or more, or as already
    # checked by a clinician ("I fainted two days ago", "my GP ran tests after my faint"), it is
    # history (the PAR-Q+ question), not a reason to call an ambulance now.
    history_after_days: Optional[float] = Field(default=None, gt=0)

    _id = validator("id", allow_reuse=True)(_check_id)

    @root_validator(skip_on_failure=True)
    def has_vocabulary(cls, values):
        if not values["phrases"] and not values["combos"]:
            raise ValueError("a concept needs phrases or combos")
        return values


class FaqEntry(Strict):
    id: str
    intent: str  # NLU intent that asks it
    question: str
    answer: str
    sources: List[str] = Field(min_items=1)

    _id = validator("id", allow_reuse=True)(_check_id)


class Goal(Strict):
    id: str
    label: str
    phrases: List[str] = Field(min_items=1)

    _id = validator("id", allow_reuse=True)(_check_id)


class EmergencyNumbers(Strict):
    country: str
    aliases: List[str] = Field(min_items=1)
    emergency: str
    urgent: str
    crisis: str


class CheckOption(Strict):
    title: str  # button title
    means: List[str] = []  # concept ids the rules judge when this option is chosen; [] = none of these


class Texts(Strict):
    """Fixed, reviewed wording that is not tied to one rule."""

    disclaimer: str
    safety_net: str
    nothing_safe: str
    retraction_question: str  # {flag}: the flag title; one specific confirming question
    pain_rule: str
    ask_country: str  # asks where the user is, to give local emergency numbers
    clarify_when: str  # {label}: asks when a time-sensitive condition (surgery…) happened
    clarify_current: str  # {flag}: asks whether a past red-flag symptom is happening now
    clarify_cleared: str  # {label}: asks whether a condition is controlled and cleared for exercise
    # outcome -> what to say when the learned reader (not a rule) raised it (coach/safety/reader.py)
    learned_reader: Dict[str, str]
    # constraint id -> why its stretches are left out when the reader proposed it (rule LR2); it
    # completes "I left out the … because {reason}"
    learned_precaution: Dict[str, str]
    red_flag_check: str  # asked when the classifier suspects a red flag the rules did not find
    red_flag_check_options: List[CheckOption] = Field(min_items=2)


class ScreeningQuestion(Strict):
    """One PAR-Q+-style question of the screening form (its id is the form slot name)."""

    id: str = Field(regex=r"^screen_[a-z_]+$")
    question: str
    yes_means: List[str] = Field(min_items=1)  # finding keys: "concept:x", "condition:y", "constraint:z"
    yes_days_ago: Optional[int] = None  # age implied by the question ("in the last 3 months")
    known_from: List[str] = []  # finding keys that answer it already, so it is not asked again
    rule_ids: List[str] = Field(min_items=1)


class Seed(Strict):
    """A source article the knowledge base cites (knowledge/sources.yml)."""

    file: str = Field(regex=r"^\d{3}_[0-9a-f]{16}\.txt$")
    title: str
    sha256: str = Field(regex=r"^[0-9a-f]{64}$")


class KnowledgeFile(Strict):
    """Each YAML file holds any subset of these sections."""

    exercises: List[Exercise] = []
    conditions: List[Condition] = []
    constraints: List[Constraint] = []
    red_flags: List[RedFlag] = []
    concepts: List[Concept] = []
    faq: List[FaqEntry] = []
    goals: List[Goal] = []
    emergency_numbers: List[EmergencyNumbers] = []
    screening: List[ScreeningQuestion] = []
    texts: Optional[Texts] = None
    replies: Optional[Dict[str, str]] = None  # chat wording; ids and placeholders: coach/kb/replies.py
    seeds: List[Seed] = []


SECTIONS: Dict[str, type] = {
    "exercises": Exercise,
    "conditions": Condition,
    "constraints": Constraint,
    "red_flags": RedFlag,
    "concepts": Concept,
    "faq": FaqEntry,
    "goals": Goal,
    "emergency_numbers": EmergencyNumbers,
    "screening": ScreeningQuestion,
    "seeds": Seed,
}
