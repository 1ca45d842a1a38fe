"""Who the action server answers (actions/server.py): the Rasa server, by secret or loopback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from actions.server import refusal

SECRET = "a-secret-the-rasa-server-sends"


def call(path="/webhook", ip="127.0.0.1", secret=None):
    headers = {"X-Coach-Action-Secret": secret} if secret is not None else {}
    return SimpleNamespace(path=path, ip=ip, headers=headers)


@pytest.mark.parametrize("ip", ["127.0.0.1", "203.0.113.9"])
def test_with_a_secret_only_calls_carrying_it_are_answered_from_anywhere(ip):
    assert refusal(call(ip=ip, secret=SECRET), SECRET) is None
    for wrong in (None, "", "guess", SECRET + "x", SECRET[:-1]):
        refused = refusal(call(ip=ip, secret=wrong), SECRET)
        assert refused is not None and refused.status == 403
    assert refusal(call("/actions", ip=ip), SECRET).status == 403


@pytest.mark.parametrize("ip, answered", [("127.0.0.1", True), ("::1", True), ("10.0.0.5", False), ("", False)])
def test_without_a_secret_only_loopback_callers_are_answered(ip, answered):
    assert (refusal(call(ip=ip), "") is None) is answered


def test_health_is_open_to_supervisors_and_says_nothing_else():
    assert refusal(call("/health", ip="203.0.113.9"), SECRET) is None
