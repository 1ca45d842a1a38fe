"""Moves the validated knowledge base into SQL and back."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from coach.kb.loader import KnowledgeBase
from coach.store.db import session_factory
from coach.store.models import ExerciseAlias, KnowledgeEntry, KnowledgeMeta

SINGLETONS = ("texts", "replies")


class KnowledgeNotLoaded(RuntimeError):
    pass


def stored_hash(engine: Engine) -> Optional[str]:
    with session_factory(engine)() as session:
        return session.scalar(select(KnowledgeMeta.value).where(KnowledgeMeta.key == "content_hash"))


def save(engine: Engine, kb: KnowledgeBase) -> bool:
    """Replaces the stored knowledge in one transaction. Returns False when it was already current."""
    if stored_hash(engine) == kb.content_hash:
        return False
    docs = kb.to_documents()
    with session_factory(engine).begin() as session:
        session.execute(delete(KnowledgeEntry))
        session.execute(delete(ExerciseAlias))
        session.execute(delete(KnowledgeMeta))
        for section, entries in docs.items():
            if section in SINGLETONS:
                session.add(KnowledgeEntry(section=section, entry_id=section, position=0, data=entries))
                continue
            for position, entry in enumerate(entries):
                entry_id = (
                    entry.get("id") or entry.get("country") or entry.get("file")
                )  # numbers by country, seeds by file
                session.add(KnowledgeEntry(section=section, entry_id=entry_id, position=position, data=entry))
        for ex in kb.exercises.values():
            for alias in {ex.name.lower(), *(a.lower() for a in ex.aliases)}:
                session.add(ExerciseAlias(alias=alias, exercise_id=ex.id))
        session.add(KnowledgeMeta(key="content_hash", value=kb.content_hash))
        session.add(KnowledgeMeta(key="loaded_at", value=datetime.now(timezone.utc).isoformat()))
    return True


def load(engine: Engine) -> KnowledgeBase:
    with session_factory(engine)() as session:
        rows = (
            session.execute(select(KnowledgeEntry).order_by(KnowledgeEntry.section, KnowledgeEntry.position))
            .scalars()
            .all()
        )
    if not rows:
        raise KnowledgeNotLoaded(
            "The knowledge base is not in the database yet: run `python -m coach.kb load` (make run does it)."
        )
    docs: Dict[str, List] = {}
    for row in rows:
        if row.section in SINGLETONS:
            docs[row.section] = row.data
        else:
            docs.setdefault(row.section, []).append(row.data)
    try:
        return KnowledgeBase.from_documents(docs)
    except (ValueError, TypeError) as err:  # pydantic's ValidationError and our KnowledgeError are ValueErrors
        raise KnowledgeNotLoaded(
            "The knowledge base stored in the database was written by another version of the coach: "
            "run `python -m coach.kb load` (make run and make test do it) to store the current one."
        ) from err


def exercise_id_for_alias(engine: Engine, alias: str) -> Optional[str]:
    with session_factory(engine)() as session:
        return session.scalar(select(ExerciseAlias.exercise_id).where(ExerciseAlias.alias == alias.lower().strip()))
