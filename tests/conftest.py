"""Fixtures shared by every test: the real knowledge base and throwaway databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach import settings
from coach.kb.loader import KnowledgeBase, load_directory
from coach.safety.triage import Triage
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from scripts.train_reader import ensure as ensure_reader

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_directory(ROOT / "knowledge")


@pytest.fixture(scope="session")
def triage(kb) -> Triage:
    # The rules and the learned reader, as the coach runs them (`make unit` builds the reader first;
    # a plain `pytest` builds it here when it is missing or stale).
    ensure_reader(settings.reader_path())
    return Triage(kb)


@pytest.fixture()
def engine(tmp_path):
    return create_db_engine(f"sqlite:///{tmp_path / 'coach.sqlite3'}")


@pytest.fixture()
def loaded_engine(engine, kb):
    kb_store.save(engine, kb)
    return engine
