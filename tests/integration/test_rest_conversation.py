"""The walking-skeleton conversation of issue #2, over REST against the real servers."""

from __future__ import annotations

import requests

from tests.integration.conftest import Chat

KNEELING = {"half_kneeling_hip_flexor_stretch", "low_lunge_twist", "rear_foot_elevated_hip_flexor_stretch"}


def test_greeting_says_what_the_coach_is_and_is_not(chat):
    reply = chat.say("hi")
    text = Chat.text(reply).lower()
    assert "hip flexors" in text
    assert "not a doctor" in text or "not a medical service" in text


def test_recommendation_changes_when_the_user_cannot_kneel(chat):
    first = Chat.payloads(chat.say("my hip flexors are tight from sitting all day"), "recommendation")
    assert first, "a recommendation payload rides along"
    offered = {e["id"] for e in first[0]["exercises"]}
    assert offered and all(e["reason"] for e in first[0]["exercises"])
    assert offered & KNEELING, "a user with no limits is offered the classic half-kneeling stretch"

    reply = chat.say("I can't kneel")
    second = Chat.payloads(reply, "recommendation")[0]
    offered = {e["id"] for e in second["exercises"]}
    excluded = {e["id"]: e["reason"] for e in second["excluded"]}
    assert offered and not offered & KNEELING
    assert KNEELING <= set(excluded) and all("kneel" in reason for reason in excluded.values())
    text = Chat.text(reply).lower()
    assert "left out the half kneeling" in text.replace("-", " ")
    assert second["safety"]["decision"] == "modify" and "CI5" in second["safety"]["flags"]


def test_exercise_explanation_comes_from_the_knowledge_base(chat, kb):
    reply = chat.say("how do I do the bed stretch?")
    card = Chat.payloads(reply, "exercise")[0]
    exercise = kb.exercises["hip_flexor_bed_stretch"]
    assert card["id"] == exercise.id and card["sources"] == exercise.sources
    text = Chat.text(reply)
    assert exercise.steps[0] in text and exercise.common_mistakes[0] in text
    assert f"{exercise.hold_seconds.default} seconds" in text


def test_lets_start_screens_then_walks_through_a_session(chat):
    reply = chat.say("let's start")
    question = Chat.payloads(reply, "screening_question")
    assert question and question[0]["id"].startswith("screen_")
    for _ in range(12):  # answer "no" to every screening question
        reply = chat.say("no")
        if Chat.payloads(reply, "session_step"):
            break
        assert Chat.payloads(reply, "screening_question") or Chat.payloads(reply, "safety")
    step = Chat.payloads(reply, "session_step")[0]
    assert step["phase"] == "get_ready" and step["seconds"] > 0 and step["side"] in ("left", "right", None)
    hold = Chat.payloads(chat.say("ready"), "session_step")[0]
    assert hold["phase"] == "hold" and hold["exercise_id"] == step["exercise_id"]


def test_a_red_flag_stops_everything_with_fixed_wording(chat):
    reply = chat.say("my bum has gone numb and I can't pee")
    safety = Chat.payloads(reply, "safety")[0]
    assert safety["decision"] == "stop" and safety["urgency"] == "emergency" and "RF1" in safety["flags"]
    assert not Chat.payloads(reply, "recommendation")
    later = chat.say("ok so which stretch should I do?")
    assert not Chat.payloads(later, "recommendation")
    assert Chat.payloads(later, "safety")[0]["urgency"] == "emergency"


def test_bad_input_gets_a_clear_answer(servers, chat):
    for text in ("", "   ", "x" * 5000):
        reply = chat.say(text)
        assert reply and reply[0]["custom"]["type"] == "input_error"
    weird = chat.say("🦵🦵🦵 ¿qué? 日本語")
    assert weird and Chat.text(weird)
    bad = requests.post(f"{servers.url}/webhooks/rest/webhook", json={"message": "hi"}, timeout=10)
    assert bad.status_code == 400 and "sender" in bad.json()["error"]
