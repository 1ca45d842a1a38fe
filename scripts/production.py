"""The production layout on one machine, with one command (`make run-production`; docs/deploy.md):

    HAProxy :8405 ──(sticky cookie for socket.io)──> rasa-1 :5405, rasa-2 :5406
    rasa-N ──> HAProxy :8455 (internal) ──> actions-1 :5455, actions-2 :5456
    Rasa:   tracker store on PostgreSQL (its own database), Redis lock store, RabbitMQ analytics
    Coach:  its data on PostgreSQL through DATABASE_URL (created if missing, then migrated)

Settings come from deploy/production.env (the environment wins). Every server gets the whole
environment, so settings added there (security, channels) reach all of them. The supervisor
restarts a server that dies (1 s, then doubling to 30 s while it keeps dying), says which one
and why, and Ctrl-C stops everything it started.

    python -m scripts.production            # start and supervise until Ctrl-C
    python -m scripts.production --check    # only check the services and settings
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional
from urllib.parse import urlsplit

import requests

from coach.settings import is_loopback

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ENV_FILE = ROOT / "deploy" / "production.env"
MODEL = ROOT / "models" / "coach.tar.gz"
BACKOFF_MAX = 30.0
HEALTHY_RESET = 60.0  # a server up this long starts its backoff again from 1 s


def read_env_file(path: Path) -> Dict[str, str]:
    values: Dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{path}:{number}: expected KEY=value, got {raw!r}")
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip()
    return values


def settings(env: Optional[Mapping[str, str]] = None, env_file: Path = ENV_FILE) -> Dict[str, str]:
    """The file's values under the environment's: what every server of the layout runs with."""
    base = read_env_file(env_file) if env_file.exists() else {}
    return {**base, **{k: v for k, v in (env if env is not None else os.environ).items()}}


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing_services(env: Mapping[str, str]) -> List[str]:
    """What the layout needs and cannot find, each with what to do about it."""
    problems = []
    db = urlsplit(env["DATABASE_URL"])
    checks = [
        ("PostgreSQL (DATABASE_URL)", db.hostname or "127.0.0.1", db.port or 5432),
        ("PostgreSQL (TRACKER_DB_HOST)", env["TRACKER_DB_HOST"], int(env["TRACKER_DB_PORT"])),
        ("Redis (REDIS_HOST)", env["REDIS_HOST"], int(env["REDIS_PORT"])),
        ("RabbitMQ (RABBITMQ_HOST)", env["RABBITMQ_HOST"], int(env["RABBITMQ_PORT"])),
    ]
    for name, host, port in checks:
        if not reachable(host, port):
            problems.append(f"{name}: nothing answers on {host}:{port} (start the service or fix the setting)")
    if not _which("haproxy"):
        problems.append("HAProxy: not installed (make system-deps installs Debian's haproxy)")
    if not MODEL.exists():
        problems.append(f"the model {MODEL.relative_to(ROOT)} is missing (make train)")
    return problems


def _which(command: str) -> Optional[str]:
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin"]:
        candidate = Path(directory) / command
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def ensure_databases(env: Mapping[str, str]) -> List[str]:
    """Creates the coach's and the tracker store's databases when missing; returns those created."""
    import sqlalchemy
    from sqlalchemy import text

    coach = sqlalchemy.engine.make_url(env["DATABASE_URL"])
    tracker = sqlalchemy.engine.URL.create(
        "postgresql",
        username=env["TRACKER_DB_USER"] or None,
        password=env["TRACKER_DB_PASSWORD"] or None,
        host=env["TRACKER_DB_HOST"],
        port=int(env["TRACKER_DB_PORT"]),
        database=env["TRACKER_DB_NAME"],
    )
    created = []
    for url in (coach, tracker):
        admin = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
        try:
            with admin.connect() as conn:
                exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{url.database}"'))
                    created.append(url.database)
        finally:
            admin.dispose()
    return created


def prepare_data(env: Mapping[str, str]) -> str:
    """Migrates the coach's database and stores the knowledge base: one line for the log."""
    from coach.kb.loader import load_directory
    from coach.store import create_db_engine
    from coach.store import knowledge as kb_store
    from coach.store.migrate import upgrade

    engine = create_db_engine(env["DATABASE_URL"], create_tables=False)
    before, after = upgrade(engine)
    loaded = kb_store.save(engine, load_directory(ROOT / "knowledge"))
    engine.dispose()
    schema = f"schema {after}" + (f" (upgraded from {before or 'nothing'})" if before != after else "")
    return f"{schema}, knowledge base {'loaded' if loaded else 'up to date'}"


def reminder_settings(env: Mapping[str, str]) -> Dict[str, str]:
    """What the reminder schedulers and the Rasa servers share (docs/reminders.md): Rasa's API
    token (RASA_AUTH_TOKEN, or a fresh random one for this run), the load balancer as the way in,
    and Redis for the socket.io rooms, so a reminder reaches a socket on either instance."""
    import secrets

    redis_auth = f":{env['REDIS_PASSWORD']}@" if env.get("REDIS_PASSWORD") else ""
    redis_url = f"redis://{redis_auth}{env.get('REDIS_HOST', '127.0.0.1')}:{env.get('REDIS_PORT', '6379')}"
    public = f"http://127.0.0.1:{env['COACH_PUBLIC_PORT']}"
    return {
        "RASA_AUTH_TOKEN": env.get("RASA_AUTH_TOKEN") or secrets.token_urlsafe(24),
        "COACH_RASA_URL": env.get("COACH_RASA_URL") or public,
        "COACH_PUBLIC_URL": env.get("COACH_PUBLIC_URL") or public,
        "COACH_SOCKETIO_REDIS_URL": env.get("COACH_SOCKETIO_REDIS_URL") or f"{redis_url}/{env.get('REDIS_DB', '0')}",
    }


def haproxy_config(env: Mapping[str, str], workdir: Optional[Path] = None) -> str:
    """HAProxy's configuration for the layout; without a workdir, for Debian's haproxy service."""
    n = int(env["COACH_INSTANCES"])
    rasa = [int(env["COACH_RASA_PORT_BASE"]) + i for i in range(n)]
    actions = [int(env["COACH_ACTIONS_PORT_BASE"]) + i for i in range(n)]
    rasa_servers = "\n".join(
        f"    server rasa-{i + 1} 127.0.0.1:{port} check cookie rasa-{i + 1}" for i, port in enumerate(rasa)
    )
    action_servers = "\n".join(f"    server actions-{i + 1} 127.0.0.1:{port} check" for i, port in enumerate(actions))
    pidfile = f"\n    pidfile {workdir / 'haproxy.pid'}" if workdir else ""
    return f"""# Written by scripts/production.py from deploy/production.env; edits are overwritten.
global
    log stdout format raw local0 warning{pidfile}

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 75s
    timeout server 75s
    timeout tunnel 1h          # socket.io websockets stay open
    retries 2
    option redispatch          # a dead server's sticky users go to a live one

frontend coach
    bind {env.get("COACH_PUBLIC_BIND", "127.0.0.1")}:{env["COACH_PUBLIC_PORT"]}
    option forwardfor
    default_backend rasa

# Sticky sessions: socket.io's polling transport must reach the server that holds its session,
# so the first response sets a cookie naming the server. REST and webhooks need no stickiness
# (the Redis lock store serialises a conversation); they are balanced the same way.
backend rasa
    balance roundrobin
    cookie coach_server insert indirect nocache httponly
    option httpchk GET /
    default-server inter 2s fall 2 rise 1
{rasa_servers}

# The Rasa servers' action endpoint. A server that refuses the connection is skipped (retries);
# a request that reached a server is never sent twice.
frontend actions
    bind 127.0.0.1:{env["COACH_ACTIONS_LB_PORT"]}
    default_backend actions

backend actions
    balance roundrobin
    option httpchk GET /health
    default-server inter 2s fall 2 rise 1
{action_servers}
"""


@dataclass
class Server:
    name: str
    args: List[str]
    health: Optional[str]
    env: Dict[str, str]
    log: Path
    process: Optional[subprocess.Popen] = None
    restarts: int = 0
    started_at: float = 0.0
    backoff: float = 1.0
    next_start: float = 0.0
    stopped: bool = False  # stopped on purpose (by a test): not restarted

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT
        )
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        if not self.alive():
            return False
        if self.health is None:
            return True
        try:
            return requests.get(self.health, timeout=2).ok
        except requests.RequestException:
            return False


@dataclass
class Layout:
    env: Dict[str, str]
    workdir: Path
    say: Callable[[str], None] = print
    servers: Dict[str, Server] = field(default_factory=dict)
    supervising: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        n = int(self.env["COACH_INSTANCES"])
        base = {
            **self.env,
            "PYTHONPATH": str(ROOT),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.env['COACH_ACTIONS_LB_PORT']}/webhook",
            # Every server behind HAProxy stays on loopback (docs/security.md); the Rasa servers
            # prove themselves to the action servers with one secret for the layout.
            "COACH_BIND_ADDRESS": "127.0.0.1",
            "COACH_ACTION_SECRET": self.env.get("COACH_ACTION_SECRET") or secrets.token_urlsafe(32),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
        }
        base.update(reminder_settings(self.env))
        credentials = self._credentials(base)
        cors = self._cors(base)
        for i in range(n):
            port = int(self.env["COACH_ACTIONS_PORT_BASE"]) + i
            self._add(
                f"actions-{i + 1}",
                [str(VENV_BIN / "python"), "-m", "actions.server", "--port", str(port)],
                f"http://127.0.0.1:{port}/health",
                base,
            )
        for i in range(n):
            port = int(self.env["COACH_RASA_PORT_BASE"]) + i
            args = [str(VENV_BIN / "rasa"), "run", "-m", str(MODEL), "--port", str(port), "--interface", "127.0.0.1"]
            args += ["--credentials", credentials, "--endpoints", str(ROOT / "endpoints.production.yml"), *cors]
            args += [
                "--enable-api",
                f"--auth-token={base['RASA_AUTH_TOKEN']}",
            ]  # trigger_intent for reminders; "=" as a token may start with "-"
            self._add(f"rasa-{i + 1}", args, f"http://127.0.0.1:{port}/", base)
        # Reminders (docs/reminders.md): a scheduler per instance, one of which holds the role at a
        # time (PostgreSQL advisory lock) and delivers through the load balancer.
        for i in range(n):
            self._add(f"scheduler-{i + 1}", [sys.executable, "-m", "coach.reminders.scheduler"], None, base)
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(self.env, self.workdir))
        haproxy = _which("haproxy") or "haproxy"
        self._add("haproxy", [haproxy, "-W", "-db", "-f", str(config)], None, base)

    def _add(self, name: str, args: List[str], health: Optional[str], env: Dict[str, str]) -> None:
        self.servers[name] = Server(name, args, health, dict(env), self.workdir / f"{name}.log")

    def _credentials(self, env: Dict[str, str]) -> str:
        from scripts.credentials import generate

        text, _ = generate((ROOT / "credentials.yml").read_text(), env)
        path = self.workdir / "credentials.yml"
        path.write_text(text)
        return str(path)

    def _cors(self, env: Dict[str, str]) -> List[str]:
        from coach.settings import allowed_origins

        origins = allowed_origins(env.get("COACH_ALLOWED_ORIGINS", ""))
        return ["--cors", *origins] if origins else []

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.env['COACH_PUBLIC_PORT']}"

    def rasa_url(self, number: int) -> str:
        return f"http://127.0.0.1:{int(self.env['COACH_RASA_PORT_BASE']) + number - 1}"

    # -- lifecycle -------------------------------------------------------------------------------
    def ports(self) -> List[int]:
        n = int(self.env["COACH_INSTANCES"])
        bases = (int(self.env["COACH_RASA_PORT_BASE"]), int(self.env["COACH_ACTIONS_PORT_BASE"]))
        lb = [int(self.env["COACH_PUBLIC_PORT"]), int(self.env["COACH_ACTIONS_LB_PORT"])]
        return [base + i for base in bases for i in range(n)] + lb

    def start(self, timeout: float = 300) -> float:
        """Starts everything (action servers first), waits until all answer; returns seconds taken."""
        busy = [port for port in self.ports() if reachable("127.0.0.1", port, timeout=0.5)]
        if busy:
            raise RuntimeError(
                f"port(s) {', '.join(map(str, busy))} already in use (another layout running?): "
                "stop it or change the ports in deploy/production.env"
            )
        started = time.monotonic()
        for server in self.servers.values():
            server.start()
        pending = [s for s in self.servers.values() if s.health]
        last_note = started
        while pending:
            for server in list(pending):
                if not server.alive():
                    raise RuntimeError(f"{server.name} exited while starting; its log:\n{self.tail(server.name)}")
                if server.healthy():
                    pending.remove(server)
                    self.say(f"    {server.name} up after {time.monotonic() - started:.0f} s")
            if time.monotonic() - started > timeout:
                names = ", ".join(s.name for s in pending)
                raise TimeoutError(f"{names} did not answer in {timeout:.0f} s (logs in {self.workdir})")
            if pending and time.monotonic() - last_note > 15:
                self.say(
                    f"    … still starting {', '.join(s.name for s in pending)} ({time.monotonic() - started:.0f} s)"
                )
                last_note = time.monotonic()
            time.sleep(0.5)
        if not self.servers["haproxy"].alive():
            raise RuntimeError(f"HAProxy exited:\n{self.tail('haproxy')}")
        return time.monotonic() - started

    def supervise_once(self) -> None:
        """Restarts any server that died (not one stopped on purpose), with a growing delay."""
        now = time.monotonic()
        with self._lock:
            for server in self.servers.values():
                if server.stopped or server.alive():
                    if server.alive() and now - server.started_at > HEALTHY_RESET:
                        server.backoff = 1.0
                    continue
                if server.next_start == 0.0:
                    code = server.process.returncode if server.process else None
                    server.next_start = now + server.backoff
                    self.say(
                        f"{server.name} exited (code {code}); restarting it in {server.backoff:.0f} s "
                        f"(log: {server.log})"
                    )
                    continue
                if now >= server.next_start:
                    server.restarts += 1
                    server.start()
                    server.next_start = 0.0
                    server.backoff = min(server.backoff * 2, BACKOFF_MAX)
                    self.say(f"{server.name} restarted (restart {server.restarts})")

    def supervise(self) -> None:
        self.supervising = True
        while not self._stop.wait(0.5):
            self.supervise_once()

    def supervise_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.supervise, name="supervisor", daemon=True)
        thread.start()
        return thread

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kills one server as a crash would (the supervisor restarts it)."""
        server = self.servers[name]
        if server.process is not None:
            server.process.send_signal(sig)
            server.process.wait(timeout=30)

    def stop_server(self, name: str) -> None:
        with self._lock:
            server = self.servers[name]
            server.stopped = True
            self._terminate(server)

    def start_server(self, name: str, timeout: float = 300) -> None:
        with self._lock:
            server = self.servers[name]
            server.stopped = False
            server.next_start = 0.0
            if not server.alive():
                server.start()
        started = time.monotonic()
        while not server.healthy():
            if not server.alive():
                raise RuntimeError(f"{name} exited while starting:\n{self.tail(name)}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{name} did not answer in {timeout:.0f} s")
            time.sleep(0.5)

    def wait_healthy(self, name: str, timeout: float = 300) -> None:
        started = time.monotonic()
        while not self.servers[name].healthy():
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{name} did not come back in {timeout:.0f} s:\n{self.tail(name)}")
            time.sleep(0.5)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for server in reversed(list(self.servers.values())):
                server.stopped = True
                self._terminate(server)

    @staticmethod
    def _terminate(server: Server) -> None:
        if server.process is None or server.process.poll() is not None:
            return
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()

    def tail(self, name: str, lines: int = 40) -> str:
        log = self.servers[name].log
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.production", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="check the services and settings, start nothing")
    parser.add_argument(
        "--haproxy-config", action="store_true", help="print HAProxy's configuration (for /etc/haproxy) and exit"
    )
    parser.add_argument("--workdir", default=str(ROOT / ".data" / "production"), help="logs and generated configs")
    args = parser.parse_args(argv)
    env = settings()
    if args.haproxy_config:
        print(haproxy_config(env), end="")
        return 0
    problems = missing_services(env)
    if problems:
        print("The production layout cannot start:\n  - " + "\n  - ".join(problems))
        return 1
    if not env.get("COACH_ANALYTICS_KEY"):
        print("Note: COACH_ANALYTICS_KEY is not set; analytics hash senders with the development key.")
    exposed = not is_loopback(env.get("COACH_PUBLIC_BIND", "127.0.0.1"))
    if exposed and not env.get("COACH_SENDER_SECRET"):
        print(
            f"COACH_PUBLIC_BIND={env['COACH_PUBLIC_BIND']} would let anyone on the network talk as any sender: "
            "set COACH_SENDER_SECRET too (docs/security.md)."
        )
        return 1
    if not env.get("COACH_SENDER_SECRET"):
        print(
            "Note: COACH_SENDER_SECRET is not set; sender ids are not verified (fine only while nobody else can reach it)."
        )
    if args.check:
        print("PostgreSQL, Redis, RabbitMQ, HAProxy and the model are all there.")
        return 0
    started = time.monotonic()
    created = ensure_databases(env)
    if created:
        print(f"==> Created the database(s) {', '.join(created)}.")
    print(f"==> Coach data on {sqlalchemy_safe(env['DATABASE_URL'])}: {prepare_data(env)}.")
    layout = Layout(env, Path(args.workdir))
    n = env["COACH_INSTANCES"]
    print(f"==> Starting {n} action servers, {n} Rasa servers and HAProxy (logs in {layout.workdir})…")
    stopping = threading.Event()

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        layout.start()
    except (RuntimeError, TimeoutError) as error:
        print(f"==> The layout did not start: {error}")
        layout.stop()
        return 1
    print(
        f"""==> Psoas Coach (production layout) is running, ready in {time.monotonic() - started:.0f} s.
  Chat in your browser:  {layout.public_url}/webhooks/web
  Chat over REST:        curl -s -XPOST {layout.public_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"hi"}}'
  Instances:             {", ".join(layout.rasa_url(i + 1) for i in range(int(n)))} (behind HAProxy)
A server that dies is restarted and named here. Ctrl-C stops everything."""
    )
    supervisor = threading.Thread(target=layout.supervise, daemon=True)
    supervisor.start()
    while not stopping.wait(0.5):
        pass
    print("\nStopping the production layout…")
    layout.stop()
    return 0


def sqlalchemy_safe(url: str) -> str:
    import sqlalchemy

    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
