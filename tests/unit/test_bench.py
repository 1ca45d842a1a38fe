"""The benchmark's own arithmetic and report (scripts/bench): no bot, no timing assertions."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from scripts.bench import load, report
from scripts.bench.load import Scenario
from scripts.bench.stats import Turn, percentile, ratio, summarise


def test_percentiles_interpolate_between_ranks():
    values = [5, 1, 4, 2, 3]  # unsorted on purpose
    assert percentile(values, 0) == 1
    assert percentile(values, 50) == 3
    assert percentile(values, 100) == 5
    assert percentile(values, 25) == 2
    assert percentile([10, 20], 50) == 15  # even count: between the middle two
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7], 99) == 7


@pytest.mark.parametrize("bad", [[], None])
def test_percentile_of_nothing_says_so(bad):
    with pytest.raises((ValueError, TypeError)):
        percentile(bad, 50)


def test_percentile_out_of_range_is_refused():
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1, 2], 101)


def test_summary_counts_only_answered_turns_in_throughput_and_latency():
    turns = [Turn(0.0, 0.010, True), Turn(0.5, 0.530, True), Turn(1.0, 1.020, True)]
    turns += [Turn(1.5, 9.0, False, "timeout"), Turn(2.0, 2.001, False, "HTTP 500"), Turn(2.1, 2.2, False, "HTTP 500")]
    summary = summarise(turns, started=0.0, ended=2.0)
    assert summary.turns == 6 and summary.errors == 3
    assert summary.error_kinds == {"timeout": 1, "HTTP 500": 2}
    assert summary.throughput == pytest.approx(1.5)  # 3 answered turns over 2 s
    assert summary.p50_ms == pytest.approx(20)
    assert summary.p95_ms == pytest.approx(29)  # between 20 and 30 ms
    assert summary.max_ms == pytest.approx(30)


def test_summary_of_a_run_where_everything_failed_has_no_latency():
    summary = summarise([Turn(0, 1, False, "no answer")], 0, 1)
    assert summary.throughput == 0 and summary.p50_ms is None and summary.errors == 1


def test_a_run_must_take_time():
    with pytest.raises(ValueError, match="end after it starts"):
        summarise([], 1.0, 1.0)


def test_ratio_of_missing_or_zero_is_none():
    assert ratio(30, 15) == 2
    assert ratio(None, 1) is None and ratio(1, None) is None and ratio(1, 0) is None


# -- the load generator against a small local server -----------------------------------------


class FakeBot:
    """Answers REST like Rasa, except for the messages it is told to fail."""

    def __init__(self):
        self.seen = []

    async def webhook(self, request):
        body = await request.json()
        self.seen.append((body["sender"], body["message"]))
        if body["message"] == "crash":
            return web.Response(status=500, text="boom")
        if body["message"] == "silence":
            return web.json_response([])
        if body["message"] == "garbage":
            return web.Response(text="<html>")
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])


async def _drive(conversations, scenario):
    bot = FakeBot()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", bot.webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        turns, started, ended = await load.run_async(f"http://127.0.0.1:{port}", conversations, scenario)
    finally:
        await runner.cleanup()
    return bot, turns, started, ended


def test_load_generator_records_every_turn_and_classifies_failures():
    conversations = [["hi", "crash", "bye"], ["hello", "silence", "garbage"]]
    bot, turns, started, ended = asyncio.run(_drive(conversations, Scenario("t", 3, 0, 0.3)))
    assert len(turns) == len(bot.seen) > 0  # one record per request the server saw
    errors = summarise(turns, started, ended).error_kinds
    assert set(errors) <= {"HTTP 500", "no answer", "not JSON"} and "HTTP 500" in errors
    failed = sum(1 for _, text in bot.seen if text in ("crash", "silence", "garbage"))
    assert sum(errors.values()) == failed


def test_each_conversation_runs_in_order_under_its_own_sender():
    conversations = [["a1", "a2", "a3"], ["b1", "b2"]]
    bot, turns, _, _ = asyncio.run(_drive(conversations, Scenario("t", 2, 0, 0.3)))
    by_sender = {}
    for sender, text in bot.seen:
        by_sender.setdefault(sender, []).append(text)
    assert len(by_sender) >= 2
    for texts in by_sender.values():
        expected = conversations[0] if texts[0].startswith("a") else conversations[1]
        assert texts == expected[: len(texts)]  # in order, never mixed with another script


def test_a_conversation_without_messages_is_refused():
    with pytest.raises(ValueError, match="at least one message"):
        load.run("http://127.0.0.1:9", [[]], Scenario("t", 1, 0, 1))


# -- the report ------------------------------------------------------------------------------


def _scenario(label, throughput, p50, p95, errors=0):
    return {
        "label": label,
        "turns": 100,
        "errors": errors,
        "seconds": 10,
        "throughput": throughput,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95 + 10,
        "max_ms": p95 + 20,
        "error_kinds": {},
    }


def _results(coach_throughput=90.0, coach_p95=120.0, coach_rss=500.0, errors=0):
    starter = {
        "name": "starter",
        "layout": "rasa init",
        "start_seconds": 30.0,
        "rss": {"rasa": 1200.0},
        "rasa_rss": [1200.0],
        "scenarios": {
            "one": _scenario("1 user back to back", 30, 30, 40),
            "many": _scenario("50 users back to back", 40, 1000, 1500),
            "pausing": _scenario("50 users pausing ~3 s", 14, 200, 600),
        },
    }
    coach = {
        "name": "coach (production, 2 Rasa)",
        "layout": "two of each",
        "start_seconds": 20.0,
        "recommended": True,
        "rss": {"rasa-1": coach_rss, "rasa-2": coach_rss, "actions-1": 150.0},
        "rasa_rss": [coach_rss, coach_rss],
        "scenarios": {
            "one": _scenario("1 user back to back", 35, 25, 30),
            "many": _scenario("50 users back to back", coach_throughput, 500, 700, errors),
            "pausing": _scenario("50 users pausing ~3 s", 15, 40, coach_p95),
        },
    }
    return {
        "date": "2026-12-01 15:00 UTC",
        "commit": "abc1234",
        "command": "python -m scripts.benchmark",
        "machine": {"cpus": 2, "cpu": "Test CPU", "memory_gb": 24, "os": "Linux", "python": "3.10", "rasa": "3.6.21"},
        "load": "load average 0.1",
        "training": {"starter bot (rasa init)": 110.0, "coach (rasa train)": None},
        "targets": [starter, coach],
    }


def test_goals_met_and_missed_are_told_apart():
    met = {g["goal"]: g["met"] for g in report.goals(*_results()["targets"])}
    assert all(met.values()) and len(met) == 5
    missed = {
        g["goal"]: g["met"]
        for g in report.goals(*_results(coach_throughput=70, coach_p95=151, coach_rss=1300, errors=2)["targets"])
    }
    assert not any(v for k, v in missed.items() if "p50" not in k)
    assert missed["one user back to back, p50 ≤ the starter's"] is True


def test_report_gives_ratios_date_machine_command_and_layouts():
    text = report.render(_results())
    assert text.startswith(report.START) and text.rstrip().endswith(report.END)
    for needed in (
        "2026-12-01 15:00 UTC",
        "abc1234",
        "python -m scripts.benchmark",
        "Test CPU",
        "2 CPU cores",
        "**starter**: rasa init",
        "two of each",
        "(recommended for one machine)",
        "110.0 s",
        "not measured",
    ):
        assert needed in text, needed
    assert "| 90.0 turns/s | 2.25× |" in text  # 90 / 40
    assert "| 700 ms | 710 ms | 0.47× |" in text  # p95 700 / 1500
    assert "**no**" not in text
    assert "**no**" in report.render(_results(coach_p95=200))


def test_report_rewrites_only_its_own_section():
    analysis_before = "# Performance\n\nWhere the time goes: hand-written.\n\n"
    analysis_after = "\n\n## Levers\n\nAlso hand-written.\n"
    old = analysis_before + report.START + "\nold figures\n" + report.END + analysis_after
    merged = report.merge(old, report.render(_results()))
    assert merged.startswith(analysis_before) and merged.endswith(analysis_after)
    assert "old figures" not in merged and "2.25×" in merged
    assert report.merge(merged, report.render(_results(coach_throughput=60))).count(report.START) == 1
    fresh = report.merge("# Performance\n", report.render(_results()))
    assert fresh.startswith("# Performance\n\n" + report.START)


def test_console_prints_ratios_against_the_starter():
    text = report.console(_results())
    assert "throughput 2.25×" in text and "MET" in text
    assert "NOT MET" in report.console(_results(errors=1))
    json.dumps(_results())  # the raw results are plain JSON


# -- the profile summary ---------------------------------------------------------------------


def test_profile_samples_count_once_in_the_first_part_they_are_in():
    from scripts.bench.profile import shares

    raw = "\n".join(
        [
            "main (rasa/__main__.py:1);handle_message (rasa/core/processor.py:157);"
            "_parse_message_with_graph (rasa/core/processor.py:774);process (rasa/nlu/x.py:1) 6",
            "main (rasa/__main__.py:1);save_tracker (rasa/core/processor.py:1095);commit (sqlalchemy/orm/session.py:1) 3",
            "main (rasa/__main__.py:1);run_forever (asyncio/base_events.py:1) 1",
        ]
    )
    found = shares(raw)
    assert found == {
        "Rasa: NLU pipeline": 0.6,
        "Rasa: tracker store, save": 0.3,
        "HTTP server (Sanic), JSON and the event loop": 0.1,
    }
    assert shares("") == {}


def test_the_coach_is_measured_as_make_run_starts_it_with_no_rate_limits_for_the_load_generator(tmp_path):
    """The 50 simulated users share one address: with the default limits most turns would be
    "slow down" answers, measured as errors (seen in a run before this was set)."""
    from scripts.bench.targets import embedded_env, production_env

    first, second = embedded_env("sqlite:///x", 5599), embedded_env("sqlite:///x", 5599)
    for env in (first, production_env(2, 5500, "psoas_bench_test")):
        assert env["COACH_RATE_PER_SENDER"] == env["COACH_RATE_PER_ADDRESS"] == "0"
    assert first["COACH_ACTION_SECRET"] and first["COACH_ACTION_SECRET"] != second["COACH_ACTION_SECRET"]
    assert first["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5599/webhook"
