"""The user's data through the core door (coach/privacy/): consent both ways, memory and its
re-check, what the coach knows, export (JSON against its schema, the PDF read back), forget me,
and the retention purge. The Rasa side (tracker store, download links) is tested at the end and
through the real servers in tests/integration/test_privacy_over_rest.py."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
from sqlalchemy import func, select

from coach.dialogue.state import ConversationState
from coach.privacy import export, purge_inactive
from coach.service import Coach
from coach.store import tracker as tracker_rows
from coach.store.privacy import user_tables
from tests.unit.test_door import User, customs, question

KNEELING = "half_kneeling_hip_flexor_stretch"


@pytest.fixture()
def coach(loaded_engine, kb):
    return Coach(kb, loaded_engine)


def rows_about(coach: Coach, user_id: str) -> dict:
    counts = {}
    with coach.engine.connect() as conn:
        for table in user_tables():
            n = conn.execute(select(func.count()).select_from(table).where(table.c.user_id == user_id)).scalar()
            if n:
                counts[table.name] = n
    return counts


def texts(result) -> str:
    return "\n".join(r.text or "" for r in result.replies)


def offer(result):
    found = customs(result, "consent_question")
    return found[0] if found else None


# -- consent -------------------------------------------------------------------------------------------
def test_without_consent_it_coaches_and_keeps_nothing(coach, triage):
    user = User(coach, triage.detector, "anon", consent=False)
    first = user.says("my hip flexors are tight from sitting all day", "describe_symptom")
    assert customs(first, "recommendation"), "the message is answered first"
    assert offer(first) and first.replies[-1].custom["type"] == "consent_question", "then consent is asked, last"
    assert len(offer(first)["wording"]) == 12
    user.says("I can't kneel", "inform_limitation")
    rec = customs(user.last, "recommendation")[0]
    assert KNEELING not in {e["id"] for e in rec["exercises"]}, "safety works from the conversation's memory"
    assert not offer(user.last), "asked once per conversation"
    assert user.memory and "no_kneeling" in user.memory["profile"]["constraints"]
    assert rows_about(coach, "anon") == {}, "no profile rows, no history"


def test_an_emergency_first_message_gets_the_emergency_answer_and_no_consent_question(coach, triage):
    user = User(coach, triage.detector, "sos", consent=False)
    result = user.says("my bum has gone numb and I can't pee", "safety_alert")
    assert customs(result, "safety")[0]["urgency"] == "emergency"
    assert not offer(result)
    assert rows_about(coach, "sos") == {}


def test_a_yes_after_the_question_moves_the_conversation_into_storage(coach, triage):
    user = User(coach, triage.detector, "alex", consent=False)
    user.says("I can't kneel", "inform_limitation")
    assert offer(user.last)
    result = user.says("yes", "affirm")
    consent = customs(result, "consent")[0]
    assert consent["given"] is True and consent["changed"] is True and consent["granted_at"]
    assert user.memory is None, "nothing left to carry in the conversation"
    assert "no_kneeling" in coach.profiles.get("alex").constraints
    assert {"consents", "user_profiles", "conversations"} <= set(rows_about(coach, "alex"))
    again = user.says("/consent_give", "consent_give")
    assert customs(again, "consent")[0]["changed"] is False and "already" in texts(again)


def test_a_no_is_kept_in_the_conversation_and_can_be_changed_later(coach, triage):
    user = User(coach, triage.detector, "sam", consent=False)
    user.says("hi", "greet")
    refused = user.says("no", "deny")
    assert customs(refused, "consent")[0] == {"type": "consent", "given": False, "changed": True, "granted_at": None}
    user.says("I can't kneel", "inform_limitation")
    assert not offer(user.last) and rows_about(coach, "sam") == {}
    user.says("actually you can remember me", "consent_give")
    assert "no_kneeling" in coach.profiles.get("sam").constraints, "what was said before the yes is kept too"
    withdrawn = user.says("stop storing my data", "consent_refuse")
    payload = customs(withdrawn, "consent")[0]
    assert payload["given"] is False and payload["deleted"]["user_profiles"] == 1
    assert "your profile" in texts(withdrawn)
    assert rows_about(coach, "sam") == {}, "withdrawing deletes what was stored"
    rec = customs(user.says("which stretches should I do?", "ask_recommendation"), "recommendation")[0]
    assert KNEELING not in {e["id"] for e in rec["exercises"]}, "the limit still holds for this conversation"
    assert rows_about(coach, "sam") == {}


def test_a_bare_yes_later_is_not_taken_as_consent(coach, triage):
    user = User(coach, triage.detector, "kim", consent=False)
    user.says("hi", "greet")
    user.says("my hips are tight", "describe_symptom")  # moved on: the question is not waiting any more
    later = user.says("yes", "affirm")
    assert not customs(later, "consent") and rows_about(coach, "kim") == {}


# -- memory ------------------------------------------------------------------------------------------
def test_remembered_limits_are_checked_again_after_a_while(coach, triage):
    user = User(coach, triage.detector, "lee")
    user.says("I can't kneel", "inform_limitation")
    user.says("I've only got 10 minutes", "inform_limitation")
    assert coach.profiles.get("lee").minutes_available == 10
    state = coach.conversations.get("lee")
    state.last_seen = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    coach.conversations.save("lee", state)
    back = User(coach, triage.detector, "lee")  # a new conversation: nothing carried in it
    result = back.says("hi", "greet")
    asked = question(result)
    assert asked and asked["id"] == "still:constraint:no_kneeling"
    assert "Last time you said you can't kneel. Is that still true?" in texts(result)
    kept = back.says("yes", "affirm")
    assert "keep working around it" in texts(kept)
    assert "no_kneeling" in coach.profiles.get("lee").constraints
    assert not question(back.says("hi", "greet")), "asked once, not at every message"


def test_my_knee_is_fine_now_answers_still_true(coach, triage):
    user = User(coach, triage.detector, "max")
    user.says("I can't kneel", "inform_limitation")
    state = coach.conversations.get("max")
    state.last_seen = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    coach.conversations.save("max", state)
    assert question(user.says("hello", "greet"))["id"] == "still:constraint:no_kneeling"
    user.says("no, kneeling is fine now", "deny")
    assert "no_kneeling" not in coach.profiles.get("max").constraints


def test_a_good_rating_remembers_the_stretches(coach, triage, kb):
    from coach.session import SessionState, build_plan

    state = SessionState(steps=build_plan(coach.catalog, ["hip_flexor_bed_stretch"], False, None))
    state.status = "done"
    coach.record_rating("pat", state, 8)
    assert coach.profiles.get("pat").preferred == ["hip_flexor_bed_stretch"]


# -- what the coach knows -------------------------------------------------------------------------------
def test_what_do_you_know_about_me_in_plain_words(coach, triage):
    user = User(coach, triage.detector, "jo")
    nothing = user.says("what do you know about me?", "ask_my_data")
    assert customs(nothing, "my_data")[0]["items"] == [] and "don't know anything" in texts(nothing)
    user.says("I can't kneel", "inform_limitation")
    user.says("I'm in Canada now", "inform_country", country="Canada")
    result = user.says("what do you know about me?", "ask_my_data")
    payload = customs(result, "my_data")[0]
    kinds = {i["kind"] for i in payload["items"]}
    assert payload["consent"] is True and {"limit", "country", "safety_events"} <= kinds
    text = texts(result)
    assert "You told me you can't kneel." in text and "You're in Canada" in text
    user.says("I'm in Australia now", "inform_country", country="Australia")
    again = texts(user.says("what do you know about me?", "ask_my_data"))
    assert "Australia" in again and "Canada" not in again, "edited by talking"


def test_conditions_are_listed_with_their_dates(coach, triage):
    user = User(coach, triage.detector, "dee")
    user.says("I had a hip replacement 3 weeks ago", "disclose_condition")
    items = customs(user.says("what do you know about me", "ask_my_data"), "my_data")[0]["items"]
    condition = next(i for i in items if i["kind"] == "condition")
    assert condition["noted_on"] == "2026-12-01" and condition["days_ago"] == pytest.approx(21, abs=1)
    assert "01 Dec 2026" in condition["text"] and "3 weeks" in condition["text"]


# -- export --------------------------------------------------------------------------------------------
def read_pdf(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1, "one page a physio can read"
    return reader.pages[0].extract_text()


def test_export_json_follows_its_schema_and_the_pdf_reads_back(coach, triage):
    user = User(coach, triage.detector, "exp")
    user.says("I can't kneel", "inform_limitation")
    user.says("I had a hip replacement 3 weeks ago", "disclose_condition")
    document = export.build(coach, "exp")
    jsonschema.validate(document, export.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert {x["id"] for x in document["profile"]["limitations"]} == {"no_kneeling"}
    reasons = {x["id"]: x["reason"] for x in document["exclusions"]}
    assert KNEELING in reasons and all(reasons.values()), "every exclusion says why"
    assert document["profile"]["conditions"][0]["noted_on"] == "2026-12-01"
    text = read_pdf(export.to_pdf(document, coach.kb.texts.disclaimer))
    assert "Psoas Coach" in text and "can't kneel" in text and "hip replacement" in text.lower()
    assert reasons[KNEELING] in text, "exclusions and why, on the page"


def test_export_gives_links_and_a_second_export_replaces_the_first(coach, triage):
    user = User(coach, triage.detector, "twice")
    empty = user.says("export my data", "export_data")
    assert customs(empty, "export")[0]["files"] == [] and "nothing to export" in texts(empty)
    user.says("I can't kneel", "inform_limitation")
    first = customs(user.says("export my data", "export_data"), "export")[0]
    assert [f["name"] for f in first["files"]] == [export.JSON_NAME, export.PDF_NAME] and first["revoked"] == 0
    token = first["files"][0]["url"].split("/")[-2]
    assert len(token) >= 32 and coach.privacy.download(token) is not None
    second = user.says("export my data", "export_data")
    payload = customs(second, "export")[0]
    assert payload["revoked"] == 2 and "no longer work" in texts(second)
    assert coach.privacy.download(token) is None, "the earlier link is revoked"
    new = payload["files"][0]["url"].split("/")[-2]
    got = coach.privacy.download(new)
    assert json.loads(got.content)["user_id"] == "twice"
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert coach.privacy.download(new, now=later) is None, "links expire"


def test_export_without_consent_comes_from_the_conversation(coach, triage):
    user = User(coach, triage.detector, "conv", consent=False)
    user.says("I can't kneel", "inform_limitation")
    payload = customs(user.says("export my data", "export_data"), "export")[0]
    got = coach.privacy.download(payload["files"][0]["url"].split("/")[-2])
    document = json.loads(got.content)
    assert document["consent"] == {"given": False, "granted_at": None}
    assert document["profile"]["limitations"][0]["id"] == "no_kneeling"


# -- forget me ---------------------------------------------------------------------------------------------
def test_forget_me_asks_once_then_deletes_everything(coach, triage):
    user = User(coach, triage.detector, "gone")
    user.says("I can't kneel", "inform_limitation")
    user.says("export my data", "export_data")
    assert {"user_profiles", "data_exports", "consents"} <= set(rows_about(coach, "gone"))
    asked = user.says("forget me", "forget_me")
    assert question(asked)["id"] == "confirm:forget" and not asked.forget
    kept = user.says("no", "deny")
    assert customs(kept, "forgotten")[0]["deleted"] == {} and rows_about(coach, "gone")
    user.says("delete all my data", "forget_me")
    done = user.says("yes", "affirm")
    payload = customs(done, "forgotten")[0]
    assert done.forget and payload["conversation"] is True
    assert payload["deleted"]["user_profiles"] == 1 and payload["deleted"]["data_exports"] == 2
    assert "your profile" in texts(done) and "2 exported files" in texts(done) and "this conversation" in texts(done)
    assert rows_about(coach, "gone") == {}, "no row of the user in any table"


def test_forget_me_with_no_data_says_so(coach, triage):
    user = User(coach, triage.detector, "nobody", consent=False)
    result = user.says("forget me", "forget_me")
    assert result.forget and not question(result)
    assert "nothing stored" in texts(result) and customs(result, "forgotten")[0]["deleted"] == {}


def test_forget_me_without_consent_clears_the_conversation_memory(coach, triage):
    user = User(coach, triage.detector, "shy", consent=False)
    user.says("I can't kneel", "inform_limitation")
    assert question(user.says("forget me", "forget_me"))["id"] == "confirm:forget"
    done = user.says("/answer" + json.dumps({"question": "confirm:forget", "answer": "yes", "ask": None}), "answer")
    assert done.forget and rows_about(coach, "shy") == {}


# -- retention -------------------------------------------------------------------------------------------
def test_purge_deletes_inactive_users_only(coach, triage, tmp_path):
    from sqlalchemy import create_engine, insert

    old, fresh = User(coach, triage.detector, "old"), User(coach, triage.detector, "fresh")
    old.says("I can't kneel", "inform_limitation")
    fresh.says("I can't kneel", "inform_limitation")
    tracker = create_engine(f"sqlite:///{tmp_path / 'tracker.sqlite3'}", future=True)
    tracker_rows.EVENTS.metadata.create_all(tracker)
    now = datetime.now(timezone.utc)
    with tracker.begin() as conn:
        for sender, ts in (("old", now - timedelta(days=40)), ("fresh", now), ("anon-old", now - timedelta(days=3))):
            conn.execute(
                insert(tracker_rows.EVENTS).values(sender_id=sender, type_name="user", timestamp=ts.timestamp())
            )
    later = now + timedelta(days=31)  # "old" and "fresh" both look a month old then...
    with coach.engine.begin() as conn:  # ...unless "fresh" was active since
        for table in user_tables():
            for column in table.c:
                if column.name in ("updated_at", "created_at", "taken_at", "granted_at"):
                    conn.execute(table.update().where(table.c.user_id == "fresh").values({column.name: later}))
    report = purge_inactive(later, 30, engine=coach.engine, tracker=tracker)
    assert sorted(report.users) == ["anon-old", "old"]
    assert rows_about(coach, "old") == {} and tracker_rows.count_sender(tracker, "old") == 0
    assert rows_about(coach, "fresh") and tracker_rows.count_sender(tracker, "fresh") == 1
    assert report.rows["events"] == 2 and report.rows["user_profiles"] == 1
    with pytest.raises(ValueError):
        purge_inactive(later, 0, engine=coach.engine, tracker=tracker)


def test_conversation_state_keeps_the_new_fields():
    state = ConversationState(last_seen="2026-12-01T10:00:00+00:00", recheck_due=True)
    assert ConversationState.from_dict(state.to_dict()) == state


def test_tables_added_later_are_exported_forgotten_and_purged(coach, triage, monkeypatch):
    """Any table with a user_id column is the user's data: no list to keep in step."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

    from coach.store import privacy as privacy_store

    later = Table(
        "reminders_for_test",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("user_id", String(255), nullable=False),
        Column("rule", String(40)),
        Column("created_at", DateTime(timezone=True)),
    )
    later.create(coach.engine)
    known = privacy_store.user_tables()
    monkeypatch.setattr(privacy_store, "user_tables", lambda: [*known, later])
    user = User(coach, triage.detector, "rem")
    user.says("I can't kneel", "inform_limitation")
    with coach.engine.begin() as conn:
        conn.execute(insert(later).values(user_id="rem", rule="weekdays 10:00", created_at=datetime.now(timezone.utc)))
    document = export.build(coach, "rem")
    jsonschema.validate(document, export.schema())
    assert document["records"]["reminders_for_test"][0]["rule"] == "weekdays 10:00"
    assert "rem" in coach.privacy.last_activity()
    user.says("forget me", "forget_me")
    done = user.says("yes", "affirm")
    assert customs(done, "forgotten")[0]["deleted"]["reminders_for_test"] == 1
    assert "1 records (reminders for test)" in texts(done)
    with coach.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(later)).scalar() == 0


def test_longer_holds_in_a_session_are_remembered(coach, triage):
    from coach.dialogue import sessions
    from coach.dialogue.context import TurnContext
    from coach.dialogue.model import Turn, TurnResult
    from coach.safety.triage import Decision
    from coach.session import SessionState, build_plan

    coach.privacy.grant("hold", "test")
    state = SessionState(steps=build_plan(coach.catalog, ["hip_flexor_bed_stretch"], False, None))
    ctx = TurnContext(
        coach, Turn("hold", "longer holds please", "longer_holds"), ConversationState(), TurnResult(), Decision()
    )
    sessions.change_holds(ctx, sessions.Session(state), +10)
    assert coach.profiles.get("hold").hold_adjust == 10
    from coach.privacy.memory import what_i_know

    assert any(k.kind == "holds" and "10 seconds longer" in k.text for k in what_i_know(coach, "hold"))


def test_a_guessed_limit_is_shown_and_exported_as_a_guess_not_as_their_words(coach):
    from coach.privacy.memory import what_i_know

    coach.privacy.grant("guess", "test")
    profile = coach.profiles.get("guess")
    profile.constraints, profile.precautions = ["no_kneeling"], ["no_kneeling"]  # rule LR2's entry
    coach.profiles.save(profile)
    said = [k.text for k in what_i_know(coach, "guess") if k.kind == "limit"]
    assert said and "guessed" in said[0] and "You told me" not in said[0]
    document = export.build(coach, "guess")
    jsonschema.validate(document, export.schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert document["profile"]["limitations"] == [{"id": "no_kneeling", "label": "you can't kneel", "guessed": True}]
    coach.forget("guess", "constraint:no_kneeling")
    assert not coach.profiles.get("guess").precautions
