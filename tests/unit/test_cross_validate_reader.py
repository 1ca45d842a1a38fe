"""The reader's grouped cross-validation: folds by page, every message scored once, and the
rules' findings reused (scripts/cross_validate_reader.py)."""

from __future__ import annotations

from scripts import cross_validate_reader as cv


def _case(i: int, text: str, outcome: str, category: str, source: str) -> dict:
    return {
        "id": f"c{i}",
        "text": text,
        "outcome": outcome,
        "urgency": "routine" if outcome == "DEFER" else None,
        "rules": [],
        "excluded": [],
        "category": category,
        "source": source,
    }


DEFERS = [
    "I threw my back out lifting a heavy box yesterday and every single step hurts badly today",
    "did my back in moving the heavy sofa yesterday and every single step hurts badly now",
    "yesterday I hurt my back lifting a heavy bag and now every single step hurts badly",
    "pulled a muscle in my back lifting heavy boxes yesterday, every single step hurts badly",
]
ORDINARY = [
    "my hips feel tight after long days sitting at my desk and I would like some gentle stretches",
    "I sit at a desk all day and my hips feel tight, can you suggest some gentle stretches please",
    "long days at my desk leave my hips feeling tight, I would like some gentle stretches to try",
    "tight hips from sitting at my desk all day long, what gentle stretches would you suggest",
]


def _cases():
    cases = [_case(i, t, "DEFER", "deferral", f"https://a.example/{i}") for i, t in enumerate(DEFERS)]
    cases += [_case(10 + i, t, "PROCEED", "ordinary", f"https://b.example/{i}") for i, t in enumerate(ORDINARY)]
    return cases


def test_a_page_always_falls_in_the_same_fold():
    folds = {cv.fold_of("https://a.example/page", 5) for _ in range(3)}
    assert len(folds) == 1 and folds <= set(range(5))
    assert len({cv.fold_of(f"https://example.org/{i}", 5) for i in range(50)}) == 5


def test_only_tuning_and_opened_halves_are_read():
    assert cv.real_files()
    assert all(p.stem.startswith(("tuning_r", "opened_r")) for p in cv.real_files())


def test_every_message_is_scored_once_by_a_reader_that_never_saw_its_page(kb, monkeypatch):
    from coach.safety.detector import Detector
    from coach.safety.triage import Triage

    detector = cv._CachedDetector(Detector(kb))
    triage = Triage(kb, detector=detector)  # type: ignore[arg-type]
    cases = _cases()
    trained_on = []
    real_train = cv.LearnedReader.train

    def spy(examples, **kwargs):
        examples = list(examples)
        trained_on.append({text for text, _ in examples})
        return real_train(examples, **kwargs)

    monkeypatch.setattr(cv.LearnedReader, "train", spy)
    written = [_case(99, t, "DEFER", "deferral", "https://w.example") for t in DEFERS[:2]]
    written += [_case(98, t, "PROCEED", "ordinary", "https://w.example") for t in ORDINARY[:2]]
    figures = cv.cross_validate(cases, written, 2, 0.6, 10, 4.0, detector, triage)
    assert sum(figures.n.values()) == len(cases)
    for k, seen in enumerate(trained_on):
        held = {c["text"] for c in cases if cv.fold_of(c["source"], 2) == k}
        assert not held & (seen - {c["text"] for c in written})
    assert detector.reader is None  # the last fold's reader does not linger
