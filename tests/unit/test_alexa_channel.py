"""The Alexa channel in-process, with a scripted coach: which words reach the coach for each
Alexa request, and what never does (bad input, unverified or silent requests)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Dict, List

import pytest

from connectors.alexa import (
    BUILT_IN_MESSAGES,
    CLOSING_INTENTS,
    FAILED,
    NOTHING_SAID,
    TOO_SLOW,
    UTTERANCE_INTENT,
    UTTERANCE_SLOT,
    AlexaInput,
    sender_for,
)
from connectors.alexa_verify import CertificateCache, RequestVerifier
from tests.alexa_kit import CERT_URL, SKILL_ID, AlexaUser, TestPKI, check_answer

ROOT = Path(__file__).resolve().parents[2]
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
STEP = {"type": "session_step", "exercise_id": "glute_bridge", "side": None, "phase": "hold", "seconds": 20, "rep": 1}


class ScriptedCoach:
    """Stands in for Rasa's on_new_message: records what it was told, answers from a script."""

    def __init__(self, replies: Dict[str, List[Dict]] = None, delay: float = 0.0, fail: bool = False):
        self.replies, self.delay, self.fail = replies or {}, delay, fail
        self.heard: List[str] = []
        self.senders: List[str] = []
        self.channels: List[str] = []

    async def __call__(self, message) -> None:
        self.heard.append(message.text)
        self.senders.append(message.sender_id)
        self.channels.append(message.input_channel)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the action server is down")
        for reply in self.replies.get(message.text, [{"text": f"You said {message.text}."}]):
            await message.output_channel.send_response(message.sender_id, reply)


def channel(**kw) -> AlexaInput:
    return AlexaInput(SKILL_ID, None, **kw)  # verification off: these tests are about the conversation


async def ask(ch: AlexaInput, coach: ScriptedCoach, body: bytes, headers=None):
    return await ch.answer(body, headers or {}, coach)


async def test_launch_greets_and_every_message_of_the_turn_is_spoken():
    coach = ScriptedCoach(
        {"/greet": [{"text": "Hi, I'm Psoas Coach."}, {"text": "I'm not a doctor."}, {"text": "How are you?"}]}
    )
    status, answer = await ask(channel(), coach, AlexaUser().launch())
    heard = check_answer(answer)
    assert status == 200 and coach.heard == ["/greet"] and coach.channels == ["alexa"]
    assert heard.text.index("Psoas Coach") < heard.text.index("not a doctor") < heard.text.index("How are you")
    assert heard.ends is False and "How are you?" in heard.reprompt


async def test_what_the_user_says_reaches_the_coach_as_said():
    coach = ScriptedCoach()
    await ask(channel(), coach, AlexaUser().says("my hips are tight from sitting"))
    assert coach.heard == ["my hips are tight from sitting"]


async def test_one_conversation_per_alexa_user_and_never_amazons_id_itself():
    coach = ScriptedCoach()
    alex, sam = AlexaUser(), AlexaUser()
    for user in (alex, sam, alex):
        await ask(channel(), coach, user.says("hi"))
    alex_later = AlexaUser(user_id=alex.user_id)  # a new Alexa session, another day
    await ask(channel(), coach, alex_later.launch())
    assert coach.senders[0] == coach.senders[2] == coach.senders[3] != coach.senders[1]
    assert alex.user_id not in coach.senders[0] and len(coach.senders[0]) <= 255
    assert sender_for({"session": {"user": {}}}) is None


@pytest.mark.parametrize(
    "intent, sent",
    [
        ("AMAZON.PauseIntent", "/pause"),
        ("AMAZON.ResumeIntent", "/resume"),
        ("AMAZON.HelpIntent", "/ask_capabilities"),
        ("AMAZON.FallbackIntent", "/nlu_fallback"),
        ("AMAZON.NextIntent", "next"),
        ("AMAZON.RepeatIntent", "/repeat"),
    ],
)
async def test_amazons_built_in_intents_become_the_coachs_own(intent, sent):
    coach = ScriptedCoach()
    status, answer = await ask(channel(), coach, AlexaUser().intent(intent))
    assert status == 200 and coach.heard == [sent]
    assert check_answer(answer).ends is False


async def test_a_spoken_choice_is_a_tapped_button_but_a_longer_sentence_is_heard_whole():
    coach = ScriptedCoach({"screening": [{"text": "Are you pregnant?", "buttons": YES_NO}]})
    user = AlexaUser()
    _, answer = await ask(channel(), coach, user.says("screening"))
    user.heard(answer)
    await ask(channel(), coach, user.intent("AMAZON.YesIntent"))
    await ask(channel(), coach, user.says("No."))
    await ask(channel(), coach, user.says("no but my chest hurts"))
    assert coach.heard[1:] == ["/affirm", "/deny", "no but my chest hurts"]


async def test_stop_ends_a_running_session_then_says_goodbye_and_closes_the_skill():
    coach = ScriptedCoach(
        {
            "next": [{"text": "Hold for 20 seconds.", "custom": STEP}],
            "/stop_session": [
                {"text": "Okay, we'll stop here.", "custom": {**STEP, "phase": "done", "stopped": True}},
                {
                    "text": "Stop if anything feels sharp.\n\nHow did that feel?",
                    "buttons": [{"title": "7", "payload": "7"}],
                },
            ],
            "/goodbye": [{"text": "Bye for now."}],
        }
    )
    user = AlexaUser()
    _, answer = await ask(channel(), coach, user.intent("AMAZON.NextIntent"))
    assert answer["sessionAttributes"]["activity"] == "session"
    user.heard(answer)
    _, answer = await ask(channel(), coach, user.intent("AMAZON.StopIntent"))
    heard = check_answer(answer)
    assert coach.heard == ["next", "/stop_session", "/goodbye"]
    assert heard.ends is True and heard.reprompt is None
    assert "stop here" in heard.text and "Bye for now" in heard.text and "How did that feel" not in heard.text


@pytest.mark.parametrize("intent", sorted(CLOSING_INTENTS))
async def test_stop_and_cancel_outside_a_session_say_goodbye_and_close(intent):
    coach = ScriptedCoach({"/goodbye": [{"text": "Bye for now."}]})
    _, answer = await ask(channel(), coach, AlexaUser().intent(intent))
    assert coach.heard == ["/goodbye"] and check_answer(answer).ends is True
    assert answer["sessionAttributes"] == {}


async def test_stop_during_screening_stops_the_questions_too():
    coach = ScriptedCoach(
        {
            "start": [
                {
                    "text": "Pregnant?",
                    "buttons": YES_NO,
                    "custom": {"type": "screening_question", "id": "screen_pregnancy"},
                }
            ]
        }
    )
    user = AlexaUser()
    _, answer = await ask(channel(), coach, user.says("start"))
    user.heard(answer)
    await ask(channel(), coach, user.intent("AMAZON.CancelIntent"))
    assert coach.heard == ["start", "/stop_session", "/goodbye"]


async def test_an_emergency_that_ends_the_session_means_stop_only_says_goodbye():
    emergency = {"type": "safety", "decision": "stop", "outcome": "EMERGENCY", "urgency": "emergency"}
    coach = ScriptedCoach(
        {"next": [{"text": "Hold.", "custom": STEP}], "chest": [{"text": "Please call 999 now.", "custom": emergency}]}
    )
    user = AlexaUser()
    for said in ("next", "chest"):
        _, answer = await ask(channel(), coach, user.says(said))
        user.heard(answer)
    assert answer["sessionAttributes"]["activity"] is None
    await ask(channel(), coach, user.intent("AMAZON.StopIntent"))
    assert coach.heard[-1:] == ["/goodbye"] and "/stop_session" not in coach.heard


async def test_repeat_outside_a_session_says_the_last_answer_again_without_asking_the_coach():
    coach = ScriptedCoach({"what is the psoas": [{"text": "The psoas is a deep muscle."}]})
    user = AlexaUser()
    _, answer = await ask(channel(), coach, user.says("what is the psoas"))
    user.heard(answer)
    _, again = await ask(channel(), coach, user.intent("AMAZON.RepeatIntent"))
    assert coach.heard == ["what is the psoas"] and "deep muscle" in check_answer(again).text


async def test_session_ended_is_never_answered_with_speech_nor_told_to_the_coach():
    coach = ScriptedCoach()
    for reason in ("USER_INITIATED", "EXCEEDED_MAX_REPROMPTS", "ERROR"):
        status, answer = await ask(channel(), coach, AlexaUser().session_ended(reason))
        assert status == 200 and answer == {"version": "1.0", "response": {}}
    assert coach.heard == []


async def test_a_missing_slot_value_or_a_huge_utterance_is_answered_and_nothing_reaches_the_coach():
    coach = ScriptedCoach()
    for body in (
        AlexaUser().says(None),
        AlexaUser().says("   "),
        AlexaUser().intent(UTTERANCE_INTENT),
        AlexaUser().says("stretch " * 600),
    ):
        status, answer = await ask(channel(), coach, body)
        heard = check_answer(answer)
        assert status == 200 and heard.ends is False and heard.reprompt
        assert "words" in heard.text or "too long" in heard.text
    assert coach.heard == []


async def test_unicode_and_nonsense_reach_the_coach_and_get_an_answer():
    coach = ScriptedCoach()
    _, answer = await ask(channel(), coach, AlexaUser().says("🦵 ¿qué? 日本語 zxqv"))
    assert coach.heard == ["🦵 ¿qué? 日本語 zxqv"]
    check_answer(answer)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b'"text"', b"\xff\xfe", json.dumps({"version": "1.0"}).encode(), b"x" * (200 * 1024)],
)
async def test_bad_bodies_are_refused_with_400_and_no_stack_trace(body):
    coach = ScriptedCoach()
    status, answer = await ask(channel(), coach, body)
    assert status == 400 and set(answer) == {"error"} and "Traceback" not in answer["error"]
    assert coach.heard == []


async def test_an_unknown_request_type_is_refused():
    body = json.loads(AlexaUser().launch())
    body["request"]["type"] = "Alexa.Presentation.APL.UserEvent"
    coach = ScriptedCoach()
    status, answer = await ask(channel(), coach, json.dumps(body).encode())
    assert status == 400 and "Unsupported" in answer["error"] and coach.heard == []


async def test_with_verification_off_the_skill_id_is_still_checked():
    coach = ScriptedCoach()
    status, _ = await ask(channel(), coach, AlexaUser(skill_id="amzn1.ask.skill.other").launch())
    assert status == 400 and coach.heard == []


async def test_without_a_skill_id_the_channel_is_off():
    coach = ScriptedCoach()
    off = AlexaInput.from_credentials({"skill_id": "", "verify": ""})
    status, answer = await ask(off, coach, AlexaUser().launch())
    assert status == 400 and "ALEXA_SKILL_ID" in answer["error"] and coach.heard == []


def test_verification_is_on_unless_explicitly_off(caplog):
    assert AlexaInput.from_credentials({"skill_id": SKILL_ID, "verify": ""}).verifier is not None
    assert AlexaInput.from_credentials({"skill_id": SKILL_ID, "verify": "maybe"}).verifier is not None
    for off in ("off", "OFF", False, "false"):
        with caplog.at_level("WARNING"):
            assert AlexaInput.from_credentials({"skill_id": SKILL_ID, "verify": off}).verifier is None
    assert "NOT verified" in caplog.text


async def test_a_verified_channel_processes_signed_requests_only():
    pki = TestPKI()
    verifier = RequestVerifier(SKILL_ID, CertificateCache(lambda url: pki.chain_pem()), [pki.root])
    ch = AlexaInput(SKILL_ID, verifier)
    coach = ScriptedCoach()
    body = AlexaUser().says("hello")
    status, _ = await ch.answer(body, pki.headers(body, url=CERT_URL), coach)
    assert status == 200 and coach.heard == ["hello"]
    status, answer = await ch.answer(body.replace(b"hello", b"hullo"), pki.headers(body), coach)
    assert status == 400 and answer == {"error": "Request verification failed."} and coach.heard == ["hello"]


async def test_a_slow_coach_still_gets_an_answer_in_time_and_a_failing_one_an_apology():
    status, answer = await ask(channel(deadline=0.2), ScriptedCoach(delay=2), AlexaUser().says("hi"))
    assert status == 200 and TOO_SLOW.split(".")[0] in check_answer(answer).text
    status, answer = await ask(channel(), ScriptedCoach(fail=True), AlexaUser().says("hi"))
    assert status == 200 and FAILED.split(".")[0] in check_answer(answer).text


def test_the_interaction_model_sends_every_word_to_the_coach_and_has_every_mapped_intent():
    model = json.loads((ROOT / "docs" / "alexa-interaction-model.json").read_text())["interactionModel"][
        "languageModel"
    ]
    intents = {i["name"]: i for i in model["intents"]}
    catch_all = intents[UTTERANCE_INTENT]
    assert catch_all["samples"] == ["{" + UTTERANCE_SLOT + "}"]
    slot_type = catch_all["slots"][0]["type"]
    assert catch_all["slots"][0]["name"] == UTTERANCE_SLOT and not slot_type.startswith("AMAZON.")
    values = next(t for t in model["types"] if t["name"] == slot_type)["values"]
    assert len(values) >= 20 and all(not any(ch.isdigit() for ch in v["name"]["value"]) for v in values)
    handled = set(BUILT_IN_MESSAGES) | CLOSING_INTENTS | {UTTERANCE_INTENT}
    assert set(intents) == handled, "every intent in the model is handled, and every handled one is in it"
    assert {"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.NavigateHomeIntent"} <= set(
        intents
    )
    name = model["invocationName"]
    assert name == name.lower() and len(name.split()) >= 2


def test_alexa_is_paced_by_the_client_because_it_cannot_receive_pushed_messages():
    from actions.door import PUSH_CHANNELS

    assert AlexaInput.name() not in PUSH_CHANNELS


def test_a_rating_said_in_words_is_the_rating_button():
    from connectors.alexa import chosen

    state = {"choices": [["3", "3 out of 10"], ["7", "7 out of 10"]]}
    assert chosen("seven", state) == "7 out of 10" and chosen("Seven.", state) == "7 out of 10"
    assert chosen("seven but my knee hurts", state) == "seven but my knee hurts"
    assert chosen("six", state) == "six", "a rating without a button goes to the coach as said"


async def test_a_turn_the_coach_answers_with_nothing_is_never_silence():
    _, answer = await ask(channel(), ScriptedCoach({"hmm": []}), AlexaUser().says("hmm"))
    heard = check_answer(answer)
    assert heard.text == NOTHING_SAID and heard.ends is False
