"""Our typo repair (coach/safety/text.py TypoFixer) against maintained spell checkers.

python -m scripts.compare_spelling --packages DIR [--sets real-tuning real-blind]

pyspellchecker and symspellpy are not in the lock (see docs/safety.md); install them beside it
for the comparison only:  .venv/bin/pip install --target DIR pyspellchecker==0.9.1 symspellpy==6.10.1 editdistpy

Two measures:
1. Repairs: every word of the safety vocabulary (6+ letters) with one letter dropped, one
   doubled and two swapped (the typos phones make) must come back as that word; and common
   English words near the vocabulary ("numbers", "prickle", "sitting") must be left alone.
2. Safety figures on message sets with each corrector in the detector (blind sets: totals).
Start-up time, time per message and memory are printed for each.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Callable, Dict, Iterable, List, Tuple

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.detector import Detector
from coach.safety.text import TypoFixer, english_words
from coach.safety.triage import Triage
from evaluation.runners import seen_in_core
from evaluation.scoring import score
from scripts.safety_report import cases_of

# Real words one edit from a safety word: a corrector that "repairs" them changes the meaning.
REAL_NEIGHBOURS = ["numbers", "prickle", "sitting", "heated", "faith", "breath", "tinkling", "bleeping", "fainter"]


def typos(word: str) -> Iterable[str]:
    mid = len(word) // 2
    yield word[:mid] + word[mid + 1 :]  # a letter dropped
    yield word[:mid] + word[mid] + word[mid:]  # a letter doubled
    yield word[: mid - 1] + word[mid] + word[mid - 1] + word[mid + 1 :]  # two letters swapped


class Library:
    """A spell checker from PyPI behind the same .fix(word) the detector calls."""

    def __init__(self, kind: str, vocabulary: Iterable[str]):
        self.kind = kind
        vocabulary = sorted(set(vocabulary))
        if kind.startswith("pyspellchecker"):
            from spellchecker import SpellChecker

            self.checker = (
                SpellChecker(distance=1) if kind.endswith("english") else SpellChecker(language=None, distance=1)
            )
            self.checker.word_frequency.load_words(vocabulary)
        else:
            from symspellpy import SymSpell, Verbosity

            self.verbosity = Verbosity.TOP
            self.checker = SymSpell(max_dictionary_edit_distance=1)
            if kind.endswith("english"):
                import importlib.resources

                path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
                self.checker.load_dictionary(str(path), term_index=0, count_index=1)
            for word in vocabulary:
                self.checker.create_dictionary_entry(word, 1000)

    def fix(self, word: str) -> str:
        if len(word) < 5 or not word.isalpha():
            return word
        if self.kind.startswith("pyspellchecker"):
            return self.checker.correction(word) or word
        found = self.checker.lookup(word, self.verbosity, max_edit_distance=1)
        return found[0].term if found else word


def repair_figures(fix: Callable[[str], str], vocabulary: List[str]) -> Tuple[int, int, int]:
    targets = [w for w in vocabulary if len(w) >= 6 and w.isalpha()]
    pairs = [(t, w) for w in targets for t in typos(w) if t not in english_words()]
    repaired = sum(fix(t) == w for t, w in pairs)
    spoiled = sum(fix(w) != w for w in REAL_NEIGHBOURS)
    return repaired, len(pairs), spoiled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", required=True, help="folder the spell checkers were pip-installed into")
    parser.add_argument("--sets", nargs="+", default=["real-tuning", "real-blind", "labelled", "blind-2026"])
    args = parser.parse_args(argv)
    sys.path.append(args.packages)
    kb = load_directory(settings.knowledge_dir())
    detector = Detector(kb)
    vocabulary = sorted(detector.fixer.vocabulary)
    correctors: Dict[str, Callable[[], object]] = {
        "none": lambda: None,
        "ours": lambda: TypoFixer(vocabulary),
        "pyspellchecker-english": lambda: Library("pyspellchecker-english", vocabulary),
        "pyspellchecker-domain": lambda: Library("pyspellchecker-domain", vocabulary),
        "symspellpy-english": lambda: Library("symspellpy-english", vocabulary),
        "symspellpy-domain": lambda: Library("symspellpy-domain", vocabulary),
    }
    sets = {name: [c for c in cases_of(name) if not c.get("in_session")] for name in args.sets}
    for name, build in correctors.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        corrector = build()
        startup = time.perf_counter() - started
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        detector.fixer = corrector  # the detector calls .fix(word) on every token
        if corrector is None:
            detector.fixer = None
        fix = corrector.fix if corrector is not None else (lambda w: w)
        repaired, total, spoiled = repair_figures(fix, vocabulary)
        print(
            f"\n{name}: start-up {startup:.2f} s, +{grown:.0f} MB; typos repaired {repaired}/{total}, real words spoiled {spoiled}/{len(REAL_NEIGHBOURS)}"
        )
        triage = Triage(kb, detector)
        for set_name, cases in sets.items():
            started = time.perf_counter()
            figures = score((c, seen_in_core(triage, c)) for c in cases)
            ms = (time.perf_counter() - started) * 1000 / max(1, len(cases))
            rates = ", ".join(f"{k} {figures.ok[k]}/{figures.n[k]}" for k in figures.n)
            print(f"  {set_name:<12} {sum(figures.ok.values())}/{len(cases)} ({rates}); {ms:.0f} ms/message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
