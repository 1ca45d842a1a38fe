"""A learned reader of whole messages that may only add caution to what the rules decided.

The rules (detector → triage) stay the decision. Three rounds of hand-written rules showed that
rules fit the posts they were written from and little else (docs/safety.md); a small linear
model trained on every labelled message the project may learn from reads a story as a whole and
catches some of what no phrase list reached. Its place is fixed and narrow:

- it is consulted only when the rules would coach (never to lower a stop, never to clear a flag:
  coach/safety/triage.py applies it after every rule, and only to raise the outcome);
- it says one of the outcomes below, with the probability it gives it and the words that weighed
  most, so each escalation can be explained and audited;
- it speaks only above THRESHOLD, chosen by grouped cross-validation on the tuning and opened
  halves (never a blind half) where it stopped no ordinary message more than the rules did.

TF-IDF over words and character n-grams and a class-balanced logistic regression: scikit-learn,
already in Rasa's world, fast (well under a millisecond a message) and inspectable.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from coach import settings
from coach.safety.labels import COACH, READER_ADDS, THIRD, category_of

# It may add only READER_ADDS; anything else it was trained on (COACH; CLARIFY, where a label's
# category is stop-level but its outcome a question) means it has nothing to add.
THRESHOLD = 0.65  # round 4: equal right answers to 0.6 in grouped cross-validation, 2 fewer ordinary stops
# It reads stories: the real messages it learned from have 10 words or more (median about 77).
# Shorter ones are replies and requests ("I don't want to", "my lower back aches"), outside what
# it learned; the rules and the dialogue's own questions handle them.
MIN_WORDS = 10
REGULARISATION = 4.0  # LogisticRegression's C, chosen with THRESHOLD (docs/safety.md)
FORMAT = 1  # bump when the saved object changes shape
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suspicion:
    outcome: str  # one of READER_ADDS
    probability: float
    words: Tuple[str, ...]  # the words that weighed most for it, most first


def label_of(case: dict) -> str:
    """The reader's class for a labelled message: its category's outcome (evaluation/scoring.py),
    the labelled outcome itself for stop-level urgencies."""
    category = category_of(case)
    if category == "high_stakes":
        return str(case["outcome"])
    return {"referral": "REFER", "deferral": "DEFER", "in_stretch": "STOP-STRETCH", "third_party": THIRD}.get(
        category, COACH
    )


def _pipeline(regularisation: float = REGULARISATION) -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
                        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=regularisation, max_iter=2000, class_weight="balanced")),
        ]
    )


class LearnedReader:
    def __init__(self, pipeline: Pipeline, trained_on: int, threshold: float = THRESHOLD, min_words: int = MIN_WORDS):
        self.pipeline = pipeline
        self.trained_on = trained_on
        self.threshold = threshold
        self.min_words = min_words
        model: LogisticRegression = pipeline.named_steps["model"]
        self.classes: List[str] = [str(c) for c in model.classes_]
        if not set(self.classes) & set(READER_ADDS):
            raise ValueError(f"the reader was trained on no outcome it could add: {self.classes}")
        words: TfidfVectorizer = pipeline.named_steps["features"].transformer_list[0][1]
        self._vocabulary = np.array(words.get_feature_names_out())

    @classmethod
    def train(
        cls,
        examples: Iterable[Tuple[str, str]],
        threshold: float = THRESHOLD,
        min_words: int = MIN_WORDS,
        regularisation: float = REGULARISATION,
    ) -> LearnedReader:
        """The settings other than the defaults are for scripts/cross_validate_reader.py's variants."""
        kept = [(text, label) for text, label in examples if text and text.strip()]
        texts = [text for text, _ in kept]
        pipeline = _pipeline(regularisation)
        pipeline.fit(texts, [label for _, label in kept])
        return cls(pipeline, trained_on=len(texts), threshold=threshold, min_words=min_words)

    def probabilities(self, text: str) -> dict:
        return dict(zip(self.classes, self.pipeline.predict_proba([text])[0], strict=True))

    def suspect(self, text: str) -> Optional[Suspicion]:
        """The outcome the reader would add, or None when it has nothing to add."""
        if len(text.split()) < self.min_words:
            return None
        scores = self.probabilities(text)
        outcome, probability = max(scores.items(), key=lambda kv: kv[1])
        if outcome not in READER_ADDS or probability < self.threshold:
            return None
        return Suspicion(outcome, round(float(probability), 3), self.weighing_words(text, outcome))

    def weighing_words(self, text: str, outcome: str, top: int = 3) -> Tuple[str, ...]:
        """The message's words (and word pairs) that pushed hardest towards `outcome`."""
        features = self.pipeline.named_steps["features"]
        words: TfidfVectorizer = features.transformer_list[0][1]
        model: LogisticRegression = self.pipeline.named_steps["model"]
        row = words.transform([text])
        # Two classes share one row of coefficients (for the second class; the first's is its negative).
        if len(self.classes) == 2:
            sign = 1.0 if self.classes.index(outcome) == 1 else -1.0
            coefficients = sign * model.coef_[0][: len(self._vocabulary)]
        else:
            coefficients = model.coef_[self.classes.index(outcome)][: len(self._vocabulary)]
        contribution = row.multiply(coefficients).toarray()[0]
        order = [i for i in np.argsort(-contribution) if contribution[i] > 0][:top]
        return tuple(str(self._vocabulary[i]) for i in order)

    # -- saved between processes (models/, built by `make train`) -----------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "pipeline": self.pipeline, "trained_on": self.trained_on}
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(payload))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, threshold: float = THRESHOLD) -> LearnedReader:
        # A pickle is trusted like Rasa's own model archive: both are built on this machine by make.
        payload = pickle.loads(path.read_bytes())
        if payload.get("format") != FORMAT:
            raise ValueError(f"{path} was saved by another version of the reader: run `make train`")
        return cls(payload["pipeline"], trained_on=payload["trained_on"], threshold=threshold)


def examples_from(cases: Sequence[dict]) -> List[Tuple[str, str]]:
    return [(case["text"], label_of(case)) for case in cases]


def default_reader() -> Optional[LearnedReader]:
    """The reader `make train` built, or None (said loudly: the rules then decide alone)."""
    path = settings.reader_path()
    if not path.exists():
        logger.warning("No learned safety reader at %s (run `make train`): the rules decide alone.", path)
        return None
    return LearnedReader.load(path)
