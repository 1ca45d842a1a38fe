"""Plays a scripted conversation (tests/conversations/*.yml) against the real servers over REST
and records every reply, with the broken expectations of each turn and of the whole conversation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import List, Optional

import requests

from tests.integration.conversation_checks import (
    Reply,
    check_not_asked,
    check_reply,
    offered_excluded,
    payloads,
    questions,
    repeated_questions,
    short_holds,
    summary,
)
from tests.integration.conversation_format import Conversation, Turn, expand, question_matches

MAX_SCREENING_ANSWERS = 10  # the form has 8 questions; a few more means it is stuck


@dataclass
class Exchange:
    sent: str
    reply: Reply


@dataclass
class TurnResult:
    number: int
    turn: Turn
    exchanges: List[Exchange] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)

    @property
    def checked_reply(self) -> Reply:
        return self.exchanges[-1].reply if self.exchanges else []


@dataclass
class Transcript:
    conversation: Conversation
    sender: str
    turns: List[TurnResult] = field(default_factory=list)
    repeated_questions: List[str] = field(default_factory=list)  # the no-question-twice-in-a-row invariant
    contract_failures: List[str] = field(default_factory=list)  # excluded stretches offered, short holds

    @property
    def replies(self) -> List[Reply]:
        return [e.reply for t in self.turns for e in t.exchanges]

    @property
    def turn_failures(self) -> List[TurnResult]:
        return [t for t in self.turns if t.failures]

    @property
    def passed(self) -> bool:
        return not self.turn_failures and not self.repeated_questions and not self.contract_failures

    def explain(self) -> str:
        """Every failure: each failing turn with what was expected and what came back, then the
        whole-conversation checks."""
        parts = [_explain(self.conversation.id, t) for t in self.turn_failures]
        whole = self.contract_failures + self.repeated_questions
        if whole:
            parts.append(f"{self.conversation.id}, whole conversation:\n" + "\n".join(f"  {f}" for f in whole))
        return f"sender {self.sender}\n" + "\n\n".join(parts)

    def explain_repeats(self) -> str:
        lines = [f"{self.conversation.id} (sender {self.sender}):"] + [f"  {f}" for f in self.repeated_questions]
        return "\n".join(lines)


def _explain(conversation_id: str, result: TurnResult) -> str:
    turn = result.turn
    how = "tap" if turn.tap else "answer_screening" if turn.answer_screening else "user"
    lines = [f"{conversation_id}, turn {result.number} ({how}: {turn.says!r})"]
    lines += [f"  expected {f}" for f in result.failures]
    for exchange in result.exchanges[-2:]:
        lines.append(f"  sent {exchange.sent!r}, got:\n{summary(exchange.reply)}")
    return "\n".join(lines)


class RestUser:
    def __init__(self, base_url: str, sender: str, timeout: float = 60):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = sender
        self.timeout = timeout

    def say(self, text: str) -> Reply:
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=self.timeout)
        response.raise_for_status()
        return response.json()


def find_button(reply: Reply, title: str) -> Optional[str]:
    """The button titled `title`, else the only one whose title starts with it as a whole word
    ("Yes" taps "Yes, that's right"), so a tap doesn't depend on the rest of the wording."""
    buttons = [b for m in reply for b in m.get("buttons") or []]
    wanted = title.strip().lower()
    exact = [b for b in buttons if (b.get("title") or "").strip().lower() == wanted]
    starting = [b for b in buttons if re.match(rf"{re.escape(wanted)}\b", (b.get("title") or "").strip().lower())]
    chosen = exact or (starting if len(starting) == 1 else [])
    return chosen[0].get("payload") if chosen else None


def _asks(reply: Reply, pattern: str) -> bool:
    return any(question_matches(pattern, str(p.get("id"))) for p, _, _ in questions(reply))


def _last_stretch(replies: List[Reply]) -> Optional[str]:
    for reply in reversed(replies):
        steps = payloads(reply, "session_step")
        if steps:
            return steps[-1].get("exercise_id")
    return None


def _play_turn(user: RestUser, result: TurnResult, previous: Reply) -> None:
    turn = result.turn
    if turn.user is not None:
        text = expand(turn.user)
        result.exchanges.append(Exchange(text, user.say(text)))
    elif turn.tap is not None:
        payload = find_button(previous, turn.tap)
        if payload is None:
            offered = [b.get("title") for m in previous for b in m.get("buttons") or []]
            result.failures.append(f"a button {turn.tap!r} to tap in the previous reply; offered {offered}")
            return
        result.exchanges.append(Exchange(payload, user.say(payload)))
    else:
        if not _asks(previous, "screen_*"):
            result.failures.append("a screening question to answer in the previous reply; got none")
            return
        reply = previous
        for _ in range(MAX_SCREENING_ANSWERS):
            reply = user.say(turn.answer_screening)
            result.exchanges.append(Exchange(turn.answer_screening, reply))
            if not _asks(reply, "screen_*"):
                return
        result.failures.append(f"the screening form to end within {MAX_SCREENING_ANSWERS} answers; it kept asking")


def play(conversation: Conversation, base_url: str, sender: Optional[str] = None) -> Transcript:
    """Runs every turn (a failed expectation does not stop the rest: later turns still report;
    a failed request does), then the checks over the whole conversation."""
    sender = sender or f"conv-{conversation.id}-{uuid.uuid4().hex[:8]}"
    user = RestUser(base_url, sender)
    transcript = Transcript(conversation, sender)
    previous: Reply = []
    for number, turn in enumerate(conversation.turns, start=1):
        result = TurnResult(number, turn)
        current = _last_stretch(transcript.replies)
        try:
            _play_turn(user, result, previous)
        except (requests.RequestException, ValueError) as error:  # server down, HTTP error, not JSON
            result.failures.append(f"an answer from the coach; the request failed: {error}")
            transcript.turns.append(result)
            break  # the rest of the conversation would only repeat the same error
        if result.exchanges:
            result.failures += check_reply(turn.expect, result.checked_reply, current)
            if turn.answer_screening:  # not_asked holds for every question of the form, not only the last
                for number_in_form, exchange in enumerate(result.exchanges[:-1], start=1):
                    result.failures += [
                        f"{f} (after answer {number_in_form})"
                        for f in check_not_asked(turn.expect.not_asked, exchange.reply)
                    ]
            previous = result.checked_reply
        transcript.turns.append(result)
    replies = transcript.replies
    transcript.repeated_questions = repeated_questions(replies)
    transcript.contract_failures = offered_excluded(replies)
    if conversation.min_hold_seconds is not None:
        transcript.contract_failures += short_holds(replies, conversation.min_hold_seconds)
    return transcript
