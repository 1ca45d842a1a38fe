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

Beside the outcome it reads one precaution (rule LR2): that kneeling may not suit the writer.
Stretches offered to someone whose knees or getting down to the floor the message describes in
words no phrase list held were the commonest safety miss on real posts (docs/safety.md, round 8).
A separate binary model per limit, trained on which labelled messages leave out a kneeling
stretch, proposes the knowledge base's own constraint (`no_kneeling`); the triage adds it only
where the rules would coach, and the user lifts it in words like any limit ("kneeling is fine").
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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
# Limits it may propose (knowledge/constraints.yml ids), and how sure it must be. Round 8's grouped
# cross-validation (scripts/cross_validate_reader.py, docs/safety.md): at 0.6, 18 of 105 kneeling
# stretches offered against their label are left out, for 52 more coached messages with a stretch
# left out that their label keeps (0.7: 11 for 25; 0.8: 6 for 9). A stretch offered to a knee that
# cannot take it is the worse mistake; a needless one costs a stretch the user can ask back.
LIMITS = ("no_kneeling",)
LIMIT_THRESHOLD = 0.6
FORMAT = 2  # bump when the saved object changes shape
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
    def __init__(
        self,
        pipeline: Pipeline,
        trained_on: int,
        threshold: float = THRESHOLD,
        min_words: int = MIN_WORDS,
        limits: Optional[Dict[str, Pipeline]] = None,
        limit_threshold: float = LIMIT_THRESHOLD,
    ):
        self.pipeline = pipeline
        self.trained_on = trained_on
        self.threshold = threshold
        self.min_words = min_words
        self.limits: Dict[str, Pipeline] = dict(limits or {})
        self.limit_threshold = limit_threshold
        model: LogisticRegression = pipeline.named_steps["model"]
        self.classes: List[str] = [str(c) for c in model.classes_]
        if not set(self.classes) & set(READER_ADDS):
            raise ValueError(f"the reader was trained on no outcome it could add: {self.classes}")

    @classmethod
    def train(
        cls,
        examples: Iterable[Tuple[str, str]],
        threshold: float = THRESHOLD,
        min_words: int = MIN_WORDS,
        regularisation: float = REGULARISATION,
        limit_examples: Optional[Dict[str, Sequence[Tuple[str, bool]]]] = None,
        limit_threshold: float = LIMIT_THRESHOLD,
    ) -> LearnedReader:
        """The settings other than the defaults are for scripts/cross_validate_reader.py's variants.
        `limit_examples` holds, per limit, each message with whether its label leaves that limit's
        stretches out."""
        kept = [(text, label) for text, label in examples if text and text.strip()]
        texts = [text for text, _ in kept]
        pipeline = _pipeline(regularisation)
        pipeline.fit(texts, [label for _, label in kept])
        limits = {}
        for limit, rows in (limit_examples or {}).items():
            rows = [(text, bool(says)) for text, says in rows if text and text.strip()]
            if len({says for _, says in rows}) < 2:
                raise ValueError(f"the {limit} precaution needs messages with and without it to learn from")
            limits[limit] = _pipeline(regularisation).fit([t for t, _ in rows], [says for _, says in rows])
        return cls(
            pipeline,
            trained_on=len(texts),
            threshold=threshold,
            min_words=min_words,
            limits=limits,
            limit_threshold=limit_threshold,
        )

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
        return Suspicion(outcome, round(float(probability), 3), _weighing_words(self.pipeline, text, outcome))

    def precautions(self, text: str) -> List[Suspicion]:
        """The limits (constraint ids) the reader would add as a precaution; none for short texts."""
        if len(text.split()) < self.min_words:
            return []
        found = []
        for limit, pipeline in self.limits.items():
            probability = float(pipeline.predict_proba([text])[0][list(pipeline.classes_).index(True)])
            if probability >= self.limit_threshold:
                found.append(Suspicion(limit, round(probability, 3), _weighing_words(pipeline, text, True)))
        return found

    def weighing_words(self, text: str, outcome: str, top: int = 3) -> Tuple[str, ...]:
        return _weighing_words(self.pipeline, text, outcome, top)

    # -- saved between processes (models/, built by `make train`) -----------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": FORMAT, "pipeline": self.pipeline, "trained_on": self.trained_on, "limits": self.limits}
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(payload))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, threshold: float = THRESHOLD) -> LearnedReader:
        # A pickle is trusted like Rasa's own model archive: both are built on this machine by make.
        payload = pickle.loads(path.read_bytes())
        if payload.get("format") != FORMAT:
            raise ValueError(f"{path} was saved by another version of the reader: run `make train`")
        return cls(payload["pipeline"], trained_on=payload["trained_on"], threshold=threshold, limits=payload["limits"])


def _weighing_words(pipeline: Pipeline, text: str, outcome, top: int = 3) -> Tuple[str, ...]:
    """The message's words (and word pairs) that pushed hardest towards `outcome`."""
    words: TfidfVectorizer = pipeline.named_steps["features"].transformer_list[0][1]
    model: LogisticRegression = pipeline.named_steps["model"]
    classes = list(model.classes_)
    vocabulary = words.get_feature_names_out()
    row = words.transform([text])
    # Two classes share one row of coefficients (for the second class; the first's is its negative).
    if len(classes) == 2:
        sign = 1.0 if classes.index(outcome) == 1 else -1.0
        coefficients = sign * model.coef_[0][: len(vocabulary)]
    else:
        coefficients = model.coef_[classes.index(outcome)][: len(vocabulary)]
    contribution = row.multiply(coefficients).toarray()[0]
    order = [i for i in np.argsort(-contribution) if contribution[i] > 0][:top]
    return tuple(str(vocabulary[i]) for i in order)


def examples_from(cases: Sequence[dict]) -> List[Tuple[str, str]]:
    return [(case["text"], label_of(case)) for case in cases]


def limit_examples_from(cases: Sequence[dict], left_out_by: Dict[str, frozenset]) -> Dict[str, List[Tuple[str, bool]]]:
    """Per limit, each message with whether its label leaves out one of the stretches the limit
    excludes (`left_out_by`: limit -> those exercise ids, from the knowledge base)."""
    return {
        limit: [(case["text"], bool(set(case.get("excluded") or []) & stretches)) for case in cases]
        for limit, stretches in left_out_by.items()
    }


def default_reader() -> Optional[LearnedReader]:
    """The reader `make train` built, or None (said loudly: the rules then decide alone)."""
    path = settings.reader_path()
    if not path.exists():
        logger.warning("No learned safety reader at %s (run `make train`): the rules decide alone.", path)
        return None
    return LearnedReader.load(path)
