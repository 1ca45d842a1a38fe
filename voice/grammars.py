"""What the recogniser may hear, per dialogue state, built from our own data.

pocketsphinx's general US English language model is unusable on short commands ("pause" came
out as "carlos"), so the loop never uses it:
- a yes/no screening question listens with a yes / no / not sure grammar;
- a guided session listens with a grammar of session controls;
- anything else (free speech) uses a trigram language model generated from the NLU training
  data (data/nlu/*.yml): the sentences people actually say to the coach, spelled as spoken
  (numbers as words, no emoji, no chat spellings such as "rdy" that nobody says aloud).

The knowledge base gives the safety vocabulary (words the coach's safety detector listens
for) that decides which heard sentences are read back before they are sent (voice/confirm.py).

Everything is rebuilt when its inputs change: the build directory is named by a hash of the
NLU files, the knowledge files and this generator. `python -m voice.grammars` builds and
prints what was kept and dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypedDict, Union

import yaml

from voice.pronounce import Pronouncer, default_pronouncer

if TYPE_CHECKING:
    from coach.kb.schema import Concept, Condition, Constraint

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
KNOWLEDGE_DIR = ROOT / "knowledge"
BUILD_ROOT = ROOT / ".data" / "voice"
GENERATOR_FILES = [
    Path(__file__),
    Path(__file__).with_name("pronounce.py"),
    Path(__file__).with_name("pronunciations.dict"),
]

# Intents whose examples describe the user's body: their vocabulary is not "common".
SAFETY_INTENTS = {"inform_limitation", "describe_symptom", "disclose_condition", "safety_alert", "report_pain"}
# The most frequent words of every other intent ("my", "stretch", "hip") never make a
# sentence safety-relevant on their own; 150 keeps "kneel" and "numb" but drops "hip".
COMMON_WORDS = 150
ALARM_OUTCOMES = {"EMERGENCY", "CRISIS", "URGENT"}

# Session controls: each phrase is an example of its intent in data/nlu (tests check it), and
# is sent as it was heard so the coach's NLU and safety check see the user's words.
SESSION_CONTROLS: Dict[str, Sequence[str]] = {
    "ready": ("next", "ready", "i'm ready", "go", "let's go", "done"),
    "pause": ("pause", "hold on", "wait"),
    "resume": ("resume", "carry on", "continue"),
    "stop_session": ("stop", "stop the session", "i'm done"),
    "skip": ("skip", "skip this one"),
    "slower": ("slower", "slow down"),
    "report_pain": ("that hurts", "that pinches", "it hurts", "ouch"),
    "repeat": ("say that again",),  # not "repeat": espeak's "next" and "ready" came out as "repeat"
    "time_left": ("how long is left",),
    "make_easier": ("make it easier", "easier"),
    "make_harder": ("make it harder", "harder"),
}
# Also heard during a session (a check-in, "are you ready?"): without them "yes" became "easier".
SESSION_ANSWERS = ("yes", "yeah", "no")
# Answers to a yes/no question, and what each means.
YES_NO: Dict[str, Sequence[str]] = {
    "yes": ("yes", "yeah", "yep", "yes please", "correct", "that's right"),
    "no": ("no", "nope", "no thanks", "that's wrong"),
    "not sure": ("not sure", "i'm not sure", "i don't know"),
}

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """Numbers as people say them: 7 -> seven, 45 -> forty five, 2015 -> twenty fifteen."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    if 1100 <= n < 10000 and n % 100 != 0 and not 2000 <= n < 2010:
        return number_words(n // 100) + " " + (number_words(n % 100) if n % 100 >= 10 else "oh " + _UNITS[n % 10])
    thousands, rest = divmod(n, 1000)
    return number_words(thousands) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def spoken_words(text: str) -> List[str]:
    """An example as it would be said: lower case, no annotations, emoji or punctuation,
    numbers as words. Tokens mixing digits and letters ("7am") stay as they are, so the
    pronouncer rejects them."""
    text = unicodedata.normalize("NFKC", _ANNOTATION.sub(r"\1", text)).lower()
    text = text.replace("\u2019", "'").replace("&", " and ").replace("-", " ").replace("/", " ")
    words: List[str] = []
    for token in _TOKEN.findall(text):
        words.extend(number_words(int(token)).split() if token.isdigit() and len(token) <= 4 else [token])
    return words


def nlu_examples(nlu_dir: Path = NLU_DIR) -> Iterator[Tuple[str, str]]:
    """(intent, example text) for every intent example in the NLU training data."""
    for path in sorted(nlu_dir.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield item["intent"], line[2:].strip()


@dataclass
class Corpus:
    """The sentences the domain language model is trained on, and what was left out."""

    sentences: List[Tuple[str, str]] = field(default_factory=list)  # (intent, spoken sentence)
    dropped: List[Tuple[str, List[str]]] = field(default_factory=list)  # (example, words nobody can say)

    @property
    def words(self) -> List[str]:
        return sorted({w for _, s in self.sentences for w in s.split()})


def corpus_from(examples: Iterable[Tuple[str, str]], pronouncer: Pronouncer) -> Corpus:
    corpus = Corpus()
    seen = set()
    for intent, example in examples:
        words = spoken_words(example)
        if not words:
            continue
        missing = [w for w in words if pronouncer.phones(w) is None]
        if missing:
            corpus.dropped.append((example, missing))
            continue
        sentence = " ".join(words)
        if (intent, sentence) not in seen:
            seen.add((intent, sentence))
            corpus.sentences.append((intent, sentence))
    return corpus


def arpa_model(sentences: Iterable[str]) -> str:
    """A trigram ARPA model with pocketsphinx's own builder (what `pocketsphinx_lm` runs)."""
    from io import StringIO

    from pocketsphinx.lm import ArpaBoLM

    model = ArpaBoLM(text="".join(s + "\n" for s in sentences), add_start=True)
    model.compute()
    out = StringIO()
    model.write(out)
    return out.getvalue()


def jsgf(name: str, phrases: Iterable[str]) -> str:
    """A JSGF grammar accepting exactly one of `phrases`."""
    alternatives = sorted({" ".join(spoken_words(p)) for p in phrases if spoken_words(p)})
    if not alternatives:
        raise ValueError(f"grammar {name} has no phrase anyone can say")
    body = "\n    | ".join(alternatives)
    return f"#JSGF V1.0;\ngrammar {name};\npublic <{name}> =\n      {body}\n    ;\n"


def safety_vocabulary(kb_dir: Path, examples: Sequence[Tuple[str, str]]) -> Tuple[List[str], List[List[List[str]]]]:
    """(safety words, alarm patterns) from the knowledge base.

    Safety words: every word of a condition, constraint or symptom phrase the safety detector
    matches, minus the words common in ordinary requests and the words of exercise names
    ("bed", "kneeling" as in "half kneeling stretch"). Alarm patterns: for each red flag that
    means emergency, crisis or urgent care, its phrases (one group) and its combos (a term from
    every group), as word lists."""
    from coach.kb.loader import load_directory

    kb = load_directory(kb_dir)
    counts: Dict[str, int] = {}
    for intent, example in examples:
        if intent not in SAFETY_INTENTS:
            for word in set(spoken_words(example)):
                counts[word] = counts.get(word, 0) + 1
    common = {w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:COMMON_WORDS]}
    exercise_words = {w for e in kb.exercises.values() for a in [e.name, *e.aliases] for w in spoken_words(a)}
    words = set()
    entries: List[Union[Condition, Constraint, Concept]] = [
        *kb.conditions.values(),
        *kb.constraints.values(),
        *kb.concepts.values(),
    ]
    for entry in entries:
        terms = list(entry.phrases) + [t for combo in getattr(entry, "combos", []) for g in combo.groups for t in g]
        for term in terms:
            words.update(spoken_words(term))
    alarm_concepts = {c for flag in kb.red_flags.values() if flag.outcome.value in ALARM_OUTCOMES for c in flag.any_of}
    # One alarm pattern is a list of groups, each a list of alternatives: a phrase is one group.
    alarms: List[List[List[str]]] = []
    for concept_id in sorted(alarm_concepts):
        concept = kb.concepts[concept_id]
        alarms += [[[" ".join(spoken_words(p))]] for p in concept.phrases if spoken_words(p)]
        alarms += [
            [[" ".join(spoken_words(t)) for t in g if spoken_words(t)] for g in combo.groups]
            for combo in concept.combos
        ]
    numbers = {w for n in range(100) for w in number_words(n).split()} | {"hundred", "thousand"}
    return sorted(words - common - exercise_words - numbers), alarms


class Stats(TypedDict):
    """What the build made of data/nlu, for `python -m voice.grammars` to say."""

    examples: int
    sentences: int
    words: int
    dropped: int  # examples left out
    unpronounceable: List[str]  # the words they were left out for


@dataclass
class Built:
    """The generated files and lists, from one content hash of their inputs."""

    directory: Path
    lm: Path
    session: Path
    added_words: Dict[str, str]  # pronunciations the decoder's dictionary needs
    safety_words: List[str]
    alarms: List[List[List[str]]]
    stats: Stats

    @property
    def session_phrases(self) -> List[str]:
        return sorted({" ".join(spoken_words(p)) for ps in [*SESSION_CONTROLS.values(), SESSION_ANSWERS] for p in ps})


def meaning(phrase: str) -> Optional[str]:
    """The intent of a session control or the answer a yes/no phrase gives, if it is one."""
    for table in (SESSION_CONTROLS, YES_NO):
        for meant, phrases in table.items():
            if phrase in phrases:
                return meant
    return None


def inputs_hash(nlu_dir: Path, kb_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(nlu_dir.glob("*.yml")) + sorted(kb_dir.glob("*.yml")) + GENERATOR_FILES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build(nlu_dir: Path = NLU_DIR, kb_dir: Path = KNOWLEDGE_DIR, out_root: Path = BUILD_ROOT) -> Built:
    """Builds (or reuses, when nothing changed) the language model, grammars and word lists."""
    directory = out_root / inputs_hash(nlu_dir, kb_dir)
    manifest = directory / "manifest.json"
    if manifest.is_file():
        return _load(directory, json.loads(manifest.read_text()))
    pronouncer = default_pronouncer()
    examples = list(nlu_examples(nlu_dir))
    corpus = corpus_from(examples, pronouncer)
    controls = [p for ps in SESSION_CONTROLS.values() for p in ps] + list(SESSION_ANSWERS)
    answers = [p for ps in YES_NO.values() for p in ps]
    for phrase in controls + answers:
        missing = [w for w in spoken_words(phrase) if pronouncer.phones(w) is None]
        if missing:
            raise ValueError(f"no pronunciation for {missing} in the fixed phrase {phrase!r}")
    safety_words, alarms = safety_vocabulary(kb_dir, examples)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "domain.arpa").write_text(arpa_model(s for _, s in corpus.sentences))
    (directory / "session.gram").write_text(jsgf("session", controls))
    used = set(corpus.words) | {w for p in controls + answers for w in spoken_words(p)}
    data = {
        "added_words": {w: p for w, p in sorted(pronouncer.added.items()) if w in used},
        "safety_words": safety_words,
        "alarms": alarms,
        "stats": {
            "examples": len(examples),
            "sentences": len(corpus.sentences),
            "words": len(corpus.words),
            "dropped": len(corpus.dropped),
            "unpronounceable": sorted({w for _, ws in corpus.dropped for w in ws}),
        },
    }
    manifest.write_text(json.dumps(data, indent=1))
    return _load(directory, data)


def _load(directory: Path, data: Dict) -> Built:
    return Built(
        directory=directory,
        lm=directory / "domain.arpa",
        session=directory / "session.gram",
        added_words=data["added_words"],
        safety_words=data["safety_words"],
        alarms=data["alarms"],
        stats=data["stats"],
    )


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Build the voice loop's language model and grammars from data/nlu.")
    parser.parse_args(argv)
    built = build()
    stats = built.stats
    print(f"Voice grammars in {built.directory.relative_to(ROOT)}:")
    print(f"  {stats['sentences']} sentences from {stats['examples']} NLU examples, {stats['words']} words")
    print(f"  {stats['dropped']} examples dropped for words nobody says aloud or no pronunciation:")
    print("   ", ", ".join(stats["unpronounceable"]))
    print(f"  {len(built.added_words)} words pronounced from our list or a stem (not in cmudict)")
    print(f"  {len(built.session_phrases)} session control phrases, {len(built.safety_words)} safety words")


if __name__ == "__main__":
    main()
