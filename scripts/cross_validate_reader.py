"""How well the learned reader carries to posts it never saw, without touching a blind half.

python -m scripts.cross_validate_reader [--folds 5] [--threshold 0.6] [--min-words 10] [--C 4]

The real messages the reader may learn from (tuning and opened halves) are cut into folds by
source page, so no page's posts are both learned from and scored. Each fold is scored by a reader
trained on the other folds and the two written suites, through the whole core (rules, then the
reader's caution), and the figures are printed beside the rules alone on the same messages.
Variants of the reader's settings are compared here, and a setting changes only when a variant
gets more messages right with no more ordinary messages stopped (docs/safety.md). A blind half is
never read: this script refuses one.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.detector import Detector
from coach.safety.findings import Finding
from coach.safety.reader import (
    LIMIT_THRESHOLD,
    MIN_WORDS,
    REGULARISATION,
    THRESHOLD,
    LearnedReader,
    examples_from,
    limit_examples_from,
)
from coach.safety.triage import Triage
from evaluation.runners import run_in_core
from evaluation.scoring import REAL, Figures, load_set, score
from scripts.train_reader import WRITTEN, left_out_by


def real_files() -> List[Path]:
    files = sorted(REAL.glob("tuning_r*.yml")) + sorted(REAL.glob("opened_r*.yml"))
    if any(p.stem.startswith("blind_r") for p in files):
        raise ValueError("a blind half is never cross-validated on")
    return files


def fold_of(source: str, folds: int) -> int:
    """A page's fold, from a hash of its address: stable, and blind to the words."""
    return int(hashlib.sha256(source.encode("utf-8")).hexdigest(), 16) % folds


class _CachedDetector:
    """The rules' findings once per message, and the fold's reader on top: what Detector(kb, reader)
    returns, at a fraction of the cost of detecting every message once per variant."""

    def __init__(self, rules: Detector):
        self.rules = rules
        self.reader: Optional[LearnedReader] = None
        self._found: Dict[str, List[Finding]] = {}

    def detect(self, text: str, today: Optional[date] = None) -> List[Finding]:
        if text not in self._found:
            self._found[text] = self.rules.detect(text, today)
        self.rules.reader = self.reader
        try:
            return self._found[text] + self.rules.suspicion(text)
        finally:
            self.rules.reader = None


def cross_validate(
    cases: Sequence[dict],
    written: Sequence[dict],
    folds: int,
    threshold: float,
    min_words: int,
    regularisation: float,
    detector: _CachedDetector,
    triage: Triage,
    limit_threshold: float = LIMIT_THRESHOLD,
) -> Figures:
    scored = []
    limits = left_out_by(triage.kb)
    for k in range(folds):
        held = [c for c in cases if fold_of(c["source"], folds) == k]
        learned = [c for c in cases if fold_of(c["source"], folds) != k] + list(written)
        detector.reader = LearnedReader.train(
            examples_from(learned),
            threshold=threshold,
            min_words=min_words,
            regularisation=regularisation,
            limit_examples=_learnable(limit_examples_from(learned, limits)) if limit_threshold <= 1 else None,
            limit_threshold=limit_threshold,
        )
        _, pairs = run_in_core(triage, held)
        scored.extend(pairs)
    detector.reader = None
    return score(scored)


def _learnable(examples: Dict[str, List]) -> Dict[str, List]:
    """A fold's limits that have messages with and without them (a small fold may lack one)."""
    return {limit: rows for limit, rows in examples.items() if len({says for _, says in rows}) == 2}


def _right(figures: Figures) -> int:
    return sum(figures.ok.values())


def _needless(figures: Figures) -> str:
    """What a precaution costs: stretches left out that the label would have allowed."""
    return f"stretches left out needlessly {figures.needless_exclusions}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threshold", type=float, nargs="+", default=[THRESHOLD])
    parser.add_argument("--min-words", type=int, nargs="+", default=[MIN_WORDS])
    parser.add_argument("--C", type=float, nargs="+", default=[REGULARISATION])
    parser.add_argument(
        "--limit-threshold", type=float, nargs="+", default=[LIMIT_THRESHOLD], help="over 1: no precaution model"
    )
    args = parser.parse_args(argv)
    kb = load_directory(settings.knowledge_dir())
    detector = _CachedDetector(Detector(kb))
    triage = Triage(kb, detector=detector)  # type: ignore[arg-type]  # duck-typed: detect() only
    cases = [c for path in real_files() for c in load_set(path) if c.get("source")]
    written = [c for path in WRITTEN for c in load_set(path)]
    rules_alone, _ = run_in_core(triage, cases)
    print(f"{len(cases)} real messages from {len({c['source'] for c in cases})} pages, {args.folds} folds by page")
    print(f"rules alone: {_right(rules_alone)}/{len(cases)}, ordinary stopped {rules_alone.ordinary_stopped}")
    print(rules_alone.table())
    for threshold in args.threshold:
        for min_words in args.min_words:
            for c in args.C:
                for limit in args.limit_threshold:
                    figures = cross_validate(
                        cases, written, args.folds, threshold, min_words, c, detector, triage, limit
                    )
                    print(
                        f"\nreader threshold {threshold} min_words {min_words} C {c} precaution {limit}: "
                        f"{_right(figures)}/{len(cases)}, ordinary stopped {figures.ordinary_stopped}, "
                        f"excluded offered {figures.leaks}, {_needless(figures)}"
                    )
                    print(figures.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
