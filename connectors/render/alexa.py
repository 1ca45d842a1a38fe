"""Bot messages as one Alexa answer: SSML speech, a reprompt, and what the listener may say.

Alexa hears one answer per request and can never be sent a message later, so everything the
coach said in a turn is spoken, in order, with emergency-level safety messages first. Text goes
through connectors/render/speech.py (no emoji or markdown, numbers said naturally, one
instruction per sentence) and buttons become "You can say: ..." choices.

A guided-session step is paced inside the answer: its instruction, silence for the step's
seconds chained from <break> tags (Alexa allows 10 s each), the cues the coach sent with the
step (halfway, five more seconds) at their times, and then the prompt to say "next". Amazon's
limits: at most 8000 characters of speech, 10 s per break, 24 KB per response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

from connectors.render import BotMessage, Button
from connectors.render.speech import choice_list, normalised, phone_number_spans, speaking_seconds, spoken_sentences

MAX_SPEECH_CHARS = 8000
MAX_BREAK_SECONDS = 10.0
PACED_PHASES = ("get_ready", "hold", "rest", "switch_sides")
COUNTED_WHILE_SPEAKING = ("hold", "rest")  # the person is already stretching or resting while we talk
CUE_LATENESS_SECONDS = 1.0  # a cue more than this late is not said at all
MIN_QUIET_BEFORE_CUE = 2.0  # seconds of silence a cue needs after the last thing said
URGENT_SAFETY = ("emergency", "crisis", "urgent")
CARD_TITLE = "Psoas Coach"

# Words only a listener needs, because they cannot see buttons or a countdown. Never safety
# wording: that comes from the knowledge base with the messages.
STEP_PROMPT_LEAD = {
    "get_ready": "When you're in position, say {choice}.",
    "hold": "That's the hold. When you're ready, say {choice}.",
    "rest": "When you're ready, say {choice}.",
    "switch_sides": "When you're on the other side, say {choice}.",
}
OTHER_CHOICES = "You can also say: {choices}."  # when the text already named some choices
CHOICES = "You can say: {choices}."
OPEN_REPROMPT = "What would you like to do? You can ask me for a stretch, or say stop."
SESSION_PROMPT = "When you're ready, say next. Or say stop to finish."


@dataclass(frozen=True)
class Spoken:
    """One Alexa answer: `ssml` and `reprompt` are whole <speak> documents."""

    ssml: str
    reprompt: Optional[str]
    choices: List[Button] = field(default_factory=list)
    card: Optional[Tuple[str, str]] = None  # (title, text) shown in the Alexa app for safety messages
    plain: str = ""  # what was said, without markup (cards, logs, "repeat")


@dataclass
class _Part:
    """One message's speech: sentences (trimmable unless `keep`) and a paced tail."""

    sentences: List[str]
    tail: str = ""
    keep: bool = False
    digits: bool = True  # phone numbers said digit by digit (not in "under 2000 characters")

    def ssml(self) -> str:
        body = " ".join(sentence_ssml(s, self.digits) for s in self.sentences)
        return f"<p>{body}{self.tail}</p>" if body or self.tail else ""


def render(messages: Sequence[BotMessage], closing: bool = False, in_session: bool = False) -> Spoken:
    """The whole turn as speech. `closing` (the session ends after it) asks nothing: no
    choices, no reprompt, and questions are left out of every message except safety ones.
    `in_session` (a guided session is under way): an answer with no choices of its own ends
    by saying how to go on, since no countdown or button shows it."""
    ordered = sorted(messages, key=lambda m: 0 if _is_urgent_safety(m) else 1)  # stable: order kept otherwise
    parts: List[_Part] = []
    for message in ordered:
        sentences = spoken_sentences(message.text or "")
        if closing and message.kind != "safety":
            sentences = [s for s in sentences if not s.endswith("?")]
        part = _Part(sentences, keep=message.kind == "safety", digits=message.kind != "input_error")
        if message.kind == "session_step" and _paced(message):
            part.tail = paced_silence(message, sentences)
        parts.append(part)

    asking = None if closing else next((m for m in reversed(ordered) if m.buttons), None)
    prompt = _prompt(asking) if asking else ""
    stopping = [p for p, m in zip(parts, ordered, strict=True) if _stops(m) and p.sentences]
    if not prompt and in_session and not closing and not stopping:
        prompt = SESSION_PROMPT
    if prompt:
        parts.append(_Part([prompt], keep=True))
    _fit(parts, MAX_SPEECH_CHARS - len("<speak></speak>"))

    reprompt = None
    if not closing:
        question = next((s for p in reversed(parts) for s in reversed(p.sentences) if s.endswith("?")), None)
        # After a stop-level safety message, silence gets its first sentence again (the action
        # to take), never an invitation to stretch.
        choices = _prompt(asking, said_once=False) if asking else ""
        fallback = SESSION_PROMPT if in_session else OPEN_REPROMPT
        reprompt_text = choices or question or (stopping[0].sentences[0] if stopping else fallback)
        if choices and question and question not in choices:
            reprompt_text = f"{question} {choices}"
        reprompt = f"<speak>{sentence_ssml(reprompt_text)}</speak>"

    safety = [" ".join(p.sentences) for p in stopping]
    plain = " ".join(" ".join(p.sentences) for p in parts)
    return Spoken(
        ssml="<speak>" + " ".join(p.ssml() for p in parts) + "</speak>",
        reprompt=reprompt,
        choices=list(asking.buttons) if asking else [],
        card=(CARD_TITLE, "\n\n".join(safety)) if safety else None,
        plain=plain,
    )


def paced_silence(message: BotMessage, sentences: Sequence[str] = ()) -> str:
    """The step's seconds as chained breaks, with its cues spoken at their times.

    Saying things takes time too, so a 30 s hold stays about 30 s long whatever is said
    during it: in a hold or a rest, the clock starts at the sentence that gives the step's
    seconds ("Hold for 30 seconds."), and the form and breathing cues after it count. Getting
    ready and switching sides wait their whole seconds after the instruction (time to move).
    A cue is left out when its moment has passed while something else was being said, or
    when it would follow another cue without a pause (short holds): "Halfway. Five more
    seconds." said in one breath helps nobody."""
    custom = message.custom
    seconds = float(custom.get("seconds") or 0)
    now = 0.0
    if custom.get("phase") in COUNTED_WHILE_SPEAKING:
        anchor = next((i for i, s in enumerate(sentences) if re.search(rf"\b{int(seconds)}\b", s)), 0)
        now = sum(speaking_seconds(s) for s in sentences[anchor + 1 :])
    cues = sorted(
        (c for c in custom.get("cues") or [] if c.get("text") and 0 < float(c.get("at_seconds", 0)) < seconds),
        key=lambda c: float(c["at_seconds"]),
    )
    out, quiet_since = [], now
    for cue in cues:
        at = float(cue["at_seconds"])
        if now > at + CUE_LATENESS_SECONDS or at - quiet_since < MIN_QUIET_BEFORE_CUE:
            continue
        if at > now:
            out.append(breaks(at - now))
            now = at
        said = spoken_sentences(cue["text"])
        out.append(" ".join(sentence_ssml(s) for s in said))
        now += sum(speaking_seconds(s) for s in said)
        quiet_since = now
    if seconds > now:
        out.append(breaks(seconds - now))
    return "".join(out)


def breaks(seconds: float) -> str:
    """Silence of `seconds` as <break> tags of at most 10 s each."""
    tags, left = [], round(seconds, 1)
    while left >= 0.1:
        chunk = min(MAX_BREAK_SECONDS, left)
        tags.append(
            f'<break time="{int(chunk)}s"/>' if chunk == int(chunk) else f'<break time="{int(chunk * 1000)}ms"/>'
        )
        left = round(left - chunk, 1)
    return "".join(tags)


def sentence_ssml(sentence: str, digits: bool = True) -> str:
    """One sentence as <s>, with phone numbers read digit by digit ("nine nine nine")."""
    out = []
    for text, is_phone in phone_number_spans(sentence) if digits else [(sentence, False)]:
        if is_phone:
            out.append(" ".join(f'<say-as interpret-as="digits">{group}</say-as>' for group in text.split()))
        else:
            out.append(escape(text))
    return f"<s>{''.join(out)}</s>"


def _stops(message: BotMessage) -> bool:
    return message.kind == "safety" and (
        message.custom.get("decision") == "stop" or bool(message.custom.get("urgency"))
    )


def _paced(message: BotMessage) -> bool:
    c = message.custom
    return (
        c.get("phase") in PACED_PHASES and not c.get("paused") and not c.get("stopped") and (c.get("seconds") or 0) > 0
    )


def _is_urgent_safety(message: BotMessage) -> bool:
    return message.kind == "safety" and message.custom.get("urgency") in URGENT_SAFETY


def _prompt(message: BotMessage, said_once: bool = True) -> str:
    """What the listener can say instead of tapping this message's buttons; with `said_once`,
    without the choices its text already names."""
    titles = [b.title for b in message.buttons]
    lead = STEP_PROMPT_LEAD.get(message.custom.get("phase", "")) if message.kind == "session_step" else None
    if lead and _paced(message):
        text = lead.format(choice=choice_list(titles[:1]))
        return f"{text} {OTHER_CHOICES.format(choices=choice_list(titles[1:]))}" if titles[1:] else text
    # Choices the text already names ('Say "resume" when you're ready') are not said twice.
    heard = f" {normalised(message.text or '')} " if said_once else ""
    unsaid = [t for t in titles if f" {normalised(t)} " not in heard]
    if not unsaid:
        return ""
    return (CHOICES if len(unsaid) == len(titles) else OTHER_CHOICES).format(choices=choice_list(unsaid))


def _fit(parts: List[_Part], limit: int) -> None:
    """Keeps the answer within Alexa's speech limit by dropping the last sentences of the
    longest messages that are not safety messages (those, the paced tail and the prompt stay).
    Lengths are kept as it goes: a 2000-sentence message is cut in milliseconds."""
    lengths = [len(p.ssml()) for p in parts]
    total = sum(lengths)
    while total > limit:
        trimmable = [i for i, p in enumerate(parts) if not p.keep and len(p.sentences) > 1]
        trimmable = trimmable or [i for i, p in enumerate(parts) if not p.keep and p.sentences]
        if not trimmable:
            return
        longest = max(trimmable, key=lambda i: lengths[i])
        part = parts[longest]
        dropped = len(sentence_ssml(part.sentences.pop(), part.digits))
        if not part.sentences and not part.tail:
            dropped = lengths[longest]  # the <p></p> goes too
        lengths[longest] -= dropped
        total -= dropped
