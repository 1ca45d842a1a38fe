"""The local voice loop end to end: espeak-ng WAVs in, the real coach over socket.io, speech out.

Shares the session's servers (tests/integration/conftest.py) with every other integration
test; sessions run at COACH_TIME_SCALE=0.02, so a 30 s hold lasts 0.6 s.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid

import pytest

from connectors.render.speech import listener_message
from tests.integration.servers import ROOT, free_port
from tests.integration.test_session_pacing import screened
from tests.voice_support import espeak_seconds, needs_speech_tools, synthesise
from voice.audio import read_wav
from voice.coach_client import CoachUnavailable
from voice.confirm import READ_BACK, SafetyCheck, second_person
from voice.grammars import build
from voice.loop import VoiceLoop
from voice.recogniser import Recogniser
from voice.speaker import Speaker

pytestmark = needs_speech_tools


@pytest.fixture(scope="module")
def ears(tmp_path_factory):
    built = build(out_root=tmp_path_factory.mktemp("voice-build"))
    check = SafetyCheck(built)
    return Recogniser(built, names_safety=check.names_safety), check


@pytest.fixture()
async def voice(servers, ears, tmp_path):
    recogniser, check = ears
    loop = VoiceLoop(recogniser, Speaker(tmp_path / "spoken", play=False), check, echo=lambda _: None)
    loop.user_id = uuid.uuid4().hex
    yield loop
    await loop.close()


async def say(loop: VoiceLoop, folder, text: str):
    """The user says `text` (an espeak-ng WAV through the recogniser) and the loop settles."""
    turn = await loop.hear(read_wav(synthesise(folder, text)))
    await loop.idle(settle=0.6, timeout=30)
    return turn


def messages(loop: VoiceLoop, kind=None, since: float = 0.0):
    return [m for at, m in loop.received if at >= since and (kind is None or m.kind == kind)]


async def wait_for(loop: VoiceLoop, predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for at, message in loop.received:
            if predicate(message):
                return at, message
        await asyncio.sleep(0.05)
    raise TimeoutError([m.custom or m.text for _, m in loop.received])


async def test_a_limitation_is_read_back_and_a_lost_negation_never_sent(servers, voice, tmp_path):
    await voice.connect(servers.url, voice.user_id, greet=False)
    misheard = await say(voice, tmp_path, "I kneel")  # what a recogniser makes of a mumbled "I can't kneel"
    assert "kneel" in misheard.heard.text and "can't" not in misheard.heard.text
    assert misheard.decision.action == READ_BACK and misheard.sent is None
    assert misheard.said == f"I heard: {second_person(misheard.heard.text)}. Is that right?"
    wrong = await say(voice, tmp_path, "no")
    assert wrong.sent is None and wrong.said == "Sorry about that. Please say it again."
    assert not voice.received, "the coach must not hear an answer the user rejected"

    await say(voice, tmp_path, "I kneel")
    # Instead of "no", the user says it again properly: that replaces the unconfirmed answer.
    clear = await say(voice, tmp_path, "I can't kneel")
    assert clear.heard.text == "i can't kneel" and clear.said == "I heard: you can't kneel. Is that right?"
    assert clear.sent is None and not voice.received
    confirmed = await say(voice, tmp_path, "yes")
    assert confirmed.sent == "i can't kneel"
    recommendation = messages(voice, "recommendation")[-1]
    excluded = {e["id"]: e["reason"] for e in recommendation.custom["excluded"]}
    assert excluded.get("half_kneeling_hip_flexor_stretch") == "you said you can't kneel"

    spoken = [s.text for s in voice.spoken]
    assert spoken[:4] == [misheard.said, wrong.said, misheard.said, clear.said]
    # The first answer of the conversation, then the question whether the coach may remember the user.
    assert spoken[-2] == listener_message(recommendation) and "because you said you can't kneel" in spoken[-2]
    assert spoken[-1].startswith("If you like, I'll remember") and "May I remember you?" in spoken[-1]
    reply = voice.spoken[-1]
    assert reply.wav.is_file()
    assert reply.seconds == pytest.approx(espeak_seconds(tmp_path, reply.ssml, ssml=True), rel=0.02)
    assert reply.seconds == pytest.approx(espeak_seconds(tmp_path, reply.text), rel=0.1)  # the words, no markup


async def test_screening_answers_are_confirmed_before_they_count(servers, voice, tmp_path):
    await voice.connect(servers.url, voice.user_id, greet=False)
    await say(voice, tmp_path, "let's start")
    question = messages(voice, "screening_question")[-1]
    assert question.custom["id"] == "screen_red_flags"
    answer = await say(voice, tmp_path, "no")
    assert answer.sent is None and answer.said.startswith('I heard "no" to: Right now, do you have any numbness')
    confirmed = await say(voice, tmp_path, "yes")
    assert confirmed.sent == next(b.payload for b in question.buttons if b.title == "No")  # what tapping "No" sends
    assert messages(voice, "screening_question")[-1].custom["id"] == "screen_heart"

    unknown = await say(voice, tmp_path, "banana")
    assert unknown.sent is None and unknown.said == "Sorry, I didn't catch that. You can say: Yes, No, or Not sure."
    assert messages(voice, "screening_question")[-1].custom["id"] == "screen_heart"


async def test_a_paced_session_is_spoken_in_order_and_pause_stops_it(servers, voice, tmp_path):
    await voice.connect(servers.url, screened(servers, voice.user_id), greet=False)
    await voice.hear(read_wav(synthesise(tmp_path, "let's start")))
    await wait_for(voice, lambda m: (m.custom or {}).get("cue") == "halfway", timeout=30)
    pause = await say(voice, tmp_path, "pause")
    assert pause.sent == "/pause"
    paused_at, _ = await wait_for(voice, lambda m: (m.custom or {}).get("paused") is True)
    await asyncio.sleep(2.0)  # a 30 s hold is 0.6 s here: any live timer would have fired
    await voice.idle(settle=0.5)

    steps = messages(voice, "session_step")
    assert steps[0].custom["phase"] == "get_ready" and any(s.custom.get("cue") == "halfway" for s in steps)
    late = [m.custom for m in messages(voice, "session_step", since=paused_at + 0.001)]
    assert not late, f"cues after the pause: {late}"
    spoken_steps = [s.text for s in voice.spoken if s.kind == "session_step"]
    assert spoken_steps == [listener_message(m) for m in steps]  # every cue, in the order it came
    assert spoken_steps[-1].startswith("Paused.")


async def test_a_red_flag_mid_session_is_answered_with_the_emergency_wording_first(servers, voice, tmp_path):
    await voice.connect(servers.url, screened(servers, voice.user_id), greet=False)
    await voice.hear(read_wav(synthesise(tmp_path, "let's start")))
    await wait_for(voice, lambda m: (m.custom or {}).get("phase") == "hold", timeout=30)
    alarm = await voice.hear(read_wav(synthesise(tmp_path, "my chest hurts")))
    assert alarm.decision.reason == "alarm: never delayed" and alarm.sent == "my chest hurts"
    emergency_at, emergency = await wait_for(voice, lambda m: (m.custom or {}).get("urgency") == "emergency")
    await voice.idle(settle=1.0)
    after = [s for s in voice.spoken if s.at >= emergency_at]
    assert after and after[0].text == listener_message(emergency), [s.text[:40] for s in after]
    assert "emergency" in after[0].text.lower()
    assert not [s for s in after[1:] if s.kind == "session_step" and "Halfway" in s.text]


async def test_the_coach_being_down_is_said_clearly(ears, tmp_path):
    recogniser, check = ears
    loop = VoiceLoop(recogniser, Speaker(tmp_path, play=False), check, echo=lambda _: None)
    with pytest.raises(CoachUnavailable, match="make run"):
        await loop.connect(f"http://127.0.0.1:{free_port()}", greet=False)
    await loop.close()


def test_the_command_line_says_what_is_missing_and_exits(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "voice", "--url", f"http://127.0.0.1:{free_port()}", "--text", "--out", str(tmp_path)],
        cwd=ROOT, env=env, input="", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "I can't reach the coach" in done.stderr and "make run" in done.stderr
    assert "Traceback" not in done.stderr
    transcript = (tmp_path / "transcript.txt").read_text()
    assert "I can't reach the coach" in transcript  # said, not only printed
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "voice", "--url", f"http://127.0.0.1:{free_port()}", "--wav-in", str(empty), "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
