"""python -m coach.kb check|load: validate knowledge/*.yml, then load it into the database."""

from __future__ import annotations

import argparse
import sys
import time

from coach import settings
from coach.kb.loader import KnowledgeError, load_directory


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach.kb", description=__doc__)
    parser.add_argument("command", choices=["check", "load"])
    parser.add_argument("--dir", default=str(settings.knowledge_dir()), help="knowledge directory")
    parser.add_argument("--database-url", default=None, help="defaults to $DATABASE_URL or the SQLite file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        kb = load_directory(args.dir)
    except KnowledgeError as err:
        print(err, file=sys.stderr)
        return 1
    summary = f"{len(kb.exercises)} exercises, {len(kb.conditions)} conditions, {len(kb.red_flags)} red-flag rules, {len(kb.faq)} FAQ"
    if args.command == "check":
        print(f"Knowledge base is valid: {summary}.")
        return 0
    from coach.store import create_db_engine
    from coach.store.knowledge import save
    from coach.store.migrate import upgrade

    engine = create_db_engine(args.database_url, create_tables=False)
    before, after = upgrade(engine)
    if before != after:
        print(f"Database schema upgraded from {before or 'nothing'} to revision {after} (coach/store/migrations).")
    changed = save(engine, kb)
    where = engine.url.render_as_string(hide_password=True)
    if changed:
        took = time.monotonic() - started
        print(f"Knowledge base validated and loaded ({summary}) into {where} in {took:.1f} s.")
    else:
        print(f"Knowledge base already up to date ({summary}) in {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
