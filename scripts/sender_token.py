"""Makes a sender token, as a deployment's own sign-in would (docs/security.md):

    COACH_SENDER_SECRET=... python -m scripts.sender_token alex-123 [--hours 1]

prints a JWT (HS256, `sub` = the sender id, `exp` = now + hours) for the REST channel's
`Authorization: Bearer <token>` header or the socket.io handshake's `auth: {"token": ...}`.
"""

from __future__ import annotations

import argparse
import sys

from coach import identity, settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sender", help=f"the conversation id ({identity.SENDER_RULE})")
    parser.add_argument("--hours", type=float, default=1.0, help="how long the token is valid (default 1)")
    args = parser.parse_args()
    try:
        secret = settings.sender_secret()
        if not secret:
            raise ValueError("set COACH_SENDER_SECRET to the deployment's secret first")
        print(identity.issue(args.sender, secret, lifetime_seconds=args.hours * 3600))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
