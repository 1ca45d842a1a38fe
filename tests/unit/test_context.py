"""Context rules around a matched phrase: negation, third parties, hypotheticals, time, typos."""

from __future__ import annotations

from datetime import date

import pytest

from coach.profile import Profile
from coach.safety.context import current_age, days_ago
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
    "text",
    [
        "my pacemaker was fitted 3 weeks ago",  # the act and the device apart
        "they put a pacemaker in last month",  # the hospital's "they", the match starting at its verb
        "six weeks post pacemaker",
    ],
)
def test_a_pacemaker_fitted_is_a_recent_heart_operation_however_told(triage, text):
    d = outcome(triage, text)
    assert d.outcome.value == "REFER" and "PQ1" in d.rule_ids and d.about != "someone_else"


def test_living_with_a_pacemaker_only_asks(triage):
    assert outcome(triage, "I've had a pacemaker for ten years and my hips are stiff").outcome.value == "CLARIFY"


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


@pytest.mark.parametrize(
    "text,expected",
    [
        ("had an acl reconstruction at the age of 18. i'm 40 now", 22 * 365),
        ("knee surgery at age 70 and i'm 70 now", 180),  # this year: never read as 'today'
        ("had an acl reconstruction at the age of 18", None),  # no age of now: the age then dates nothing
        ("the pain started last night", 0.5),  # inside the last day, still today's episode
    ],
)
def test_ages_and_nights_date_what_happened(text, expected):
    doc = make_doc(text)
    assert days_ago(doc, 0, len(doc), TODAY) == expected


@pytest.mark.parametrize(
    "text,age",
    [
        ("i am a 67 -year old man", 67),
        ("i'm 45", 45),
        ("when i was 19 i broke my leg", None),
        ("aged 18 i had surgery", None),
    ],
)
def test_the_age_of_now_is_told_apart_from_an_age_then(text, age):
    assert current_age(text) == age


def test_sentences_glued_by_punctuation_are_split_into_words():
    assert [t.text for t in make_doc("chest pains--the")] == ["chest", "pains", "--", "the"]
    assert [t.text for t in make_doc("my spine.If I")] == ["my", "spine", ".", "if", "i"]
    assert [t.text for t in make_doc("weighs 2.5 kg")] == ["weighs", "2.5", "kg"]  # decimals stay whole


def test_a_question_about_exercise_is_not_a_clearance(triage):
    asked = [
        f
        for f in triage.detector.detect("is it ok to exercise with a fracture?", TODAY)
        if f.id == "clinician_clearance"
    ]
    assert asked and all(f.hypothetical for f in asked)
    told = [f for f in triage.detector.detect("my GP said it's ok to exercise", TODAY) if f.id == "clinician_clearance"]
    assert told and not any(f.hypothetical for f in told)


def test_a_clearance_the_clinician_refused_is_their_limit(triage):
    assert outcome(triage, "my physio said it is not safe to stretch my hip yet").outcome.value == "REFER"
    assert "PQ5" in outcome(triage, "my doctor hasn't cleared me to exercise").rule_ids
    assert not outcome(triage, "nobody has cleared me, which stretch is gentlest?").stops_coaching
    pregnant = outcome(triage, "I'm 20 weeks pregnant and nobody has cleared me to exercise")
    assert pregnant.outcome.value == "CLARIFY"  # no clearance read into "nobody has cleared me"


def test_what_the_hospital_did_is_the_users_own(triage):
    decision = outcome(triage, "they put in two stents last week after my heart attack")
    assert decision.about != "someone_else" and decision.outcome.value == "REFER"
    assert outcome(triage, "my dad had a heart attack and they put in a stent").about == "someone_else"


def test_what_the_hospital_did_over_small_words_is_the_users_own(triage):
    decision = outcome(triage, "in 2010 they also had to do a laparotomy to remove a cyst, so I was off work for weeks")
    assert decision.about != "someone_else" and not decision.stops_coaching


def test_an_old_friend_in_quotes_is_the_users_own_condition(triage):
    text = "I felt miffed that my 'old friend' sciatica from the 70s had come back after years of yoga"
    assert outcome(triage, text).about != "someone_else"
    assert outcome(triage, "my old friend had a hip replacement last month").about == "someone_else"


def test_only_someone_elses_past_health_is_answered_for_them(triage):
    decision = outcome(triage, "my mum had a hip replacement last year")
    assert decision.about == "someone_else" and decision.outcome.value == "OUT-OF-SCOPE"
    assert "SC1" in decision.rule_ids
    own = outcome(triage, "my dad had a spinal fusion years ago, I just want to loosen my own tight hips")
    assert own.about != "someone_else" and not own.stops_coaching


def test_exertion_anywhere_in_the_sentence_explains_breathlessness(triage):
    def breathless(text):
        return [f for f in triage.detector.detect(text, TODAY) if f.id == "breathless" and f.about_user_now]

    assert not breathless("I ran a race and couldn't catch my breath at the end")
    assert breathless("I was sitting reading and couldn't catch my breath")


def test_a_dated_heart_attack_is_asked_about_clearance_not_its_date_again(triage):
    decision, profile = triage.assess("I had a heart operation, can I stretch my hips?", Profile("t"), today=TODAY)
    assert decision.clarify == "condition:recent_heart_event"  # when was it?
    profile = triage.apply_answer(profile, "condition:recent_heart_event", "past", today=TODAY)
    decision, profile = triage.decide([], profile, today=TODAY)
    assert decision.outcome.value == "CLARIFY" and decision.clarify == "cleared:recent_heart_event"
    profile = triage.apply_answer(profile, decision.clarify, "cleared", today=TODAY)
    assert triage.decide([], profile, today=TODAY)[0].outcome.value == "CAUTION"
    profile = triage.apply_answer(profile, "cleared:recent_heart_event", "not_cleared", today=TODAY)
    assert triage.decide([], profile, today=TODAY)[0].outcome.value == "REFER"


def test_the_same_advice_from_two_rules_is_said_once(triage):
    decision = outcome(
        triage, "I'm 37 weeks and my lower back has been cramping every few minutes, could this be back labour??"
    )
    maternity = [m for m in decision.messages if "maternity unit" in m]
    assert len(maternity) == 1 and maternity[0].endswith("before any more exercise.")


def test_the_clearance_question_for_a_dated_condition_has_clearance_answers(kb):
    from coach.dialogue.questions import Kind, spec

    asked = spec(kb, "cleared:recent_heart_event")
    assert asked is not None and asked.kind is Kind.CLEARED
    assert spec(kb, "condition:recent_heart_event").kind is Kind.WHEN


def test_a_recent_operation_cleared_early_keeps_its_exclusions_until_it_is_long_past(triage):
    """The advice promises "after that we'll start with the glute bridge and a gentle standing
    stretch": a clearance three weeks after surgery lifts the referral, not the recent exclusions."""
    decision, profile = triage.assess("had my gallbladder out 3 weeks ago, can I stretch?", Profile("g"), today=TODAY)
    assert decision.outcome.value == "REFER"
    decision, profile = triage.assess("my surgeon said exercise is fine now", profile, today=TODAY)
    assert not decision.stops_coaching
    assert {"half_kneeling_hip_flexor_stretch", "hip_flexor_bed_stretch"} <= set(decision.excluded)
    assert "glute_bridge" not in decision.excluded
    long_ago, _ = triage.assess("had my gallbladder out 2 years ago, can I stretch?", Profile("h"), today=TODAY)
    assert not long_ago.stops_coaching and "hip_flexor_bed_stretch" not in long_ago.excluded
