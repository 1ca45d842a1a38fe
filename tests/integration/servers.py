"""Starts the real action server and Rasa server on free ports, as `make run` does."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence

import requests

from coach.settings import allowed_origins
from scripts.credentials import generate as generate_credentials

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "coach.tar.gz"
# Inherited channel settings would connect the tests to a real bot; proxies would swallow loopback calls
# (slack_sdk reads HTTP(S)_PROXY and ignores NO_PROXY).
NOT_INHERITED = ("TELEGRAM_", "SLACK_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_model() -> Path:
    """Trains once per test session when config, domain or data changed (make knows)."""
    subprocess.run(["make", "-s", "train"], cwd=ROOT, check=True)
    return MODEL


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 600) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).ok:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


class Servers:
    """`env` adds or overrides variables: a channel's settings (TELEGRAM_*, SLACK_*, ALEXA_*) switch
    it on exactly as `make run` would with them set. `rasa_args` adds `rasa run` options."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        endpoints: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        rasa_args: Sequence[str] = (),
    ):
        self.workdir = workdir
        self.rasa_port = free_port()
        self.actions_port = free_port()
        # A second local origin that may embed the widget (tests/integration/browser serves
        # host pages there); the same port as http://localhost:<port> is a site NOT listed.
        self.host_port = free_port()
        self.rasa_args = list(rasa_args)
        self.env: Dict[str, str] = {
            **{k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)},
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            # Sessions run 50x faster with the real reminder machinery (30 s hold = 0.6 s).
            "COACH_TIME_SCALE": os.environ.get("COACH_TIME_SCALE", "0.02"),
            "COACH_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.host_port}",
            # As scripts/run.sh does: the Rasa server proves itself to the action server.
            "COACH_ACTION_SECRET": secrets.token_urlsafe(32),
            "COACH_BIND_ADDRESS": "127.0.0.1",
            # The suites send many conversations fast from one address on a busy machine: their own
            # limits and deadline (tests/integration/test_security.py and test_faults.py set theirs).
            "COACH_RATE_PER_SENDER": "1000/60",
            "COACH_RATE_PER_ADDRESS": "0",
            "COACH_REPLY_DEADLINE_SECONDS": "60",
            **(env or {}),
        }
        self.endpoints = endpoints or self._default_endpoints()
        self.processes: List[subprocess.Popen] = []
        self.channels: list = []  # ChannelStatus per channel, once Rasa has started
        self.cold_start_seconds: Optional[float] = None

    def _default_endpoints(self) -> str:
        path = self.workdir / "endpoints.yml"
        path.write_text(
            "action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n"
            "  headers:\n    X-Coach-Action-Secret: ${COACH_ACTION_SECRET}\n"
            "tracker_store:\n  type: connectors.tracker_store.ForgetfulSQLTrackerStore\n"
            f"  dialect: sqlite\n  db: {self.workdir / 'tracker.sqlite3'}\n"
        )
        return str(path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def listed_origin(self) -> str:
        return f"http://127.0.0.1:{self.host_port}"

    @property
    def unlisted_origin(self) -> str:
        return f"http://localhost:{self.host_port}"

    def _spawn(self, args: List[str], log_name: str) -> subprocess.Popen:
        log = self.workdir / log_name
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start(self) -> None:
        """Both servers, started side by side as `make run` does: Rasa calls no action while it
        loads, so neither waits for the other (on two cores this saves the action server's start)."""
        actions = self._spawn_actions()
        self.start_rasa()
        self._wait_for_actions(actions)

    def start_actions(self) -> None:
        self._wait_for_actions(self._spawn_actions())

    def _spawn_actions(self) -> subprocess.Popen:
        if self.processes:
            raise RuntimeError("the action server starts first: stop_rasa() relies on that order")
        return self._spawn(
            [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(self.actions_port)], "actions.log"
        )

    def _wait_for_actions(self, process: subprocess.Popen) -> None:
        wait_until_up(f"http://127.0.0.1:{self.actions_port}/health", process, self.workdir / "actions.log")

    def credentials(self) -> str:
        """The credentials `make run` would start with in this environment (scripts/credentials.py)."""
        text, self.channels = generate_credentials((ROOT / "credentials.yml").read_text(), self.env)
        path = self.workdir / "credentials.yml"
        path.write_text(text)
        return str(path)

    def start_rasa(self) -> None:
        process = self._spawn(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "-m",
                str(MODEL),
                "-i",
                self.env["COACH_BIND_ADDRESS"],
                "--port",
                str(self.rasa_port),
                "--credentials",
                self.credentials(),
                "--endpoints",
                self.endpoints,
                # As scripts/run.sh does: Sanic's CORS gets the same list as the socket server.
                *cors_args(self.env.get("COACH_ALLOWED_ORIGINS", "")),
                *self.rasa_args,
            ],
            "rasa.log",
        )
        self.cold_start_seconds = wait_until_up(f"{self.url}/", process, self.workdir / "rasa.log")

    def stop_rasa(self) -> None:
        for process in self.processes[1:]:
            process.terminate()
            process.wait(timeout=30)
        del self.processes[1:]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def log(self, name: str = "rasa.log") -> str:
        return (self.workdir / name).read_text()


def cors_args(raw_origins: str) -> List[str]:
    origins = allowed_origins(raw_origins)
    return ["--cors", *origins] if origins else []


@contextmanager
def running(workdir: Path, database_url: str, env: Optional[Mapping[str, str]] = None, **options) -> Iterator[Servers]:
    """Both servers for a `with` block; `env` adds or overrides variables (a channel's settings)."""
    servers = Servers(workdir, database_url, env=env, **options)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()
