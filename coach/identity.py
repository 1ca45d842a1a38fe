"""Who is talking, when the deployment vouches for its users (COACH_SENDER_SECRET).

The deployment's own sign-in (a clinic's portal, an employer's intranet) gives each user a
short-lived JWT signed with the deployment's secret (HS256), whose `sub` is the user's
conversation id. The REST and socket.io channels accept a message only with such a token, and
the conversation is always the token's `sub`: a token for A never talks as B, whatever sender
id the body names. A token must carry `sub` and `exp`; `alg: none` and other algorithms are
refused. Without COACH_SENDER_SECRET (the embedded default on loopback) callers name their
own sender, and the servers say so when they start.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Optional, TypeGuard

import jwt

ALGORITHM = "HS256"
# What a sender id may be made of on every channel: no spaces, quotes, slashes or control
# characters, so an id is never mistaken for a path, a query or markup anywhere it is used.
SENDER_ID = re.compile(r"^[A-Za-z0-9_.:@+=-]{1,255}$")
SENDER_RULE = "1-255 characters of letters, digits and _ . : @ + = -"


@dataclass(frozen=True)
class SenderToken:
    subject: str
    expires: float

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires


def verify(token: Any, secret: str) -> Optional[SenderToken]:
    """The token's subject and expiry when `token` is a valid JWT signed with `secret`; else None."""
    if not isinstance(token, str) or not token or not secret:
        return None
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not SENDER_ID.match(subject):
        return None
    return SenderToken(subject, float(claims["exp"]))


def issue(subject: str, secret: str, lifetime_seconds: float = 3600) -> str:
    """A sender token, as a deployment's sign-in would make it (tests, `python -m scripts.sender_token`)."""
    if not SENDER_ID.match(subject):
        raise ValueError(f"a sender id is {SENDER_RULE}")
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + int(lifetime_seconds)}, secret, algorithm=ALGORITHM)


def valid_sender(sender: Any) -> TypeGuard[str]:
    return isinstance(sender, str) and bool(SENDER_ID.match(sender))
