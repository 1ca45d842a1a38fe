"""Scripted multi-turn conversations (tests/conversations/*.yml) over REST against ONE shared set of
real servers, each conversation with its own sender id. Users answer in their own words, change
their minds, digress and come back; every turn is checked on its docs/api.md payloads, and every
conversation on the invariant that no question is asked twice in a row.

The format tests run without servers: a typo in a file must fail here, not make a conversation
check nothing. `python -m scripts.conversation_report` prints pass/fail per conversation and theme.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, Optional, Tuple

import pytest

from tests.integration.conversation_checks import check_reply, repeated_questions, short_holds
from tests.integration.conversation_format import (
    REFERENCE_RULE_IDS,
    THEMES,
    Conversation,
    Expect,
    FormatError,
    load_suite,
    load_text,
)
from tests.integration.conversation_runner import Transcript, find_button, play

MIN_CONVERSATIONS = 40
MIN_PER_THEME = 3


def _load() -> Tuple[Dict[str, Conversation], Optional[str]]:
    try:
        return load_suite(), None
    except FormatError as error:
        return {}, str(error)


SUITE, LOAD_ERROR = _load()
IDS = sorted(SUITE)


@pytest.fixture(scope="session")
def transcripts() -> Dict[str, Transcript]:
    """Each conversation is played once per test session; both tests below read its transcript."""
    return {}


def _played(transcripts: Dict[str, Transcript], servers, conversation_id: str) -> Transcript:
    if conversation_id not in transcripts:
        transcripts[conversation_id] = play(SUITE[conversation_id], servers.url)
    return transcripts[conversation_id]


@pytest.mark.parametrize("conversation_id", IDS)
def test_conversation(servers, transcripts, conversation_id):
    transcript = _played(transcripts, servers, conversation_id)
    if transcript.turn_failures or transcript.contract_failures:
        pytest.fail(f"{SUITE[conversation_id].why}\n{transcript.explain()}", pytrace=False)


@pytest.mark.parametrize("conversation_id", IDS)
def test_no_question_is_asked_twice_in_a_row(servers, transcripts, conversation_id):
    transcript = _played(transcripts, servers, conversation_id)
    if transcript.repeated_questions:
        pytest.fail(transcript.explain_repeats(), pytrace=False)


# -- the files themselves ----------------------------------------------------------------------------
def test_every_conversation_file_follows_the_format():
    assert LOAD_ERROR is None, LOAD_ERROR


def test_the_suite_covers_every_theme():
    assert len(SUITE) >= MIN_CONVERSATIONS, f"{len(SUITE)} conversations; the issue asks for at least 40"
    counts = Counter(theme for c in SUITE.values() for theme in c.themes)
    thin = {theme: counts[theme] for theme in THEMES if counts[theme] < MIN_PER_THEME}
    assert not thin, f"themes with fewer than {MIN_PER_THEME} conversations: {thin}"


def test_ids_in_the_files_exist_in_the_knowledge_base(kb):
    """Question ids, rule ids and condition ids must name real things, or the check is vacuous."""
    screening = {q.id for q in kb.screening}
    rules = REFERENCE_RULE_IDS | set(kb.red_flags) | {r for c in kb.conditions.values() for r in c.rule_ids}
    problems = []

    def question(pattern: str, where: str) -> None:
        body = pattern.rstrip("*")
        kind, _, ident = body.partition(":")
        if body.startswith("screen_"):
            known = any(q.startswith(body) for q in screening) if pattern.endswith("*") else body in screening
        elif kind == "condition":
            names = kb.conditions
            known = any(n.startswith(ident) for n in names) if pattern.endswith("*") else ident in names
        elif kind == "flag":
            known = pattern.endswith("*") or ident in rules
        else:
            known = True  # red_flag_check, update:* (new question kinds the issue adds)
        if not known:
            problems.append(f"{where}: question {pattern!r} names nothing in the knowledge base")

    for conversation in SUITE.values():
        for number, turn in enumerate(conversation.turns, start=1):
            where = f"{conversation.id} turn {number}"
            exp = turn.expect
            for pattern in (exp.question.id if exp.question else []) + exp.not_asked:
                question(pattern, where)
            if exp.safety:
                for rule in exp.safety.flags_any + exp.safety.flags_all:
                    if rule not in rules:
                        problems.append(f"{where}: rule {rule!r} is neither in safety-rules.md nor the knowledge base")
    assert not problems, "\n".join(problems)


CONVERSATION = """
conversations:
  - id: sample
    why: "a sample conversation for the format tests"
    themes: [recent_surgery]
    turns:
      - user: "had my gallbladder out 5 wks ago"
        expect: {safety: {outcome: REFER, flags_any: [PQ8]}}
      - user: "can I do the bed one?"
        expect: {absent: [exercise]}
      - user: "ok"
        expect: {not_stopped: true}
"""


def test_the_sample_conversation_is_valid():
    (conversation,) = load_text(CONVERSATION)
    assert conversation.turns[0].expect.safety.outcome[0].value == "REFER"


@pytest.mark.parametrize(
    "old, new, complaint",
    [
        ("    why:", "    wyh:", "extra fields not permitted"),
        ('      - user: "ok"', '      - usr: "ok"', "extra fields not permitted"),
        ("{not_stopped: true}", "{not_stoped: true}", "extra fields not permitted"),
        ("flags_any: [PQ8]", "flag_any: [PQ8]", "extra fields not permitted"),
        ("outcome: REFER", "outcome: REFERRED", "value is not a valid enumeration member"),
        ("flags_any: [PQ8]", "flags_any: [PQ 8]", "is not a rule id"),
        ("{absent: [exercise]}", "{absent: [exercises]}", "unexpected value"),
        ("{absent: [exercise]}", "{no: [exercise]}", "is not a string"),
        ("{absent: [exercise]}", "{recommendation: {excludes: [couch_stretch]}}", "unknown exercise id"),
        ("{absent: [exercise]}", "{question: {id: screening_knees}}", "is not a question id"),
        ("{absent: [exercise]}", "{}", "a turn must expect something"),
        ("{absent: [exercise]}", "{safety: {}}", "an empty safety expectation"),
        ("{absent: [exercise]}", "{has: [exercise], absent: [exercise]}", "both in has and absent"),
        ('- user: "ok"', "- user: yes", "str type expected"),
        ('- user: "ok"', '- tap: "Yes"\n        user: "ok"', "exactly one of user, tap, answer_screening"),
        ('- user: "ok"', '- user: "in {month:2}"', "unknown placeholder"),
        ('- user: "had my', '- tap: "had my', "the first turn is typed"),
        ("themes: [recent_surgery]", "themes: [recent_surgeries]", "unexpected value"),
        ("themes: [recent_surgery]", "themes: []", "at least one theme"),
        ("  - id: sample", "  - id: Sample Conversation", "lower_snake_case"),
    ],
)
def test_the_format_rejects_typos_and_vacuous_checks(old, new, complaint):
    assert old in CONVERSATION
    with pytest.raises(FormatError, match=complaint):
        load_text(CONVERSATION.replace(old, new, 1), "broken.yml")


def test_the_format_rejects_too_short_and_too_long_conversations():
    short = CONVERSATION.split('      - user: "ok"')[0]
    with pytest.raises(FormatError, match="2 turns"):
        load_text(short)
    turn = '      - user: "ok"\n        expect: {not_stopped: true}\n'
    with pytest.raises(FormatError, match="11 turns"):
        load_text(CONVERSATION + turn * 8)


def test_conversation_ids_are_unique_across_files(tmp_path):
    (tmp_path / "a.yml").write_text(CONVERSATION)
    (tmp_path / "b.yml").write_text(CONVERSATION)
    with pytest.raises(FormatError, match="used twice"):
        load_suite(tmp_path)


# -- the checks can fail ---------------------------------------------------------------------------------
def _expect(**fields) -> Expect:
    return Expect.parse_obj(fields)


def _safety(outcome: str, decision: str, flags=(), excluded=(), **extra) -> Dict:
    return {
        "type": "safety",
        "outcome": outcome,
        "decision": decision,
        "urgency": None,
        "flags": list(flags),
        "excluded": list(excluded),
        **extra,
    }


def test_the_most_severe_safety_decision_in_a_reply_is_the_one_checked():
    reply = [
        {"text": "a", "custom": _safety("CAUTION", "modify")},
        {
            "text": "b",
            "custom": {
                "type": "recommendation",
                "exercises": [],
                "excluded": [],
                "safety": _safety("REFER", "stop", ["PQ8"]),
            },
        },
    ]
    assert check_reply(_expect(safety={"outcome": "REFER", "flags_any": ["PQ8"]}), reply) == []
    assert check_reply(_expect(safety={"outcome": "CAUTION"}), reply)
    assert check_reply(_expect(not_stopped=True), reply)
    assert check_reply(_expect(outcome_not=["REFER"]), reply)


def test_missing_and_unwanted_payloads_fail():
    reply = [{"text": "steps…", "custom": {"type": "exercise", "id": "glute_bridge", "excluded": False}}]
    assert check_reply(_expect(absent=["exercise"]), reply)
    assert check_reply(_expect(has=["recommendation"]), reply)
    assert check_reply(_expect(exercise={"excluded": True}), reply)
    assert check_reply(_expect(safety={"decision": "stop"}), reply) == [
        "a safety payload (standalone or in a recommendation); got none"
    ]
    assert check_reply(_expect(text_any=["standing hip flexor"]), reply)


def test_question_and_recommendation_checks_fail_on_the_wrong_payload():
    reply = [
        {"text": "Which?", "custom": {"type": "screening_question", "id": "screen_knees", "options": ["yes", "no"]}},
        {
            "text": "Try…",
            "custom": {
                "type": "recommendation",
                "exercises": [{"id": "low_lunge_twist"}],
                "excluded": [],
                "safety": _safety("PROCEED", "clear"),
            },
        },
    ]
    assert check_reply(_expect(question={"id": "screen_*"}), reply) == []
    assert check_reply(_expect(question={"id": "screen_knees", "buttons": True}), reply)
    assert check_reply(_expect(not_asked=["screen_knees"]), reply)
    assert check_reply(_expect(recommendation={"excludes": ["low_lunge_twist"]}), reply)
    assert check_reply(_expect(recommendation={"excluded_has": ["low_lunge_twist"]}), reply)


def test_current_stretch_stands_for_the_last_session_step():
    reply = [{"text": "Stop.", "custom": _safety("STOP-STRETCH", "stop", ["IS1"], ["glute_bridge"])}]
    expect = _expect(safety={"excluded_has": ["$current"]})
    assert check_reply(expect, reply, current="glute_bridge") == []
    assert check_reply(expect, reply, current="standing_hip_flexor_stretch")
    assert check_reply(expect, reply, current=None)


def test_a_question_repeated_word_for_word_in_the_next_reply_is_caught():
    def asks(text: str):
        return [
            {
                "text": text,
                "buttons": [{"title": "Yes"}],
                "custom": {"type": "screening_question", "id": "screen_surgery", "options": ["yes", "no"]},
            }
        ]

    assert repeated_questions([asks("Any operation?"), asks("Any operation?")])
    assert repeated_questions([asks("Any operation?"), asks("Sorry, I need a yes or no: any operation?")]) == []
    assert repeated_questions([asks("Any operation?"), [], asks("Any operation?")]) == []


def test_short_holds_are_caught_and_too_few_holds_prove_nothing():
    def hold(seconds: int):
        return [
            {
                "text": "Hold",
                "custom": {"type": "session_step", "exercise_id": "glute_bridge", "phase": "hold", "seconds": seconds},
            }
        ]

    assert short_holds([hold(30), hold(40)], 30) == []
    assert short_holds([hold(30), hold(20)], 30)
    assert short_holds([hold(30)], 30), "a single hold step can't show the floor survives a change"


def test_a_tap_finds_its_button_by_title_or_first_words():
    reply = [
        {
            "text": "Sure?",
            "buttons": [{"title": "Yes, that's right", "payload": "/yes"}, {"title": "No", "payload": "/no"}],
        }
    ]
    assert find_button(reply, "yes") == "/yes"
    assert find_button(reply, "No") == "/no"
    assert find_button(reply, "Ye") is None, "a tap matches whole words only"
    assert find_button(reply + [{"buttons": [{"title": "Yes please", "payload": "/please"}]}], "Yes") is None
