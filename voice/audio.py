"""Audio in: WAV files and the microphone, as 16 kHz mono 16-bit PCM for pocketsphinx.

Two measured facts shape this module:
- pocketsphinx on synthesised or gated audio (pure digital silence around the words) got 52
  of 72 session commands right; with a faint, fixed-seed noise floor (-46 dBFS, quieter than
  any real microphone's) it got 72 of 72. Its noise and silence estimates need a floor, so
  every utterance gets one before decoding (`with_noise_floor`).
- Nothing is decoded from silence: the check runs before the noise floor is added.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

SAMPLE_RATE = 16000
NOISE_FLOOR = 0.005  # standard deviation as a fraction of full scale: about -46 dBFS
SILENCE_DBFS = -40.0  # the loudest 30 ms of an utterance must be louder than this to count as speech
MAX_SECONDS = 30.0  # one utterance; longer input is cut (and said so)


class AudioError(Exception):
    """Something about the audio the user must hear about: missing file, no device, bad format."""


@dataclass(frozen=True)
class Utterance:
    pcm: bytes  # 16 kHz mono signed 16-bit little endian
    source: str  # file name or "microphone"
    cut: bool = False  # longer than MAX_SECONDS

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE


def read_wav(path: Path) -> Utterance:
    """Any WAV (or file sox can read) as 16 kHz mono PCM. Raises AudioError with a plain reason."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"There is no audio file at {path}.")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name} is empty.")
    sox = require("sox", "to read audio files")
    done = subprocess.run(
        [
            sox,
            "-D",
            "-V1",
            str(path),
            "-t",
            "raw",
            "-r",
            str(SAMPLE_RATE),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed",
            "-L",
            "-",
        ],
        capture_output=True,
    )
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise AudioError(f"I can't read {path.name} as audio ({reason[0]}).")
    pcm = done.stdout
    limit = int(MAX_SECONDS * SAMPLE_RATE) * 2
    return Utterance(pcm[:limit], path.name, cut=len(pcm) > limit)


def loudest_dbfs(pcm: bytes, frame_seconds: float = 0.03) -> float:
    """The RMS level of the loudest 30 ms frame, in dB below full scale (-inf for no audio)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    frame = int(SAMPLE_RATE * frame_seconds)
    if samples.size < frame:
        return float("-inf") if samples.size == 0 else 20 * np.log10(max(np.sqrt(np.mean(samples**2)), 1e-12))
    usable = samples[: samples.size // frame * frame].reshape(-1, frame)
    rms = np.sqrt(np.mean(usable**2, axis=1)).max()
    return float(20 * np.log10(max(rms, 1e-12)))


def is_silent(pcm: bytes) -> bool:
    return loudest_dbfs(pcm) < SILENCE_DBFS


def speech_span(pcm: bytes, frame_seconds: float = 0.01) -> Tuple[int, int]:
    """(first, last) 10 ms frame louder than 30 dB below the loudest frame: where the words are."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    frame = int(SAMPLE_RATE * frame_seconds)
    if samples.size < frame:
        return 0, 0
    rms = np.sqrt(np.mean(samples[: samples.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.nonzero(rms >= rms.max() * 10 ** (-30 / 20))[0]
    return int(loud[0]), int(loud[-1])


PAD_SECONDS = 0.3
VOICED_FRAMES = 2  # 60 ms of voiced sound at least
VOICING = 0.45  # autocorrelation peak at a pitch lag: espeak-ng speech 0.53-0.84, white noise 0.15, pink 0.43
LEVEL_SPREAD_DB = 6.0  # speech rises and falls ("no" 7.6-10 dB, "stop" 25); pink noise 4.8, a hum 0.2


def looks_like_speech(pcm: bytes) -> bool:
    """Voiced (periodic, 80-400 Hz) frames and a level that moves: white noise gave grammar
    answers ("yep", "stop") and a 120 Hz hum gave "i've" before this check."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    frame = int(SAMPLE_RATE * 0.03)
    if samples.size < frame * VOICED_FRAMES:
        return False
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    energy = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    loud = frames[energy >= energy.max() * 10 ** (-30 / 20)]
    levels = 20 * np.log10(energy[energy >= energy.max() * 10 ** (-30 / 20)])
    voiced = 0
    for f in loud:
        f = f - f.mean()
        ac = np.correlate(f, f, mode="full")[frame - 1 :]
        if ac[0] <= 0:
            continue
        lags = ac[SAMPLE_RATE // 400 : SAMPLE_RATE // 80] / ac[0]
        voiced += bool(lags.size and lags.max() > VOICING)
    return voiced >= VOICED_FRAMES and float(levels.max() - np.percentile(levels, 10)) >= LEVEL_SPREAD_DB


def with_noise_floor(pcm: bytes, seed: int = 16000) -> bytes:
    """The utterance with a faint, deterministic noise floor and 0.3 s of it on each side."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE))
    samples = np.concatenate([pad, samples, pad])
    samples += np.random.default_rng(seed).normal(0.0, NOISE_FLOOR * 32768, samples.shape)
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def require(program: str, why: str) -> str:
    path = shutil.which(program)
    if not path:
        raise AudioError(f"{program} is not installed; it is needed {why} (run `make system-deps`).")
    return path


class Microphone:
    """One utterance at a time from the default input device, with sox's `rec` (or `arecord`
    when sox is missing). `rec` starts at the first sound and stops after 1.2 s of quiet."""

    def __init__(self, command: List[str]):
        self.command = command
        self._process: Optional[asyncio.subprocess.Process] = None

    @classmethod
    def find(cls) -> Microphone:
        """The first recorder that can open a device; AudioError saying what is missing otherwise."""
        problems = []
        if shutil.which("rec"):
            probe = subprocess.run(["rec", "-q", "-n", "trim", "0", "0.05"], capture_output=True, timeout=10)
            if probe.returncode == 0:
                return cls(["rec", "-q", "-c", "1", "-r", str(SAMPLE_RATE), "-b", "16", "-t", "wav", "{out}",
                            "silence", "1", "0.1", "2%", "1", "1.2", "2%", "trim", "0", str(MAX_SECONDS)])  # fmt: skip
            problems.append(_last_line(probe.stderr) or "rec failed")
        if shutil.which("arecord"):
            probe = subprocess.run(
                ["arecord", "-q", "-d", "1", "-f", "S16_LE", "/dev/null"], capture_output=True, timeout=10
            )
            if probe.returncode == 0:
                return cls(["arecord", "-q", "-f", "S16_LE", "-r", str(SAMPLE_RATE), "-c", "1", "-d", "6", "{out}"])
            problems.append(_last_line(probe.stderr) or "arecord failed")
        if not problems:
            raise AudioError("No recorder found: install sox (`make system-deps`), or use --wav-in or --text.")
        raise AudioError(
            f"I can't find a microphone: {'; '.join(problems)}. Run me with --wav-in FILES or --text instead."
        )

    async def listen(self) -> Utterance:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "heard.wav"
            args = [a.replace("{out}", str(out)) for a in self.command]
            self._process = await asyncio.create_subprocess_exec(
                *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            _, err = await self._process.communicate()
            self._process = None
            if not out.is_file() or out.stat().st_size <= 44:
                raise AudioError(f"The microphone gave no audio ({_last_line(err) or 'nothing recorded'}).")
            utterance = read_wav(out)
            return Utterance(utterance.pcm, "microphone", utterance.cut)

    def interrupt(self) -> None:
        """Stops a recording in progress (the coach is about to speak: don't record ourselves)."""
        if self._process and self._process.returncode is None:
            self._process.terminate()


def _last_line(stderr: bytes) -> str:
    """A tool's last error line in plain words: "rec FAIL sox: Sorry, there is no default audio
    device configured" -> "there is no default audio device configured"."""
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    if not lines:
        return ""
    line = re.sub(r"^\S+ FAIL \S+:\s*", "", lines[-1].strip())
    return re.sub(r"^Sorry,\s*", "", line)
