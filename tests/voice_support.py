"""Shared by the voice loop's tests: speech synthesised by espeak-ng, and the skip when the
Debian tools are missing (scripts/system-deps.sh installs them; CI runs it before the tests)."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

MISSING = [tool for tool in ("espeak-ng", "sox") if not shutil.which(tool)]
needs_speech_tools = pytest.mark.skipif(
    bool(MISSING),
    reason=f"VOICE TESTS SKIPPED: {', '.join(MISSING)} not installed. Run `make system-deps` (scripts/system-deps.sh).",
)
# The espeak-ng voice the recogniser hears best (python -m voice.accuracy): en-us's own "next"
# reaches the acoustic model as "newt". The loop itself speaks with en-us.
TEST_VOICE = "en-us+klatt"


def synthesise(folder: Path, text: str, voice: str = TEST_VOICE, name: str = "") -> Path:
    """What a user would say, as a 22 kHz WAV from espeak-ng."""
    path = folder / f"{name or '_'.join(text.lower().split())[:40].replace(chr(39), '')}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True)
    return path


def espeak_seconds(folder: Path, text: str, ssml: bool = False) -> float:
    """How long espeak-ng itself takes to say `text` with the loop's voice and rate."""
    path = folder / "reference.wav"
    args = ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path)] + (["-m"] if ssml else []) + [text]
    subprocess.run(args, check=True)
    return wav_seconds(path)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / float(w.getframerate())


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True)
