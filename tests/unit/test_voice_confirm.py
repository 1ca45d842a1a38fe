"""What the voice loop reads back before acting, what it listens for, and how it is said."""

from __future__ import annotations

import pytest

from connectors.render import BotMessage, Button
from connectors.render.speech import (
    listener_choices,
    listener_message,
    listener_text,
    spoken_choices,
    ssml_message,
    ssml_text,
)
from voice.confirm import READ_BACK, SEND, SafetyCheck, read_back, second_person
from voice.grammars import build
from voice.listening import ANSWER, CHOICES, FREE_SPEECH, IN_SESSION, Expectation, expectation_after
from voice.recogniser import FREE, SESSION, YES_NO_SEARCH, Heard

YES_NO_QUESTION = BotMessage(
    text="Is kneeling painful or difficult for you?",
    buttons=[Button("Yes", "/affirm"), Button("No", "/deny"), Button("Not sure", "/unsure")],
    custom={"type": "screening_question", "id": "screen_knees", "options": ["yes", "no", "unsure"]},
)
HOLD = BotMessage(
    text="Hold for 30 seconds.",
    buttons=[Button("Next", "/ready"), Button("That hurts", "/report_pain")],
    custom={"type": "session_step", "phase": "hold", "seconds": 30, "side": "left"},
)


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    return SafetyCheck(build(out_root=tmp_path_factory.mktemp("voice-build")))


def heard(text: str, search: str = FREE) -> Heard:
    return Heard(text, search, -10.0)


def test_read_back_in_the_second_person():
    assert second_person("i can't kneel") == "you can't kneel"
    assert second_person("i am pregnant and my back hurts") == "you are pregnant and your back hurts"
    assert second_person("it was my knee") == "it was your knee"


def test_numbers_are_not_safety_words(check):
    assert check.decide(heard("seven"), Expectation(CHOICES)).action == SEND


def test_a_lost_negation_is_read_back_not_sent(check):
    """'I can't kneel' heard as 'i kneel' still names a limitation: the user hears it and says no."""
    for text in ("i can't kneel", "i kneel", "i can kneel"):
        decision = check.decide(heard(text), Expectation(FREE_SPEECH))
        assert decision.action == READ_BACK and "kneel" in decision.reason, text
    assert read_back(heard("i kneel"), Expectation(FREE_SPEECH)) == "I heard: you kneel. Is that right?"


def test_every_screening_answer_is_read_back_with_its_question(check):
    expectation = expectation_after(YES_NO_QUESTION, Expectation())
    assert expectation.kind == ANSWER and expectation.yes_no
    for answer in ("yes", "nope", "not sure"):
        assert check.decide(heard(answer, YES_NO_SEARCH), expectation).action == READ_BACK
    assert expectation.button_for("not sure").payload == "/unsure"
    assert read_back(heard("nope", YES_NO_SEARCH), expectation) == (
        'I heard "no" to: Is kneeling painful or difficult for you? Is that right?'
    )


def test_alarms_are_never_delayed_but_a_denial_is_checked(check):
    for text in ("i have chest pain", "my chest hurts", "i think i just fainted"):
        assert check.decide(heard(text), Expectation(IN_SESSION)).action == SEND, text
    denial = check.decide(heard("i don't have chest pain"), Expectation(FREE_SPEECH))
    assert denial.action == READ_BACK


def test_ordinary_requests_and_controls_go_straight_through(check):
    assert check.decide(heard("how do i do the bed stretch"), Expectation(FREE_SPEECH)).action == SEND
    assert check.decide(heard("let's start"), Expectation(FREE_SPEECH)).action == SEND
    assert check.decide(heard("that pinches", SESSION), Expectation(IN_SESSION)).action == SEND


def test_what_to_listen_for_follows_the_last_payload():
    session = expectation_after(HOLD, Expectation())
    assert session.kind == IN_SESSION and session.button_for("that hurts").payload == "/report_pain"
    noted = expectation_after(BotMessage(text="Thanks, noted. Carry on when you're ready."), session)
    assert noted.kind == IN_SESSION  # a plain message keeps the session's grammar
    done = expectation_after(BotMessage(text="Done.", custom={"type": "session_step", "phase": "done"}), session)
    assert done.kind == FREE_SPEECH
    rating = expectation_after(BotMessage(text="How did that feel?", buttons=[Button("7", "7 out of 10")]), done)
    assert rating.kind == CHOICES and rating.button_for("seven").payload == "7 out of 10"
    assert rating.button_for("eight").payload == "8 out of 10"  # "from 0 to 10": not only the buttons
    assert "10" in rating.titles() and rating.button_for("banana") is None
    checklist = BotMessage(
        text='Do you have any of these right now? Tap the one that fits, or "None of these".',
        buttons=[Button("Chest pain or trouble breathing", "x"), Button("None of these", "No, none of these")],
        custom={
            "type": "screening_question",
            "id": "red_flag_check",
            "options": ["Chest pain or trouble breathing", "None of these"],
        },
    )
    answer = expectation_after(checklist, rating)
    assert (
        answer.kind == ANSWER
        and not answer.yes_no
        and answer.button_for("none of these").payload == "No, none of these"
    )
    assert answer.question_id == "red_flag_check"


def test_the_red_flag_checklist_sends_a_red_flag_at_once_and_checks_none(check):
    checklist = Expectation(
        ANSWER, options=["Thoughts of harming myself", "None of these"], question_id="red_flag_check"
    )
    assert check.decide(heard("thoughts of harming myself", "options_x"), checklist).reason.startswith("alarm")
    assert check.decide(heard("none of these", "options_x"), checklist).action == READ_BACK


def test_speech_for_a_listener():
    assert listener_text('Tap the one that fits, or "None of these".') == 'Say the one that fits, or "None of these".'
    assert listener_choices(["Yes", "What can you do?"]) == "You can say: Yes, or What can you do?"
    assert listener_choices(["Yes", "No"]) == spoken_choices(["Yes", "No"]) == "You can say: Yes, or No."
    ssml = ssml_message(YES_NO_QUESTION)
    assert (
        ssml.startswith("<speak>Is kneeling painful")
        and '<break time="800ms"/>You can say: Yes, No, or Not sure.' in ssml
    )
    assert ssml_text("Go to A&E if 3 < 5") == "<speak>Go to A and E if 3 &lt; 5.</speak>"
    assert (
        listener_message(YES_NO_QUESTION)
        == "Is kneeling painful or difficult for you? You can say: Yes, No, or Not sure."
    )
    emergency = "Please call 999 (UK), 112 (Europe) or 000 (Australia). NHS 111 or 111.nhs.uk. Hold 30 s."
    assert listener_text(emergency) == (
        "Please call 9 9 9 (UK), 1 1 2 (Europe) or 0 0 0 (Australia). NHS 1 1 1 or 1 1 1 dot nhs dot uk. Hold 30 seconds."
    )
