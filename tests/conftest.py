"""Fixtures shared by every test: the real knowledge base and throwaway databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.kb.loader import KnowledgeBase, load_directory
from coach.safety.triage import Triage
from coach.store import create_db_engine
from coach.store import knowledge as kb_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_directory(ROOT / "knowledge")


@pytest.fixture(scope="session")
def triage(kb) -> Triage:
    return Triage(kb)


@pytest.fixture()
def engine(tmp_path):
    return create_db_engine(f"sqlite:///{tmp_path / 'coach.sqlite3'}")


@pytest.fixture()
def loaded_engine(engine, kb):
    kb_store.save(engine, kb)
    return engine
