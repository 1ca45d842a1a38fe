"""Builds the learned safety reader (coach/safety/reader.py) from every labelled message the
project may learn from, and saves it where the detector looks (models/safety_reader.pkl).

python -m scripts.train_reader [--out PATH]

It learns from the tuning and opened halves of the real-message rounds and the two written
suites; never from a blind half (refused here, and tested): a blind half measures the reader too.
`make train` runs this when any of those files or the reader's code changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from coach import settings
from coach.kb.loader import KnowledgeBase, load_directory
from coach.safety.reader import LIMITS, LearnedReader, examples_from, limit_examples_from
from evaluation.scoring import REAL, ROOT, load_set

WRITTEN = [ROOT / "tests" / "safety" / "cases.yml", ROOT / "tests" / "safety" / "blind_cases.yml"]


def training_files() -> List[Path]:
    files = sorted(REAL.glob("tuning_r*.yml")) + sorted(REAL.glob("opened_r*.yml")) + WRITTEN
    blind = [p for p in files if p.stem.startswith("blind_r")]
    if blind:
        raise ValueError(f"a blind half must never train the reader: {blind}")
    return files


def training_cases() -> List[dict]:
    return [case for path in training_files() for case in load_set(path)]


def training_examples() -> List[Tuple[str, str]]:
    return examples_from(training_cases())


def left_out_by(kb: KnowledgeBase) -> Dict[str, frozenset]:
    """Each limit the reader may propose, with the stretches its constraint leaves out."""
    return {
        limit: frozenset(
            ex.id for ex in kb.exercises.values() if set(ex.demands) & set(kb.constraints[limit].excludes_demands)
        )
        for limit in LIMITS
    }


def build(cases: Optional[List[dict]] = None, kb: Optional[KnowledgeBase] = None) -> LearnedReader:
    cases = training_cases() if cases is None else cases
    kb = kb or load_directory(settings.knowledge_dir())
    return LearnedReader.train(examples_from(cases), limit_examples=limit_examples_from(cases, left_out_by(kb)))


def inputs() -> List[Path]:
    """What the saved reader is made from: its data and its code (the Makefile lists the same)."""
    code = [ROOT / "coach" / "safety" / "reader.py", ROOT / "coach" / "safety" / "labels.py", Path(__file__)]
    # Which stretches a limit leaves out (the precaution's labels) comes from the knowledge base.
    code += [ROOT / "knowledge" / "exercises.yml", ROOT / "knowledge" / "constraints.yml"]
    return training_files() + code


def ensure(path: Path) -> bool:
    """Builds the reader when it is missing or older than what it is made from; True if it did."""
    if path.exists() and path.stat().st_mtime >= max(p.stat().st_mtime for p in inputs()):
        return False
    build().save(path)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=settings.reader_path())
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = training_cases()
    examples = examples_from(cases)
    reader = build(cases)
    reader.save(args.out)
    counts = Counter(label for _, label in examples)
    print(
        f"Learned safety reader: {reader.trained_on} messages from {len(training_files())} files "
        f"({', '.join(f'{k} {v}' for k, v in counts.most_common())}), "
        f"built in {time.perf_counter() - started:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
