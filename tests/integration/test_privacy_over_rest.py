"""The user's data through the real servers, over REST as a user would: consent both ways,
memory across a restart, editing by talking, export (the JSON against its schema, the PDF opened
and its first page rendered to PNG), forget me leaving no row of the user in any table (ours and
Rasa's tracker store), and the retention purge (`python -m scripts.purge`, what `make purge` runs).

Ports come from this helper's range (5100-5199) so parallel runs of other suites don't collide."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from coach.privacy import export
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from coach.store.conversations import ConversationStore
from tests.integration.conftest import Chat
from tests.integration.servers import ROOT, Servers, ensure_model

PORTS = iter(range(5140, 5200))


def next_free_port() -> int:
    import socket

    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in 5140-5199")


class Privacy:
    def __init__(self, workdir, kb):
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / 'coach.sqlite3'}"
        self.tracker_url = f"sqlite:///{workdir / 'tracker.sqlite3'}"
        kb_store.save(create_db_engine(self.url), kb)
        self.servers = None
        self.start()

    def start(self) -> None:
        s = Servers(self.workdir, self.url)
        s.rasa_port, s.actions_port, s.host_port = next_free_port(), next_free_port(), next_free_port()
        s.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{s.actions_port}/webhook"
        s.env["COACH_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{s.host_port}"
        s.start()
        self.servers = s

    def restart(self) -> None:
        self.servers.stop()
        self.start()

    def chat(self, sender=None) -> Chat:
        return Chat(self.servers.url, sender or f"priv-{uuid.uuid4().hex[:10]}")

    def rows_of(self, sender: str) -> dict:
        """Every table of both databases, each column that can hold the sender's id."""
        found = {}
        for url in (self.url, self.tracker_url):
            engine = create_engine(url, future=True)
            with engine.connect() as conn:
                for table in inspect(engine).get_table_names():
                    columns = [c["name"] for c in inspect(engine).get_columns(table)]
                    for column in columns:
                        if column in ("user_id", "sender_id", "key"):
                            n = conn.execute(
                                text(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = :s'), {"s": sender}
                            ).scalar()
                            if n:
                                found[table] = n
                    # Anywhere else (JSON payloads, event data): the id must not appear at all.
                    for column in columns:
                        n = conn.execute(
                            text(f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE :s'),
                            {"s": f"%{sender}%"},
                        ).scalar()
                        if n:
                            found[f"{table}.{column}"] = n
        return found


@pytest.fixture(scope="module")
def privacy(tmp_path_factory, kb):
    ensure_model()
    p = Privacy(tmp_path_factory.mktemp("privacy"), kb)
    try:
        yield p
    finally:
        p.servers.stop()


def payloads(messages, kind):
    return Chat.payloads(messages, kind)


def test_consent_given_keeps_the_profile_refused_keeps_nothing(privacy):
    no = privacy.chat()
    first = no.say("my hip flexors are tight from sitting all day")
    assert payloads(first, "recommendation"), "the first message is answered first"
    assert first[-1]["custom"]["type"] == "consent_question", "then the coach asks"
    assert [b["payload"] for b in first[-1]["buttons"]] == ["/consent_give", "/consent_refuse"]
    refused = no.say("/consent_refuse")
    assert payloads(refused, "consent")[0]["given"] is False
    rec = payloads(no.say("I can't kneel"), "recommendation")[0]
    assert "half_kneeling_hip_flexor_stretch" not in {e["id"] for e in rec["exercises"]}
    stored = privacy.rows_of(no.sender)
    assert set(stored) <= {"events", "events.sender_id", "events.data"}, f"only Rasa's conversation: {stored}"

    yes = privacy.chat()
    assert payloads(yes.say("hi"), "consent_question")
    assert payloads(yes.say("yes"), "consent")[0]["given"] is True
    yes.say("I can't kneel")
    stored = privacy.rows_of(yes.sender)
    assert {"consents", "user_profiles", "conversations", "safety_events"} <= set(stored)


def test_an_emergency_first_message_never_gets_a_consent_question(privacy):
    chat = privacy.chat()
    reply = chat.say("my bum has gone numb and I can't pee")
    assert payloads(reply, "safety")[0]["urgency"] == "emergency"
    assert not payloads(reply, "consent_question")


def test_consent_changed_later_by_saying_so(privacy):
    chat = privacy.chat()
    chat.say("hi")
    chat.say("no thanks, don't save anything")
    chat.say("I can't kneel")
    assert "user_profiles" not in privacy.rows_of(chat.sender)
    assert payloads(chat.say("actually you can remember me"), "consent")[0]["given"] is True
    assert "user_profiles" in privacy.rows_of(chat.sender)
    withdrawn = payloads(chat.say("stop storing my data"), "consent")[0]
    assert withdrawn["given"] is False and withdrawn["deleted"]["user_profiles"] == 1
    assert not {"user_profiles", "consents", "conversations"} & set(privacy.rows_of(chat.sender))


def test_memory_across_a_restart_and_editing_by_talking(privacy):
    chat = privacy.chat()
    chat.say("hi")
    chat.say("yes, remember me")
    chat.say("I can't kneel")
    chat.say("I'm in Canada now")
    privacy.servers.stop()
    store = ConversationStore(create_db_engine(privacy.url))  # a day passes
    state = store.get(chat.sender)
    state.last_seen = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    store.save(chat.sender, state)
    privacy.start()
    chat = privacy.chat(chat.sender)
    chat.url = f"{privacy.servers.url}/webhooks/rest/webhook"
    back = chat.say("hi")
    assert "Last time you said you can't kneel. Is that still true?" in Chat.text(back)
    assert not payloads(back, "consent_question"), "consent is asked once, not at every visit"
    known = payloads(chat.say("what do you know about me?"), "my_data")[0]
    assert known["consent"] is True and {"limit", "country"} <= {i["kind"] for i in known["items"]}
    chat.say("no, my knee is fine now, I can kneel")
    chat.say("I'm in Australia now")
    text_after = Chat.text(chat.say("what do you know about me?"))
    assert "Australia" in text_after and "Canada" not in text_after and "can't kneel" not in text_after


def test_export_contents_and_a_second_export(privacy, tmp_path):
    chat = privacy.chat()
    chat.say("hi")
    chat.say("/consent_give")
    chat.say("I can't kneel")
    reply = chat.say("export my data")
    files = {f["name"]: f for f in payloads(reply, "export")[0]["files"]}
    assert set(files) == {export.JSON_NAME, export.PDF_NAME}
    got = requests.get(privacy.servers.url + files[export.JSON_NAME]["url"], timeout=10)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    assert "attachment" in got.headers["Content-Disposition"]
    document = got.json()
    jsonschema.validate(document, export.schema())
    assert document["user_id"] == chat.sender and document["consent"]["given"] is True
    assert document["profile"]["limitations"][0]["id"] == "no_kneeling"
    pdf = requests.get(privacy.servers.url + files[export.PDF_NAME]["url"], timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf"

    import pypdfium2
    from pypdf import PdfReader

    rendered = pypdfium2.PdfDocument(pdf.content)
    assert len(rendered) == 1
    image = rendered[0].render(scale=1.5).to_pil()
    png = tmp_path / "summary.png"
    image.save(png)
    assert png.stat().st_size > 5000 and image.convert("L").getextrema()[0] < 80, "text drawn on the page"
    page_text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "summary for a physiotherapist" in page_text and "can't kneel" in page_text
    assert "Stretches left out, and why" in page_text and "you said you can't kneel" in page_text

    again = chat.say("export my data")
    assert payloads(again, "export")[0]["revoked"] == 2 and "no longer work" in Chat.text(again)
    old = requests.get(privacy.servers.url + files[export.JSON_NAME]["url"], timeout=10)
    assert old.status_code == 404 and "export my data" in old.text
    forged = requests.get(f"{privacy.servers.url}/webhooks/downloads/{'x' * 32}/{export.JSON_NAME}", timeout=10)
    assert forged.status_code == 404


def test_forget_me_leaves_no_row_of_the_user_anywhere(privacy):
    chat = privacy.chat()
    chat.say("hi")
    chat.say("yes")
    chat.say("I can't kneel")
    chat.say("I'm in Canada now")
    link = payloads(chat.say("export my data"), "export")[0]["files"][0]["url"]
    before = privacy.rows_of(chat.sender)
    assert {"user_profiles", "data_exports", "events"} <= set(before)
    asked = chat.say("forget me")
    assert payloads(asked, "screening_question")[0]["id"] == "confirm:forget"
    done = chat.say("yes")
    gone = payloads(done, "forgotten")[0]
    assert gone["conversation"] is True and gone["deleted"]["user_profiles"] == 1
    assert "your profile" in Chat.text(done) and "this conversation" in Chat.text(done)
    assert privacy.rows_of(chat.sender) == {}, "no row in any table, the tracker store included"
    assert requests.get(privacy.servers.url + link, timeout=10).status_code == 404
    fresh = chat.say("what do you know about me?")
    assert payloads(fresh, "my_data")[0]["items"] == []


def test_forget_me_with_no_data(privacy):
    chat = privacy.chat()
    reply = chat.say("forget me")
    assert "nothing stored" in Chat.text(reply)
    assert privacy.rows_of(chat.sender) == {}


def test_retention_purge_deletes_inactive_users(privacy):
    stale, active = privacy.chat(), privacy.chat()
    for chat in (stale, active):
        chat.say("hi")
        chat.say("yes")
        chat.say("I can't kneel")
    engine = create_engine(privacy.url, future=True)
    tracker = create_engine(privacy.tracker_url, future=True)
    long_ago = datetime.now(timezone.utc) - timedelta(days=40)
    with engine.begin() as conn:
        for table in inspect(engine).get_table_names():
            columns = {c["name"] for c in inspect(engine).get_columns(table)}
            for column in {"updated_at", "created_at", "taken_at", "granted_at"} & columns:
                if "user_id" in columns:
                    conn.execute(
                        text(f'UPDATE "{table}" SET "{column}" = :t WHERE user_id = :s'),
                        {"t": long_ago, "s": stale.sender},
                    )
    with tracker.begin() as conn:
        conn.execute(
            text("UPDATE events SET timestamp = :t WHERE sender_id = :s"),
            {"t": long_ago.timestamp(), "s": stale.sender},
        )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": privacy.url,
        "TRACKER_DATABASE_URL": privacy.tracker_url,
    }
    run = subprocess.run(
        [sys.executable, "-m", "scripts.purge", "--days", "30"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "purged" in run.stdout
    assert privacy.rows_of(stale.sender) == {}
    assert {"user_profiles", "events"} <= set(privacy.rows_of(active.sender))
    bad = subprocess.run(
        [sys.executable, "-m", "scripts.purge", "--days", "0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--days" in bad.stderr
