def test_healthz_answers_without_touching_anything(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_cache_channel_layer_and_broker(client, db):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "task_broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_reports_a_broken_dependency_with_503(client, db, monkeypatch):
    from monitoring import health

    def broken():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(health, "_cache", broken)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError: redis is down"}
