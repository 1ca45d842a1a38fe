"""The voice loop's grammars and language model, generated from data/nlu."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from voice import grammars
from voice.grammars import (
    KNOWLEDGE_DIR,
    NLU_DIR,
    SESSION_CONTROLS,
    YES_NO,
    build,
    jsgf,
    meaning,
    nlu_examples,
    number_words,
    spoken_words,
)
from voice.pronounce import CMUDICT, EXTRA, Pronouncer, read_dictionary


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(out_root=tmp_path_factory.mktemp("voice-build"))


@pytest.fixture(scope="module")
def pronouncer():
    return Pronouncer()


def arpa_unigrams(path: Path) -> set:
    text = path.read_text()
    section = text.split("\\1-grams:")[1].split("\\2-grams:")[0]
    return {line.split()[1] for line in section.strip().splitlines() if line.strip()}


def test_examples_become_spoken_words():
    assert spoken_words("my [hip](body_part) is tight 😣") == ["my", "hip", "is", "tight"]
    assert spoken_words('can\u2019t feel my [inner thighs]{"entity": "body_part"}') == [
        "can't",
        "feel",
        "my",
        "inner",
        "thighs",
    ]
    assert spoken_words("hold for 30 s, 3-4 times") == ["hold", "for", "thirty", "s", "three", "four", "times"]
    assert [number_words(n) for n in (0, 7, 45, 100, 2015, 2008)] == [
        "zero", "seven", "forty five", "one hundred", "twenty fifteen", "two thousand eight",
    ]  # fmt: skip


def test_missing_words_get_derived_or_listed_pronunciations(pronouncer):
    assert not pronouncer.in_cmudict("pinches") and pronouncer.phones("pinches") == "P IH N CH IH Z"
    assert pronouncer.phones("glutes") == "G L UW T S"  # glute + S, not glut + IH Z
    assert pronouncer.phones("psoas") == "S OW AH S"
    assert pronouncer.phones("rdy") is None  # nobody says "rdy" aloud


def test_our_pronunciations_use_only_the_models_phones():
    phones = {p for pron in read_dictionary(CMUDICT).values() for p in pron.split()}
    extra = read_dictionary(EXTRA)
    assert extra, "pronunciations.dict is empty"
    for word, pron in extra.items():
        assert set(pron.split()) <= phones, (word, pron)
        assert re.fullmatch(r"[a-z']+", word), word


def test_the_language_model_is_built_from_the_nlu_data(built):
    unigrams = arpa_unigrams(built.lm)
    assert {"kneel", "can't", "psoas", "pinches", "stretch", "pause"} <= unigrams
    assert "rdy" not in unigrams and "pls" not in unigrams  # chat spellings are dropped, not guessed
    assert built.stats["sentences"] > 2000
    assert "rdy" in built.stats["unpronounceable"]


def test_every_word_the_recogniser_may_hear_has_a_pronunciation(built, pronouncer):
    words = arpa_unigrams(built.lm) - {"<s>", "</s>"}
    words |= {w for p in built.session_phrases for w in p.split()}
    words |= {w for ps in YES_NO.values() for p in ps for w in spoken_words(p)}
    missing = sorted(w for w in words if pronouncer.phones(w) is None)
    assert not missing
    for word in words:
        if not pronouncer.in_cmudict(word):
            assert built.added_words.get(word) == pronouncer.phones(word), word


def test_session_grammar_has_the_session_words(built):
    grammar = built.session.read_text()
    for phrase in ("next", "ready", "pause", "resume", "stop", "skip", "slower", "that hurts", "that pinches"):
        assert re.search(rf"^\s*\|?\s*{re.escape(phrase)}$", grammar, re.MULTILINE), phrase
    assert meaning("pause") == "pause" and meaning("that pinches") == "report_pain" and meaning("nope") == "no"


def test_session_controls_mean_what_the_nlu_data_says():
    """Each control is an example of its intent, except the ones the coach gets as an intent
    payload anyway (the loop sends /slower, /time_left...: see voice/loop.py)."""
    by_text = {}
    for intent, example in nlu_examples():
        by_text.setdefault(" ".join(spoken_words(example)), set()).add(intent)
    for intent, phrases in SESSION_CONTROLS.items():
        for phrase in phrases:
            assert by_text.get(phrase, {intent}) == {intent}, (phrase, by_text.get(phrase))
    assert by_text["that pinches"] == {"report_pain"}  # sent as words: the safety check reads them


def test_rebuilt_when_the_nlu_data_changes(tmp_path):
    nlu = tmp_path / "nlu"
    shutil.copytree(NLU_DIR, nlu)
    first = build(nlu, KNOWLEDGE_DIR, tmp_path / "out")
    assert build(nlu, KNOWLEDGE_DIR, tmp_path / "out").directory == first.directory  # reused as it is
    assert "granite" not in arpa_unigrams(first.lm)
    session = nlu / "session.yml"
    session.write_text(
        session.read_text().replace("    - pause\n", "    - pause\n    - my hips feel like granite\n", 1)
    )
    second = build(nlu, KNOWLEDGE_DIR, tmp_path / "out")
    assert second.directory != first.directory
    assert "granite" in arpa_unigrams(second.lm)


def test_a_grammar_of_nothing_sayable_is_an_error():
    with pytest.raises(ValueError):
        jsgf("empty", ["😣", ""])


def test_safety_vocabulary_comes_from_the_knowledge_base(built):
    words = set(built.safety_words)
    assert {"kneel", "numb", "pregnant", "surgery"} <= words
    assert not {"hip", "stretch", "pause", "next", "the", "my"} & words  # common words of ordinary requests
    assert any(pattern == [["chest pain"]] for pattern in built.alarms)


def test_build_inputs_include_the_generator():
    assert Path(grammars.__file__) in grammars.GENERATOR_FILES


def test_every_control_the_loop_sends_is_an_intent_of_the_coach():
    import yaml

    from voice.loop import CONTROL_PAYLOADS

    intents = set(yaml.safe_load((grammars.ROOT / "domain.yml").read_text())["intents"])
    assert {p.lstrip("/") for p in CONTROL_PAYLOADS.values()} <= intents
