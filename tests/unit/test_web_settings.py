"""What the web page and the servers must agree on: allowed origins, message limit, pace."""

from __future__ import annotations

import json
import os
import re

import pytest

from coach import settings
from connectors.origins import own_origins
from connectors.socketio import MAX_MESSAGE_CHARS, problem_with, web_config
from connectors.web_assets import BUNDLES, WEB_DIR, WebAssets


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("  ,  ", []),
        ("https://shop.example", ["https://shop.example"]),
        ("https://Shop.Example:443/", ["https://shop.example"]),
        (
            "http://127.0.0.1:8000, https://a.example ,http://127.0.0.1:8000",
            ["http://127.0.0.1:8000", "https://a.example"],
        ),
        ("http://localhost:80", ["http://localhost"]),
        ("http://[::1]:8080", ["http://[::1]:8080"]),
        ("*", ["*"]),
    ],
)
def test_allowed_origins_are_normalised_like_the_origin_header(raw, expected):
    assert settings.allowed_origins(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example",
        "ftp://shop.example",
        "https://shop.example/page",
        "https://",
        "https://shop.example?x=1",
        "https://user:pw@shop.example",
        "https://shop.example:99999",
        "*, https://shop.example",
    ],
)
def test_anything_that_is_not_an_origin_is_refused_by_name(raw):
    with pytest.raises(ValueError, match="COACH_ALLOWED_ORIGINS"):
        settings.allowed_origins(raw)


def test_allowed_origins_default_to_same_origin_only(monkeypatch):
    monkeypatch.delenv("COACH_ALLOWED_ORIGINS", raising=False)
    assert settings.allowed_origins() == []
    monkeypatch.setenv("COACH_ALLOWED_ORIGINS", "https://shop.example")
    assert settings.allowed_origins() == ["https://shop.example"]


def test_own_origin_is_the_host_the_browser_reached_with_either_scheme():
    assert own_origins({"HTTP_HOST": "coach.example:5005"}) == [
        "http://coach.example:5005",
        "https://coach.example:5005",
    ]
    behind_proxy = own_origins({"HTTP_HOST": "127.0.0.1:5005", "HTTP_X_FORWARDED_HOST": "coach.example, internal"})
    assert "https://coach.example" in behind_proxy and "http://127.0.0.1:5005" in behind_proxy
    assert own_origins({}) == []


@pytest.mark.parametrize("scale", [None, "1", "0.02", "0.5"])
def test_page_counts_down_at_the_pace_the_action_server_schedules(monkeypatch, scale):
    if scale is None:
        monkeypatch.delenv("COACH_TIME_SCALE", raising=False)
    else:
        monkeypatch.setenv("COACH_TIME_SCALE", scale)
    expected = 1.0 if scale is None else float(scale)
    assert web_config()["time_scale"] == settings.time_scale() == expected  # actions/door.py paces by it


def test_page_limit_and_wording_are_the_servers():
    config = web_config()
    assert config["max_message_chars"] == MAX_MESSAGE_CHARS
    too_long = "x" * (MAX_MESSAGE_CHARS + 1)
    page_says = config["texts"]["too_long"].format(length=len(too_long), limit=config["max_message_chars"])
    assert page_says == problem_with(too_long)
    assert config["texts"]["empty"] == problem_with("   ")
    assert problem_with("x" * MAX_MESSAGE_CHARS) is None


def test_bundles_carry_the_renderer_once_and_the_config(tmp_path):
    assets = WebAssets(web_config())
    renderer = (WEB_DIR / "coach-chat.js").read_text()
    for name in BUNDLES:
        body = assets.bundle(name).body.decode()
        assert body.count(renderer) == 1
        embedded = re.search(r"^PsoasCoach\.config = (.*);$", body, re.MULTILINE).group(1)
        assert json.loads(embedded) == json.loads(assets.config_json().body)
    widget = assets.bundle("widget.js").body.decode()
    assert (WEB_DIR / "widget-launcher.js").read_text() in widget
    assert (WEB_DIR / "widget-launcher.js").read_text() not in assets.bundle("coach.js").body.decode()
    assert assets.bundle("chat.css") is None


def test_bundle_is_rebuilt_when_a_source_changes(tmp_path):
    (tmp_path / "vendor").mkdir()
    for name in ("vendor/socket.io.min.js", "coach-chat.js", "widget-launcher.js"):
        (tmp_path / name).write_text(f"/* {name} v1 */")
    assets = WebAssets({"max_message_chars": 5}, web_dir=tmp_path)
    first = assets.bundle("widget.js")
    assert assets.bundle("widget.js") is first  # cached
    (tmp_path / "coach-chat.js").write_text("/* coach-chat.js v2 */")
    os.utime(tmp_path / "coach-chat.js", ns=(1, 1))  # a different stamp even on a coarse clock
    second = assets.bundle("widget.js")
    assert b"v2" in second.body and second.etag != first.etag
