"""Pronunciations for every word we let the recogniser hear.

pocketsphinx only recognises words its dictionary can pronounce, and a grammar or language
model that names an unknown word fails to load ("The word 'pinches' is missing in the
dictionary"). cmudict-en-us, shipped in the wheel, lacks our domain words (psoas, glutes,
flexors) and many inflections (pinches). We derive inflections from a known stem, add a short
hand-checked list (pronunciations.dict) and report every word still missing, so the grammar
builder can drop it instead of crashing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

from pocketsphinx import get_model_path

CMUDICT = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
EXTRA = Path(__file__).with_name("pronunciations.dict")
SIBILANTS = {"S", "Z", "SH", "ZH", "CH", "JH"}
VOICELESS = {"P", "T", "K", "F", "TH", "S", "SH", "CH", "HH"}


def read_dictionary(path: Path) -> Dict[str, str]:
    """word -> first pronunciation ("kneel" -> "N IY L"); alternates such as "read(2)" are skipped."""
    words: Dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(";;"):
            continue
        word, _, phones = line.strip().partition(" ")
        if "(" not in word:
            words.setdefault(word.lower(), phones.strip())
    return words


class Pronouncer:
    def __init__(self, cmudict: Path = CMUDICT, extra: Path = EXTRA):
        self.known = read_dictionary(cmudict)
        self.extra = read_dictionary(extra)
        # Words the decoder's dictionary lacks, with the pronunciation we give them.
        self.added: Dict[str, str] = {}

    def in_cmudict(self, word: str) -> bool:
        return word in self.known

    def phones(self, word: str) -> Optional[str]:
        """The pronunciation of `word`, or None when neither cmudict, our list nor a stem knows it."""
        if word in self.known:
            return self.known[word]
        if word in self.added:
            return self.added[word]
        found = self._base(word) or _derived(word, self._base)
        if found:
            self.added[word] = found
        return found

    def _base(self, word: str) -> Optional[str]:
        return self.known.get(word) or self.extra.get(word)


def _derived(word: str, base) -> Optional[str]:
    """pinches <- pinch + IH Z, glutes <- glute + S, foot's <- foot + S, flexing <- flex + IH NG."""
    for suffix, stems in (
        ("'s", lambda w: [w[:-2]]),
        ("s", lambda w: [w[:-1]]),  # before "es": glutes is glute + S, not glut + IH Z
        ("es", lambda w: [w[:-2]]),
        ("ing", lambda w: [w[:-3], w[:-3] + "e", w[:-4] if re.search(r"(.)\1ing$", w) else None]),
        ("ed", lambda w: [w[:-2], w[:-1]]),
    ):
        if not word.endswith(suffix) or len(word) <= len(suffix) + 2:
            continue
        for stem in stems(word):
            phones = base(stem) if stem else None
            if phones:
                return f"{phones} {_ending(suffix, phones.split()[-1])}"
    return None


def _ending(suffix: str, last_phone: str) -> str:
    if suffix == "ing":
        return "IH NG"
    if suffix == "ed":
        return "IH D" if last_phone in {"T", "D"} else "T" if last_phone in VOICELESS else "D"
    return "IH Z" if last_phone in SIBILANTS else "S" if last_phone in VOICELESS else "Z"


@lru_cache(maxsize=1)
def default_pronouncer() -> Pronouncer:
    return Pronouncer()
