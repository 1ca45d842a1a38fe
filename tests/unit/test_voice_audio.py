"""Speech in and out with the real tools: espeak-ng WAVs through pocketsphinx, espeak-ng speech out."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from connectors.render import BotMessage, Button
from connectors.render.speech import listener_message, ssml_message
from tests.voice_support import espeak_seconds, needs_speech_tools, sox, synthesise
from voice.audio import AudioError, Microphone, read_wav
from voice.confirm import READ_BACK, SafetyCheck
from voice.grammars import build, meaning
from voice.listening import IN_SESSION, Expectation
from voice.recogniser import CONFIRM, FREE, SESSION, YES_NO_SEARCH, Recogniser
from voice.speaker import Speaker, find_player, wav_seconds

pytestmark = needs_speech_tools


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(out_root=tmp_path_factory.mktemp("voice-build"))


@pytest.fixture(scope="module")
def check(built):
    return SafetyCheck(built)


@pytest.fixture(scope="module")
def recogniser(built, check):
    return Recogniser(built, names_safety=check.names_safety)


def hear(recogniser, path: Path, searches):
    return recogniser.recognise(read_wav(path).pcm, searches)


@pytest.mark.parametrize(
    "said, searches, words, meant",
    [
        ("pause", [SESSION, FREE], "pause", "pause"),
        ("stop", [SESSION, FREE], "stop", "stop_session"),
        ("next", [SESSION, FREE], "next", "ready"),
        ("that hurts", [SESSION, FREE], "that hurts", "report_pain"),
        ("yes", [YES_NO_SEARCH], "yes", "yes"),
        ("no", [YES_NO_SEARCH], "no", "no"),
        ("no", [CONFIRM], "no", "no"),
        ("I can't kneel", [FREE], "i can't kneel", None),
    ],
)
def test_espeak_speech_is_heard_with_the_right_grammar(recogniser, tmp_path, said, searches, words, meant):
    heard = hear(recogniser, synthesise(tmp_path, said), searches)
    assert heard.ok and heard.text == words, heard
    assert meaning(heard.text) == meant


def test_a_sentence_during_a_hold_is_not_forced_into_a_control(recogniser, check, tmp_path):
    """Without the language model's say, "I can't kneel" during a hold came out as "i'm ready"."""
    session = Expectation(IN_SESSION)
    heard = hear(recogniser, synthesise(tmp_path, "I can't kneel"), session.searches(recogniser))
    assert heard.search == FREE and heard.text == "i can't kneel"
    assert check.decide(heard, session).action == READ_BACK
    alarm = hear(recogniser, synthesise(tmp_path, "my chest hurts"), session.searches(recogniser))
    assert alarm.text == "my chest hurts" and check.is_alarm(alarm.text)


def test_an_unknown_word_is_not_taken_for_an_answer(recogniser, tmp_path):
    heard = hear(recogniser, synthesise(tmp_path, "banana"), [YES_NO_SEARCH])
    assert not heard.ok and heard.reason == "unclear"


def test_silence_noise_and_empty_audio(recogniser, tmp_path):
    silence, noise, hum, header_only = (tmp_path / n for n in ("silence.wav", "noise.wav", "hum.wav", "header.wav"))
    sox("-n", "-r", "16000", "-b", "16", "-c", "1", str(silence), "trim", "0", "1.0")
    sox("-n", "-r", "16000", "-b", "16", "-c", "1", str(noise), "synth", "1.5", "whitenoise", "vol", "0.3")
    sox("-n", "-r", "16000", "-b", "16", "-c", "1", str(hum), "synth", "1.5", "sine", "120", "vol", "0.3")
    sox("-n", "-r", "16000", "-b", "16", "-c", "1", str(header_only), "trim", "0", "0")
    assert hear(recogniser, silence, [SESSION, FREE]).reason == "silence"
    assert hear(recogniser, noise, [YES_NO_SEARCH]).reason == "noise"  # it was "yep" before the speech check
    assert hear(recogniser, hum, [SESSION, FREE]).reason == "noise"
    assert hear(recogniser, header_only, [FREE]).reason == "silence"
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        read_wav(empty)
    with pytest.raises(AudioError, match="no audio file"):
        read_wav(tmp_path / "missing.wav")
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    with pytest.raises(AudioError, match="can't read notes.wav"):
        read_wav(text)


def test_spoken_reply_lasts_as_long_as_espeak_takes_to_say_it(tmp_path):
    speaker = Speaker(tmp_path / "out", play=False)
    plain = BotMessage(text="Hold for 30 s. Breathe slowly.")
    spoken = asyncio.run(speaker.say(listener_message(plain), ssml_message(plain), "session_step"))
    reference = espeak_seconds(tmp_path, "Hold for 30 seconds. Breathe slowly.")
    assert spoken.wav.is_file() and abs(spoken.seconds - reference) <= 0.1 * reference
    assert wav_seconds(spoken.wav) == pytest.approx(spoken.seconds)
    asked = BotMessage(
        text="Is kneeling painful or difficult for you?", buttons=[Button("Yes", "/affirm"), Button("No", "/deny")]
    )
    with_break = asyncio.run(speaker.say(listener_message(asked), ssml_message(asked), "screening_question"))
    without_break = espeak_seconds(tmp_path, listener_message(asked))
    # The 800 ms pause before "You can say" replaces espeak-ng's own ~0.4 s gap after the question.
    assert without_break + 0.3 <= with_break.seconds <= without_break + 0.8
    longer = asyncio.run(
        speaker.say(listener_message(asked), ssml_message(asked, choices_pause_ms=2000), "screening_question")
    )
    assert longer.seconds - with_break.seconds == pytest.approx(1.2, abs=0.15)
    transcript = (tmp_path / "out" / "transcript.txt").read_text().splitlines()
    assert (
        len(transcript) == 3
        and transcript[0].startswith("001-session_step.wav")
        and transcript[0].endswith("Hold for 30 seconds. Breathe slowly.")
    )


@pytest.mark.skipif(Path("/dev/snd").exists(), reason="this machine has a sound device")
def test_no_sound_device_is_said_not_crashed(tmp_path):
    assert find_player() is None
    speaker = Speaker(None)
    assert "no sound device found" in speaker.where and speaker.out_dir.is_dir()
    with pytest.raises(AudioError, match="--wav-in"):
        Microphone.find()
    shutil.rmtree(speaker.out_dir)


def test_no_recorder_installed(monkeypatch):
    monkeypatch.setattr("voice.audio.shutil.which", lambda _: None)
    with pytest.raises(AudioError, match="No recorder found"):
        Microphone.find()
