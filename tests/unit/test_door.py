"""The one door (coach/dialogue/door.py): questions answered in the user's own words, no
question asked twice in a row, stale buttons, goals carried on, and the Rasa adapter."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import List, Optional

import pytest
import yaml

from coach.dialogue.door import DISPATCH, Conversation
from coach.dialogue.model import Turn, TurnResult
from coach.service import Coach

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)


class User:
    """One person talking to the core directly, with the real detector standing in for NLU."""

    def __init__(self, coach: Coach, detector, sender: str = "u1", consent: bool = True):
        self.conversation = Conversation(coach)
        self.detector = detector
        self.sender = sender
        self.last: Optional[TurnResult] = None
        self.memory: Optional[dict] = None  # what Rasa's tracker would carry (coach/privacy/scratch.py)
        if consent:  # these tests are about the dialogue of a user the coach may remember
            coach.privacy.grant(sender, "test")

    def says(self, text: str, intent: str, alternatives=(), **entities) -> TurnResult:
        ents = {k: (v if isinstance(v, list) else [v]) for k, v in entities.items()}
        if text.startswith("/answer"):
            ents.update({k: [v] for k, v in json.loads(text[len("/answer") :]).items()})
        days = self.detector.when(text, TODAY)
        if days is not None:
            ents["coach_when"] = [days]
        findings = [] if text.startswith("/") else self.detector.detect(text, TODAY)
        turn = Turn(self.sender, text, intent, 1.0, list(alternatives), ents, findings, today=TODAY, memory=self.memory)
        self.last = self.conversation.handle(turn)
        self.memory = self.last.memory
        return self.last

    def press(self, title: str) -> TurnResult:
        assert self.last is not None
        payload = next(p for t, p in (b for r in self.last.replies for b in r.buttons) if t == title)
        intent = payload[1:].split("{")[0] if payload.startswith("/") else "describe_symptom"
        return self.says(payload, intent)


def customs(result: TurnResult, kind: str) -> List[dict]:
    return [r.custom for r in result.replies if r.custom and r.custom.get("type") == kind]


def question(result: TurnResult) -> Optional[dict]:
    found = customs(result, "screening_question")
    return found[-1] if found else None


def question_text(result: TurnResult) -> Optional[str]:
    return next(
        (r.text for r in reversed(result.replies) if r.custom and r.custom.get("type") == "screening_question"), None
    )


@pytest.fixture()
def coach(loaded_engine, kb):
    return Coach(kb, loaded_engine)


@pytest.fixture()
def user(coach, triage):
    return User(coach, triage.detector)


def test_a_surgery_date_given_in_words_answers_the_when_question(user):
    first = user.says("I had a hip replacement", "disclose_condition")
    assert question(first)["id"] == "condition:hip_replacement"
    reply = user.says("they did it in October", "answer")
    safety = customs(reply, "safety")[0]
    assert safety["outcome"] == "REFER" and "PQ8" in safety["flags"]


def test_a_long_ago_surgery_given_as_a_year_is_past(user):
    user.says("I had a hip replacement", "disclose_condition")
    reply = user.says("back in 2015", "answer")
    assert not any(s["decision"] == "stop" for s in customs(reply, "safety"))
    assert customs(reply, "recommendation")


@pytest.mark.parametrize(
    "typed", ["yep", "Yes it's stable and my GP signed me off", "my doctor cleared me for exercise"]
)
def test_a_clearance_question_accepts_free_text(user, typed):
    first = user.says("I have high blood pressure", "disclose_condition")
    assert question(first)["id"] == "condition:heart_condition"
    reply = user.says(typed, "answer")
    assert question(reply) is None, "answered, so not asked again"
    assert customs(reply, "recommendation")


@pytest.mark.parametrize("typed", ["no", "not sure", "dunno really", "haven't asked"])
def test_no_or_unsure_to_a_clearance_question_is_the_cautious_answer(user, typed):
    user.says("I have high blood pressure", "disclose_condition")
    reply = user.says(typed, "answer")
    assert customs(reply, "safety")[-1]["outcome"] == "REFER"


def test_a_miss_says_what_is_needed_and_a_second_miss_takes_the_cautious_reading(user):
    first = user.says("I have high blood pressure", "disclose_condition")
    asked = question_text(first)
    second = user.says("banana", "nlu_fallback")
    again = question_text(second)
    assert question(second)["id"] == "condition:heart_condition"
    assert again != asked and "I need to know" in again, "a miss is never the same question again"
    third = user.says("purple", "nlu_fallback")
    assert question(third) is None
    assert "to be safe" in " ".join(r.text or "" for r in third.replies)
    assert customs(third, "safety")[-1]["outcome"] == "REFER"


def test_two_non_answers_to_an_emergency_question_assume_nothing(user):
    """'Numbness around your bottom right now?' answered 'ready', then 'make it harder': neither
    a yes (A&E for two misreadings) nor a no (a session on a guess). Nothing starts, the fixed
    wording says what to do if the answer is yes, and a new request asks again."""
    user.says("my hips are tight", "describe_symptom")
    first = user.says("let's start", "start_session")
    assert question(first)["id"] == "screen_red_flags"
    user.says("ready", "ready")
    left = user.says("make it harder", "make_harder")
    assert not [s for s in customs(left, "safety") if s["decision"] == "stop"], "no emergency from non-answers"
    assert not customs(left, "session_step"), "and no session on a guess"
    payload = customs(left, "question_left_open")[0]
    assert payload == {"type": "question_left_open", "id": "screen_red_flags", "flags": ["RF1"]}
    rf1 = user.conversation.coach.kb.red_flags["RF1"].message
    assert rf1 in " ".join(r.text or "" for r in left.replies), "the rule's own fixed wording is the safety net"
    assert question(left) is None
    again = user.says("let's start", "start_session")
    assert question(again)["id"] == "screen_red_flags", "a new request asks again"
    assert customs(user.says("no", "deny"), "screening_question"), "a real answer carries on with the form"


def test_a_miss_on_a_referral_question_still_takes_the_cautious_reading(user):
    """Only a question whose yes is an emergency, urgent or crisis rule is left open."""
    user.says("I have high blood pressure", "disclose_condition")
    user.says("banana", "nlu_fallback")
    third = user.says("purple", "nlu_fallback")
    assert not customs(third, "question_left_open")


def test_a_digression_is_answered_and_the_question_put_again_in_other_words(user):
    first = user.says("I have high blood pressure", "disclose_condition")
    reply = user.says("how long should I hold each stretch?", "faq_hold_time")
    assert customs(reply, "faq")
    assert question(reply)["id"] == "condition:heart_condition"
    assert question_text(reply) != question_text(first) and question_text(reply).startswith("Back to my question")


def test_a_button_from_an_earlier_question_is_stale(user):
    first = user.says("I had a hip replacement", "disclose_condition")
    old = question(first)
    user.says("banana", "nlu_fallback")  # asked again: a new token
    stale = "/answer" + json.dumps({"question": old["id"], "answer": "past", "ask": old["ask"]})
    reply = user.says(stale, "answer")
    assert "earlier question" in reply.replies[0].text
    assert question(reply)["id"] == old["id"], "the current question is put again"
    other = "/answer" + json.dumps({"question": "screen_knees", "answer": "yes", "ask": "zzz"})
    assert "earlier question" in user.says(other, "answer").replies[0].text


def test_a_fresh_button_answers(user):
    first = user.says("I had a hip replacement", "disclose_condition")
    reply = user.press("Longer ago")
    assert question(reply) is None and customs(reply, "recommendation")
    assert first is not reply


def test_the_checklist_carries_on_with_what_the_user_asked(user):
    reply = user.says(
        "my back has felt weird and tingly since the weekend, what stretches should I do?",
        "safety_alert",
        alternatives=["ask_recommendation", "describe_symptom"],
    )
    assert question(reply)["id"] == "red_flag_check"
    after = user.says("nope none of those", "deny")
    assert customs(after, "recommendation"), "the goal (stretches) is carried on"
    assert "What would you like to do next" not in " ".join(r.text or "" for r in after.replies)


def test_the_checklist_is_not_asked_for_an_ordinary_long_message(user):
    text = (
        "I work twelve hour shifts at a desk and then go to the gym, I do squats and deadlifts and my "
        "posture is awful, what should I stretch?"
    )
    reply = user.says(text, "safety_alert", alternatives=["ask_recommendation"])
    assert question(reply) is None
    assert customs(reply, "recommendation")


def test_a_checklist_symptom_stops(user):
    user.says("my back feels weird and tingly", "safety_alert", alternatives=["describe_symptom"])
    reply = user.press("Numbness around my bottom or genitals")
    assert customs(reply, "safety")[-1]["outcome"] == "EMERGENCY"


def test_screening_in_free_text_with_a_digression_then_the_session(user):
    user.says("my hips are tight from sitting", "describe_symptom")
    reply = user.says("let's start", "start_session")
    answers = ["nope", "no never", "I don't think so", "not that I know of", "nah", "no", "nope", "no"]
    seen = [question(reply)["id"]]
    for i, typed in enumerate(answers):
        if i == 2:
            faq = user.says("what is the psoas anyway?", "faq_what_is_psoas")
            assert customs(faq, "faq") and question(faq)["id"] == seen[-1]
        reply = user.says(typed, "deny")
        if question(reply):
            assert question(reply)["id"] != seen[-1], "each answer moves on"
            seen.append(question(reply)["id"])
    steps = customs(reply, "session_step")
    assert steps and steps[0]["phase"] == "get_ready", [r.text for r in reply.replies]
    assert len(seen) == len(set(seen))


def test_resume_after_that_pinches_never_goes_back_into_that_stretch(user):
    user.says("my hips are tight from sitting", "describe_symptom")
    reply = user.says("let's start", "start_session")
    while question(reply):
        reply = user.says("no", "deny")
    first = customs(reply, "session_step")[0]["exercise_id"]
    user.says("ready", "ready")
    stopped = user.says("that pinches", "report_pain")
    assert customs(stopped, "safety")[-1]["outcome"] == "STOP-STRETCH"
    user.says("pause", "pause")
    resumed = user.says("resume", "resume")
    steps = customs(resumed, "session_step")
    assert steps and steps[0]["exercise_id"] != first, "the stretch that pinched stays out"
    name = user.conversation.coach.catalog.get(first).name.lower()
    assert name in resumed.replies[0].text
    harder = user.says("make it harder", "make_harder")
    assert first not in [s["exercise_id"] for s in customs(harder, "session_step")], "nor comes back by a swap"


def test_not_sure_in_screening_is_taken_as_a_yes_and_said_so(user):
    user.says("let's start", "start_session")
    user.says("no", "deny")  # red flags
    reply = user.says("not sure tbh", "nlu_fallback")  # heart
    text = " ".join(r.text or "" for r in reply.replies)
    assert "a yes" in text


def test_stop_during_screening_leaves_the_questions(user):
    user.says("let's start", "start_session")
    reply = user.says("stop", "stop_session")
    assert question(reply) is None and "leave the questions" in reply.replies[0].text
    assert question(user.says("how long should I hold?", "faq_hold_time")) is None


def test_a_limitation_that_has_gone_is_forgotten_after_one_confirmation(user, coach):
    user.says("I can't kneel", "inform_limitation")
    assert "no_kneeling" in coach.profiles.get("u1").constraints
    asked = user.says("the knee has settled, kneeling doesn't bother me any more", "inform_limitation")
    assert question(asked)["id"] == "update:constraint:no_kneeling"
    assert "no_kneeling" in coach.profiles.get("u1").constraints, "nothing is forgotten before the answer"
    reply = user.says("yes please", "affirm")
    assert "no_kneeling" not in coach.profiles.get("u1").constraints
    assert "won't work around that" in reply.replies[0].text
    offered = {e["id"] for e in customs(reply, "recommendation")[0]["exercises"]}
    excluded = {e["id"] for e in customs(reply, "recommendation")[0]["excluded"]}
    assert "half_kneeling_hip_flexor_stretch" not in excluded and offered


def test_no_to_the_update_question_keeps_the_limit(user, coach):
    user.says("I can't kneel", "inform_limitation")
    user.says("I can kneel again now", "inform_limitation")
    reply = user.says("no, better keep it", "deny")
    assert "no_kneeling" in coach.profiles.get("u1").constraints
    assert "keep working around it" in reply.replies[0].text


def test_saying_a_surgery_is_fine_does_not_lift_its_referral(user, coach):
    user.says("I had a knee replacement 4 weeks ago", "disclose_condition")
    reply = user.says("the knee is fine now honestly", "inform_limitation")
    assert question(reply) is None or not question(reply)["id"].startswith("update:")
    assert customs(reply, "safety")[-1]["outcome"] == "REFER"


@pytest.mark.parametrize("intent", ["out_of_scope", "nlu_fallback"])
def test_news_about_their_own_body_is_not_answered_as_out_of_scope(user, intent):
    # The classifier cannot place "kneeling is fine for me actually"; the rules read a limit gone.
    reply = user.says("kneeling is fine for me actually", intent)
    assert "outside what I can help with" not in " ".join(r.text or "" for r in reply.replies)
    offered = {e["id"] for e in customs(reply, "recommendation")[0]["exercises"]}
    assert offered
    # Nonsense the rules find nothing in is still out of scope.
    other = user.says("what's the capital of Peru?", intent)
    assert not customs(other, "recommendation")


# -- the dispatch table against the domain and the rules -----------------------------------------
def _domain_intents() -> set:
    return set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])


def test_every_intent_reaches_the_door_and_has_a_handler():
    rule = yaml.safe_load((ROOT / "data/rules/door.yml").read_text())["rules"][0]
    in_rule = {step["intent"] for step in rule["steps"][0]["or"]}
    assert in_rule == _domain_intents() | {"nlu_fallback"}, (
        "data/rules/door.yml and domain.yml must list the same intents"
    )
    assert rule["steps"][1] == {"action": "action_coach"}
    from coach.dialogue import sessions

    handled = set(DISPATCH) | sessions.SESSION_INTENTS
    assert _domain_intents() - handled == set(), "an intent without a handler"
    assert set(DISPATCH) - _domain_intents() - {"nlu_fallback"} == set(), "a handler for an intent nobody sends"


# -- the Rasa adapter --------------------------------------------------------------------------------
def test_the_adapter_reads_the_tracker_and_turns_timers_into_reminders():
    from rasa_sdk import Tracker

    from actions.door import PUSH_CHANNELS, TIMER_INTENT, events_for, turn_from
    from coach.dialogue.model import TimerRequest

    tracker = Tracker(
        "alex",
        {},
        {
            "text": "I can't kneel",
            "intent": {"name": "inform_limitation", "confidence": 0.9},
            "intent_ranking": [{"name": "inform_limitation"}, {"name": "describe_symptom"}],
            "entities": [
                {
                    "entity": "coach_finding",
                    "value": "constraint:no_kneeling",
                    "finding": {"kind": "constraint", "id": "no_kneeling", "text": "can't kneel"},
                },
                {"entity": "goal", "value": "sitting"},
            ],
        },
        [{"event": "user", "input_channel": "socketio"}],
        False,
        None,
        {},
        "action_listen",
    )
    turn = turn_from(tracker)
    assert turn.intent == "inform_limitation" and turn.alternatives == ["describe_symptom"]
    assert turn.findings[0].key == "constraint:no_kneeling" and turn.entities == {"goal": ["sitting"]}
    assert turn.can_push and "socketio" in PUSH_CHANNELS
    result = TurnResult(start_timers=[TimerRequest("t1", 10, "tok:end")], cancel_timers=["old"])
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    cancel, schedule = events_for(result, now)
    assert cancel["event"] == "cancel_reminder" and cancel["name"] == "old"
    assert schedule["intent"] == TIMER_INTENT and schedule["kill_on_user_msg"] is False
    assert schedule["entities"] == [{"entity": "timer", "value": "tok:end"}]


def test_the_country_said_after_an_emergency_is_kept_and_its_numbers_given(user, coach):
    first = user.says("my bum has gone numb and I can't pee", "describe_symptom")
    assert customs(first, "safety")[0]["urgency"] == "emergency"
    reply = user.says("I'm in the UK", "inform_country", country="UK")
    text = " ".join(r.text or "" for r in reply.replies)
    assert coach.profiles.get("u1").country == "the UK"
    assert "999" in text and "Which country" not in text
    assert customs(reply, "safety")[0]["urgency"] == "emergency", "the flag stays in force"


def test_a_bare_yes_after_a_recommendation_with_exclusions_does_not_repeat_it(user):
    """The profile's standing exclusions ride on every decision; a "yes" that tells nothing new is
    a check-in, not a new account of their body that earns the whole recommendation again."""
    first = user.says(
        "my lower back aches from sitting all week and getting down on the floor is hard", "describe_symptom"
    )
    assert customs(first, "recommendation")
    again = user.says("yes", "affirm")
    assert not customs(again, "recommendation")
    check_in = user.conversation.coach.kb.say("check_in_nothing_pending")
    assert any(check_in in (r.text or "") for r in again.replies)
    told = user.says("yes, and my knee hurts when I kneel", "affirm")
    assert customs(told, "recommendation"), "a yes that tells something new about them is still read as telling"
