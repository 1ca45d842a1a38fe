"""Sender tokens (coach/identity.py) and what log lines say about a person (coach/logs.py)."""

from __future__ import annotations

import time

import jwt
import pytest

from coach import identity
from coach.logs import sender_tag

SECRET = "the-deployment-secret-at-least-32-bytes"


def test_a_token_signed_with_the_deployment_secret_names_its_sender():
    token = identity.issue("alex-1", SECRET)
    assert identity.verify(token, SECRET).subject == "alex-1"
    assert identity.verify(f"Bearer {token}", SECRET).subject == "alex-1"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not a token",
        identity.issue("alex-1", "another-secret"),  # forged: someone else's key
        jwt.encode({"sub": "alex-1", "exp": int(time.time()) + 60}, "", algorithm="none"),  # unsigned
        jwt.encode({"sub": "alex-1"}, SECRET, algorithm="HS256"),  # no expiry
        jwt.encode({"exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),  # no subject
        jwt.encode({"sub": "alex-1", "exp": int(time.time()) - 5}, SECRET, algorithm="HS256"),  # expired
        jwt.encode({"sub": "../../etc/passwd", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"),
        jwt.encode({"sub": "alex-1", "exp": int(time.time()) + 60}, SECRET, algorithm="HS512"),  # not HS256
    ],
)
def test_anything_else_is_no_sender(token):
    assert identity.verify(token, SECRET) is None


@pytest.mark.parametrize(
    "sender, ok",
    [
        ("alex-123", True),
        ("conv-emergencies-1a2b", True),
        ("550e8400-e29b-41d4-a716-446655440000", True),
        ("alexa-" + "a" * 32, True),
        ("U024BE7LH", True),
        ("x" * 255, True),
        ("x" * 256, False),
        ("", False),
        ("../../etc/passwd", False),
        ("alex'; DROP TABLE events; --", False),
        ("<script>alert(1)</script>", False),
        ("alex\x00", False),
        ("alex smith", False),
        (42, False),
        (None, False),
    ],
)
def test_sender_ids_are_plain_tokens(sender, ok):
    assert identity.valid_sender(sender) is ok


def test_log_lines_carry_a_stable_hash_never_the_id(monkeypatch):
    tag = sender_tag("123456789")
    assert tag == sender_tag("123456789") and tag.startswith("u:") and "123456789" not in tag
    assert tag != sender_tag("123456780")
    monkeypatch.setenv("COACH_LOG_HASH_KEY", "k")
    assert sender_tag("123456789") != tag  # keyed: a log reader cannot test guesses


def test_a_failure_is_logged_without_its_message():
    from coach.logs import failure

    try:
        try:
            raise ValueError("[parameters: ('alex', 'I have crushing chest pain')]")
        except ValueError as inner:
            raise RuntimeError("tracker save failed for 'I have crushing chest pain'") from inner
    except RuntimeError as error:
        logged = failure(error)
    assert logged.startswith("RuntimeError (from ValueError) at test_identity.py:")
    assert "chest" not in logged and "alex" not in logged
