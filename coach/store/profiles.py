"""Per-user data: the profile, completed screenings and the safety audit log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine

from coach.profile import Profile
from coach.store.db import session_factory
from coach.store.models import SafetyEvent, ScreeningRecord, UserProfile


class ProfileStore:
    def __init__(self, engine: Engine):
        self.sessions = session_factory(engine)

    def get(self, user_id: str) -> Profile:
        with self.sessions() as session:
            row = session.get(UserProfile, user_id)
            return Profile.from_dict(row.data) if row else Profile(user_id=user_id)

    def save(self, profile: Profile) -> None:
        with self.sessions.begin() as session:
            row = session.get(UserProfile, profile.user_id)
            if row is None:
                session.add(UserProfile(user_id=profile.user_id, data=profile.to_dict()))
            else:
                row.data = profile.to_dict()
                row.updated_at = datetime.now(timezone.utc)

    def log_safety(
        self, user_id: str, outcome: str, rule_ids: Iterable[str], excluded: Iterable[str], in_session: bool = False
    ) -> None:
        with self.sessions.begin() as session:
            session.add(
                SafetyEvent(
                    user_id=user_id,
                    outcome=outcome,
                    rule_ids=list(rule_ids),
                    excluded=sorted(excluded),
                    in_session=in_session,
                )
            )

    def safety_events(self, user_id: str) -> List[SafetyEvent]:
        with self.sessions() as session:
            return list(
                session.scalars(select(SafetyEvent).where(SafetyEvent.user_id == user_id).order_by(SafetyEvent.id))
            )

    def save_screening(
        self, user_id: str, answers: Dict[str, Optional[bool]], outcome: str, taken_at: Optional[datetime] = None
    ) -> None:
        with self.sessions.begin() as session:
            record = ScreeningRecord(user_id=user_id, answers=answers, outcome=outcome)
            if taken_at is not None:
                record.taken_at = taken_at
            session.add(record)

    def screenings(self, user_id: str) -> List[ScreeningRecord]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(ScreeningRecord).where(ScreeningRecord.user_id == user_id).order_by(ScreeningRecord.id)
                )
            )

    def last_screening(self, user_id: str) -> Optional[ScreeningRecord]:
        with self.sessions() as session:
            return session.scalars(
                select(ScreeningRecord)
                .where(ScreeningRecord.user_id == user_id)
                .order_by(ScreeningRecord.id.desc())
                .limit(1)
            ).first()

    def screening_is_current(self, user_id: str, valid_days: int, now: Optional[datetime] = None) -> bool:
        record = self.last_screening(user_id)
        if record is None:
            return False
        now = now or datetime.now(timezone.utc)
        taken = record.taken_at if record.taken_at.tzinfo else record.taken_at.replace(tzinfo=timezone.utc)
        return now - taken <= timedelta(days=valid_days)
