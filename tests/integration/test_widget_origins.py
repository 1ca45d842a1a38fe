"""Only the coach's own page and the sites in COACH_ALLOWED_ORIGINS may talk to it from a browser.

The test servers list one origin (servers.listed_origin, where the browser tests' host pages
live); http://localhost:<same port> is a different origin that is not listed. Browsers send
the Origin header and obey CORS; these tests send what a browser would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest
import requests
import socketio

from tests.integration.servers import ROOT


def _get(servers, path, origin, method="GET", **headers):
    return requests.request(method, f"{servers.url}{path}", headers={"Origin": origin, **headers}, timeout=10)


def test_listed_site_gets_cors_headers_and_an_unlisted_one_does_not(servers):
    listed = _get(servers, "/webhooks/web/config.json", servers.listed_origin)
    assert listed.ok and listed.headers.get("Access-Control-Allow-Origin") == servers.listed_origin
    unlisted = _get(servers, "/webhooks/web/config.json", servers.unlisted_origin)
    assert "Access-Control-Allow-Origin" not in unlisted.headers
    assert (
        "Access-Control-Allow-Origin" not in _get(servers, "/webhooks/web/config.json", "https://evil.example").headers
    )


def test_rest_preflight_follows_the_same_list(servers):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    listed = _get(servers, "/webhooks/rest/webhook", servers.listed_origin, "OPTIONS", **preflight)
    assert listed.headers.get("Access-Control-Allow-Origin") == servers.listed_origin
    unlisted = _get(servers, "/webhooks/rest/webhook", servers.unlisted_origin, "OPTIONS", **preflight)
    assert "Access-Control-Allow-Origin" not in unlisted.headers


def test_socket_polling_handshake_checks_the_origin(servers):
    path = "/socket.io/?EIO=4&transport=polling"
    listed = _get(servers, path, servers.listed_origin)
    assert listed.status_code == 200 and listed.headers.get("Access-Control-Allow-Origin") == servers.listed_origin
    own = _get(servers, path, servers.url)  # the coach's own chat page
    assert own.status_code == 200
    for stranger in (servers.unlisted_origin, "https://evil.example", "null"):
        refused = _get(servers, path, stranger)
        assert refused.status_code == 400, stranger
        assert "Access-Control-Allow-Origin" not in refused.headers


async def _connects(url: str, origin: str, transport: str) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(url, headers={"Origin": origin}, transports=[transport], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socket_handshake_accepts_own_and_listed_origins_only(servers, transport):
    assert await _connects(servers.url, servers.listed_origin, transport)
    assert await _connects(servers.url, servers.url, transport)
    assert not await _connects(servers.url, servers.unlisted_origin, transport)
    assert not await _connects(servers.url, "https://evil.example", transport)
    await asyncio.sleep(0)


def test_run_script_refuses_a_bad_origin_before_starting_anything():
    env = {**os.environ, "COACH_ALLOWED_ORIGINS": "shop.example", "RASA_PORT": "1", "ACTIONS_PORT": "1"}
    result = subprocess.run(["bash", "scripts/run.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "'shop.example' is not an origin" in result.stderr
