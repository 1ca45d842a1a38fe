"""One incoming message on a channel that answers by pushing (Telegram, Slack): the same checks,
limits and deadline on each, so the two channels cannot drift apart."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Protocol

from rasa.core.channels.channel import UserMessage

from connectors.guard import guard
from connectors.socketio import problem_with


class PushingOutput(Protocol):
    sent: int

    async def send_response(self, recipient_id: str, message: dict) -> None: ...


async def run_channel_turn(
    sender: str,
    text: str,
    out: PushingOutput,
    message: Callable[[], UserMessage],
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> None:
    """Refuses bad input and floods with a clear message; else hands `message()` to Rasa within
    the reply deadline, with the fallback answer if Rasa fails, is too slow or says nothing."""
    problem = problem_with(text)
    if problem:
        await out.send_response(sender, {"text": problem, "custom": {"type": "input_error"}})
        return
    refused = await guard().admit(sender)
    if refused is not None:
        await out.send_response(sender, refused.as_message())
        return
    incoming = message()
    await guard().turn(
        sender,
        text,
        lambda: on_new_message(incoming),
        lambda: out.sent,
        lambda reply: out.send_response(sender, reply.as_message()),
    )
