"""What log lines may say about a person: a hashed sender id, never the sender id itself, the
message text or anything about their health (at INFO and above)."""

from __future__ import annotations

import hashlib
import hmac
import traceback
from pathlib import Path
from typing import Any

from coach import settings


def sender_tag(sender: Any) -> str:
    """`u:` and 12 hex digits: the same person gives the same tag in every log line of every
    process (so an operator can follow one conversation), and the tag does not give the id back
    (HMAC-SHA256 with COACH_LOG_HASH_KEY when it is set)."""
    raw = str(sender).encode("utf-8", "replace")
    key = settings.log_hash_key().encode("utf-8")
    digest = hmac.new(key, raw, hashlib.sha256).hexdigest() if key else hashlib.sha256(raw).hexdigest()
    return f"u:{digest[:12]}"


def failure(error: BaseException) -> str:
    """An exception for the log without its message: exception messages can carry what a user
    said (SQLAlchemy puts a failed statement's parameters in its message, the tracker among
    them). The type and where it happened are what an operator needs to find the cause."""
    frames = traceback.extract_tb(error.__traceback__)[-6:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    cause = error.__cause__ or error.__context__
    because = f" (from {type(cause).__name__})" if cause is not None else ""
    return f"{type(error).__name__}{because} at {where or 'unknown'}"
