"""A representative subset of the labelled safety corpus, through the real Rasa server over REST:
NLU, the safety component, the per-message hook, rules and actions together."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import Chat
from tests.safety.corpus import HIGH_STAKES, load_cases

CASES = [c for c in load_cases() if not c.get("in_session")]
HIGH = [c for c in CASES if c["outcome"] in HIGH_STAKES][::4]
EXCLUDING = [c for c in CASES if c["outcome"] == "EXCLUDE" and c.get("excluded")][::3]
ORDINARY = [c for c in CASES if c["outcome"] == "PROCEED"][::8]


def _talk(servers, case):
    chat = Chat(servers.url, f"corpus-{uuid.uuid4().hex[:8]}")
    for earlier in case.get("history") or []:
        chat.say(earlier)
    return chat, chat.say(case["text"])


@pytest.mark.parametrize("case", HIGH, ids=[c["id"] for c in HIGH])
def test_high_stakes_stop_with_the_right_urgency(servers, case):
    chat, reply = _talk(servers, case)
    safety = Chat.payloads(reply, "safety")
    assert safety, f"no safety payload for {case['text']!r}: {Chat.text(reply)!r}"
    assert safety[0]["decision"] == "stop" and safety[0]["urgency"] == case["urgency"]
    assert not Chat.payloads(reply, "recommendation") and not Chat.payloads(reply, "session_step")


def _answer_questions(chat, reply):
    """Taps the button that lets coaching go on ("cleared", "longer ago"), as a user would."""
    for message in reply:
        for button in message.get("buttons") or []:
            if button["payload"].startswith("/answer{") and any(
                f'"{a}"' in button["payload"] for a in ("cleared", "past", "over", "no")
            ):
                return reply + chat.say(button["payload"])
    return reply


@pytest.mark.parametrize("case", EXCLUDING, ids=[c["id"] for c in EXCLUDING])
def test_excluded_stretches_never_reach_the_user(servers, case):
    chat, reply = _talk(servers, case)
    reply = _answer_questions(chat, reply)
    reply += chat.say("which stretches should I do?")
    offered = {e["id"] for r in Chat.payloads(reply, "recommendation") for e in r["exercises"]}
    assert not offered & set(case["excluded"])
    if not offered:  # no suggestion at all must come with the safety decision that explains it
        assert any(s["decision"] == "stop" for s in Chat.payloads(reply, "safety")), Chat.text(reply)


@pytest.mark.parametrize("case", ORDINARY, ids=[c["id"] for c in ORDINARY])
def test_ordinary_messages_are_not_stopped(servers, case):
    _, reply = _talk(servers, case)
    assert all(s["decision"] != "stop" for s in Chat.payloads(reply, "safety"))
