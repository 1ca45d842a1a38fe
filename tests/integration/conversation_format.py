"""The scripted-conversation format of tests/conversations/*.yml, validated strictly.

Every key is checked (an unknown or misspelt key is an error naming the file, conversation and
turn), every value is checked against the payload contract (docs/api.md): outcome names, rule
ids, exercise ids, question ids. A typo must fail loudly, never turn an expectation into one
that silently passes. tests/conversations/README.md documents the format for people.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Dict, List, Literal, Optional

import yaml
from pydantic import BaseModel, StrictBool, StrictInt, StrictStr, ValidationError, root_validator, validator

from coach.kb.schema import Outcome

CONVERSATIONS_DIR = Path(__file__).resolve().parents[1] / "conversations"

# The behaviours of the issue, one theme each (tests/conversations/README.md says which is which).
THEMES = (
    "free_text_answers",
    "red_flag_checklist",
    "long_standing_pain",
    "recent_surgery",
    "symptoms_in_a_stretch",
    "emergency_stories",
    "acute_injury",
    "someone_else_or_clinician",
    "updates_by_talking",
    "slang_and_typos",
    "older_adult_holds",
    "sticky_flags",
)
# Fixed by docs/api.md.
EXERCISE_IDS = (
    "half_kneeling_hip_flexor_stretch",
    "standing_hip_flexor_stretch",
    "glute_bridge",
    "hip_flexor_bed_stretch",
    "table_psoas_stretch",
    "low_lunge_twist",
    "rear_foot_elevated_hip_flexor_stretch",
)
CURRENT_STRETCH = "$current"  # the exercise of the last session step the coach sent before this turn
PAYLOAD_TYPES = (
    "recommendation",
    "safety",
    "screening_question",
    "session_step",
    "exercise",
    "faq",
    "input_error",
    "question_left_open",
)
PHASES = ("get_ready", "hold", "halfway", "rest", "switch_sides", "done")
RULE_ID = re.compile(r"^(RF|PQ|CI|IS|SC|LR)\d+$")
# Rule ids of shared/reference/safety-rules.md; the knowledge base may add its own (RF12...).
REFERENCE_RULE_IDS = frozenset(
    [f"RF{i}" for i in range(1, 12)]
    + [f"PQ{i}" for i in range(1, 9)]
    + [f"CI{i}" for i in range(1, 22)]
    + ["IS1", "IS2", "SC1"]
)
QUESTION_ID = re.compile(
    r"^(screen_[a-z_]+|(condition|cleared):[a-z_]+|flag:(RF|PQ|CI|IS|SC)\d+|red_flag_check|update:[a-z_]+:[a-z_0-9]+)$"
)
GLOB_PREFIX = re.compile(r"^(screen_[a-z_]*|(condition|cleared):[a-z_]*|flag:[A-Z0-9]*|update:[a-z_:0-9]*)\*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MONTH_AGO = re.compile(r"^month_ago:(\d{1,2})$")
MIN_TURNS, MAX_TURNS = 3, 10


class FormatError(ValueError):
    """A conversation file that does not follow the format; the message names where."""


class Strict(BaseModel):
    class Config:
        extra = "forbid"


def _listify(value):
    return value if isinstance(value, list) else [value]


def _exercise(value: str) -> str:
    if value != CURRENT_STRETCH and value not in EXERCISE_IDS:
        raise ValueError(f"unknown exercise id '{value}' (docs/api.md lists {', '.join(EXERCISE_IDS)}, or $current)")
    return value


def _rule(value: str) -> str:
    if not RULE_ID.match(value):
        raise ValueError(f"'{value}' is not a rule id (RF1, PQ8, CI20, IS1, SC1...)")
    return value


def question_pattern(value: str) -> str:
    if GLOB_PREFIX.match(value) or QUESTION_ID.match(value):
        return value
    raise ValueError(
        f"'{value}' is not a question id (screen_<name>, condition:<id>, cleared:<id>, flag:<rule>, red_flag_check, "
        f"update:<kind>:<id>) nor one with a trailing * (screen_*, condition:knee_*, flag:*, update:*)"
    )


def question_matches(pattern: str, question_id: str) -> bool:
    return question_id.startswith(pattern[:-1]) if pattern.endswith("*") else question_id == pattern


class SafetyExpect(Strict):
    """The most severe safety decision in the reply (standalone or inside a recommendation)."""

    outcome: List[Outcome] = []
    outcome_not: List[Outcome] = []
    decision: List[Literal["stop", "modify", "clear"]] = []
    urgency: List[Optional[Literal["emergency", "urgent", "crisis", "routine"]]] = []
    flags_any: List[StrictStr] = []
    flags_all: List[StrictStr] = []
    excluded_has: List[StrictStr] = []
    excluded_lacks: List[StrictStr] = []
    about: Optional[Literal["someone_else"]] = None
    about_not: Optional[Literal["someone_else"]] = None

    _lists = validator("outcome", "outcome_not", "decision", "urgency", pre=True, allow_reuse=True)(_listify)
    _rules = validator("flags_any", "flags_all", each_item=True, allow_reuse=True)(_rule)
    _exercises = validator("excluded_has", "excluded_lacks", each_item=True, allow_reuse=True)(_exercise)

    @root_validator(skip_on_failure=True)
    def _something(cls, values):
        if all(v in (None, []) for v in values.values()):
            raise ValueError("an empty safety expectation checks nothing")
        return values


class QuestionExpect(Strict):
    """Some screening_question payload in the reply matches."""

    id: List[StrictStr]
    buttons: Optional[Literal[True]] = None  # the message carrying it has buttons

    _lists = validator("id", pre=True, allow_reuse=True)(_listify)
    _ids = validator("id", each_item=True, allow_reuse=True)(question_pattern)


class RecommendationExpect(Strict):
    """The last recommendation payload in the reply."""

    includes_any: List[StrictStr] = []
    includes_all: List[StrictStr] = []
    excludes: List[StrictStr] = []  # never offered
    excluded_has: List[StrictStr] = []  # listed as left out, with a reason
    excluded_lacks: List[StrictStr] = []
    min_exercises: Optional[StrictInt] = None

    _exercises = validator(
        "includes_any", "includes_all", "excludes", "excluded_has", "excluded_lacks", each_item=True, allow_reuse=True
    )(_exercise)

    @validator("min_exercises")
    def _at_least_one(cls, value):
        if value is not None and value < 1:
            raise ValueError("min_exercises below 1 checks nothing (use has: [recommendation])")
        return value


class ExerciseExpect(Strict):
    id: Optional[StrictStr] = None
    excluded: Optional[StrictBool] = None

    _exercise = validator("id", allow_reuse=True)(_exercise)

    @root_validator(skip_on_failure=True)
    def _something(cls, values):
        if values.get("id") is None and values.get("excluded") is None:
            raise ValueError("say which exercise or whether it is excluded (use has: [exercise] for presence)")
        return values


class StepExpect(Strict):
    """Some session_step payload in the reply matches."""

    phase: List[Literal[PHASES]] = []
    exercises_not: List[StrictStr] = []

    _lists = validator("phase", pre=True, allow_reuse=True)(_listify)
    _exercises = validator("exercises_not", each_item=True, allow_reuse=True)(_exercise)


class Expect(Strict):
    has: List[Literal[PAYLOAD_TYPES]] = []
    absent: List[Literal[PAYLOAD_TYPES]] = []
    safety: Optional[SafetyExpect] = None
    not_stopped: Optional[Literal[True]] = None
    outcome_not: List[Outcome] = []  # no safety decision in the reply has one of these
    question: Optional[QuestionExpect] = None
    not_asked: List[StrictStr] = []
    recommendation: Optional[RecommendationExpect] = None
    exercise: Optional[ExerciseExpect] = None
    session_step: Optional[StepExpect] = None
    text_any: List[StrictStr] = []
    text_none: List[StrictStr] = []

    _not_asked = validator("not_asked", each_item=True, allow_reuse=True)(question_pattern)

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values):
        if not any(values.values()):
            raise ValueError("a turn must expect something")
        clash = set(values["has"]) & set(values["absent"])
        if clash:
            raise ValueError(f"{sorted(clash)} both in has and absent")
        for key, kind in (
            ("question", "screening_question"),
            ("recommendation", "recommendation"),
            ("exercise", "exercise"),
            ("session_step", "session_step"),
        ):
            if values.get(key) is not None and kind in values["absent"]:
                raise ValueError(f"expects a {kind} and none at once")
        return values


class Turn(Strict):
    user: Optional[StrictStr] = None  # typed text
    tap: Optional[StrictStr] = None  # the title of a button in the previous reply
    answer_screening: Optional[StrictStr] = None  # answers every screen_* question with this until the form ends
    expect: Expect

    @root_validator(skip_on_failure=True)
    def _one_way_to_speak(cls, values):
        given = [k for k in ("user", "tap", "answer_screening") if values.get(k) is not None]
        if len(given) != 1:
            raise ValueError(f"a turn has exactly one of user, tap, answer_screening (got {given or 'none'})")
        text = values[given[0]]
        if not text.strip() or len(text) > 2000:
            raise ValueError("the message must be 1-2000 characters (the REST limit)")
        for name in PLACEHOLDER.findall(text):
            match = MONTH_AGO.match(name)
            if not match or not 1 <= int(match.group(1)) <= 11:
                raise ValueError(f"unknown placeholder {{{name}}} (only {{month_ago:N}}, N 1-11)")
        return values

    @property
    def says(self) -> str:
        return self.user or self.tap or self.answer_screening or ""


class Conversation(Strict):
    id: StrictStr
    why: StrictStr
    themes: List[Literal[THEMES]]
    min_hold_seconds: Optional[StrictInt] = None  # every hold step of the conversation lasts at least this
    turns: List[Turn]

    @validator("id")
    def _snake(cls, value):
        if not re.match(r"^[a-z][a-z0-9_]*$", value):
            raise ValueError(f"'{value}' is not a lower_snake_case id")
        return value

    @validator("min_hold_seconds")
    def _positive(cls, value):
        if value is not None and value < 1:
            raise ValueError("min_hold_seconds must be at least 1")
        return value

    @validator("why")
    def _says_why(cls, value):
        if len(value.strip()) < 10:
            raise ValueError("say why this conversation matters")
        return value

    @validator("themes")
    def _themed(cls, value):
        if not value or len(set(value)) != len(value):
            raise ValueError("at least one theme, each once")
        return value

    @validator("turns")
    def _length(cls, value):
        if not MIN_TURNS <= len(value) <= MAX_TURNS:
            raise ValueError(f"{len(value)} turns; a conversation has {MIN_TURNS}-{MAX_TURNS}")
        if value[0].tap or value[0].answer_screening:
            raise ValueError("the first turn is typed: there is no earlier reply to answer")
        return value


class ConversationFile(Strict):
    conversations: List[Conversation]


def expand(text: str, today: Optional[date] = None) -> str:
    """{month_ago:N}: the name of the month N months before today, so dated phrases stay dated."""
    today = today or date.today()

    def month(match: re.Match) -> str:
        back = int(MONTH_AGO.match(match.group(1)).group(1))
        index = (today.month - 1 - back) % 12
        return calendar.month_name[index + 1]

    return PLACEHOLDER.sub(month, text)


def _where(error: ValidationError, data) -> str:
    lines = []
    for item in error.errors():
        loc = list(item["loc"])
        where = []
        if len(loc) >= 2 and loc[0] == "conversations" and isinstance(loc[1], int):
            convs = data.get("conversations") if isinstance(data, dict) else None
            conv = convs[loc[1]] if isinstance(convs, list) and loc[1] < len(convs) else {}
            where.append(f"conversation '{conv.get('id', loc[1])}'" if isinstance(conv, dict) else str(loc[1]))
            rest = loc[2:]
            if len(rest) >= 2 and rest[0] == "turns" and isinstance(rest[1], int):
                where.append(f"turn {rest[1] + 1}")
                rest = rest[2:]
            where.append(".".join(str(p) for p in rest) or "(itself)")
        else:
            where.append(".".join(str(p) for p in loc))
        lines.append(f"{', '.join(where)}: {item['msg']}")
    return "\n".join(lines)


def _non_string_keys(node, path: str = "") -> List[str]:
    """YAML 1.1 reads unquoted no/yes/on/off as booleans, so `no: [...]` is a key False."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                found.append(
                    f"{path or '(top)'}: key {key!r} is not a string (quote it; yes/no/on/off are booleans in YAML)"
                )
            found += _non_string_keys(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _non_string_keys(value, f"{path}[{index}]")
    return found


def load_text(text: str, name: str = "<text>") -> List[Conversation]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FormatError(f"{name}: not valid YAML: {error}") from error
    bad_keys = _non_string_keys(data)
    if bad_keys:
        raise FormatError(f"{name}:\n" + "\n".join(bad_keys))
    try:
        return ConversationFile.parse_obj(data).conversations
    except ValidationError as error:
        raise FormatError(f"{name}:\n{_where(error, data)}") from error


def load_suite(directory: Path = CONVERSATIONS_DIR) -> Dict[str, Conversation]:
    """Every conversation of every file, by id; ids are unique across files."""
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise FormatError(f"no conversation files in {directory}")
    suite: Dict[str, Conversation] = {}
    for path in files:
        for conversation in load_text(path.read_text(), path.name):
            if conversation.id in suite:
                raise FormatError(f"{path.name}: conversation id '{conversation.id}' is used twice")
            suite[conversation.id] = conversation
    return suite
