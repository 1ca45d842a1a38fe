"""Prints the figures issue #2 asks for: training time, cold start to first answer, memory of
both servers, and REST latency. Speed goals live here, never in timed tests.

python -m scripts.benchmark [--messages 200]

Install time is measured separately on a fresh clone: `time make .venv/.installed`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from coach.kb.loader import load_directory
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from tests.integration.servers import ROOT, Servers

MESSAGES = [
    "hi",
    "my hip flexors are tight from sitting all day",
    "I can't kneel",
    "how do I do the bed stretch?",
    "how long should I hold each stretch?",
    "what is the psoas?",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def train_seconds(out_dir: str) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_CACHE_DIRECTORY": str(Path(out_dir) / "cache"),
    }  # a cold cache: training from scratch
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "--out", out_dir, "--fixed-model-name", "bench"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"training from scratch (no cache):      {train_seconds(str(work / 'models')):6.1f} s")
        url = f"sqlite:///{work / 'coach.sqlite3'}"
        kb_store.save(create_db_engine(url), load_directory(ROOT / "knowledge"))
        servers = Servers(work, url)
        try:
            started = time.perf_counter()
            servers.start_actions()
            servers.start_rasa()
            reply = requests.post(
                f"{servers.url}/webhooks/rest/webhook", json={"sender": "bench", "message": "hi"}, timeout=120
            )
            reply.raise_for_status()
            print(f"cold start to first answer (both):     {time.perf_counter() - started:6.1f} s")
            print(f"  Rasa server up after:                {servers.cold_start_seconds:6.1f} s")
            latencies = []
            sender = "bench"
            for i in range(args.messages):
                sender = f"bench-{uuid.uuid4().hex[:6]}" if i % len(MESSAGES) == 0 else sender
                t0 = time.perf_counter()
                requests.post(
                    f"{servers.url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": MESSAGES[i % len(MESSAGES)]},
                    timeout=30,
                ).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            print(
                f"REST turn latency over {len(latencies)} messages:  p50 {statistics.median(latencies):.0f} ms, "
                f"p95 {p95:.0f} ms, {1000 * len(latencies) / sum(latencies):.1f} turns/s sequential"
            )
            actions, rasa = servers.processes[0], servers.processes[1]
            print(f"RSS action server:                     {rss_mb(actions.pid):6.0f} MB")
            print(f"RSS Rasa server:                       {rss_mb(rasa.pid):6.0f} MB")
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
