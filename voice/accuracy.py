"""How well the recogniser hears espeak-ng voices, per search: `python -m voice.accuracy`.

Speaks every session control, every yes/no answer, a set of free-speech sentences and a set of
out-of-grammar utterances with several espeak-ng voices, and reports what was heard. The
confidence floors in voice/recogniser.py were chosen from this report. Synthetic voices are
not people: treat the figures as a regression check of the pipeline, not as accuracy on real
speech.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import List, Tuple

from voice.audio import read_wav
from voice.confirm import SafetyCheck
from voice.grammars import YES_NO, build, meaning
from voice.recogniser import FREE, SESSION, YES_NO_SEARCH, Recogniser

VOICES = ["en-us", "en-us+f3", "en-us+m3", "en-us+klatt"]
FREE_SPEECH = [
    "I can't kneel",
    "my hip flexors are tight from sitting all day",
    "how do I do the bed stretch",
    "let's start",
    "hi",
    "I had a hip replacement",
    "my back hurts",
    "I can't feel my legs",
    "I'm pregnant",
]
OUT_OF_GRAMMAR = [
    "banana",
    "elephant",
    "computer",
    "tomorrow",
    "purple",
    "what time is it",
    "my cat is asleep",
    "my hip flexors are tight from sitting all day",
]


def synthesise(text: str, voice: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
    return path


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", nargs="+", default=VOICES)
    args = parser.parse_args(argv)
    built = build()
    recogniser = Recogniser(built, names_safety=SafetyCheck(built).names_safety)
    cases: List[Tuple[str, List[str], str]] = [(p, [SESSION], "session control") for p in built.session_phrases]
    cases += [(p, [YES_NO_SEARCH], "yes/no answer") for ps in YES_NO.values() for p in ps]
    cases += [(s, [FREE], "free speech") for s in FREE_SPEECH]
    cases += [(s, [SESSION], "unknown, session grammar") for s in OUT_OF_GRAMMAR]
    cases += [(s, [YES_NO_SEARCH], "unknown, yes/no grammar") for s in OUT_OF_GRAMMAR]
    right: Counter = Counter()
    total: Counter = Counter()
    wrong: List[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for voice in args.voices:
            for text, searches, kind in cases:
                pcm = read_wav(synthesise(text, voice, Path(tmp) / "say.wav")).pcm
                heard = recogniser.recognise(pcm, searches)
                expected = " ".join(text.lower().split())
                if kind.startswith("unknown"):  # right: not forced into one of the grammar's phrases
                    good = not heard.ok or heard.search == FREE
                elif kind == "free speech":
                    good = heard.ok and heard.text == expected
                else:  # "yep" for "yeah" is right: the meaning is what the loop acts on
                    good = heard.ok and meaning(heard.text) == meaning(expected)
                total[kind] += 1
                right[kind] += good
                if not good:
                    wrong.append(
                        f"{voice}: {text!r} -> {heard.text!r} ({heard.score:.1f}{', ' + heard.reason if heard.reason else ''})"
                    )
    for kind in total:
        verb = (
            "not taken for a phrase"
            if kind.startswith("unknown")
            else "heard exactly"
            if kind == "free speech"
            else "meaning right"
        )
        print(f"{kind:28s} {right[kind]:4d} / {total[kind]:<4d} {verb}")
    print("\nMisses:")
    print("\n".join("  " + w for w in wrong))


if __name__ == "__main__":
    main()
