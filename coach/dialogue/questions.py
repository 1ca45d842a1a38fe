"""Every question the coach asks: its wording, its answers, and how a typed reply answers it.

A question id says what is asked:
- `screen_<x>`: a screening question before a session (knowledge/screening.yml), yes or no;
- `condition:<id>` with a time rule: when it happened (recent or past);
- `condition:<id>` without one: whether it is stable and cleared for exercise;
- `flag:<rule id>`: whether a red-flag symptom from the past is happening now;
- `red_flag_check`: the checklist asked when only the learned classifier suspects a red flag;
- `update:<kind>:<id>`: whether a limitation the user says has gone should be forgotten;
- `still:<kind>:<id>`: back after a while, whether a remembered limitation still holds;
- `confirm:forget`: "forget me" asked once before everything is deleted (coach/privacy/).

Buttons carry the question id and the token of this asking, so a button pressed under an
older question is recognised as stale. Typed replies are read in the forms people use: yes,
no, not sure, the option's own words, and the fact itself (a date, who cleared them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional, Tuple

from coach.dialogue.answers import YesNo, yes_no
from coach.dialogue.model import Reply, Turn
from coach.dialogue.state import PendingQuestion
from coach.kb.loader import KnowledgeBase
from coach.kb.schema import RedFlag
from coach.safety.findings import CLEARANCE, CLEARED_QUESTION, CLINICIAN_LIMIT

ANSWER_INTENT = "answer"
UNSURE = "unsure"  # an answer of its own: the door applies the question's cautious reading
NONE_OF_THESE = "none"


class Kind(str, Enum):
    SCREENING = "screening"
    WHEN = "when"
    CLEARED = "cleared"
    CURRENT = "current"
    CHECKLIST = "checklist"
    UPDATE = "update"
    STILL = "still"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Spec:
    kind: Kind
    text: str
    options: Tuple[Tuple[str, str], ...]  # (answer value, button title)
    needs: str  # what the coach needs, said after a miss
    cautious: str  # the answer taken when the user is not sure or after a second miss
    reading: str  # how that cautious answer is put into words


def spec(kb: KnowledgeBase, question_id: str) -> Optional[Spec]:
    kind, _, ident = question_id.partition(":")
    say = kb.say
    unsure = (UNSURE, say("option_not_sure"))
    options: Tuple[Tuple[str, str], ...]  # two or three answers, by kind
    if kind.startswith("screen_") and not ident:
        q = next((q for q in kb.screening if q.id == question_id), None)
        if q is None:
            return None
        options = (("yes", say("option_yes")), ("no", say("option_no")), unsure)
        return Spec(Kind.SCREENING, q.question, options, say("needs_yes_no"), "yes", say("reading_yes"))
    if kind in ("condition", CLEARED_QUESTION) and ident in kb.conditions:
        condition = kb.conditions[ident]
        if condition.time_rule and kind == "condition":
            period = period_words(condition.time_rule.recent_days)
            options = (("recent", say("option_recent", period=period)), ("past", say("option_past")), unsure)
            text = kb.texts.clarify_when.format(label=condition.label, period=period)
            return Spec(Kind.WHEN, text, options, say("needs_when"), "recent", say("reading_recent"))
        options = (("cleared", say("option_cleared")), ("not_cleared", say("option_not_cleared")))
        text = kb.texts.clarify_cleared.format(label=condition.label)
        return Spec(Kind.CLEARED, text, options, say("needs_cleared"), "not_cleared", say("reading_not_cleared"))
    if kind == "flag" and ident in kb.red_flags:
        options = (("now", say("option_now")), ("over", say("option_over")), unsure)
        text = kb.texts.clarify_current.format(flag=kb.red_flags[ident].title.lower())
        return Spec(Kind.CURRENT, text, options, say("needs_now_or_past"), "now", say("reading_now"))
    if question_id == "red_flag_check":
        options = tuple((checklist_value(o.means), o.title) for o in kb.texts.red_flag_check_options)
        return Spec(
            Kind.CHECKLIST,
            kb.texts.red_flag_check,
            options,
            say("needs_checklist"),
            UNSURE,
            say("reading_checklist_unsure"),
        )
    if kind == "update":
        label = update_label(kb, ident.split("+")[0])
        if label is None:
            return None
        options = (("yes", say("option_yes")), ("no", say("option_no")))
        return Spec(
            Kind.UPDATE, say("update_question", what=label), options, say("needs_yes_no"), "no", say("option_no")
        )
    if kind == "still":
        label = update_label(kb, ident)
        if label is None:
            return None
        options = (("yes", say("option_yes")), ("no", say("option_no")))
        # Not sure whether a limit still holds: keep working around it.
        return Spec(
            Kind.STILL, say("still_question", what=label), options, say("needs_yes_no"), "yes", say("reading_yes")
        )
    if question_id == "confirm:forget":
        options = (("yes", say("option_yes")), ("no", say("option_no")))
        return Spec(Kind.CONFIRM, say("forget_question"), options, say("needs_yes_no"), "no", say("option_no"))
    return None


# Outcomes a yes to a question may not be assumed into: a reply that is no answer at all ("ready",
# "make it harder") must not send anyone to A&E.
ALARMS = frozenset({"EMERGENCY", "URGENT", "CRISIS"})


def alarm_rule(kb: KnowledgeBase, question_id: str) -> Optional[RedFlag]:
    """The emergency, urgent or crisis rule a yes to this question would raise: a screening
    question's own rules (screen_red_flags: RF1), or the rule a "flag:" question is about."""
    kind, _, ident = question_id.partition(":")
    if kind.startswith("screen_") and not ident:
        q = next((q for q in kb.screening if q.id == question_id), None)
        ids = list(q.rule_ids) if q is not None else []
    elif kind == "flag":
        ids = [ident]
    else:
        return None
    rules = [kb.red_flags[i] for i in ids if i in kb.red_flags]
    return next((r for r in rules if r.outcome.value in ALARMS), None)


def period_words(days: int) -> str:
    """90 -> "3 months", 365 -> "12 months", 7 -> "week", 180 -> "6 months"."""
    if days <= 7:
        return "week"
    if days < 60:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30.4)} months"


def checklist_value(means: List[str]) -> str:
    return means[0] if means else NONE_OF_THESE


def update_label(kb: KnowledgeBase, key: str) -> Optional[str]:
    """'constraint:no_kneeling' -> "you said you can't kneel", the words of the exclusion reasons."""
    kind, _, ident = key.partition(":")
    if kind == "constraint" and ident in kb.constraints:
        return f"you said {kb.constraints[ident].label}"
    if kind == "condition" and ident in kb.conditions:
        return f"you mentioned {kb.conditions[ident].label}"
    return None


def button_payload(question: PendingQuestion, value: str) -> str:
    return "/" + ANSWER_INTENT + json.dumps({"question": question.id, "answer": value, "ask": question.token})


def render(kb: KnowledgeBase, question: PendingQuestion, prefix: Optional[str] = None) -> Reply:
    """The question as a bot message. `prefix` replaces the plain wording after a miss or a digression."""
    s = spec(kb, question.id)
    assert s is not None, f"no wording for question {question.id}"
    text = s.text if prefix is None else prefix
    return Reply(
        text=text,
        buttons=[(title, button_payload(question, value)) for value, title in s.options],
        custom={
            "type": "screening_question",
            "id": question.id,
            "options": [value for value, _ in s.options],
            "ask": question.token,
        },
    )


def button_answer(turn: Turn) -> Optional[Tuple[str, str, Optional[str]]]:
    """(question id, answer, ask token) when the message is one of our answer buttons."""
    if turn.intent != ANSWER_INTENT:
        return None
    question_id, answer = turn.entity("question"), turn.entity("answer")
    if not isinstance(question_id, str) or not isinstance(answer, str):
        return None
    token = turn.entity("ask")
    return question_id, answer, token if isinstance(token, str) else None


_RECENT_WORDS = re.compile(
    r"\b(recent|recently|last (?:few )?(?:week|weeks|month|fortnight)|(?:few|couple of|\d+) (?:days?|weeks?) ago|"
    r"this (?:week|month)|just (?:had|got)|days ago|weeks ago|the other day|not long ago|fortnight|yesterday)\b"
)
_PAST_WORDS = re.compile(
    r"\b(longer ago|long time ago|ages ago|years? ago|years back|decades?|when i was (?:young|a kid|a child|little)|"
    r"ages back|long ago|a while ago|a good while|over a year|more than a year|in (?:19|20)\d\d)\b"
)
_NOW_WORDS = re.compile(r"\b(right now|still|currently|at the moment|today|now|ongoing|this week|every day)\b")
_OVER_WORDS = re.compile(
    r"\b(in the past|past|gone|settled|over|cleared up|went away|stopped|not any ?more|no longer|used to|resolved|"
    r"healed|better now|fine now)\b"
)
_CLEARED_WORDS = re.compile(
    r"\b(stable|controlled|under control|cleared|signed (?:me )?off|all clear|given the ok|go[- ]ahead|green light|"
    r"said (?:it'?s |its )?(?:fine|ok|okay|good)|allowed|fine to (?:exercise|stretch)|ok to (?:exercise|stretch))\b"
)


_ALL_WELL = re.compile(
    r"\b(fine|all good|no problems?|no issues|nothing wrong|all ok|all okay|alright|all right|normal|healthy|no trouble)\b"
)
_NOT_WELL = re.compile(r"\b(not|isn'?t|aren'?t|never|hardly)\s+(?:\w+\s+)?(fine|alright|all right|normal|good)\b")


def interpret(kb: KnowledgeBase, question_id: str, turn: Turn) -> Optional[str]:
    """The structured answer a typed reply gives, UNSURE, or None when it does not answer."""
    s = spec(kb, question_id)
    if s is None:
        return None
    text = " ".join(turn.text.lower().split())
    values = [v for v, _ in s.options]
    for value, title in s.options:
        if text.strip(" .!") == title.lower().strip(" .!"):
            return value
    fact = _fact(kb, s, question_id, turn, text)
    if fact is not None:
        return fact
    said = yes_no(text)
    if said is None and turn.intent in ("affirm", "deny") and turn.confidence >= 0.6:
        said = YesNo.YES if turn.intent == "affirm" else YesNo.NO
    if said is None:
        return None
    if said is YesNo.UNSURE:
        return UNSURE
    yes = said is YesNo.YES
    if s.kind in (Kind.SCREENING, Kind.UPDATE, Kind.STILL, Kind.CONFIRM):
        return "yes" if yes else "no"
    if s.kind is Kind.WHEN:
        return "recent" if yes else "past"  # "Was that in the last 3 months, or longer ago?" "yes"
    if s.kind is Kind.CLEARED:
        return "cleared" if yes else "not_cleared"
    if s.kind is Kind.CURRENT:
        return "now" if yes else "over"
    if s.kind is Kind.CHECKLIST:
        return NONE_OF_THESE if not yes else None  # a bare "yes" does not say which one
    return values[0] if yes else None


def _fact(kb: KnowledgeBase, s: Spec, question_id: str, turn: Turn, text: str) -> Optional[str]:
    """The fact itself answers: a date, who cleared them, the symptom named or denied."""
    if s.kind is Kind.SCREENING:
        q = next(q for q in kb.screening if q.id == question_id)
        keys = set(q.yes_means) | set(q.known_from)
        about = [f for f in turn.findings if f.key in keys and not f.third_party and not f.hypothetical]
        if any(not f.negated for f in about):
            return "yes"
        if about:
            return "no"
        # Every screening question asks about a problem: "knees are fine", "balance is fine, no
        # falls", "all good" say there is none.
        if _ALL_WELL.search(text) and not _NOT_WELL.search(text) and yes_no(text) is not YesNo.YES:
            return "no"
        return None
    if s.kind is Kind.WHEN:
        condition = kb.conditions[question_id.partition(":")[2]]
        days = turn.entity("coach_when")
        if isinstance(days, (int, float)) and condition.time_rule:
            return "recent" if days <= condition.time_rule.recent_days else "past"
        if _PAST_WORDS.search(text):
            return "past"
        if _RECENT_WORDS.search(text):
            return "recent"
        return None
    if s.kind is Kind.CLEARED:
        limit = [f for f in turn.findings if f.id == CLINICIAN_LIMIT and f.about_user_now]
        clearance = [f for f in turn.findings if f.id == CLEARANCE and not f.third_party and not f.hypothetical]
        if limit or any(f.negated for f in clearance):
            return "not_cleared"
        if clearance or _CLEARED_WORDS.search(text) and yes_no(text) is not YesNo.NO:
            return "cleared"
        return None
    if s.kind is Kind.CURRENT:
        if _OVER_WORDS.search(text) and not _NOW_WORDS.search(text):
            return "over"
        if _NOW_WORDS.search(text) and yes_no(text) is not YesNo.NO:
            return "now"
        return None
    if s.kind is Kind.CHECKLIST:
        for option in kb.texts.red_flag_check_options:
            if option.means and any(f.id in option.means and f.about_user_now for f in turn.findings):
                return checklist_value(option.means)
        return None
    if s.kind is Kind.STILL:
        # "my knee is fine now" to "Still true?": the limit has gone.
        kind, _, ident = question_id.partition(":")[2].partition(":")
        lifted = [f for f in turn.findings if f.kind == "lifted" and f.id == f"{kind}.{ident}" and f.about_user_now]
        return "no" if lifted else None
    return None
