from core.queue import queues


def test_healthz_reports_database_and_redis_ok(client) -> None:  # type: ignore[no-untyped-def]
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_healthz_with_redis_down_is_503_naming_redis(client) -> None:  # type: ignore[no-untyped-def]
    queues.close()
    queues.configure("redis://127.0.0.1:1/0")  # nothing listens on port 1
    reply = client.get("/healthz")
    body = reply.get_json()
    assert reply.status_code == 503
    assert body["status"] == "unavailable"
    assert body["db"] == "ok"
    assert body["redis"].startswith("error")


def test_root_redirects_to_the_staff_view(client) -> None:  # type: ignore[no-untyped-def]
    reply = client.get("/")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/staff/"
