"""The second labeller's file stays in step with the set it relabels, and agreement is counted right."""

from __future__ import annotations

import pytest

from evaluation.agreement import agreement, check_second_labels, load_second_labels
from evaluation.scoring import REAL, ROOT, load_set
from scripts import label_agreement

AGREEMENT = ROOT / "tests" / "safety" / "agreement"
SECOND_FILES = sorted(AGREEMENT.glob("*_second.yml"))


def test_there_is_a_second_opinion_and_none_is_of_a_blind_half():
    assert SECOND_FILES, "tests/safety/agreement/ holds at least one second labeller's file"
    assert not [p for p in SECOND_FILES if p.stem.startswith("blind")], "a blind half is shown to nobody"


@pytest.mark.parametrize("path", SECOND_FILES, ids=[p.stem for p in SECOND_FILES])
def test_second_labels_cover_exactly_the_set_with_known_outcomes(path):
    first = load_set(REAL / f"{path.stem.removesuffix('_second')}.yml")
    assert check_second_labels(first, load_second_labels(path)) == []


def test_a_drifted_or_misspelt_second_file_is_reported():
    first = [{"id": "a", "outcome": "REFER"}, {"id": "b", "outcome": "PROCEED"}]
    second = [
        {"id": "a", "outcome": "REFERRAL", "confidence": "high"},
        {"id": "c", "outcome": "PROCEED", "confidence": "sure"},
    ]
    problems = check_second_labels(first, second)
    assert any("ids differ: 1 missing, 1 unknown" in p for p in problems)
    assert any("unknown outcome 'REFERRAL'" in p for p in problems)
    assert any("unknown confidence 'sure'" in p for p in problems)


def test_agreement_counts_outcomes_categories_and_kappa():
    first = [
        {"id": "1", "outcome": "REFER"},
        {"id": "2", "outcome": "PROCEED"},
        {"id": "3", "outcome": "URGENT"},
        {"id": "4", "outcome": "CAUTION"},
    ]
    second = [
        {"id": "1", "outcome": "REFER", "confidence": "high"},
        {"id": "2", "outcome": "EXCLUDE", "confidence": "high"},  # another outcome, the same category
        {"id": "3", "outcome": "PROCEED", "confidence": "low"},
        {"id": "4", "outcome": "CAUTION", "confidence": "medium"},
    ]
    result = agreement(first, second)
    assert (result.same_outcome, result.same_category) == (2, 3)
    assert result.by_confidence == {"high": (2, 2), "medium": (1, 1), "low": (0, 1)}
    assert result.by_first_category["high_stakes"][:2] == (0, 1)
    assert result.category_kappa == pytest.approx(5 / 9)  # by hand: po 3/4, pe 7/16
    assert agreement(first, first).outcome_kappa == pytest.approx(1.0)


def test_the_script_refuses_a_blind_half(capsys):
    assert label_agreement.main(["--set", "blind_r4"]) == 2
