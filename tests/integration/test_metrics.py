"""/metrics after the whole loop (tick -> sandbox -> signed webhook -> worker), scraped over
HTTP: every documented metric is there, and the counts match what happened."""

from __future__ import annotations

import dataclasses

import requests
from rq import SimpleWorker
from sqlalchemy.orm import Session

from core.config import Settings
from core.queue import QUEUE_NAMES, queues
from surveys.models import Ticket
from tests.conftest import FrozenClock
from tests.integration.conftest import Live
from tests.integration.test_loop import PHONE, _seed, _tick
from tests.metrics_helpers import scrape, series, value

SMS_WEBHOOK = {"endpoint": "twilio_webhooks.inbound_sms", "status": "200"}


def test_metrics_after_the_loop_count_what_happened(live: Live, clock: FrozenClock) -> None:
    before = scrape(live.url)
    _seed()
    _tick(live)  # plans the survey and sends it through the sandbox
    assert live.sandbox.reply(PHONE, "2 my timecard was rejected again and pay is late") == 200

    waiting = scrape(live.url)
    assert value(waiting, "pulse_replies_waiting") == 1
    clock.advance(seconds=90)  # nobody reads it for a minute and a half
    assert value(scrape(live.url), "pulse_oldest_waiting_reply_age_seconds") == 90
    live.work()
    after = scrape(live.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("pulse_webhooks_total", **SMS_WEBHOOK) == 1
    sms_latency = {"endpoint": SMS_WEBHOOK["endpoint"]}
    assert grew("pulse_webhook_duration_seconds_count", **sms_latency) == 1
    assert 0 < grew("pulse_webhook_duration_seconds_sum", **sms_latency) < 5
    assert grew("pulse_replies_read_total", outcome="read") == 1
    assert grew("pulse_replies_read_total", outcome="failed") == 0
    assert grew("pulse_sends_total", channel="sms", outcome="accepted", error_code="") == 1
    assert grew("pulse_pacing_delay_seconds_count") == 1
    assert grew("pulse_tickets_opened_total", category="timecard_pay") == 1
    assert grew("pulse_alerts_opened_total", kind="early_tenure") == 1
    assert value(after, "pulse_replies_waiting") == 0
    assert value(after, "pulse_oldest_waiting_reply_age_seconds") == 0
    assert value(after, "pulse_workers") == 0  # the burst worker has left RQ's registry


def test_metrics_count_a_refused_send_by_its_provider_error_code(
    live: Live, clock: FrozenClock
) -> None:
    before = scrape(live.url)
    _seed()
    live.sandbox.fail_next(channel="sms", status=400, code=21211)  # not a valid phone number
    _tick(live)
    after = scrape(live.url)

    refused = {"channel": "sms", "outcome": "bad_address", "error_code": "21211"}
    assert (
        value(after, "pulse_sends_total", **refused) - value(before, "pulse_sends_total", **refused)
        == 1
    )


def test_metrics_show_a_working_worker_by_its_last_heartbeat(live: Live) -> None:
    worker = SimpleWorker(list(QUEUE_NAMES), connection=queues.connection, name="pulse-w1")
    worker.register_birth()  # what `flask worker` does as it starts, and renews while it runs
    try:
        worker.heartbeat()
        samples = scrape(live.url)
    finally:
        worker.register_death()

    beats = series(samples, "pulse_worker_last_heartbeat_timestamp_seconds")
    assert [dict(labels)["worker"] for labels in beats] == ["pulse-w1"]
    assert worker.last_heartbeat is not None
    assert list(beats.values()) == [worker.last_heartbeat.timestamp()]
    assert value(samples, "pulse_workers") == 1


def test_tickets_opened_counts_a_ticket_once_committed_not_a_rolled_back_one(
    live: Live, session: Session
) -> None:
    counted = {"category": "equipment_access"}
    before = value(scrape(live.url), "pulse_tickets_opened_total", **counted)
    session.add(Ticket(category="equipment_access", priority="normal", team="support", rule="t"))
    session.flush()
    session.rollback()
    assert value(scrape(live.url), "pulse_tickets_opened_total", **counted) == before
    session.add(Ticket(category="equipment_access", priority="normal", team="support", rule="t"))
    session.commit()
    assert value(scrape(live.url), "pulse_tickets_opened_total", **counted) == before + 1


def test_metrics_with_a_token_set_answer_only_its_bearer(live: Live) -> None:
    token = "m" * 8 + "0123456789abcdef0123456789abcdef"
    live.app.config["SETTINGS"] = dataclasses.replace(
        live.app.config["SETTINGS"], metrics_token=token
    )

    anonymous = requests.get(f"{live.url}/metrics", timeout=10)
    wrong = requests.get(
        f"{live.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10
    )

    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "pulse_replies_waiting" in str(scrape(live.url, token=token))


def test_metrics_outside_development_without_a_token_answer_403(live: Live) -> None:
    settings: Settings = live.app.config["SETTINGS"]
    live.app.config["SETTINGS"] = dataclasses.replace(settings, environment="production")

    answer = requests.get(f"{live.url}/metrics", timeout=10)

    assert answer.status_code == 403
    assert "METRICS_TOKEN" in answer.text
