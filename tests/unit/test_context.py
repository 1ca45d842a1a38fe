"""Context rules around a matched phrase: negation, third parties, hypotheticals, time, typos."""

from __future__ import annotations

from datetime import date

import pytest

from coach.profile import Profile
from coach.safety.context import days_ago
from coach.safety.text import TypoFixer, make_doc, normalise

TODAY = date(2026, 11, 21)


def outcome(triage, text, in_session=False):
    decision, _ = triage.assess(text, Profile("t"), in_session=in_session, today=TODAY)
    return decision


@pytest.mark.parametrize(
    "text",
    [
        "no numbness and I can pee fine",
        "I don't have any numbness down there",
        "legs are strong, no weakness at all",
        "my dad had a hip replacement years ago and my own hips are tight",
        "mum had cancer years ago",
        "what if I get numbness down there?",
    ],
)
def test_context_prevents_false_alarms(triage, text):
    assert not outcome(triage, text).stops_coaching


@pytest.mark.parametrize(
    "text",
    ["my dad had a hip replacement", "my husband had a knee op three weeks ago, which stretches should he do?"],
)
def test_another_persons_health_is_answered_for_them_and_kept_out_of_the_profile(triage, text):
    decision, profile = triage.assess(text, Profile("t"), today=TODAY)
    assert decision.about == "someone_else" and decision.rule_ids == ["SC1"]
    assert not profile.conditions and not profile.constraints


@pytest.mark.parametrize(
    "text",
    [
        "lol my bum is numb and i wet myself",
        "NUMBNESS AROUND MY GROIN SINCE THIS MORNING",
        "i dont know why but my groin is numb and i cant pee",
        "my back hurts. also I've been having trouble peeing since yesterday",
    ],
)
def test_red_flags_survive_humour_case_and_second_sentences(triage, text):
    assert outcome(triage, text).outcome.value == "EMERGENCY"


def test_time_separates_recent_from_past_surgery(triage):
    assert outcome(triage, "I had a hip replacement three weeks ago").outcome.value == "REFER"
    assert not outcome(triage, "I had a hip replacement 10 years ago").stops_coaching


@pytest.mark.parametrize(
    "text,expected",
    [
        ("surgery 10 years ago", 3650),
        ("three weeks ago", 21),
        ("since this morning", 0),
        ("last year", 365),
        ("a couple of months ago", 60),
        ("in 2015", 11 * 365),
        ("yesterday", 1),
    ],
)
def test_days_ago(text, expected):
    doc = make_doc(text)
    assert days_ago(doc, 0, len(doc), TODAY) == expected


def test_typos_are_repaired_towards_the_knowledge_base_vocabulary():
    fixer = TypoFixer({"numbness", "tingling", "incontinence"})
    assert fixer.fix("numbess") == "numbness"
    assert fixer.fix("tinglnig") == "tingling"
    assert fixer.fix("sitting") == "sitting"  # a real word is never 'corrected'


def test_normalise_handles_unicode_and_phone_typing():
    assert normalise("I CANT kneel\u2019s  soooo") == "i can't kneel's  soo"
    assert len(normalise("x" * 10_000)) <= 2000


def test_in_session_pain_stops_the_stretch_only_in_session(triage):
    assert outcome(triage, "ouch that pinches", in_session=True).outcome.value == "STOP-STRETCH"
    assert not outcome(triage, "what if it pinches?", in_session=True).stops_coaching
