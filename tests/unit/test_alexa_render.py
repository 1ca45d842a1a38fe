"""SSML from bot messages: everything spoken, said naturally, within Alexa's limits, and a
guided-session hold paced inside the answer."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from connectors.render import BotMessage, Button
from connectors.render.alexa import MAX_SPEECH_CHARS, breaks, render
from connectors.render.speech import (
    choice_list,
    normalised,
    phone_number_spans,
    speaking_seconds,
    spoken_choices,
    spoken_sentences,
    spoken_text,
)

EMERGENCY = BotMessage(
    text="Please call 999 (UK), 112 (Europe), 911 (US and Canada) or 000 (Australia), or go to A&E now.\n\nWhich country are you in?",
    custom={"type": "safety", "decision": "stop", "outcome": "EMERGENCY", "urgency": "emergency", "flags": ["RF3"]},
)
HOLD = BotMessage(
    text="Hold for 30 seconds. Tailbone tucked, ribs down. Breathe slowly.",
    buttons=[Button("Next", "/ready"), Button("That hurts", "/report_pain"), Button("Stop", "/stop_session")],
    custom={
        "type": "session_step", "exercise_id": "standing_hip_flexor_stretch", "side": "left", "phase": "hold",
        "seconds": 30, "rep": 1, "pace": "client",
        "cues": [
            {"kind": "halfway", "at_seconds": 15.0, "text": "Halfway. Back-leg buttock squeezed the whole time."},
            {"kind": "last", "at_seconds": 25.0, "text": "Five more seconds. Keep breathing."},
        ],
    },
)  # fmt: skip


def words(ssml: str) -> str:
    return re.sub(r"\s+", " ", "".join(ET.fromstring(ssml).itertext())).strip()


def break_seconds(ssml: str):
    out = []
    for b in ET.fromstring(ssml).iter("break"):
        value = b.get("time")
        out.append(float(value[:-2]) / 1000 if value.endswith("ms") else float(value[:-1]))
    return out


def test_every_message_of_the_turn_is_spoken_in_order():
    spoken = render([BotMessage(text="First thing."), BotMessage(text="Second thing."), BotMessage(text="Third.")])
    text = words(spoken.ssml)
    assert text.index("First thing") < text.index("Second thing") < text.index("Third")
    assert ET.fromstring(spoken.ssml).tag == "speak"


def test_an_emergency_is_spoken_first_with_its_numbers_digit_by_digit_and_shown_on_a_card():
    spoken = render([BotMessage(text="Here's your session: two stretches."), EMERGENCY])
    assert words(spoken.ssml).startswith("Please call 999")
    digits = [e.text for e in ET.fromstring(spoken.ssml).iter("say-as") if e.get("interpret-as") == "digits"]
    assert digits == ["999", "112", "911", "000"]
    assert spoken.card and spoken.card[1].startswith("Please call 999")
    assert "stretch" not in spoken.reprompt.lower(), "silence after an emergency never invites a stretch"


def test_no_markdown_emoji_or_written_shorthand_reaches_the_ear():
    spoken = render([BotMessage(text="**Hold** 30s 🦵 then rest 10 s & breathe (gently). Rate it 0-10 or 7/10.")])
    text = words(spoken.ssml)
    assert not re.search(r"[*_`#]|[\U0001F300-\U0001FAFF]", text)
    assert "30 seconds" in text and "0 to 10" in text and "7 out of 10" in text and " and breathe" in text
    assert "(" not in text


def test_buttons_become_choices_and_the_reprompt_repeats_the_question():
    spoken = render(
        [BotMessage(text="Are you pregnant at the moment?", buttons=[Button("Yes", "/affirm"), Button("No", "/deny")])]
    )
    assert words(spoken.ssml).endswith("You can say: Yes, or No.")
    assert spoken.reprompt and "pregnant" in words(spoken.reprompt) and "Yes, or No" in words(spoken.reprompt)
    assert [(b.title, b.payload) for b in spoken.choices] == [("Yes", "/affirm"), ("No", "/deny")]


def test_choices_the_text_already_names_are_not_said_twice():
    message = BotMessage(
        text='Paused. Say "resume" when you\'re ready.',
        buttons=[Button("Resume", "/resume"), Button("Stop", "/stop_session")],
    )
    spoken = render([message])
    assert words(spoken.ssml).endswith("You can also say: Stop.")
    assert "Resume, or Stop" in words(spoken.reprompt)  # the reprompt stands alone: all choices
    assert len(spoken.choices) == 2, "both can still be said"


def test_a_hold_is_paced_inside_the_answer_with_the_halfway_cue_in_the_middle():
    spoken = render([HOLD])
    text = words(spoken.ssml)
    silences = break_seconds(spoken.ssml)
    assert all(0 < s <= 10 for s in silences)
    # The clock starts at "Hold for 30 seconds."; the form and breathing cues after it count.
    instruction = speaking_seconds("Tailbone tucked, ribs down.") + speaking_seconds("Breathe slowly.")
    halfway = spoken.ssml.index("Halfway")
    before = sum(break_seconds("<speak>" + "".join(re.findall(r"<break[^>]*/>", spoken.ssml[:halfway])) + "</speak>"))
    assert abs(instruction + before - 15) < 0.05, "the halfway cue comes after half the hold"
    cues = speaking_seconds("Halfway. Back-leg buttock squeezed the whole time.") + speaking_seconds(
        "Five more seconds. Keep breathing."
    )
    assert abs(instruction + sum(silences) + cues - 30) < 0.2, "what is said counts inside the 30 s"
    assert text.index("Halfway") < text.index("Five more seconds") < text.index("say Next")
    assert text.endswith("When you're ready, say Next. You can also say: That hurts, or Stop.")


def test_a_short_hold_leaves_out_cues_that_would_crowd_each_other():
    cues = HOLD.custom["cues"][:1] + [{"kind": "last", "at_seconds": 10.0, "text": "Five more seconds."}]
    short = BotMessage(
        text="Hold for 15 seconds.",
        custom={**HOLD.custom, "seconds": 15, "cues": [dict(cues[0], at_seconds=7.5), cues[1]]},
    )
    text = words(render([short]).ssml)
    assert "Halfway" in text and "Five more seconds" not in text
    long_talk = BotMessage(
        text="Hold for 15 seconds. " + "Keep your ribs down and breathe slowly all the way through. " * 2,
        custom={**HOLD.custom, "seconds": 15, "cues": [dict(cues[0], at_seconds=7.5)]},
    )
    spoken = render([long_talk])
    assert "Halfway" not in words(spoken.ssml), "a cue whose moment passed while talking is not said late"
    assert (
        abs(
            sum(break_seconds(spoken.ssml))
            + 2 * speaking_seconds("Keep your ribs down and breathe slowly all the way through.")
            - 15
        )
        < 0.2
    )


def test_every_timed_step_waits_its_seconds_but_a_paused_step_does_not():
    for phase, seconds in (("get_ready", 10), ("rest", 20), ("switch_sides", 5)):
        message = BotMessage(
            text="Get ready.",
            buttons=[Button("Ready", "/ready")],
            custom={**HOLD.custom, "phase": phase, "seconds": seconds, "cues": []},
        )
        assert sum(break_seconds(render([message]).ssml)) == seconds, phase
    paused = BotMessage(text="Paused.", buttons=[Button("Resume", "/resume")], custom={**HOLD.custom, "paused": True})
    assert break_seconds(render([paused]).ssml) == []


def test_a_long_hold_is_chained_from_breaks_of_at_most_ten_seconds():
    assert breaks(60) == '<break time="10s"/>' * 6
    assert breaks(12.5) == '<break time="10s"/><break time="2500ms"/>'
    assert breaks(0.04) == ""
    message = BotMessage(text="Hold for 60 seconds.", custom={**HOLD.custom, "seconds": 60, "cues": []})
    assert sum(break_seconds(render([message]).ssml)) == 60


def test_a_closing_answer_asks_nothing_but_keeps_safety_questions():
    finish = BotMessage(
        text="Before you go: stop if anything feels sharp.\n\nHow did that feel, from 0 (awful) to 10 (great)?",
        buttons=[Button("7", "7 out of 10")],
    )
    spoken = render([finish, EMERGENCY], closing=True)
    text = words(spoken.ssml)
    assert "How did that feel" not in text and "You can say" not in text
    assert "Which country are you in?" in text, "safety wording is never cut"
    assert spoken.reprompt is None and spoken.choices == []


def test_speech_stays_within_alexas_limit_and_never_loses_a_safety_message():
    huge = BotMessage(text=" ".join(f"Sentence number {i} of a very long answer." for i in range(2000)))
    spoken = render([huge, EMERGENCY, BotMessage(text="Pick one.", buttons=[Button("Yes", "/affirm")])])
    assert len(spoken.ssml) <= MAX_SPEECH_CHARS
    assert "Please call" in spoken.ssml and "You can say: Yes" in words(spoken.ssml)
    ET.fromstring(spoken.ssml)


def test_text_is_escaped_into_valid_ssml():
    spoken = render([BotMessage(text='Fish & chips <b>bold</b> "quotes" \x07 and 5 < 6.')])
    assert "bold" in words(spoken.ssml) and "5 < 6" in words(spoken.ssml)


def test_input_errors_keep_amounts_as_amounts():
    spoken = render([BotMessage(text="Could you say it in under 2000?", custom={"type": "input_error"})])
    assert "say-as" not in spoken.ssml


# -- the shared speech helpers added for voice channels --------------------------------------------
def test_spoken_sentences_are_one_per_instruction_and_say_asides_as_asides():
    assert spoken_sentences("Here's what I'd suggest:\n1. Bed stretch: lie down. Relax.") == [
        "Here's what I'd suggest:",
        "First, Bed stretch: lie down.",
        "Relax.",
    ]
    assert spoken_sentences("How did that feel, from 0 (awful) to 10 (great)?") == [
        "How did that feel, from 0, awful, to 10, great?"
    ]
    assert spoken_sentences("call 999 / 112 / 911 straight away") == ["call 999, or 112, or 911 straight away."]


def test_phone_numbers_are_told_apart_from_amounts_and_years():
    phones = [t for t, p in phone_number_spans("Samaritans on 116 123, text 85258, hold 120 seconds, in 2015") if p]
    assert phones == ["116 123", "85258"]


def test_choice_lists_and_normalised_answers():
    assert choice_list(["Tight from sitting", "What can you do?"]) == "Tight from sitting, or What can you do"
    assert choice_list(["3", "5", "7"]) == "3, 5, or 7" and choice_list([]) == ""
    assert normalised("Seven.") == normalised("7") and normalised("I’m ready!") == normalised("im ready")


def test_the_existing_speech_functions_keep_their_behaviour():
    assert spoken_text("1. Hold 30s\n2. Rest") == "First, Hold 30 seconds. Second, Rest."
    assert spoken_choices(["Yes", "No"]) == "You can say: Yes, or No."


def test_in_a_session_an_answer_without_choices_says_how_to_go_on():
    spoken = render([BotMessage(text="About 5 min 15 s left.")], in_session=True)
    assert words(spoken.ssml).endswith("say next. Or say stop to finish.") and "next" in words(spoken.reprompt)
    outside = render([BotMessage(text="The psoas is a deep muscle.")])
    assert "say next" not in words(outside.ssml) and "stretch" in words(outside.reprompt)
