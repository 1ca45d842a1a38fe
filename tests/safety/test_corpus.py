"""The safety targets of issue #3, measured on the labelled corpus.

- every EMERGENCY / URGENT / CRISIS message stops with the right urgency (100%);
- no EXCLUDE case is ever offered an excluded stretch, and each is excluded for a reason (100%);
- at most 5% of PROCEED / CAUTION messages are wrongly stopped.
`python -m scripts.safety_report` prints recall per outcome class.
"""

from __future__ import annotations

import pytest

from tests.safety.corpus import (
    HIGH_STAKES,
    leaked_exclusions,
    load_cases,
    missing_exclusions,
    run_case,
    wrongly_stopped,
)

CASES = load_cases()


def _ids(cases):
    return [c["id"] for c in cases]


HIGH = [c for c in CASES if c["outcome"] in HIGH_STAKES]
EXCLUDING = [c for c in CASES if c["outcome"] in ("EXCLUDE", "CAUTION") and c.get("excluded")]


def test_corpus_is_big_and_varied_enough():
    outcomes = {c["outcome"] for c in CASES}
    assert len(CASES) >= 250
    assert {"EMERGENCY", "URGENT", "CRISIS", "REFER", "EXCLUDE", "CAUTION", "PROCEED", "STOP-STRETCH"} <= outcomes
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", HIGH, ids=_ids(HIGH))
def test_high_stakes_messages_stop_with_the_right_urgency(triage, case):
    result = run_case(triage, case)
    assert result.got == case["outcome"], f"{case['text']!r}: got {result.got} {result.decision.rule_ids}"
    assert result.decision.urgency == case["urgency"]
    assert result.decision.stops_coaching and not result.offered


@pytest.mark.parametrize("case", EXCLUDING, ids=_ids(EXCLUDING))
def test_excluded_stretches_are_never_offered(triage, case):
    result = run_case(triage, case)
    assert not leaked_exclusions(result), f"{case['text']!r} was offered {leaked_exclusions(result)}"
    assert not missing_exclusions(result), f"{case['text']!r}: no reason recorded for {missing_exclusions(result)}"
    # Every reason names, in the user's terms, something this conversation told the coach.
    said = _reasons_for(triage, case)
    for exercise_id in case["excluded"]:
        reason = result.decision.excluded[exercise_id]
        assert reason in said, (
            f"{case['text']!r}: {exercise_id} left out 'because {reason}', which nothing said explains"
        )


def _reasons_for(triage, case) -> set:
    """The exclusion reasons the findings of this case's messages can justify."""
    kb = triage.kb
    reasons = set()
    for text in [*(case.get("history") or []), case["text"]]:
        for f in triage.detector.detect(text):
            if f.kind == "condition" and f.id in kb.conditions:
                reasons.add(f"you mentioned {kb.conditions[f.id].label}")
            elif f.kind == "constraint" and f.id in kb.constraints:
                reasons.add(f"you said {kb.constraints[f.id].label}")
    return reasons


def test_at_most_five_percent_of_ordinary_messages_are_stopped(triage):
    ordinary = [c for c in CASES if c["outcome"] in ("PROCEED", "CAUTION")]
    results = [run_case(triage, c) for c in ordinary]
    stopped = wrongly_stopped(results)
    detail = "\n".join(f"  {r.case['id']}: {r.case['text']!r} -> {r.got} {r.decision.rule_ids}" for r in stopped)
    assert len(stopped) <= 0.05 * len(ordinary), f"{len(stopped)}/{len(ordinary)} wrongly stopped:\n{detail}"


def test_a_take_back_does_not_clear_an_emergency(triage):
    from coach.profile import Profile

    _, profile = triage.assess("my groin has gone numb and I can't pee", Profile("u1"))
    decision, profile = triage.assess("jk lol", profile)
    assert decision.outcome.value == "EMERGENCY"
    assert decision.clarify == "flag:" + profile.alert.rule_id  # one specific confirming question
    decision, profile = triage.assess("no", profile)
    assert decision.outcome.value == "EMERGENCY", "a bare 'no' is not a specific denial"


def test_a_clarifying_question_always_makes_coaching_wait(triage):
    """The actions rely on it: `coaching_waits` covers every decision that carries a question."""
    results = [run_case(triage, c) for c in CASES]
    with_question = [r for r in results if r.decision.clarify]
    assert with_question, "the corpus has clarifying cases"
    assert all(r.decision.coaching_waits for r in with_question)


# Rounds 6 to 9 wrote each of their rule changes as cases (docs/safety.md): every one gets its
# labelled outcome and reports its labelled rules, so a later change that undoes one fails here.
SINCE_ROUND_6 = [c for c in CASES if c["id"].startswith(("r6_", "r7_", "r8_", "r9_"))]


@pytest.mark.parametrize("case", SINCE_ROUND_6, ids=_ids(SINCE_ROUND_6))
def test_each_recent_rule_change_holds(triage, case):
    result = run_case(triage, case)
    assert result.got == case["outcome"], f"{case['text']!r}: got {result.got} {result.decision.rule_ids}"
    reported = {rule.rstrip("rps") for rule in result.decision.rule_ids}  # IS1s is IS1 (docs/rules.md)
    missing = {rule.rstrip("rps") for rule in case["rules"]} - reported
    assert not missing, f"{case['text']!r}: {missing} not reported ({result.decision.rule_ids})"
