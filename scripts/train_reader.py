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
from typing import List, Optional, Tuple

from coach import settings
from coach.safety.reader import LearnedReader, examples_from
from evaluation.scoring import REAL, ROOT, load_set

WRITTEN = [ROOT / "tests" / "safety" / "cases.yml", ROOT / "tests" / "safety" / "blind_cases.yml"]


def training_files() -> List[Path]:
    files = sorted(REAL.glob("tuning_r*.yml")) + sorted(REAL.glob("opened_r*.yml")) + WRITTEN
    blind = [p for p in files if p.stem.startswith("blind_r")]
    if blind:
        raise ValueError(f"a blind half must never train the reader: {blind}")
    return files


def training_examples() -> List[Tuple[str, str]]:
    return examples_from([case for path in training_files() for case in load_set(path)])


def build(examples: Optional[List[Tuple[str, str]]] = None) -> LearnedReader:
    return LearnedReader.train(training_examples() if examples is None else examples)


def inputs() -> List[Path]:
    """What the saved reader is made from: its data and its code (the Makefile lists the same)."""
    code = [ROOT / "coach" / "safety" / "reader.py", ROOT / "coach" / "safety" / "labels.py", Path(__file__)]
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
    examples = training_examples()
    reader = build(examples)
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
