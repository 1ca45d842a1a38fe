"""Bot messages as they should be heard: the one place text becomes speech-friendly.

Used by every voice channel (the Alexa skill's SSML, the local voice loop's espeak-ng). The
coach's written replies carry numbered lists, "0-10" scales, "s" for seconds and emoji that
read badly aloud; a listener also needs one instruction per sentence and to hear which
answers the coach expects, because there are no buttons to see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, List, Tuple

from connectors.render import BotMessage

# Links (an export's download links) are for screens: a listener would hear a token spelt out.
_LINK = re.compile(r"(?:https?://|/webhooks/)\S+?(?=[.,;:!?]?(?:\s|$))")
_MARKDOWN = re.compile(r"[*_`#>]+")
_LIST_NUMBER = re.compile(r"^\s*(\d+)[.)]\s+", re.MULTILINE)
_UNITS = [
    (re.compile(r"\b(\d+)\s?s\b"), r"\1 seconds"),
    (re.compile(r"\b(\d+)\s?min\b"), r"\1 minutes"),
    (re.compile(r"\b(\d+)\s?-\s?(\d+)\b"), r"\1 to \2"),
    (re.compile(r"\b(\d+)\s?/\s?10\b"), r"\1 out of 10"),
    (re.compile(r"\bA&E\b"), "A and E"),
    (re.compile(r"\bGP\b"), "G P"),
    (re.compile(r"\be\.g\.", re.IGNORECASE), "for example"),
    (re.compile(r"&"), " and "),
]
ORDINALS = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth"]


def _without_symbols(text: str) -> str:
    """Drops emoji and pictographs (category So/Sk) that a speech engine would spell out."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Sk", "Cs"))


def spoken_text(text: str) -> str:
    """Plain sentences to speak: no markdown or emoji, numbers said naturally, list items as
    'First, ... Second, ...', one sentence per line break."""
    if not text:
        return ""
    text = _without_symbols(unicodedata.normalize("NFKC", text))
    text = re.sub(r"\s+([.,;:])", r"\1", _LINK.sub("", text))
    text = _MARKDOWN.sub("", text)
    text = _LIST_NUMBER.sub(lambda m: f"{_ordinal(int(m.group(1)))}, ", text)
    for pattern, replacement in _UNITS:
        text = pattern.sub(replacement, text)
    sentences = [re.sub(r"[ \t]{2,}", " ", s).strip() for s in re.split(r"\n+", text) if s.strip()]
    return " ".join(s if s[-1] in ".?!:" else s + "." for s in sentences)


def spoken_choices(titles: Iterable[str]) -> str:
    """What the listener can say instead of tapping a button: 'You can say: yes, or no.'"""
    options: List[str] = [spoken_text(t).rstrip(".") for t in titles if t]
    if not options:
        return ""
    if len(options) == 1:
        return f"You can say: {options[0]}."
    return "You can say: " + ", ".join(options[:-1]) + f", or {options[-1]}."


def spoken_message(message: BotMessage) -> str:
    """A whole bot message for the ear: its text, then the answers it expects."""
    parts = [spoken_text(message.text or "")]
    if message.buttons:
        parts.append(spoken_choices(b.title for b in message.buttons))
    return " ".join(p for p in parts if p)


def _ordinal(n: int) -> str:
    return ORDINALS[n - 1] if 1 <= n <= len(ORDINALS) else f"Number {n}"


# -- Additions for voice channels that pace and prompt (the Alexa skill). The functions above
# keep their behaviour; the local voice loop uses them as they are.

# About 150 words a minute, Alexa's and espeak-ng's default rates: used to keep spoken cues
# inside a timed hold instead of making it longer by the time it takes to say them.
WORDS_PER_SECOND = 2.5
_ASIDE = re.compile(r"\s*\(([^()]{1,60})\)")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"'])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ALTERNATIVE_NUMBERS = re.compile(r"(\d)\s*/\s*(?=\d)(\d)")  # "call 999 / 112 / 911"
_STRAY_COMMA = re.compile(r",(?=\s*[;:.?!])")  # left by an aside at the end of a clause
_UNITS_AFTER = r"(?!\s*(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|times|characters|words|steps|percent|%))"
_PHONE_NUMBER = re.compile(
    r"(?<![\w.])(?!(?:19|20)\d\d\b)(?:0\d+|\d{3,})(?:\s\d{3,})*" + _UNITS_AFTER + r"(?![\w,]*\d)"
)
_NUMBER_WORDS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}


def spoken_sentences(text: str) -> List[str]:
    """`spoken_text` cut into sentences, one instruction each, for a renderer that marks them
    up (SSML <s>) or reprompts with the last question. Asides in brackets are said as asides:
    "from 0 (awful) to 10 (great)" becomes "from 0, awful, to 10, great" (brackets are silent)."""
    text = _ASIDE.sub(lambda m: f", {m.group(1).strip()},", _CONTROL.sub(" ", text or ""))
    sentences: List[str] = []
    for line in text.splitlines():  # a line is at least one sentence: "Here's what I'd suggest:"
        spoken = _ALTERNATIVE_NUMBERS.sub(r"\1, or \2", spoken_text(line))
        spoken = _STRAY_COMMA.sub("", re.sub(r",\s*,", ",", spoken).replace("...,", "..."))
        sentences += [s.strip() for s in _SENTENCE_END.split(spoken) if s.strip()]
    return sentences


def phone_number_spans(sentence: str) -> List[Tuple[str, bool]]:
    """The sentence in pieces, True for numbers to say digit by digit ("999", "116 123", "000")
    rather than as amounts ("nine hundred and ninety-nine"); amounts with a unit stay amounts."""
    pieces: List[Tuple[str, bool]] = []
    last = 0
    for match in _PHONE_NUMBER.finditer(sentence):
        pieces += [(sentence[last : match.start()], False), (match.group(0), True)]
        last = match.end()
    pieces.append((sentence[last:], False))
    return [(text, is_phone) for text, is_phone in pieces if text]


def normalised(text: str) -> str:
    """What a phrase sounds like, for comparing what someone said with a choice: lower case,
    no punctuation or apostrophes, number words as digits ("Seven." == "7")."""
    words = re.sub(r"[^\w\s]", "", (text or "").lower().replace("\u2019", "'").replace("'", "")).split()
    return " ".join(_NUMBER_WORDS.get(w, w) for w in words)


def choice_list(titles: Iterable[str]) -> str:
    """'a, b, or c' from button titles, without their end punctuation ("What can you do?")."""
    options = [spoken_text(t).rstrip(".?!") for t in titles if t and t.strip()]
    options = [o for o in options if o]
    if len(options) <= 1:
        return options[0] if options else ""
    if len(options) == 2:
        return f"{options[0]}, or {options[1]}"
    return ", ".join(options[:-1]) + f", or {options[-1]}"


def speaking_seconds(text: str) -> float:
    """Roughly how long saying `text` takes."""
    return len(text.split()) / WORDS_PER_SECOND


# -- SSML, for voice channels that speak it (the local voice loop: espeak-ng -m) -----------------
# Written replies point at the screen ("Tap the one that fits"); a listener has no buttons.
_SCREEN_WORDS = [
    (re.compile(r"\b[Tt]ap or say\b"), "Say"),
    (re.compile(r"\bTap\b"), "Say"),
    (re.compile(r"\btap\b"), "say"),
    (re.compile(r"\b[Cc]lick\b"), "say"),
]
# Phone numbers are said digit by digit (phone_number_spans): espeak-ng read "call 999" as "nine
# hundred and ninety nine". A web address is said with its dots: "1 1 1 dot nhs dot uk".
_WEB_DOT = re.compile(r"(?<=\w)\.(?=(?:[a-z]{2,}|nhs)\b)")
CHOICES_PAUSE_MS = 800  # a breath before "You can say: ..." (espeak-ng adds about 0.4 s to its own sentence gap)


def listener_text(text: str) -> str:
    """spoken_text for someone who hears but cannot see: "Tap the one that fits" -> "Say ...",
    "call 999" -> "call 9 9 9"."""
    for pattern, replacement in _SCREEN_WORDS:
        text = pattern.sub(replacement, text or "")
    spoken = spoken_text(_WEB_DOT.sub(" dot ", text))
    return "".join(
        ", ".join(" ".join(group) for group in piece.split()) if is_phone else piece
        for piece, is_phone in phone_number_spans(spoken)
    )


def listener_choices(titles: Iterable[str]) -> str:
    """'You can say: Yes, No, or What can you do?' (no "?." at the end, unlike spoken_choices)."""
    titles = list(titles)
    listed = choice_list(titles)
    if not listed:
        return ""
    last = spoken_text(titles[-1]).rstrip(".")
    return f"You can say: {listed}{'?' if last.endswith('?') else '.'}"


def listener_message(message: BotMessage) -> str:
    """A whole bot message for someone who hears but cannot see: its text, then its choices."""
    return " ".join(
        p for p in (listener_text(message.text or ""), listener_choices(b.title for b in message.buttons)) if p
    )


def ssml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def ssml_message(message: BotMessage, choices_pause_ms: int = CHOICES_PAUSE_MS) -> str:
    """A whole bot message as SSML: its text, a pause, then the answers it expects."""
    parts = [ssml_escape(listener_text(message.text or ""))]
    choices = listener_choices(b.title for b in message.buttons)
    if choices:
        parts.append(f'<break time="{int(choices_pause_ms)}ms"/>{ssml_escape(choices)}')
    return "<speak>" + " ".join(p for p in parts if p) + "</speak>"


def ssml_text(text: str) -> str:
    """Plain words (no buttons) as SSML."""
    return "<speak>" + ssml_escape(listener_text(text)) + "</speak>"
