"""`python -m voice`: talk to Psoas Coach hands-free (`make voice` starts the servers first).

python -m voice                      # microphone in, speakers out
python -m voice --wav-in a.wav b.wav # each file is one thing you say; "wait:20" lets a session run
python -m voice --text               # type instead of speaking; the coach still speaks
python -m voice --out DIR            # also keep every spoken reply as a WAV (always, with no speakers)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import List, Optional

from voice.audio import AudioError, Microphone, read_wav
from voice.coach_client import CoachUnavailable
from voice.loop import VoiceLoop
from voice.speaker import Speaker

DEFAULT_URL = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m voice", description="Psoas Coach, hands-free and offline.")
    parser.add_argument("--url", default=os.environ.get("COACH_URL", DEFAULT_URL), help="the coach's Rasa server")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wav-in", nargs="+", metavar="WAV", help="say these files in turn (wait:SECONDS pauses)")
    source.add_argument("--text", action="store_true", help="type what you would say")
    parser.add_argument("--out", type=Path, help="folder for the spoken replies as WAV files and a transcript")
    parser.add_argument("--no-play", action="store_true", help="never play audio, only write it")
    parser.add_argument("--voice", default="en-us", help="espeak-ng voice (default en-us)")
    parser.add_argument("--rate", type=int, default=150, help="words per minute (default 150)")
    parser.add_argument("--session", help="conversation id to resume")
    parser.add_argument("--settle", type=float, default=2.0, help="--wav-in: seconds of quiet before the next file")
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> int:
    try:
        speaker = Speaker(args.out, args.voice, args.rate, play=not args.no_play)
    except AudioError as error:
        print(f"voice loop: {error}", file=sys.stderr)
        return 2
    microphone = None
    if not args.wav_in and not args.text:
        try:
            microphone = Microphone.find()
        except AudioError as error:
            print(f"voice loop: {error}", file=sys.stderr)
            await _say(speaker, str(error))
            return 2
    recogniser = safety = None
    if not args.text:
        from voice.confirm import SafetyCheck
        from voice.grammars import build
        from voice.recogniser import Recogniser

        built = build()
        safety = SafetyCheck(built)
        recogniser = Recogniser(built, names_safety=safety.names_safety)
    loop = VoiceLoop(recogniser, speaker, safety)
    print(f"voice loop: {speaker.where}.")
    try:
        await loop.connect(args.url, args.session)
    except CoachUnavailable as error:
        print(f"voice loop: {error}", file=sys.stderr)
        await _say(speaker, str(error))
        await loop.close()
        return 2
    try:
        if args.wav_in:
            await _wav_files(loop, args.wav_in, args.settle)
        elif args.text:
            await _typed(loop)
        else:
            assert microphone is not None  # found above: neither --wav-in nor --text was given
            await _microphone(loop, microphone)
    except KeyboardInterrupt:
        pass
    finally:
        await loop.idle(settle=0.5, timeout=30)
        await loop.close()
    return 1 if loop.lost else 0


async def _wav_files(loop: VoiceLoop, items: List[str], settle: float) -> None:
    await loop.idle(settle=settle)
    for item in items:
        if loop.lost:
            return
        if item.startswith("wait:"):
            await asyncio.sleep(float(item[5:]))
            continue
        print(f"you ({item}):")
        try:
            await loop.hear(read_wav(Path(item)))
        except AudioError as error:
            await loop.say_own(str(error))
        # A paced session never falls quiet (a cue every few seconds): don't wait for it to end.
        await loop.idle(settle=settle, timeout=max(8.0, 4 * settle))


async def _typed(loop: VoiceLoop) -> None:
    print('Type what you would say; an empty line or "quit" ends.')
    while not loop.lost:
        await loop.idle(settle=0.8)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip().lower() in ("", "quit", "exit"):
            return
        await loop.hear_text(line.strip())


async def _microphone(loop: VoiceLoop, microphone: Microphone) -> None:
    """Half duplex: never record while speaking, or the loop would hear itself."""
    loop.on_speech_start = microphone.interrupt
    print("Listening. Speak after the coach has finished; Ctrl-C ends.")
    while not loop.lost:
        await loop.idle(settle=0.3, timeout=3600)
        try:
            utterance = await microphone.listen()
        except AudioError as error:
            if loop.busy:  # interrupted because the coach started talking
                continue
            await loop.say_own(str(error))
            return
        if loop.busy:
            continue  # the coach spoke meanwhile: what was recorded may be the coach itself
        await loop.hear(utterance)


async def _say(speaker: Speaker, text: str) -> None:
    from connectors.render.speech import ssml_text

    try:
        await speaker.say(text, ssml_text(text), "loop")
    except AudioError as error:
        print(f"voice loop: {error}", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
