"""Text preparation for the rule matchers: blank English spaCy, lookup lemmas, typo repair.

No pretrained model is used (none can be downloaded here); spaCy gives us the tokenizer,
lookup lemmas from spacy-lookups-data and the PhraseMatcher.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable, List, Optional, Set

import spacy
from spacy.language import Language
from spacy.tokens import Doc

MAX_CHARS = 2000  # longer messages are cut: nobody describes a symptom in more, and it bounds the cost

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_REPEATS = re.compile(r"(\w)\1{2,}")  # "sooooo" -> "soo", "painnnn" -> "painn"


# Emoji people use for body parts and functions, read as the words they stand for.
_EMOJI_WORDS = {
    "\U0001F351": " bum ", "\U0001F346": " penis ", "\U0001F6BD": " toilet ", "\U0001F4A9": " poo ",
    "\U0001F525": " burning ", "\U0001F9B5": " leg ", "\U0001F9B6": " foot ", "\U0001FA78": " blood ",
    "\U0001F922": " sick ", "\U0001F92E": " sick ", "\U0001F635": " dizzy ", "\U0001F4AB": " dizzy ",
    "\U0001F912": " fever ", "\U0001F915": " hurt ", "\U0001F62D": " crying ", "\U0001F48A": " pills ",
}  # fmt: skip
_EMOJI = str.maketrans(_EMOJI_WORDS)
_ME_FOR_MY = re.compile(
    r"\bme (knee|knees|back|hip|hips|leg|legs|bum|foot|feet|belly|tummy|date|groin|bits|privates|neck|ankle|arse|chest)\b"
)
# Text-speak, only where the short form means one thing: "cnt kneel", "wat stretches r ok".
TEXT_SPEAK = {
    "cnt": "can't", "cant'": "can't", "wat": "what", "wot": "what", "r": "are", "u": "you", "ur": "your",
    "pls": "please", "plz": "please", "ppl": "people", "thx": "thanks", "2day": "today", "2moro": "tomorrow",
    "b4": "before", "sed": "said", "bc": "because", "cuz": "because", "coz": "because", "dnt": "don't",
    "dont": "don't", "wont": "won't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't", "im": "i'm",
    "ive": "i've", "wks": "weeks", "wk": "week", "mths": "months", "yrs": "years", "hrs": "hours", "mins": "minutes",
    "abt": "about", "w/": "with", "w/o": "without", "gd": "good", "rly": "really", "v": "very", "bk": "back",
}  # fmt: skip
_TEXT_SPEAK = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(k) for k in sorted(TEXT_SPEAK, key=len, reverse=True)) + r")(?![\w'])"
)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_CHARS].translate(_QUOTES).translate(_EMOJI).lower()
    text = _REPEATS.sub(r"\1\1", text)
    # Apostrophe-less contractions people type on phones.
    text = re.sub(r"\b(can|don|didn|doesn|isn|wasn|haven|hasn|won|couldn|shouldn|wouldn|aren)t\b", r"\1't", text)
    text = re.sub(r"\bcant\b", "can't", text)
    text = re.sub(r"(?<=[a-z])/(?=[a-z])", " / ", text)  # "bladder routine/control": two words, not one
    # Sentences typed without a space after the stop ("my spine.if i massage it", "pains--the",
    # "hurts!!!then") are still two sentences: the tokenizer would glue the words into one.
    text = re.sub(r"(?<=[a-z])([.!?;:]+)(?=[a-z])", r"\1 ", text)
    text = re.sub(r"(?<=[a-z])(--+|—|–)\s*", r" \1 ", text)
    text = re.sub(r"(?<=[a-z])\((?=[a-z])", " (", text)
    text = _TEXT_SPEAK.sub(lambda m: TEXT_SPEAK[m.group(0)], text)
    text = _ME_FOR_MY.sub(r"my \1", text)  # "had me knee done", "me back's gone"
    # "4 weeks post -op", "postop", "post- op": one word for the operation's aftermath.
    text = re.sub(r"\bpost\s*-\s*op\b|\bpostop\b", "post-op", text)
    text = re.sub(r"\bim\b", "i'm", text)
    text = re.sub(r"\bive\b", "i've", text)
    return text


@lru_cache(maxsize=1)
def blank_english() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def english_words() -> Set[str]:
    """Common English words (spaCy's lexeme probability table), so real words are never 'corrected'."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        probs = json.load(fh)
    return {w for w, p in probs.items() if p > -17.5 and w.isalpha()}


class TypoFixer:
    """Repairs a misspelt word when exactly one knowledge-base word is one edit away."""

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary = {w for w in vocabulary if len(w) >= 5 and w.isalpha()}
        self.known = english_words() | self.vocabulary
        self._by_length: dict = {}
        for word in self.vocabulary:
            self._by_length.setdefault(len(word), []).append(word)

    def fix(self, word: str) -> str:
        if len(word) < 5 or not word.isalpha() or word in self.known:
            return word
        candidates = {
            c
            for n in (len(word) - 1, len(word), len(word) + 1)
            for c in self._by_length.get(n, ())
            if _within_one_edit(word, c)
        }
        return candidates.pop() if len(candidates) == 1 else word


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (insert, delete, substitute or swap two neighbours)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def make_doc(text: str, fixer: Optional[TypoFixer] = None) -> Doc:
    """Tokenise, repair typos word by word (token count is kept), then lemmatise."""
    nlp = blank_english()
    tokens = nlp.tokenizer(normalise(text))
    words: List[str] = [fixer.fix(t.text) if fixer else t.text for t in tokens]
    doc = Doc(nlp.vocab, words=words, spaces=[bool(t.whitespace_) for t in tokens])
    return nlp.get_pipe("lemmatizer")(doc)
