"""Deletes the data of users inactive for N days (docs/privacy.md), and expired download links.

python -m scripts.purge               # COACH_RETENTION_DAYS (default 365)
python -m scripts.purge --days 30
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from coach import settings
from coach.privacy import purge_inactive


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="retention in days (default COACH_RETENTION_DAYS)")
    args = parser.parse_args(argv)
    days = settings.retention_days() if args.days is None else args.days
    if days < 1:
        print(f"--days must be 1 or more (got {days}).", file=sys.stderr)
        return 2
    report = purge_inactive(datetime.now(timezone.utc), days)
    print(f"Retention {days} days: {report.summary()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
