"""The bots under test, each started on this machine the way its users would start it.

- `Starter`: the stock `rasa init` bot, built in a temporary folder (`rasa init --no-prompt`
  scaffolds and trains it), served by `rasa run` with its own credentials and endpoints (REST,
  in-memory tracker store, no action server: it has no custom actions).
- `Embedded`: the coach as `make run` starts it (scripts/run.sh): one action server, one Rasa
  server, the SQLite tracker store and the coach's data in SQLite, here in the run's folder.
- `Production`: the coach as `make run-production` starts it (scripts/production.py, reused as
  it is): N Rasa servers and N action servers behind HAProxy, the PostgreSQL tracker store, the
  Redis lock store and the RabbitMQ analytics broker, on databases of the benchmark's own.

Each knows its processes, so the benchmark reads the resident memory of every one of them.
Ports come from the range the caller gives (the benchmark uses 5500-5599).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
# Nothing of the caller's channels or proxies: the bots run offline, on loopback.
NOT_INHERITED = ("TELEGRAM_", "SLACK_", "ALEXA_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
# The load generator's 50 users share one address and send back to back: the coach's rate limits
# (settings, on by default: docs/security.md) would answer most of them "slow down", so the
# benchmark sets its own, none, as the test suites do.
NO_RATE_LIMITS = {"COACH_RATE_PER_SENDER": "0", "COACH_RATE_PER_ADDRESS": "0"}
QUIET = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
}


def base_env(extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
    return {**env, **QUIET, "PYTHONPATH": str(ROOT), **(extra or {})}


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> List[int]:
    """The process and every process under it (Sanic workers, HAProxy's worker)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*") if Path(f"/proc/{current}/task").exists() else []:
            children = task / "children"
            try:
                queue += [int(p) for p in children.read_text().split()]
            except OSError:
                pass
    return found


def ensure_free(*ports: int) -> None:
    """Refuses to start on a port something already answers on (it would be measured instead)."""
    import socket

    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} is already in use: stop what runs there first")


def wait_for_answer(
    url: str, processes: Mapping[str, subprocess.Popen], logs: Mapping[str, Path], timeout: float = 900
) -> float:
    """Sends "hi" over REST until an answer comes back; returns when it did (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                log = logs[name].read_text(errors="replace")[-3000:] if logs[name].exists() else ""
                raise RuntimeError(f"{name} exited while starting (code {process.returncode}):\n{log}")
        try:
            reply = requests.post(
                f"{url}/webhooks/rest/webhook", json={"sender": "bench-start", "message": "hi"}, timeout=5
            )
            if reply.ok and reply.json():
                return time.perf_counter()
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} gave no answer in {timeout:.0f} s")


@dataclass
class Target:
    """A running bot: its public URL and its processes by name."""

    name: str
    layout: str  # one line for the report: what runs, and on which stores
    workdir: Path
    url: str = ""
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: Dict[str, Path] = field(default_factory=dict)
    start_seconds: Optional[float] = None
    rasa_names: List[str] = field(default_factory=list)

    def wait_until_answering(self, started: float) -> None:
        """Records the start to first answer; a bot that never answers is stopped, then reported."""
        try:
            self.start_seconds = wait_for_answer(self.url, self.processes, self.logs) - started
        except (RuntimeError, TimeoutError):
            self.stop()
            raise

    def spawn(self, name: str, args: List[str], env: Dict[str, str], cwd: Path) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.processes[name] = process
        self.logs[name] = log
        return process

    def memory(self) -> Dict[str, float]:
        """RSS in MB of every process, by name (a process's own children listed after it)."""
        found: Dict[str, float] = {}
        for name, process in self.processes.items():
            pids = descendants(process.pid)
            found[name] = rss_mb(pids[0])
            for number, child in enumerate(pids[1:], 1):
                found[f"{name} (child {number})"] = rss_mb(child)
        return found

    def rasa_rss(self) -> List[float]:
        """RSS of each Rasa process (Sanic workers count as Rasa processes)."""
        values = []
        for name in self.rasa_names:
            pids = descendants(self.processes[name].pid)
            values += [rss_mb(p) for p in pids]
        return values

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def build_starter(folder: Path) -> float:
    """`rasa init --no-prompt` in `folder` (scaffold + train, cold cache); returns seconds taken."""
    env = base_env({"RASA_CACHE_DIRECTORY": str(folder.parent / "starter-cache")})
    folder.mkdir(parents=True, exist_ok=True)  # rasa init wants the folder to exist, and empty
    started = time.perf_counter()
    result = subprocess.run(
        [RASA, "init", "--no-prompt", "--init-dir", str(folder)],
        cwd=folder.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0 or not list((folder / "models").glob("*.tar.gz")):
        raise RuntimeError(f"rasa init failed (code {result.returncode}):\n{result.stdout[-3000:]}")
    return seconds


def train_coach(out: Path) -> float:
    """`rasa train` of the coach from scratch (cold cache) into `out`; returns seconds taken."""
    env = base_env({"RASA_CACHE_DIRECTORY": str(out / "cache")})
    started = time.perf_counter()
    subprocess.run(
        [RASA, "train", "--out", str(out), "--fixed-model-name", "bench"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def start_starter(folder: Path, port: int, workdir: Path, extra_env: Optional[Mapping[str, str]] = None) -> Target:
    target = Target(
        "starter",
        "stock `rasa init` bot: 1 Rasa server, in-memory tracker store, no action server",
        workdir,
        url=f"http://127.0.0.1:{port}",
        rasa_names=["rasa"],
    )
    ensure_free(port)
    started = time.perf_counter()
    target.spawn("rasa", [RASA, "run", "--port", str(port), "--interface", "127.0.0.1"], base_env(extra_env), folder)
    target.wait_until_answering(started)
    return target


def start_embedded(
    port: int,
    actions_port: int,
    workdir: Path,
    model: Path,
    tracker_store: str = "sqlite",
    extra_env: Optional[Mapping[str, str]] = None,
    name: str = "coach (embedded)",
) -> Target:
    """The coach as `make run` runs it; `tracker_store="memory"` measures the tracker store's cost."""
    from coach.kb.loader import load_directory
    from coach.store import create_db_engine
    from coach.store import knowledge as kb_store
    from scripts.credentials import generate

    workdir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    engine = create_db_engine(database_url)
    kb_store.save(engine, load_directory(ROOT / "knowledge"))
    engine.dispose()
    env = embedded_env(database_url, actions_port, extra_env)
    endpoints = workdir / "endpoints.yml"
    # endpoints.yml's own stores and headers, with the benchmark's files.
    tracker = (
        "tracker_store:\n  type: connectors.tracker_store.ForgetfulSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {workdir / 'rasa_tracker.sqlite3'}\n"
        if tracker_store == "sqlite"
        else ""
    )
    endpoints.write_text(
        "action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n  headers:\n    X-Coach-Action-Secret: ${COACH_ACTION_SECRET}\n"
        + tracker
    )
    credentials = workdir / "credentials.yml"
    credentials.write_text(generate((ROOT / "credentials.yml").read_text(), env)[0])
    store = "in-memory tracker store"
    if tracker_store == "sqlite":
        stock = env.get("COACH_TRACKER_SQLITE_WAL") == "0"
        store = "SQLite tracker store" + (" (Rasa's stock rollback journal, fsync per commit)" if stock else " (WAL)")
    workers = env.get("SANIC_WORKERS")
    target = Target(
        name,
        f"`make run`: 1 Rasa server{f' ({workers} Sanic workers)' if workers else ''}, 1 action server, {store}, coach data on SQLite",
        workdir,
        url=f"http://127.0.0.1:{port}",
        rasa_names=["rasa"],
    )
    started = time.perf_counter()
    target.spawn(
        "actions",
        [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(actions_port)],
        env,
        ROOT,
    )
    args = [RASA, "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1"]
    args += ["--credentials", str(credentials), "--endpoints", str(endpoints)]
    args += [
        "--enable-api",
        f"--auth-token={secrets.token_urlsafe(24)}",
    ]  # as `make run`; "=" as a token may start with "-"
    target.spawn("rasa", args, env, ROOT)
    target.wait_until_answering(started)
    return target


def embedded_env(database_url: str, actions_port: int, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """What `make run` gives its servers, with the benchmark's database, port and no rate limits."""
    return base_env(
        {
            "DATABASE_URL": database_url,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "COACH_ACTION_SECRET": secrets.token_urlsafe(32),  # as scripts/run.sh makes one per start
            **NO_RATE_LIMITS,
            **(extra or {}),
        }
    )


def production_env(instances: int, port_base: int, prefix: str) -> Dict[str, str]:
    """deploy/production.env with the benchmark's ports and databases of its own (`prefix`)."""
    from scripts.production import settings

    env = settings(base_env())
    env.update(
        {
            "COACH_INSTANCES": str(instances),
            "COACH_RASA_PORT_BASE": str(port_base + 10),
            "COACH_ACTIONS_PORT_BASE": str(port_base + 30),
            "COACH_PUBLIC_PORT": str(port_base + 90),
            "COACH_ACTIONS_LB_PORT": str(port_base + 91),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{prefix}",
            "TRACKER_DB_NAME": f"{prefix}_tracker",
            "RABBITMQ_QUEUE": f"{prefix}_analytics",
            **NO_RATE_LIMITS,
        }
    )
    return env


def start_production(
    instances: int,
    port_base: int,
    workdir: Path,
    prefix: str = "psoas_bench",
    extra_env: Optional[Mapping[str, str]] = None,
) -> Target:
    from scripts import production

    env = {**production_env(instances, port_base, prefix), **(extra_env or {})}
    problems = production.missing_services(env)
    if problems:
        raise RuntimeError("the production layout cannot start: " + "; ".join(problems))
    production.ensure_databases(env)
    production.prepare_data(env)
    layout = production.Layout(env, workdir, say=lambda *_: None)
    workers = (extra_env or {}).get("SANIC_WORKERS")
    target = Target(
        f"coach (production, {instances} Rasa" + (f", {workers} Sanic workers)" if workers else ")"),
        f"`make run-production`: {instances} Rasa server{'s' if instances > 1 else ''} and {instances} action "
        f"server{'s' if instances > 1 else ''} behind HAProxy"
        + (f" (SANIC_WORKERS={workers}: each Rasa server forks {workers} worker processes)" if workers else "")
        + ", PostgreSQL tracker store, Redis lock store, "
        "RabbitMQ analytics, coach data on PostgreSQL",
        workdir,
        url=layout.public_url,
        rasa_names=[f"rasa-{i + 1}" for i in range(instances)],
    )
    ports = [int(env["COACH_RASA_PORT_BASE"]) + i for i in range(instances)]
    ports += [int(env["COACH_ACTIONS_PORT_BASE"]) + i for i in range(instances)]
    ensure_free(*ports, int(env["COACH_PUBLIC_PORT"]), int(env["COACH_ACTIONS_LB_PORT"]))
    started = time.perf_counter()
    try:
        layout.start()
    except (RuntimeError, TimeoutError):
        layout.stop()
        raise
    for name, server in layout.servers.items():
        target.processes[name] = server.process
        target.logs[name] = server.log
    target.wait_until_answering(started)
    target._layout = layout  # type: ignore[attr-defined]
    return target


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
