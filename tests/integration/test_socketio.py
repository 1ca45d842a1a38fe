"""The web chat's channel: a real python-socketio client against the real server.

This is the test that catches a python-socketio upgrade breaking session persistence
(`enter_room` not awaited: session confirmed, but no bot message ever arrives).
"""

from __future__ import annotations

import asyncio
import uuid

import requests
import socketio


async def _talk(url: str, messages, wait_for: int):
    client = socketio.AsyncClient()
    received, confirmed = [], asyncio.Event()
    session_id = uuid.uuid4().hex

    @client.on("session_confirm")
    async def _confirm(_):
        confirmed.set()

    @client.on("bot_uttered")
    async def _bot(data):
        received.append(data)

    await client.connect(url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        for text in messages:
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
        for _ in range(100):
            if len(received) >= wait_for:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.disconnect()
    return received


async def test_bot_messages_reach_a_persistent_session(servers):
    received = await _talk(servers.url, ["hi"], wait_for=1)
    assert received, "no bot message delivered over socket.io with session_persistence"
    assert "Psoas Coach" in received[0]["text"]
    assert [b["title"] for b in received[0]["quick_replies"]]


async def test_text_and_payload_arrive_in_one_event(servers):
    received = await _talk(servers.url, ["my hip flexors are tight from sitting all day"], wait_for=1)
    recommendation = [m for m in received if (m.get("custom") or {}).get("type") == "recommendation"]
    assert recommendation and recommendation[0]["text"].startswith("Here's what I'd suggest")


async def test_empty_message_is_answered_not_dropped(servers):
    received = await _talk(servers.url, ["   "], wait_for=1)
    assert received and received[0]["custom"]["type"] == "input_error"


async def test_the_limit_counts_characters_as_the_page_does(servers):
    from connectors.socketio import MAX_MESSAGE_CHARS

    # 2000 emoji are 4000 UTF-16 units in JavaScript: the page counts code points, like us.
    at_limit = await _talk(servers.url, ["\U0001f9d8" * MAX_MESSAGE_CHARS], wait_for=1)
    assert at_limit and (at_limit[0].get("custom") or {}).get("type") != "input_error"
    over = await _talk(servers.url, ["\U0001f9d8" * (MAX_MESSAGE_CHARS + 1)], wait_for=1)
    assert over and over[0]["custom"]["type"] == "input_error"


def test_chat_page_and_client_library_are_served_locally(servers):
    for entry in ("/webhooks/web", "/webhooks/web/"):
        assert requests.get(f"{servers.url}{entry}", timeout=10).url.endswith("/webhooks/web/index.html")
    page = requests.get(f"{servers.url}/webhooks/web", timeout=10)
    assert page.ok and "Psoas Coach" in page.text and '<script src="coach.js">' in page.text
    client = requests.get(f"{servers.url}/webhooks/web/vendor/socket.io.min.js", timeout=10).text
    for bundle in ("coach.js", "widget.js"):
        served = requests.get(f"{servers.url}/webhooks/web/{bundle}", timeout=10)
        assert served.ok and served.headers["Content-Type"].startswith("application/javascript")
        assert client in served.text  # the socket.io client comes from us, never a CDN
        again = requests.get(
            f"{servers.url}/webhooks/web/{bundle}", headers={"If-None-Match": served.headers["ETag"]}, timeout=10
        )
        assert again.status_code == 304
    assert requests.get(f"{servers.url}/webhooks/web/../credentials.yml", timeout=10).status_code == 404
    demo = requests.get(f"{servers.url}/webhooks/web/demo.html", timeout=10)
    assert demo.ok and '<script src="widget.js" defer></script>' in demo.text  # same-origin demo


def test_config_endpoint_tells_the_page_the_servers_limit(servers):
    from connectors.socketio import MAX_MESSAGE_CHARS, problem_with

    config = requests.get(f"{servers.url}/webhooks/web/config.json", timeout=10).json()
    assert config["max_message_chars"] == MAX_MESSAGE_CHARS
    assert config["time_scale"] == float(servers.env["COACH_TIME_SCALE"])
    too_long = "x" * (MAX_MESSAGE_CHARS + 1)
    assert config["texts"]["too_long"].format(length=len(too_long), limit=MAX_MESSAGE_CHARS) == problem_with(too_long)
