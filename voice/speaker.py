"""Speech out with espeak-ng (Debian), played when a sound device exists, else written to WAV.

Text to speak comes from connectors/render/speech.py as SSML (`espeak-ng -m` honours
<break/>), so what the voice loop says and what the Alexa skill says are rendered by the same
code. Every utterance is also written to the transcript, so a session without speakers (CI,
a remote machine) can be read afterwards.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from voice.audio import AudioError, require


@dataclass(frozen=True)
class Spoken:
    text: str  # the words, as the transcript shows them
    ssml: str
    wav: Optional[Path]  # None when played and not kept
    seconds: float
    at: float  # time.monotonic() when speaking started
    kind: str  # payload type of the bot message, or "loop" for the loop's own words


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / float(w.getframerate())


def find_player() -> Optional[List[str]]:
    """A command that plays a WAV on this machine's default device, or None (no device)."""
    for command, probe in (
        (["aplay", "-q"], ["aplay", "-l"]),
        (["play", "-q"], ["play", "-q", "-n", "trim", "0", "0.01"]),
    ):
        if shutil.which(command[0]):
            try:
                done = subprocess.run(probe, capture_output=True, timeout=10)
            except subprocess.TimeoutExpired:
                continue
            if done.returncode == 0 and b"no soundcards" not in done.stderr:
                return command
    return None


class Speaker:
    def __init__(self, out_dir: Optional[Path] = None, voice: str = "en-us", rate: int = 150, play: bool = True):
        self.espeak = require("espeak-ng", "to speak")
        self.voice, self.rate = voice, rate
        self.player = find_player() if play else None
        self.out_dir = out_dir
        if self.out_dir is None and self.player is None:
            self.out_dir = Path(tempfile.mkdtemp(prefix="psoas-voice-"))
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.spoken: List[Spoken] = []
        self._count = 0
        self._playing: Optional[asyncio.subprocess.Process] = None

    @property
    def where(self) -> str:
        """Where speech goes, in words for the start-up message."""
        if self.player:
            return f"speaking through {self.player[0]}" + (f", copies in {self.out_dir}" if self.out_dir else "")
        return f"no sound device found: writing what I say to {self.out_dir}"

    async def synthesise(self, ssml: str, path: Path) -> Path:
        process = await asyncio.create_subprocess_exec(
            self.espeak, "-v", self.voice, "-s", str(self.rate), "-m", "-w", str(path), "--stdin",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate(ssml.encode("utf-8"))
        if process.returncode != 0 or not path.is_file():
            raise AudioError(
                f"espeak-ng could not speak ({err.decode(errors='replace').strip() or process.returncode})."
            )
        return path

    async def say(self, text: str, ssml: str, kind: str) -> Spoken:
        self._count += 1
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            target = (self.out_dir or Path(tmp)) / f"{self._count:03d}-{kind}.wav"
            await self.synthesise(ssml, target)
            seconds = wav_seconds(target)
            if self.player:
                self._playing = await asyncio.create_subprocess_exec(
                    *self.player, str(target), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
                )
                await self._playing.wait()
                self._playing = None
            spoken = Spoken(text, ssml, target if self.out_dir else None, seconds, started, kind)
        self.spoken.append(spoken)
        if self.out_dir:
            with (self.out_dir / "transcript.txt").open("a", encoding="utf-8") as f:
                f.write(f"{target.name}\t{seconds:.1f}s\t{text}\n")
        return spoken

    def interrupt(self) -> None:
        """Cuts the current playback short (an emergency message must be heard now)."""
        if self._playing and self._playing.returncode is None:
            self._playing.terminate()
