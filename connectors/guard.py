"""What every input channel does around the coach: a deadline, a fallback, rate limits.

Rasa 3.6 handles a message by taking the conversation's lock (Redis in production), loading its
tracker (SQL), running NLU, then calling the action server, which it waits on for 300 s. So with
the action server stopped Rasa logs "Failed to execute custom action" and the user gets nothing,
with it hung the request hangs, and with Redis or the tracker store down the NLU safety
component never even runs. The channels therefore answer on their own when the coach does not:

- `Guard.turn` runs one message with a deadline (COACH_REPLY_DEADLINE_SECONDS, default 5 s).
  On an error, the deadline passing (the turn is cancelled, which frees the conversation's
  lock), or a turn that said nothing, the message's own words go through the core's detector
  and triage (coach/fallback.py, loaded at start): an emergency, urgent or crisis flag gets its
  fixed wording from the knowledge base, anything else "I'm having a technical problem, please
  try again in a minute". Nothing of the failure (no stack trace) reaches the user.
- `Guard.admit` applies the per-sender and per-address limits (coach/limits.py) before a message
  reaches the coach, and gives the reply for one that must wait.

Log lines name people by `sender_tag` only (coach/logs.py), never by id or by what they said.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
from typing import Any, Awaitable, Callable, Iterable, List, Optional, Sequence

from coach import settings
from coach.fallback import Fallback, FallbackReply
from coach.limits import RedisWindows, TokenBuckets
from coach.logs import failure, sender_tag

logger = logging.getLogger(__name__)

Networks = List[Any]  # ipaddress networks


class Guard:
    def __init__(
        self,
        fallback: Fallback,
        deadline: float,
        per_sender: Any,
        per_address: Any,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        self.fallback = fallback
        self.deadline = deadline
        self.per_sender = per_sender
        self.per_address = per_address
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    @classmethod
    def from_settings(cls) -> Guard:
        fallback = Fallback.from_knowledge(settings.knowledge_dir())
        (sender_count, sender_period), (address_count, address_period) = (
            settings.rate_per_sender(),
            settings.rate_per_address(),
        )
        if settings.rate_limit_backend() == "redis":
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(
                settings.rate_limit_redis_url(), socket_timeout=0.5, socket_connect_timeout=0.5
            )
            prefix = settings.rate_limit_prefix()
            per_sender: Any = RedisWindows(sender_count, sender_period, client, f"{prefix}:sender")
            per_address: Any = RedisWindows(address_count, address_period, client, f"{prefix}:address")
        else:
            per_sender = TokenBuckets(sender_count, sender_period)
            per_address = TokenBuckets(address_count, address_period)
        return cls(fallback, settings.reply_deadline_seconds(), per_sender, per_address, settings.trusted_proxies())

    # -- one message -------------------------------------------------------------------------------
    async def turn(
        self,
        sender: str,
        text: Any,
        handle: Callable[[], Awaitable[Any]],
        replies_sent: Callable[[], int],
        send: Callable[[FallbackReply], Awaitable[Any]],
    ) -> Optional[str]:
        """Runs `handle()` (the channel's call into Rasa) within the deadline; when it fails,
        times out or sends nothing, sends the fallback with `send`. Returns why it fell back
        (timeout, error, silence), or None when the coach answered."""
        reason: Optional[str] = None
        try:
            await asyncio.wait_for(handle(), self.deadline)
        except asyncio.TimeoutError:
            reason = "timeout"
        except asyncio.CancelledError:
            raise
        except Exception as error:
            reason = "error"
            logger.warning("Turn for %s failed: %s", sender_tag(sender), failure(error))
        else:
            if replies_sent() == 0:
                reason = "silence"
        if reason is None:
            return None
        reply = self.fallback.reply(text, reason)
        logger.warning(
            "Answered %s without the coach (%s): %s",
            sender_tag(sender),
            reason,
            reply.custom.get("outcome") or reply.custom.get("type"),
        )
        try:
            await send(reply)
        except Exception as error:  # the channel itself is broken: nothing more we can do here
            logger.error("Fallback for %s could not be sent: %s", sender_tag(sender), type(error).__name__)
        return reason

    # -- limits ------------------------------------------------------------------------------------
    async def admit(self, sender: str, address: Optional[str] = None) -> Optional[FallbackReply]:
        """None when the message may go on; else the reply that says how long to wait."""
        waits = [await self.per_sender.wait(sender_tag(sender))]
        if address is not None:
            waits.append(await self.per_address.wait(sender_tag(f"address:{address}")))
        longest = max((w for w in waits if w is not None), default=None)
        if longest is None:
            return None
        seconds = max(1, math.ceil(longest))
        logger.warning("Throttled %s for %d s", sender_tag(sender), seconds)
        return FallbackReply(
            self.fallback.words("rate_limited", seconds=seconds), {"type": "rate_limited", "retry_after": seconds}
        )

    def client_address(self, peer: Optional[str], forwarded_for: Optional[str]) -> str:
        return client_address(peer, forwarded_for, self.trusted)

    def words(self, reply_id: str, **values: Any) -> str:
        return self.fallback.words(reply_id, **values)


def client_address(peer: Optional[str], forwarded_for: Optional[str], trusted: Iterable[Any]) -> str:
    """The client's address: the socket's peer, unless that peer is a trusted proxy; then the
    right-most X-Forwarded-For entry that is not a trusted proxy (what a client writes into the
    header itself is to the left of what the proxies appended, so it is never believed)."""
    trusted = list(trusted)
    address = peer or "unknown"
    if not trusted or not _within(address, trusted):
        return address
    for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
        if not _within(hop, trusted):
            return hop
        address = hop
    return address


def _within(address: str, networks: Iterable[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def startup_problems(argv: Sequence[str], sender_secret: str) -> List[str]:
    """Why this Rasa server must not start as invoked: listening beyond loopback while anyone may
    name any sender, or the HTTP API (which reads and rewrites any conversation) without a token."""
    if not _is_rasa_server(argv):
        return []  # a test, a script or `rasa shell`: not a server others can reach
    problems = []
    interface = _option(argv, ("-i", "--interface")) or "0.0.0.0"  # Rasa's own default
    if not settings.is_loopback(interface) and not sender_secret:
        problems.append(
            f"The Rasa server would listen on {interface} while sender ids are not verified. "
            "Listen on loopback (-i 127.0.0.1, COACH_BIND_ADDRESS) behind your proxy, or set COACH_SENDER_SECRET."
        )
    if "--enable-api" in argv and not (_option(argv, ("--auth-token", "-t")) or _option(argv, ("--jwt-secret",))):
        problems.append(
            "--enable-api needs --auth-token or --jwt-secret (scripts/run.sh passes RASA_AUTH_TOKEN or "
            "RASA_JWT_SECRET from the environment): the API reads and rewrites every conversation."
        )
    return problems


def _is_rasa_server(argv: Sequence[str]) -> bool:
    from pathlib import Path

    return len(argv) > 1 and argv[1] == "run" and Path(argv[0]).name in ("rasa", "__main__.py")


def _option(argv: Sequence[str], names: Sequence[str]) -> Optional[str]:
    args = list(argv)
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "=") and name.startswith("--"):
                return arg.split("=", 1)[1]
    return None


_guard: Optional[Guard] = None


def guard() -> Guard:
    """One per Rasa process, built when the first channel registers (at start, not during an
    outage): the knowledge base is read from knowledge/ and the detector shared with NLU. The
    server refuses to start here when startup_problems finds any."""
    global _guard
    if _guard is None:
        import sys

        problems = startup_problems(sys.argv, settings.sender_secret())
        if problems:
            for problem in problems:
                logger.error(problem)
            raise SystemExit("Psoas Coach refuses to start: " + " ".join(problems))
        _guard = Guard.from_settings()
    return _guard


def use_guard(instance: Optional[Guard]) -> None:
    """Lets unit tests give the channels their own guard."""
    global _guard
    _guard = instance
