"""The Rasa actions with real trackers, a real dispatcher and a real (temporary) database."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.coaching import ActionAnswerClarify, ActionExerciseInfo, ActionRecommend, ActionSafetyAlert
from actions.safety_hook import SafetyHook
from actions.screening import ActionCheckScreening, ActionScreeningSubmit, ValidateScreeningForm
from actions.sessions import ActionSessionControl, ActionStartSession
from coach.service import Coach

DOMAIN: Dict[str, Any] = {"slots": {}, "forms": {}}


@pytest.fixture()
def coach(loaded_engine, kb):
    c = Coach(kb, loaded_engine)
    runtime.use_coach(c)
    yield c
    runtime.use_coach(None)


def tracker(
    text: str, intent: str, user: str = "u1", slots: Optional[Dict] = None, entities: Optional[List[Dict]] = None
) -> Tracker:
    return Tracker(
        sender_id=user,
        slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def hear(triage, text: str, intent: str, user: str = "u1", slots: Optional[Dict] = None) -> Tracker:
    """What Rasa does on every message: the NLU component's findings, then the safety hook."""
    findings = [
        {"entity": "coach_finding", "value": f.key, "finding": f.to_dict()} for f in triage.detector.detect(text)
    ]
    t = tracker(text, intent, user, slots, findings)
    custom = {"mappings": [{"type": "custom"}]}
    events = await SafetyHook().run(
        CollectingDispatcher(), t, {"slots": {"safety": custom, "minutes_available": custom}, "forms": {}}
    )
    for event in events:
        if event.get("event") == "slot":
            t.slots[event["name"]] = event["value"]
    return t


async def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, DOMAIN)
    return dispatcher.messages, events


def payloads(messages, kind):
    return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == kind]


async def test_hook_records_disclosures_whatever_the_intent(coach, triage):
    t = await hear(triage, "hi! I had a hip replacement three weeks ago", "greet")
    assert t.get_slot("safety")["outcome"] == "REFER"
    assert "hip_replacement" in coach.profiles.get("u1").conditions
    messages, _ = await run(ActionRecommend(), await hear(triage, "what stretch should I do?", "ask_recommendation"))
    assert not payloads(messages, "recommendation")
    assert payloads(messages, "safety")[0]["decision"] == "stop"


async def test_recommendation_excludes_and_explains(coach, triage):
    messages, _ = await run(ActionRecommend(), await hear(triage, "I can't kneel", "inform_limitation"))
    rec = payloads(messages, "recommendation")[0]
    offered = {e["id"] for e in rec["exercises"]}
    assert "half_kneeling_hip_flexor_stretch" not in offered
    assert any(e["id"] == "half_kneeling_hip_flexor_stretch" and "kneel" in e["reason"] for e in rec["excluded"])


async def test_exercise_info_warns_when_the_stretch_is_excluded_for_this_user(coach, triage):
    await hear(triage, "I have knee pain", "inform_limitation")
    t = await hear(triage, "how do I do the couch stretch?", "ask_exercise_info")
    t.latest_message["entities"].append({"entity": "exercise", "value": "couch stretch"})
    messages, events = await run(ActionExerciseInfo(), t)
    card = payloads(messages, "exercise")[0]
    assert card["id"] == "rear_foot_elevated_hip_flexor_stretch" and card["excluded"] is True
    assert messages[0]["text"].startswith("A word first")
    assert {"event": "slot", "name": "exercise", "value": card["id"]}.items() <= events[0].items()


async def test_emergency_is_sticky_and_a_take_back_gets_one_question(coach, triage):
    messages, _ = await run(ActionSafetyAlert(), await hear(triage, "my groin is numb and i can't pee", "safety_alert"))
    assert payloads(messages, "safety")[0]["urgency"] == "emergency"
    t = await hear(triage, "jk lol", "retract")
    assert t.get_slot("safety")["outcome"] == "EMERGENCY"
    assert coach.profiles.get("u1").alert.retraction_asked
    messages, _ = await run(ActionRecommend(), await hear(triage, "so what stretch?", "ask_recommendation"))
    assert payloads(messages, "safety")[0]["urgency"] == "emergency" and not payloads(messages, "recommendation")


async def test_classifier_only_alert_asks_the_checklist(coach, triage):
    messages, _ = await run(
        ActionSafetyAlert(), await hear(triage, "something feels really off down below", "safety_alert")
    )
    question = payloads(messages, "screening_question")[0]
    assert question["id"] == "red_flag_check"
    for option in coach.kb.texts.red_flag_check_options[:-1]:  # every button but "none" must trigger a stop
        decision, _ = coach.triage.assess(option.says, coach.profiles.get("fresh"))
        assert decision.stops_coaching, option.says


async def test_clarify_answers_from_buttons_and_typing(coach, triage):
    t = await hear(triage, "I had a hip replacement", "disclose_condition")
    assert t.get_slot("safety")["outcome"] == "CLARIFY"
    messages, _ = await run(ActionRecommend(), t)
    question = payloads(messages, "screening_question")[0]
    assert question["id"] == "condition:hip_replacement" and question["options"] == ["recent", "past"]
    assert coach.profiles.get("u1").pending_question == "condition:hip_replacement"
    messages, _ = await run(ActionAnswerClarify(), await hear(triage, "it was years ago", "answer_clarify"))
    assert payloads(messages, "recommendation"), "a past replacement is coached with exclusions"
    assert coach.profiles.get("u1").pending_question is None


async def test_screening_skips_what_the_user_already_said_and_stops_early(coach, triage):
    await hear(triage, "I can't kneel", "inform_limitation")
    form = ValidateScreeningForm()
    slots = [q.id for q in coach.kb.screening]
    asked = await form.required_slots(slots, CollectingDispatcher(), tracker("", "start_session"), DOMAIN)
    assert "screen_knees" not in asked and "screen_red_flags" in asked
    stop = await form.required_slots(
        slots, CollectingDispatcher(), tracker("yes", "affirm", slots={"screen_red_flags": True}), DOMAIN
    )
    assert stop == []


async def test_screening_is_stored_and_then_current(coach, triage):
    _, events = await run(ActionCheckScreening(), tracker("let's start", "start_session"))
    assert events[0]["value"] is True
    answers = {q.id: False for q in coach.kb.screening}
    messages, events = await run(ActionScreeningSubmit(), tracker("no", "deny", slots=answers))
    assert payloads(messages, "session_step")[0]["phase"] == "get_ready"
    assert coach.profiles.last_screening("u1").answers == answers
    _, events = await run(ActionCheckScreening(), tracker("let's start", "start_session"))
    assert events[0]["value"] is False


async def test_session_controls(coach, triage):
    messages, events = await run(ActionStartSession(), await hear(triage, "let's start", "start_session"))
    first = payloads(messages, "session_step")[0]
    assert (
        first["phase"] == "get_ready"
        and {"event": "slot", "name": "session_active", "value": True}.items() <= events[0].items()
    )
    active = {"session_active": True}
    control = ActionSessionControl()
    hold = payloads((await run(control, await hear(triage, "ready", "ready", slots=active)))[0], "session_step")[0]
    assert hold["phase"] == "hold"
    messages, _ = await run(control, await hear(triage, "pause", "pause", slots=active))
    assert payloads(messages, "session_step")[0]["paused"] is True
    resumed = payloads((await run(control, await hear(triage, "resume", "resume", slots=active)))[0], "session_step")[0]
    assert resumed["phase"] == "hold" and resumed["exercise_id"] == hold["exercise_id"]
    skipped = payloads((await run(control, await hear(triage, "skip", "skip", slots=active)))[0], "session_step")[0]
    assert skipped["exercise_id"] != hold["exercise_id"]
    messages, _ = await run(control, await hear(triage, "ouch that pinches", "report_pain", slots=active))
    assert payloads(messages, "safety")[0]["outcome"] == "STOP-STRETCH"
    assert coach.sessions.get("u1").status == "paused"
    logged = [e for e in coach.profiles.safety_events("u1") if e.outcome == "STOP-STRETCH"]
    assert logged and logged[-1].in_session and "IS1" in logged[-1].rule_ids, "pain mid-session is logged"
    messages, events = await run(control, await hear(triage, "stop", "stop_session", slots=active))
    assert coach.sessions.get("u1").status == "stopped"
    assert {"event": "slot", "name": "session_active", "value": False}.items() <= events[-1].items()
    assert coach.kb.texts.safety_net in messages[-1]["text"]  # the end-of-session safety net


async def test_the_session_fits_the_time_the_user_said_earlier(coach, triage):
    said = await hear(triage, "I've only got ten minutes", "inform_limitation")
    assert said.slots["minutes_available"] == 10
    later = await hear(triage, "ok let's start", "start_session", slots=said.slots)
    assert later.slots["minutes_available"] == 10, "a message without a time keeps the earlier one"
    await run(ActionStartSession(), later)
    assert coach.sessions.get("u1").seconds_left() <= 10 * 60


@pytest.mark.parametrize(
    "text, intent",
    [
        ("can the holds be 15 seconds", "shorter_holds"),
        ("hold each one for 2 minutes", "longer_holds"),
        ("give me 10 seconds to get down", "slower"),
        ("I had surgery 3 months ago", "disclose_condition"),
    ],
)
async def test_durations_about_holds_are_not_the_time_the_user_has(coach, triage, text, intent):
    t = await hear(triage, text, intent, slots={"minutes_available": 10})
    assert t.slots["minutes_available"] == 10


async def test_a_shorter_time_gives_a_shorter_session(coach, triage):
    await run(ActionStartSession(), await hear(triage, "start a session, I have half an hour", "start_session"))
    long = coach.sessions.get("u1").seconds_left()
    await run(ActionStartSession(), await hear(triage, "start, only a couple of minutes", "start_session", "u2"))
    assert coach.sessions.get("u2").seconds_left() < long


async def test_emergency_numbers_follow_the_users_country(coach, triage):
    from actions.coaching import ActionSetCountry

    messages, _ = await run(ActionSafetyAlert(), await hear(triage, "crushing chest pain right now", "safety_alert"))
    assert coach.kb.texts.ask_country in messages[0]["text"], "no country yet: several numbers, and the question"
    t = await hear(triage, "I'm in Australia", "inform_country")
    t.latest_message["entities"].append({"entity": "country", "value": "Australia"})
    messages, _ = await run(ActionSetCountry(), t)
    australia = next(e for e in coach.kb.emergency_numbers if e.country == "Australia")
    assert australia.emergency in messages[0]["text"]
    messages, _ = await run(ActionRecommend(), await hear(triage, "what stretch now?", "ask_recommendation"))
    assert f"In Australia: {australia.emergency}" in messages[0]["text"], "the sticky alert now names the local number"


def test_screening_expires_after_the_set_time(coach):
    from datetime import datetime, timedelta, timezone

    coach.profiles.save_screening("u9", {"screen_knees": False}, "PROCEED")
    later = datetime.now(timezone.utc) + timedelta(days=31)
    assert coach.profiles.screening_is_current("u9", 30)
    assert not coach.profiles.screening_is_current("u9", 30, now=later)


async def test_any_message_that_ends_coaching_ends_the_session(coach, triage):
    await run(ActionStartSession(), await hear(triage, "let's start", "start_session"))
    active = {"session_active": True}
    # A question whose text also discloses recent surgery: no session action answers it.
    t = await hear(
        triage, "how long should I hold? I had a hip replacement two weeks ago", "faq_hold_time", slots=active
    )
    assert t.get_slot("safety")["outcome"] == "REFER"
    assert t.get_slot("session_active") is False and coach.sessions.get("u1").status == "stopped"
    # Pain only pauses: the session stays, the gentler stretch is offered.
    await run(ActionStartSession(), await hear(triage, "let's start again", "start_session", user="u2"))
    t = await hear(triage, "ouch sharp pain", "report_pain", user="u2", slots=active)
    assert t.get_slot("session_active") is True and coach.sessions.get("u2").status == "running"
