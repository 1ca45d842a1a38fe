"""Speech to text with pocketsphinx 5.0.4 (US English model and cmudict ship in the wheel).

One decoder holds every search: the session-controls grammar, the yes/no grammars, one
grammar per set of options the coach offers (built when first needed), the domain language
model for free speech, and a phone loop used only to judge confidence.

Why the confidence check: a grammar always returns one of its phrases, so "banana" during a
hold came out as "that pinches". We decode the same audio with the phone loop (the best any
sequence of sounds could score) and compare the acoustic score per frame of the words found;
an answer far below what the sounds allow is rejected as "didn't catch that". The threshold
comes from `python -m voice.accuracy` on espeak-ng voices (see docs/channels.md).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

from pocketsphinx import Decoder, get_model_path

from voice.audio import PAD_SECONDS, SAMPLE_RATE, is_silent, looks_like_speech, speech_span, with_noise_floor
from voice.grammars import YES_NO, Built, jsgf, spoken_words
from voice.pronounce import default_pronouncer

PHONE_LM = Path(get_model_path()) / "en-us" / "en-us-phone.lm.bin"
LOG_BASE = math.log(1.0001)  # pocketsphinx's logmath base; scores come back exponentiated
# Acoustic score per speech frame against the phone loop's, measured on espeak-ng voices
# (python -m voice.accuracy): right session commands scored -53..+7, unknown words -71..-7.
# -40 keeps 95% of commands and rejects about 70% of unknown words; the read-back catches the
# rest where it matters. Free speech that was heard right scored as low as -49, so its floor
# only rejects what is not speech at all.
GRAMMAR_FLOOR = -40.0
FREE_FLOOR = -60.0
# A grammar answer must account for what was said: "what can you do" matched all of "my hip
# flexors are tight from sitting all day" (score -13, over the whole utterance). Its 10 phones
# against the ~30 the phone loop found in the same speech give it away.
MIN_COVERAGE = 0.7
MIN_PHONE_RATIO = 0.5
FREE = "free"
SESSION = "session"
YES_NO_SEARCH = "yes_no"
CONFIRM = "confirm"


@dataclass(frozen=True)
class Heard:
    """What the recogniser made of one utterance."""

    text: str  # "" when nothing was recognised
    search: str  # which grammar or model produced it
    score: float  # acoustic score per frame relative to the phone loop (higher is better)
    reason: str = ""  # why nothing was recognised: "silence", "noise", "unclear"

    @property
    def ok(self) -> bool:
        return bool(self.text) and not self.reason


class Recogniser:
    def __init__(self, built: Built, log_file: str = os.devnull, names_safety: Optional[Callable[[str], bool]] = None):
        # bestpath=False: the lattice rescoring pass made short commands worse (63 vs 72 of 72).
        self.decoder = Decoder(samprate=SAMPLE_RATE, bestpath=False, logfn=log_file)
        self.pronouncer = default_pronouncer()
        added = list(built.added_words.items())
        for i, (word, phones) in enumerate(added):
            self.decoder.add_word(word, phones, i == len(added) - 1)  # rebuild the dictionary once, at the end
        self.decoder.add_lm_file(FREE, str(built.lm))
        self.decoder.add_jsgf_string(SESSION, built.session.read_text())
        self.decoder.add_jsgf_string(YES_NO_SEARCH, jsgf(YES_NO_SEARCH, [p for ps in YES_NO.values() for p in ps]))
        self.decoder.add_jsgf_string(CONFIRM, jsgf(CONFIRM, [*YES_NO["yes"], *YES_NO["no"]]))
        self.decoder.add_allphone_file("phones", str(PHONE_LM))
        self.phrases: Dict[str, List[str]] = {SESSION: built.session_phrases}
        # Does a sentence name a symptom, limitation or red flag? (voice/confirm.py SafetyCheck)
        self.names_safety = names_safety

    def options_search(self, options: Iterable[str]) -> Optional[str]:
        """A grammar for the options the coach offers (button titles), built once per set.
        Words nobody can pronounce are left out; None when no option is left."""
        phrases = sorted({" ".join(spoken_words(o)) for o in options if spoken_words(o)})
        phrases = [p for p in phrases if all(self._pronounceable(w) for w in p.split())]
        if not phrases:
            return None
        name = "options_" + hashlib.sha1("|".join(phrases).encode()).hexdigest()[:10]
        if name not in self.phrases:
            self.decoder.add_jsgf_string(name, jsgf(name, phrases))
            self.phrases[name] = phrases
        return name

    def _pronounceable(self, word: str) -> bool:
        if self.decoder.lookup_word(word):
            return True
        phones = self.pronouncer.phones(word)
        if phones:
            self.decoder.add_word(word, phones, True)
        return phones is not None

    def recognise(self, pcm: bytes, searches: List[str]) -> Heard:
        """Tries each grammar in `searches` in order and keeps the first confident answer; free
        speech (the domain language model) when it is in `searches` or when what the language
        model heard is clearly a sentence rather than the grammar's phrase."""
        if is_silent(pcm):
            return Heard("", "", float("-inf"), reason="silence")
        if not looks_like_speech(pcm):
            return Heard("", "", float("-inf"), reason="noise")
        audio = with_noise_floor(pcm)
        first, last = speech_span(pcm)
        pad = int(PAD_SECONDS * 100)  # decoder frames are 10 ms
        spoken = (first + pad, last + pad)
        phones_score, _ = self._decode("phones", audio)
        free_text, free_segments = self._decode(FREE, audio)
        free = Heard(free_text, FREE, _relative_score(free_segments, phones_score)) if free_segments else None
        best = Heard("", "", float("-inf"), reason="unclear")
        use_free = FREE in searches
        for search in (s for s in searches if s != FREE):
            text, segments = self._decode(search, audio)
            if not text or not segments or (search in self.phrases and text not in self.phrases[search]):
                continue  # nothing, or a partial path that does not match the grammar ("that" for "that hurts")
            if free and self._sentence_not_phrase(free.text, text):
                use_free = True
                break
            if (
                _coverage(segments, spoken) < MIN_COVERAGE
                or self._phone_ratio(text, phones_score, spoken) < MIN_PHONE_RATIO
            ):
                continue
            score = _relative_score(segments, phones_score)
            if score >= GRAMMAR_FLOOR:
                return Heard(text, search, score)
            if score > best.score:
                best = Heard(text, search, score, reason="unclear")
        if use_free and free and free.score >= FREE_FLOOR:
            return free
        return best

    def _sentence_not_phrase(self, free_text: str, phrase: str) -> bool:
        """Grammars have no "none of these": filler models absorb the rest of a sentence, so "I can't
        breathe" during a hold came out as "continue". The language model hears sentences well, so
        when it heard two more words than the phrase, or a sentence that names a symptom,
        limitation or red flag, the user said something else and free speech wins."""
        if free_text == phrase:
            return False
        return len(free_text.split()) >= len(phrase.split()) + 2 or bool(
            self.names_safety and self.names_safety(free_text)
        )

    def _phone_ratio(self, text: str, phones, spoken) -> float:
        """Phones in the words heard over phones the phone loop found in the speech."""
        expected = sum(len((self.decoder.lookup_word(w) or "x").split()) for w in text.split())
        found = sum(1 for p in phones if p[2] >= spoken[0] - 5 and p[3] <= spoken[1] + 5)
        return expected / max(1, found)

    def _decode(self, search: str, audio: bytes):
        self.decoder.activate_search(search)
        self.decoder.start_utt()
        self.decoder.process_raw(audio, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        segments = [
            (s.word, _log(s.ascore), s.start_frame, s.end_frame)
            for s in (self.decoder.seg() or [])
            if not s.word.startswith(("<", "[", "(")) and s.word not in ("SIL", "+NSN+", "+SPN+")
        ]
        if search == "phones":
            return segments, None
        return (hyp.hypstr if hyp else ""), segments


def _log(value: float) -> float:
    return math.log(value) / LOG_BASE if value > 0 else -1e9


def _coverage(words, spoken) -> float:
    """How much of the speech (first, last frame) the recognised words span."""
    start, end = words[0][2], words[-1][3]
    overlap = min(end, spoken[1]) - max(start, spoken[0]) + 1
    return max(0, overlap) / max(1, spoken[1] - spoken[0] + 1)


def _relative_score(words, phones) -> float:
    """Acoustic score per frame of the recognised words minus the phone loop's over the same frames."""
    start, end = words[0][2], words[-1][3]
    word_score = sum(w[1] for w in words)
    phone_score = sum(p[1] for p in phones if p[2] >= start and p[3] <= end)
    return (word_score - phone_score) / max(1, end - start + 1)
