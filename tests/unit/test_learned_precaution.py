"""The learned reader's precaution (rule LR2): it may only leave stretches out, where the rules
would coach; it is remembered as a limit the user lifts in words, explained as a guess, and it
never touches a stop, a guided session or what the user already told us."""

from __future__ import annotations

from typing import List

import pytest

from coach.catalog import Catalog
from coach.kb.schema import Outcome
from coach.profile import Profile
from coach.recommend import recommend
from coach.safety.detector import Detector
from coach.safety.reader import LIMITS, LearnedReader, Suspicion, limit_examples_from
from coach.safety.triage import PRECAUTION_RULE, Triage
from scripts import train_reader

KNEELING = "half_kneeling_hip_flexor_stretch"
STORY = "my hips are tight from sitting and I spend a lot of my weekend gardening down on the ground"
EMERGENCY_TEXT = "I can't feel the toilet seat and I've wet myself without noticing since this morning"


class ProposesKneeling:
    """A reader with no outcome to add that proposes the kneeling precaution for every message."""

    def suspect(self, text: str):
        return None

    def precautions(self, text: str) -> List[Suspicion]:
        return [Suspicion("no_kneeling", 0.9, ("ground",))]


@pytest.fixture(scope="module")
def detector(kb) -> Detector:
    return Detector(kb)


def judge(kb, detector, reader, text, profile=None, in_session=False):
    detector.reader = reader
    try:
        return Triage(kb, detector).assess(text, profile or Profile(user_id="u"), in_session=in_session)
    finally:
        detector.reader = None


def test_it_leaves_the_kneeling_stretches_out_as_a_guess_and_coaches(kb, detector):
    by_rules, _ = judge(kb, detector, None, STORY)
    assert KNEELING not in by_rules.excluded
    decision, profile = judge(kb, detector, ProposesKneeling(), STORY)
    assert not decision.stops_coaching and decision.outcome is Outcome.EXCLUDE
    assert PRECAUTION_RULE in decision.rule_ids
    assert decision.excluded[KNEELING] == kb.texts.learned_precaution["no_kneeling"]
    assert "kneeling is fine" in decision.excluded[KNEELING]  # how to bring it back
    picks = [p.id for p in recommend(Catalog(kb), decision).picks]
    assert picks and KNEELING not in picks
    assert profile.precautions == ["no_kneeling"] and "no_kneeling" in profile.constraints


def test_it_is_remembered_for_the_next_list_and_lifted_by_the_users_word_unasked(kb, detector):
    _, profile = judge(kb, detector, ProposesKneeling(), STORY)
    later, profile = judge(kb, detector, None, "ok, which stretches then?", profile=profile)
    assert KNEELING in later.excluded and PRECAUTION_RULE in later.rule_ids
    lifted, profile = judge(kb, detector, None, "kneeling is fine for me", profile=profile)
    assert not lifted.updates  # only a guess: no "shall I stop working around it?" question
    assert KNEELING not in lifted.excluded
    assert "no_kneeling" not in profile.constraints and not profile.precautions
    # Told so, the reader's guess is not made again.
    again, profile = judge(kb, detector, ProposesKneeling(), STORY, profile=profile)
    assert KNEELING not in again.excluded and "no_kneeling" not in profile.constraints


def test_the_users_own_limit_stays_theirs(kb, detector):
    said, profile = judge(kb, detector, None, "I can't kneel, my knees hurt when I kneel")
    assert "no_kneeling" in profile.constraints
    decision, profile = judge(kb, detector, ProposesKneeling(), STORY, profile=profile)
    assert PRECAUTION_RULE not in decision.rule_ids and not profile.precautions
    assert decision.excluded[KNEELING] == said.excluded[KNEELING]


def test_it_never_touches_a_stop_or_a_guided_session(kb, detector):
    by_rules, _ = judge(kb, detector, None, EMERGENCY_TEXT)
    decision, profile = judge(kb, detector, ProposesKneeling(), EMERGENCY_TEXT)
    assert (decision.outcome, decision.rule_ids) == (by_rules.outcome, by_rules.rule_ids)
    assert not profile.precautions
    in_session, profile = judge(kb, detector, ProposesKneeling(), STORY, in_session=True)
    assert PRECAUTION_RULE not in in_session.rule_ids and not profile.precautions


def test_every_limit_it_can_propose_is_a_constraint_with_fixed_wording(kb):
    assert set(kb.texts.learned_precaution) == set(LIMITS)
    assert set(LIMITS) <= set(kb.constraints)


KNEES = [
    ("my knees cry every time I garden on the ground for an hour", True),
    ("the kneecap feels like it pulls down after a mile of running", True),
    ("my knee has been suspect since school and now the other one too", True),
    ("I had to ice my knee after the long walk yesterday evening", True),
    ("my hips feel tight after a long day sitting at my desk", False),
    ("I run three times a week and my hip flexors are always tight", False),
    ("what is a good stretch for tight hips after cycling to work", False),
    ("sitting in the car for hours makes the front of my hips stiff", False),
]


OUTCOMES = ([(t, "COACH") for t, _ in KNEES] + [("had surgery on my hip last week, stitches still in", "REFER")]) * 3


def test_a_trained_precaution_reads_stories_explains_and_survives_a_save(kb, tmp_path):
    cases = [{"text": t, "excluded": [KNEELING] if knee else []} for t, knee in KNEES]
    limits = limit_examples_from(cases * 3, train_reader.left_out_by(kb))
    assert sum(says for _, says in limits["no_kneeling"]) == 12
    reader = LearnedReader.train(OUTCOMES, limit_examples=limits, limit_threshold=0.5)
    found = reader.precautions("my knee aches and I iced my knee after gardening on the ground today")
    assert [p.outcome for p in found] == ["no_kneeling"] and "knee" in found[0].words
    assert reader.precautions("my hips are tight after sitting at my desk all day long") == []
    assert reader.precautions("my knee aches") == []  # a reply or request: the rules' to read
    path = tmp_path / "reader.pkl"
    reader.save(path)
    again = LearnedReader.load(path)
    again.limit_threshold = 0.5
    assert [
        p.outcome for p in again.precautions("my knee aches and I iced my knee after gardening on the ground today")
    ] == ["no_kneeling"]


def test_a_precaution_needs_both_kinds_of_message_to_learn_from():
    with pytest.raises(ValueError, match="with and without"):
        LearnedReader.train(
            OUTCOMES,
            limit_examples={"no_kneeling": [("my knee hurts", True), ("my knee aches", True)]},
        )


def test_the_stretches_a_limit_leaves_out_come_from_the_knowledge_base(kb):
    left_out = train_reader.left_out_by(kb)["no_kneeling"]
    assert KNEELING in left_out
    assert all("kneeling" in kb.exercises[e].demands for e in left_out)
    assert "standing_hip_flexor_stretch" not in left_out
