"""The learned reader may only add caution: it raises a coaching decision, never lowers or clears
a rule's stop, is not remembered, stays out of guided sessions, and never learns from a blind half."""

from __future__ import annotations

import logging
from typing import Optional

import pytest

from coach.kb.schema import Outcome
from coach.profile import Profile
from coach.safety.detector import Detector
from coach.safety.labels import READER_ADDS, THIRD
from coach.safety.reader import FORMAT, LearnedReader, Suspicion, default_reader, label_of
from coach.safety.triage import READER_RULE, Triage
from scripts import train_reader

EMERGENCY_TEXT = "I can't feel the toilet seat and I've wet myself without noticing since this morning"
ORDINARY_TEXT = "my hips feel tight after a day at my desk, what should I stretch?"


class SaysAlways:
    """A reader that suspects the same outcome of every message."""

    def __init__(self, outcome: Optional[str], probability: float = 0.9):
        self.outcome, self.probability = outcome, probability

    def suspect(self, text: str) -> Optional[Suspicion]:
        return Suspicion(self.outcome, self.probability, ("tight",)) if self.outcome else None

    def precautions(self, text: str) -> list:
        return []


@pytest.fixture(scope="module")
def detector(kb) -> Detector:
    return Detector(kb)


def judge(kb, detector, reader, text, profile=None, in_session=False):
    detector.reader = reader
    try:
        return Triage(kb, detector).assess(text, profile or Profile(user_id="u"), in_session=in_session)
    finally:
        detector.reader = None


@pytest.mark.parametrize("outcome", READER_ADDS)
def test_it_never_changes_what_the_rules_stopped(kb, detector, outcome):
    by_rules, _ = judge(kb, detector, None, EMERGENCY_TEXT)
    assert by_rules.outcome is Outcome.EMERGENCY
    with_reader, _ = judge(kb, detector, SaysAlways(outcome), EMERGENCY_TEXT)
    assert (with_reader.outcome, with_reader.rule_ids, with_reader.messages) == (
        by_rules.outcome,
        by_rules.rule_ids,
        by_rules.messages,
    )


@pytest.mark.parametrize("outcome", [o for o in READER_ADDS if o != THIRD])
def test_it_raises_a_coaching_decision_with_its_own_rule_and_wording_first(kb, detector, outcome):
    by_rules, _ = judge(kb, detector, None, ORDINARY_TEXT)
    assert not by_rules.stops_coaching
    decision, _ = judge(kb, detector, SaysAlways(outcome), ORDINARY_TEXT)
    assert decision.outcome is Outcome(outcome)
    assert READER_RULE in decision.rule_ids and decision.stops_coaching
    assert decision.messages[0] == kb.texts.learned_reader[outcome]
    assert decision.payload()["flags"][-1] == READER_RULE


def test_someone_elses_health_is_declined_as_theirs(kb, detector):
    decision, _ = judge(kb, detector, SaysAlways(THIRD), ORDINARY_TEXT)
    assert (decision.outcome, decision.about) == (Outcome.OUT_OF_SCOPE, "someone_else")


def test_a_suspected_stretch_symptom_leaves_that_stretch_out(kb, detector):
    decision, _ = judge(
        kb, detector, SaysAlways("STOP-STRETCH"), "my knee hurt in the half kneeling hip flexor stretch"
    )
    assert decision.outcome is Outcome.STOP_STRETCH
    assert decision.stretch == "half_kneeling_hip_flexor_stretch"
    assert "half_kneeling_hip_flexor_stretch" in decision.excluded


def test_nothing_it_says_is_remembered_and_the_next_message_is_judged_afresh(kb, detector):
    first, profile = judge(kb, detector, SaysAlways("URGENT"), ORDINARY_TEXT)
    assert first.outcome is Outcome.URGENT
    assert profile.alert is None and not profile.referrals
    second, _ = judge(kb, detector, None, "ok, which stretch then?", profile=profile)
    assert not second.stops_coaching


def test_it_stays_out_of_guided_sessions_and_below_its_threshold(kb, detector):
    in_session, _ = judge(kb, detector, SaysAlways("REFER"), "this feels fine", in_session=True)
    assert READER_RULE not in in_session.rule_ids
    nothing, _ = judge(kb, detector, SaysAlways(None), ORDINARY_TEXT)
    assert READER_RULE not in nothing.rule_ids


def test_every_outcome_it_can_add_has_fixed_wording_and_no_other(kb):
    assert set(kb.texts.learned_reader) == set(READER_ADDS)


TINY = [
    ("had my gallbladder out last week after surgery", "REFER"),
    ("surgery on my knee two weeks ago, still on crutches", "REFER"),
    ("my surgeon operated on my hip recently", "REFER"),
    ("recovering from surgery, stitches out soon", "REFER"),
    ("tight hips from sitting at my desk all day", "COACH"),
    ("my hips feel tight after running, what stretch?", "COACH"),
    ("what is a good stretch for tight hip flexors", "COACH"),
    ("sitting all day makes my hips stiff", "COACH"),
]


def test_a_trained_reader_suspects_explains_and_survives_a_save(tmp_path):
    reader = LearnedReader.train(TINY * 3, threshold=0.5)
    suspicion = reader.suspect("I had surgery two weeks ago and I am still recovering from it")
    assert suspicion is not None and suspicion.outcome == "REFER"
    assert "surgery" in suspicion.words  # explained by the message's own words
    assert reader.suspect("my hips are tight from my desk after sitting all day long") is None
    # Replies and short requests are outside what it learned (stories of ten words or more).
    assert reader.suspect("surgery two weeks ago") is None
    assert reader.suspect("") is None and reader.suspect("   ") is None
    path = tmp_path / "reader.pkl"
    reader.save(path)
    again = LearnedReader.load(path, threshold=0.5)
    assert again.probabilities("surgery last week") == pytest.approx(reader.probabilities("surgery last week"))


def test_a_reader_saved_by_another_version_is_refused(tmp_path, monkeypatch):
    reader = LearnedReader.train(TINY * 3)
    path = tmp_path / "reader.pkl"
    monkeypatch.setattr("coach.safety.reader.FORMAT", FORMAT + 1)
    reader.save(path)
    monkeypatch.setattr("coach.safety.reader.FORMAT", FORMAT)
    with pytest.raises(ValueError, match="make train"):
        LearnedReader.load(path)


def test_without_a_built_reader_the_rules_decide_alone_and_say_so(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("COACH_READER_PATH", str(tmp_path / "missing.pkl"))
    with caplog.at_level(logging.WARNING):
        assert default_reader() is None
    assert "make train" in caplog.text


def test_it_learns_the_evaluation_categories_and_never_from_a_blind_half(tmp_path, monkeypatch):
    assert label_of({"outcome": "URGENT"}) == "URGENT"
    assert label_of({"outcome": "OUT-OF-SCOPE", "third_party": True}) == THIRD
    assert label_of({"outcome": "OUT-OF-SCOPE"}) == "COACH"  # a diagnosis request is declined by the rules
    assert label_of({"outcome": "CAUTION", "category": "referral"}) == "REFER"
    assert not [p for p in train_reader.training_files() if "blind_r" in p.name]
    real = tmp_path / "real"
    real.mkdir()
    for name in ("tuning_r1.yml", "opened_r9.yml", "blind_r9.yml"):
        (real / name).write_text("cases: []\n")
    monkeypatch.setattr(train_reader, "REAL", real)
    files = train_reader.training_files()
    assert real / "tuning_r1.yml" in files and real / "opened_r9.yml" in files
    assert real / "blind_r9.yml" not in files


def test_a_blind_file_among_the_inputs_is_refused(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    (real / "tuning_r1.yml").write_text("cases: []\n")
    monkeypatch.setattr(train_reader, "WRITTEN", [real / "blind_r4.yml"])
    monkeypatch.setattr(train_reader, "REAL", real)
    with pytest.raises(ValueError, match="blind half"):
        train_reader.training_files()


def test_a_stale_reader_is_rebuilt_and_a_fresh_one_kept(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(train_reader, "build", lambda: built.append(1) or LearnedReader.train(TINY * 3))
    path = tmp_path / "reader.pkl"
    assert train_reader.ensure(path) is True
    assert train_reader.ensure(path) is False
    assert len(built) == 1


@pytest.mark.parametrize(
    "text",
    ["things are a bit off down there", "I had a hip replacement"],  # the checklist; "when was it?"
)
def test_a_question_the_rules_ask_comes_first(kb, detector, text):
    by_rules, _ = judge(kb, detector, None, text)
    assert not by_rules.stops_coaching
    decision, _ = judge(kb, detector, SaysAlways("EMERGENCY"), text)
    assert READER_RULE not in decision.rule_ids
    assert (decision.outcome, decision.clarify) == (by_rules.outcome, by_rules.clarify)
