"""The conversation: listen, understand, check, send; and speak whatever the coach says.

Two things run at once. Bot messages (replies and pushed session cues) arrive from the
socket at any time and are spoken in order, one after the other. Utterances from the
microphone, WAV files or typed lines are recognised with the grammar the last bot payload
calls for (voice/listening.py), read back when they change safety (voice/confirm.py) and
sent. An emergency message jumps the queue: what was waiting to be said is dropped and the
current playback is cut, so the emergency wording is the next thing heard.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Deque, List, Optional, Tuple

from connectors.render import BotMessage
from connectors.render.speech import listener_choices, listener_message, ssml_message, ssml_text
from voice.audio import AudioError, Utterance
from voice.coach_client import CoachConnection, CoachUnavailable
from voice.confirm import READ_BACK, Decision, SafetyCheck, read_back
from voice.grammars import SESSION_CONTROLS, YES_NO, meaning
from voice.listening import ANSWER, CHOICES, IN_SESSION, Expectation, expectation_after
from voice.recogniser import CONFIRM, SESSION, Heard, Recogniser
from voice.speaker import Speaker, Spoken

ALARM_URGENCIES = {"emergency", "crisis", "urgent"}
# Controls go as intents, like the session buttons: "slower" is not an NLU example, and a
# recognised control needs no second guess. Pain goes as words, so the safety check reads them.
CONTROL_PAYLOADS = {intent: f"/{intent}" for intent in SESSION_CONTROLS if intent != "report_pain"}


@dataclass
class Turn:
    """What happened to one utterance (for the console, the transcript and tests)."""

    heard: Heard
    decision: Optional[Decision] = None
    sent: Optional[str] = None  # what went to the coach
    said: Optional[str] = None  # what the loop said itself (a read-back, "didn't catch that")


@dataclass
class Pending:
    """An answer read back and waiting for "yes"."""

    heard: Heard
    outgoing: str
    expectation: Expectation
    question: str


@dataclass
class _Speech:
    text: str
    ssml: str
    kind: str


@dataclass
class VoiceLoop:
    recogniser: Optional[Recogniser]
    speaker: Speaker
    safety: Optional[SafetyCheck]
    echo: Callable[[str], None] = print
    expectation: Expectation = field(default_factory=Expectation)
    pending: Optional[Pending] = None
    received: List[Tuple[float, BotMessage]] = field(default_factory=list)
    turns: List[Turn] = field(default_factory=list)
    coach: Optional[CoachConnection] = None
    lost: bool = False

    def __post_init__(self) -> None:
        self._queue: Deque[_Speech] = deque()
        self._wake = asyncio.Event()
        self._speaking = False
        self._worker: Optional[asyncio.Task] = None
        self._last_message_at = time.monotonic()
        self._sent_at = 0.0
        self.on_speech_start: Optional[Callable[[], None]] = None

    # -- the coach ------------------------------------------------------------------------------
    async def connect(self, url: str, session_id: Optional[str] = None, greet: bool = True) -> None:
        self._worker = self._worker or asyncio.create_task(self._speak_forever())
        self.coach = CoachConnection(url, self.on_bot_message, session_id)
        self.coach.on_lost = self._on_lost
        await self.coach.connect()
        if greet:
            await self.coach.send("/greet")

    async def close(self) -> None:
        if self.coach:
            await self.coach.close()
        if self._worker:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None

    async def _on_lost(self) -> None:
        self.lost = True
        await self.say_own("I lost the connection to the coach. Is make run still running?")

    async def on_bot_message(self, message: BotMessage) -> None:
        self._last_message_at = time.monotonic()
        self.received.append((self._last_message_at, message))
        self.expectation = expectation_after(message, self.expectation)
        speech = _Speech(listener_message(message), ssml_message(message), message.kind or "text")
        self.echo(f"coach: {speech.text}")
        if _is_alarm(message):
            self.pending = None  # whatever we were checking, this comes first
            self._queue.clear()
            self._queue.appendleft(speech)
            self.speaker.interrupt()
        else:
            self._queue.append(speech)
        self._wake.set()

    # -- speaking -------------------------------------------------------------------------------
    async def say_own(self, text: str) -> None:
        """The loop's own words (read-backs, "didn't catch that"), in turn with the coach's."""
        self.echo(f"voice loop: {text}")
        self._queue.append(_Speech(text, ssml_text(text), "loop"))
        self._wake.set()

    async def _speak_forever(self) -> None:
        while True:
            while not self._queue:
                self._wake.clear()
                await self._wake.wait()
            item = self._queue.popleft()
            self._speaking = True
            if self.on_speech_start:
                self.on_speech_start()
            try:
                await self.speaker.say(item.text, item.ssml, item.kind)
            except AudioError as error:
                self.echo(f"voice loop: {error}")
            finally:
                self._speaking = False

    @property
    def busy(self) -> bool:
        """Something is being said or waits to be said."""
        return bool(self._queue) or self._speaking

    @property
    def spoken(self) -> List[Spoken]:
        return self.speaker.spoken

    async def idle(self, settle: float = 1.0, timeout: float = 60.0, reply_within: float = 15.0) -> bool:
        """Waits until everything is said and the coach has been quiet for `settle` seconds
        (and has answered what was last sent, unless it stays silent for `reply_within`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = time.monotonic()
            answered = self._last_message_at >= self._sent_at or now - self._sent_at >= reply_within
            quiet = answered and now - self._last_message_at >= settle
            if quiet and not self._queue and not self._speaking:
                return True
            await asyncio.sleep(0.05)
        return False

    # -- listening ------------------------------------------------------------------------------
    async def hear(self, utterance: Utterance) -> Turn:
        """One utterance: recognise it, then read it back, send it or ask again."""
        if self.recogniser is None:
            raise RuntimeError("this loop was started without a recogniser (text mode)")
        searches = self.expectation.searches(self.recogniser)
        if self.pending:
            searches = [CONFIRM]  # a sentence still gets through: see Recogniser._sentence_not_phrase
        heard = await asyncio.to_thread(self.recogniser.recognise, utterance.pcm, searches)
        self.echo(
            f"heard: {heard.text or '(nothing)'}  [{heard.search or '-'} {heard.score:.0f}{' ' + heard.reason if heard.reason else ''}]"
        )
        turn = Turn(heard)
        if not heard.ok:
            turn.said = self._not_understood(heard)
        elif self.pending:
            await self._confirmation(self.pending, heard, turn)
        else:
            await self._understood(heard, turn)
        if turn.said:
            await self.say_own(turn.said)
        self.turns.append(turn)
        return turn

    async def hear_text(self, text: str) -> Turn:
        """A typed line (--text): sent as it is; typing needs no read-back."""
        turn = Turn(Heard(text, "typed", 0.0), sent=text)
        await self._send(text, turn)
        self.turns.append(turn)
        return turn

    async def _understood(self, heard: Heard, turn: Turn) -> None:
        turn.decision = self.safety.decide(heard, self.expectation) if self.safety else None
        outgoing = self._outgoing(heard)
        if turn.decision and turn.decision.action == READ_BACK:
            question = read_back(heard, self.expectation)
            self.pending = Pending(heard, outgoing, self.expectation, question)
            turn.said = question
            return
        await self._send(outgoing, turn)

    async def _confirmation(self, pending: Pending, heard: Heard, turn: Turn) -> None:
        self.pending = None
        if heard.search != CONFIRM:
            # Not a yes or a no but a sentence (the language model won): the user moved on or
            # said it again in other words. Drop the unconfirmed answer and take this one.
            await self._understood(heard, turn)
            return
        if meaning(heard.text) == "yes":
            await self._send(pending.outgoing, turn)
            return
        if pending.expectation.kind == ANSWER and pending.expectation.options:
            turn.said = "Sorry about that. Please answer again. " + listener_choices(pending.expectation.titles())
        else:
            turn.said = "Sorry about that. Please say it again."

    async def _send(self, text: str, turn: Turn) -> None:
        if self.coach is None or self.lost:
            turn.said = "I'm not connected to the coach. Start it with make run, then start me again."
            return
        try:
            self._sent_at = time.monotonic()
            await self.coach.send(text)
            turn.sent = text
        except CoachUnavailable as error:
            self.lost = True
            turn.said = str(error)

    def _outgoing(self, heard: Heard) -> str:
        """What a tap would have sent, or the words as heard."""
        expectation = self.expectation
        if heard.search == SESSION:
            intent = meaning(heard.text)
            if intent is None:  # no session control after all: the words as heard
                return heard.text
            return CONTROL_PAYLOADS.get(intent, heard.text)
        button = expectation.button_for(heard.text)
        if button:
            return button.payload
        answer = meaning(heard.text) if heard.text in {p for ps in YES_NO.values() for p in ps} else None
        if expectation.kind == ANSWER and answer:
            button = expectation.button_for(answer)
            return button.payload if button else answer
        return heard.text

    def _not_understood(self, heard: Heard) -> str:
        start = {
            "silence": "I didn't hear anything.",
            "noise": "I only heard noise, no words.",
        }.get(heard.reason, "Sorry, I didn't catch that.")
        expectation = self.expectation
        if self.pending:
            return f"{start} Please say yes or no. {self.pending.question}"
        if expectation.kind == ANSWER and expectation.options:
            return f"{start} {listener_choices(expectation.titles())}"
        if expectation.kind == IN_SESSION:
            return f"{start} You can say: next, pause, stop, or that hurts."
        if expectation.kind == CHOICES and expectation.buttons:
            return f"{start} {listener_choices(b.title for b in expectation.buttons)}"  # not all eleven numbers
        return f"{start} Could you say it again, in a few words?"


def _is_alarm(message: BotMessage) -> bool:
    custom = message.custom or {}
    return message.kind == "safety" and custom.get("decision") == "stop" and custom.get("urgency") in ALARM_URGENCIES
