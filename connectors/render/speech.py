"""Bot messages as they should be heard: the one place text becomes speech-friendly.

Used by every voice channel (the Alexa skill's SSML, the local voice loop's espeak-ng). The
coach's written replies carry numbered lists, "0-10" scales, "s" for seconds and emoji that
read badly aloud; a listener also needs one instruction per sentence and to hear which
answers the coach expects, because there are no buttons to see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, List

from connectors.render import BotMessage

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
    end = "" if options[-1][-1:] in "?!" else "."  # "..., or What can you do?" without a "." after it
    if len(options) == 1:
        return f"You can say: {options[0]}{end}"
    return "You can say: " + ", ".join(options[:-1]) + f", or {options[-1]}{end}"


def spoken_message(message: BotMessage) -> str:
    """A whole bot message for the ear: its text, then the answers it expects."""
    parts = [spoken_text(message.text or "")]
    if message.buttons:
        parts.append(spoken_choices(b.title for b in message.buttons))
    return " ".join(p for p in parts if p)


def _ordinal(n: int) -> str:
    return ORDINALS[n - 1] if 1 <= n <= len(ORDINALS) else f"Number {n}"


# -- SSML, for voice channels that speak it (the local voice loop: espeak-ng -m) -----------------
# Written replies point at the screen ("Tap the one that fits"); a listener has no buttons.
_SCREEN_WORDS = [
    (re.compile(r"\b[Tt]ap or say\b"), "Say"),
    (re.compile(r"\bTap\b"), "Say"),
    (re.compile(r"\btap\b"), "say"),
    (re.compile(r"\b[Cc]lick\b"), "say"),
]
# Phone numbers are said digit by digit: espeak-ng read "call 999" as "nine hundred and ninety
# nine". In the coach's texts, numbers of three digits or more are phone or text numbers (holds
# and ratings have two); "111.nhs.uk" becomes "1 1 1 dot nhs dot uk".
_PHONE_NUMBER = re.compile(r"\b\d{3,}\b")
_WEB_DOT = re.compile(r"(?<=\w)\.(?=(?:[a-z]{2,}|nhs)\b)")
CHOICES_PAUSE_MS = 800  # a breath before "You can say: ..." (espeak-ng adds about 0.4 s to its own sentence gap)


def listener_text(text: str) -> str:
    """spoken_text for someone who hears but cannot see: "Tap the one that fits" -> "Say ...",
    "call 999" -> "call 9 9 9"."""
    for pattern, replacement in _SCREEN_WORDS:
        text = pattern.sub(replacement, text or "")
    text = _WEB_DOT.sub(" dot ", text)
    text = _PHONE_NUMBER.sub(lambda m: " ".join(m.group(0)), text)
    return spoken_text(text)


def ssml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def ssml_message(message: BotMessage, choices_pause_ms: int = CHOICES_PAUSE_MS) -> str:
    """A whole bot message as SSML: its text, a pause, then the answers it expects."""
    parts = [ssml_escape(listener_text(message.text or ""))]
    choices = spoken_choices(b.title for b in message.buttons)
    if choices:
        parts.append(f'<break time="{int(choices_pause_ms)}ms"/>{ssml_escape(choices)}')
    return "<speak>" + " ".join(p for p in parts if p) + "</speak>"


def ssml_text(text: str) -> str:
    """Plain words (no buttons) as SSML."""
    return "<speak>" + ssml_escape(listener_text(text)) + "</speak>"
