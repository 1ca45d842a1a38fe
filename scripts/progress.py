"""Runs one long step of `make run` and shows that it is moving: what the step is, what it is
doing now, a heartbeat while the tool is silent, and how long it took.

    python scripts/progress.py "Installing the locked packages" --kind pip --total 430 -- pip install ...
    python scripts/progress.py "Training the model" --kind train -- rasa train ...

Standard library only: the install step runs it before the packages exist. The tool's own output
is kept back (it buries what matters) and shown, its last lines, only when the step fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Callable, Deque, List, Optional

HEARTBEAT_SECONDS = 15
TAIL_LINES = 40


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


class Reporter:
    """Prints progress lines; on a terminal the per-package lines overwrite each other."""

    def __init__(self, step: str, stream=None):
        self.step = step
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.last_output = self.started
        short = step.split(" (")[0]
        self.doing = short[0].lower() + short[1:]
        self._open_line = False
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self, text: str, transient: bool = False) -> None:
        with self._lock:
            self.last_output = time.monotonic()
            if transient and self.tty:
                self.stream.write("\r\033[K    " + text)
                self._open_line = True
            else:
                if self._open_line:
                    self.stream.write("\n")
                    self._open_line = False
                self.stream.write("    " + text + "\n")
            self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._open_line:
                self.stream.write("\n")
                self.stream.flush()
                self._open_line = False

    def heartbeat(self, stop: threading.Event) -> None:
        while not stop.wait(1):
            if time.monotonic() - self.last_output >= HEARTBEAT_SECONDS:
                self.line(f"… still {self.doing} ({duration(self.elapsed())} so far)")


def pip_filter(total: Optional[int]) -> Callable[[str, Reporter], None]:
    seen: List[str] = []
    every = max(1, (total or 100) // 10)

    def handle(line: str, report: Reporter) -> None:
        match = re.match(r"(?:Collecting|Processing) (\S+)", line)
        if match:
            seen.append(match.group(1))
            count = f"{len(seen)}/{total}" if total else str(len(seen))
            if report.tty or len(seen) % every == 0 or len(seen) == total:
                report.line(f"fetched {count}: {match.group(1)}", transient=True)
        elif line.startswith("Installing collected packages"):
            report.doing = f"unpacking {len(seen)} packages into the virtual environment"
            report.line(f"{report.doing} (the slow part, a few minutes the first time)…")
        elif line.startswith("Successfully installed"):
            report.line(f"installed {len(line.split()) - 2} packages")

    return handle


def train_filter() -> Callable[[str, Reporter], None]:
    started = {}

    def handle(line: str, report: Reporter) -> None:
        if match := re.search(r"Starting to train component '([^']+)'", line):
            started[match.group(1)] = time.monotonic()
            report.doing = f"training {match.group(1)}"
            report.line(f"{report.doing}…", transient=True)
        elif match := re.search(r"Finished training component '([^']+)'", line):
            name = match.group(1)
            took = time.monotonic() - started.pop(name, time.monotonic())
            report.line(f"{name} trained in {duration(took)}")
        elif match := re.search(r"Restored component '([^']+)' from cache", line):
            report.line(f"{match.group(1)} unchanged (from the cache)", transient=True)
        elif "Nothing changed" in line:
            report.line("nothing changed since the last training")

    return handle


def run(step: str, command: List[str], handle: Callable[[str, Reporter], None]) -> int:
    report = Reporter(step)
    print(f"==> {step}…", flush=True)
    tail: Deque[str] = deque(maxlen=TAIL_LINES)
    stop = threading.Event()
    beat = threading.Thread(target=report.heartbeat, args=(stop,), daemon=True)
    beat.start()
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1
        )
    except OSError as error:
        stop.set()
        print(f"==> {step} FAILED: cannot start {command[0]} ({error})", flush=True)
        return 127
    assert process.stdout is not None
    try:
        for raw in process.stdout:
            line = raw.rstrip("\n").split("\r")[-1].strip()  # progress bars redraw with \r
            if line:
                tail.append(line)
                handle(line, report)
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        code = 130
    finally:
        stop.set()
        beat.join()
    if code == 0:
        report.close()
        print(f"==> {step}: done in {duration(report.elapsed())}.", flush=True)
    else:
        report.close()
        print(f"==> {step} FAILED after {duration(report.elapsed())} (exit {code}). Its last lines:", flush=True)
        for line in tail:
            print(f"    | {line}")
    return code


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: progress.py STEP [--kind pip|train|plain] [--total N] -- COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="progress.py")
    parser.add_argument("step")
    parser.add_argument("--kind", choices=["pip", "train", "plain"], default="plain")
    parser.add_argument("--total", type=int, default=None, help="how many packages the pip step installs")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    handlers = {"pip": lambda: pip_filter(args.total), "train": train_filter, "plain": lambda: lambda _l, _r: None}
    return run(args.step, command, handlers[args.kind]())


if __name__ == "__main__":
    sys.exit(main())
