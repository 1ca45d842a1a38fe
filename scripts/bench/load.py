"""The load generator: simulated users holding scripted conversations over Rasa's REST channel.

One asyncio loop and one aiohttp session drive every user, so the generator itself costs little
CPU next to the servers it measures (it shares their two cores). Each user works through the
conversations in turn, each under a fresh sender id, and either sends its next message as soon
as the answer arrives (back to back) or pauses about `think_seconds` first (±20 %, from a seeded
random generator, so runs are repeatable and users don't move in lockstep).

A turn fails when the request errors or times out, when the status is not 200, or when the bot
says nothing (an empty list): a silent bot is an error for a person too.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import aiohttp

from scripts.bench.stats import Turn

Conversation = Sequence[str]


@dataclass(frozen=True)
class Scenario:
    name: str
    users: int
    think_seconds: float  # 0: back to back
    seconds: float  # how long users keep starting turns

    @property
    def label(self) -> str:
        pause = "back to back" if not self.think_seconds else f"pausing ~{self.think_seconds:g} s"
        return f"{self.users} user{'s' if self.users != 1 else ''} {pause}"


async def _turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, timeout: float) -> Turn:
    sent = time.perf_counter()
    try:
        async with session.post(
            url, json={"sender": sender, "message": text}, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            body = await response.read()
            answered = time.perf_counter()
            if response.status != 200:
                return Turn(sent, answered, False, f"HTTP {response.status}")
            try:
                messages = json.loads(body)
            except ValueError:
                return Turn(sent, answered, False, "not JSON")
            if not isinstance(messages, list) or not messages:
                return Turn(sent, answered, False, "no answer")
            return Turn(sent, answered, True)
    except asyncio.TimeoutError:
        return Turn(sent, time.perf_counter(), False, "timeout")
    except aiohttp.ClientError as error:
        return Turn(sent, time.perf_counter(), False, type(error).__name__)


async def _user(
    number: int,
    session: aiohttp.ClientSession,
    url: str,
    conversations: Sequence[Conversation],
    scenario: Scenario,
    deadline: float,
    rng: random.Random,
    prefix: str,
    timeout: float,
    turns: List[Turn],
) -> None:
    if scenario.think_seconds:  # pausing users arrive spread over one pause, as people would
        await asyncio.sleep(rng.uniform(0, scenario.think_seconds))
    index = number
    while time.perf_counter() < deadline:
        conversation = conversations[index % len(conversations)]
        sender = f"{prefix}-{number}-{index}"
        index += len(conversations) if len(conversations) > 1 else 1
        for text in conversation:
            if time.perf_counter() >= deadline:
                return
            turns.append(await _turn(session, url, sender, text, timeout))
            if scenario.think_seconds:
                await asyncio.sleep(scenario.think_seconds * rng.uniform(0.8, 1.2))


async def run_async(
    base_url: str,
    conversations: Sequence[Conversation],
    scenario: Scenario,
    seed: int = 11,
    timeout: float = 30.0,
) -> Tuple[List[Turn], float, float]:
    """Runs one scenario; returns every turn, and when the run started and ended."""
    if not conversations or not all(conversations):
        raise ValueError("every conversation needs at least one message")
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    rng = random.Random(seed)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    turns: List[Turn] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        deadline = started + scenario.seconds
        await asyncio.gather(
            *(
                _user(
                    n,
                    session,
                    url,
                    conversations,
                    scenario,
                    deadline,
                    random.Random(rng.random()),
                    prefix,
                    timeout,
                    turns,
                )
                for n in range(scenario.users)
            )
        )
        ended = time.perf_counter()
    return turns, started, ended


def run(
    base_url: str, conversations: Sequence[Conversation], scenario: Scenario, **options
) -> Tuple[List[Turn], float, float]:
    return asyncio.run(run_async(base_url, conversations, scenario, **options))


async def _warm_up(base_url: str, conversations: Sequence[Conversation], timeout: float) -> List[Turn]:
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    prefix = f"warm-{uuid.uuid4().hex[:8]}"
    turns: List[Turn] = []
    async with aiohttp.ClientSession() as session:
        for number, conversation in enumerate(conversations):
            for text in conversation:
                turns.append(await _turn(session, url, f"{prefix}-{number}", text, timeout))
    return turns


def warm_up(base_url: str, conversations: Sequence[Conversation], timeout: float = 120.0) -> List[Turn]:
    """Each conversation once, by one user, unmeasured: a fresh process's first turns are slow."""
    return asyncio.run(_warm_up(base_url, conversations, timeout))
