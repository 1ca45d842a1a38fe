"""Splits collected real messages into a tuning half and a blind half, without showing them.

python -m scripts.split_real_messages RAW.yml [RAW.yml ...] --round 1

Each raw file holds messages real people posted publicly (forums, Q&A, blogs, reader
letters), with their source address and a label (outcome, urgency, rule ids). Duplicates, and
messages an earlier round already holds, are dropped. Messages from the same page go to the same half (two posts of one thread must not
teach the rules what the blind half will ask). Within each category the pages are ordered by
a hash of their address, so the split is deterministic and blind to the words, then dealt
alternately to the two halves. The blind half is written to
tests/safety/real/blind_r<round>.yml and is read by no one while the rules change: scripts
score it and print totals only. This script prints counts, never a message.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "safety" / "real"
CATEGORIES = ("high_stakes", "referral", "deferral", "in_stretch", "ordinary", "third_party")
FIELDS = ("text", "source", "kind", "category", "outcome", "urgency", "rules")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _normal(text: str) -> str:
    """Case, spacing and quote marks do not make a message different ("don’t" = "don't")."""
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "`": "'"}))
    return " ".join(text.lower().split())


def earlier_texts() -> set:
    """Every message the earlier rounds already hold: a post collected twice must not land in a
    blind half when its words were tuned on (collectors skip used pages, but a post is quoted
    on other pages too)."""
    texts = set()
    for path in sorted(OUT.glob("*.yml")):
        for case in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases") or []:
            texts.add(_normal(case["text"]))
    return texts


def load(paths: List[Path]) -> List[dict]:
    seen = earlier_texts()
    messages = []
    for path in paths:
        for m in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
            missing = [f for f in FIELDS if f not in m]
            if missing:
                raise SystemExit(f"{path}: a message lacks {missing}")
            key = _normal(m["text"])
            if key in seen:
                continue
            seen.add(key)
            messages.append(m)
    return messages


def as_case(m: dict) -> dict:
    return {
        "id": f"real_{_digest(_normal(m['text']))[:12]}",
        "text": m["text"],
        "outcome": m["outcome"],
        "urgency": m.get("urgency"),
        "rules": list(m.get("rules") or []),
        "excluded": list(m.get("excluded") or []),
        "stretch": m.get("stretch"),
        "third_party": bool(m.get("third_party")),
        "category": m["category"],
        "in_session": False,
        "history": [],
        "source": m["source"],
        "kind": m.get("kind"),
        "note": m.get("note"),
        # The labeller's own doubt: false when a second labeller could reasonably pick another outcome.
        "sure": m.get("sure", True),
    }


def split(messages: List[dict]) -> Dict[str, List[dict]]:
    pages: Dict[str, Dict[str, List[dict]]] = defaultdict(lambda: defaultdict(list))
    for m in messages:
        # A page belongs to the category most of its messages are in.
        pages[m["category"]][m["source"]].append(m)
    halves: Dict[str, List[dict]] = {"tuning": [], "blind": []}
    placed: Dict[str, str] = {}
    for category in sorted(pages, key=lambda c: CATEGORIES.index(c) if c in CATEGORIES else 99):
        sizes = Counter()
        for source in sorted(pages[category], key=_digest):
            group = pages[category][source]
            half = placed.get(source) or min(("tuning", "blind"), key=lambda h: (sizes[h], h == "blind"))
            placed[source] = half
            sizes[half] += len(group)
            halves[half].extend(group)
    return halves


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("raw", nargs="+", type=Path)
    parser.add_argument("--round", type=int, required=True)
    args = parser.parse_args(argv)
    halves = split(load(args.raw))
    OUT.mkdir(parents=True, exist_ok=True)
    names = {"tuning": f"tuning_r{args.round}.yml", "blind": f"blind_r{args.round}.yml"}
    header = {
        "tuning": "# Real messages people posted publicly, labelled by the safety rule table. Tuning half:\n"
        "# read it, learn from it. Source addresses kept; spelling is theirs.\n",
        "blind": "# BLIND HALF: nobody reads this file while the rules change. Scripts score it and print totals\n"
        "# only (python -m scripts.safety_report --set real-blind). After its round it becomes a regression set.\n",
    }
    for half, items in halves.items():
        path = OUT / names[half]
        path.write_text(
            header[half]
            + yaml.safe_dump({"cases": [as_case(m) for m in items]}, sort_keys=False, allow_unicode=True, width=120),
            encoding="utf-8",
        )
        counts = Counter(m["category"] for m in items)
        print(f"{path.relative_to(ROOT)}: {len(items)} messages " + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
